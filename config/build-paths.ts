import type { Plugin } from "vite";

/** Where SolidStart's server-function plugin leaves the extracted module's path: the reference's name. */
const SERVER_FUNCTION_MODULE = /\?tsr-directive-use-server=/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Makes what a build ships independent of the folder it ran in. SolidStart 1.x hands each
 * server-function reference the absolute path of its extracted module as its "name" (the `name=`
 * of every form's action URL, so of every no-JS flash cookie too), and vinxi's file router puts
 * each route's absolute `filePath` into the client's route table. Neither value is looked up at
 * run time (the function id, already root-relative, is the key), so both become root-relative.
 * In the client output, any absolute path of the project left over fails the build: a new one
 * would otherwise ship unnoticed and make the assets differ from one checkout to the next.
 */
export function rootRelativeBuildPaths(options: { client: boolean }): Plugin {
  let quotedRootPath = /$^/g;
  let root = "";
  return {
    name: "root-relative-build-paths",
    enforce: "post",
    configResolved(config) {
      root = config.root.replace(/\\/g, "/").replace(/\/$/, "");
      quotedRootPath = new RegExp(`(["'\`])${escapeRegExp(root)}/([^"'\`]*)\\1`, "g");
    },
    renderChunk(code, chunk) {
      const rewritten = code.replace(quotedRootPath, (whole, quote: string, path: string) =>
        options.client || SERVER_FUNCTION_MODULE.test(path) ? `${quote}${path}${quote}` : whole,
      );
      if (options.client && rewritten.includes(root)) {
        const at = rewritten.indexOf(root);
        throw new Error(
          `rootRelativeBuildPaths: client chunk ${chunk.fileName} still holds the build folder's path: ` +
            `…${rewritten.slice(Math.max(0, at - 60), at + root.length + 60)}…`,
        );
      }
      return rewritten === code ? null : { code: rewritten, map: null };
    },
  };
}
