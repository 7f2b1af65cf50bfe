import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

/*
 * An ESLint rule that refuses imports crossing a declared boundary. Boundaries name files, not
 * import strings: `no-restricted-imports` sees only the specifier, so `../server/x`, `~/server/x`
 * and a workspace package reached by its name would each need their own pattern per folder depth.
 * Here every specifier is resolved first (relative, the `~/` alias for src/, or a package linked
 * into node_modules from this repository) to a path relative to the repository root, and the
 * boundaries (declared once, in eslint.config.js) are globs over those paths.
 */

const EXTENSIONS = ["", ".ts", ".tsx", ".js", ".mjs", "/index.ts", "/index.tsx", "/index.js"];

/** `**` any depth, `*` and `?` within one path segment, `{a,b}` alternatives. */
function globToRegExp(glob) {
  let pattern = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (glob.slice(i) === "/**") {
      // `pkg/**` also matches `pkg` itself: a package imported by its bare name resolves to its folder.
      pattern += "(?:/.*)?";
      break;
    } else if (glob.startsWith("**/", i)) {
      pattern += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      pattern += ".*";
      i += 1;
    } else if (char === "*") pattern += "[^/]*";
    else if (char === "?") pattern += "[^/]";
    else if (char === "{") pattern += "(?:";
    else if (char === "}") pattern += ")";
    else if (char === ",") pattern += "|";
    else pattern += char.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${pattern}$`);
}

function matcher(globs = []) {
  const patterns = globs.map(globToRegExp);
  return (file) => patterns.some((pattern) => pattern.test(file));
}

function withExtension(absolute) {
  for (const extension of EXTENSIONS) {
    const candidate = absolute + extension;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return absolute;
}

/** Where a bare specifier lands when it names a package linked from this repository (a workspace). */
function linkedPackage(root, specifier) {
  const parts = specifier.split("/");
  const nameLength = specifier.startsWith("@") ? 2 : 1;
  const linked = path.join(root, "node_modules", ...parts.slice(0, nameLength));
  if (!existsSync(linked)) return null;
  const real = realpathSync(linked);
  const inRepository = !path.relative(root, real).startsWith("..");
  if (!inRepository || real.split(path.sep).includes("node_modules")) return null;
  return path.join(real, ...parts.slice(nameLength));
}

/** The import's target relative to the root (posix separators), or null outside the repository. */
function resolveTarget(root, fromFile, specifier) {
  let absolute;
  if (specifier.startsWith("~/")) absolute = path.join(root, "src", specifier.slice(2));
  else if (specifier.startsWith(".")) absolute = path.resolve(path.dirname(fromFile), specifier);
  else absolute = linkedPackage(root, specifier);
  if (!absolute) return null;
  const relative = path.relative(root, withExtension(absolute));
  if (relative.startsWith("..") || path.isAbsolute(relative)) return null;
  return relative.split(path.sep).join("/");
}

function isTypeOnly(node) {
  if (node.importKind === "type" || node.exportKind === "type") return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === "type" || s.exportKind === "type");
}

function specifierText(source) {
  if (source?.type === "Literal" && typeof source.value === "string") return source.value;
  if (source?.type === "TemplateLiteral" && source.expressions.length === 0) return source.quasis[0].value.cooked;
  return null;
}

export const importBoundaries = {
  meta: {
    type: "problem",
    docs: { description: "Refuse imports that cross the project's declared boundaries." },
    schema: [
      {
        type: "object",
        properties: {
          boundaries: {
            type: "array",
            items: {
              type: "object",
              properties: {
                name: { type: "string" },
                from: { type: "array", items: { type: "string" } },
                exceptFrom: { type: "array", items: { type: "string" } },
                forbid: { type: "array", items: { type: "string" } },
                allow: { type: "array", items: { type: "string" } },
                /** Which imports count: "value" (static), "type" (type-only), "dynamic" (import()). */
                kinds: { type: "array", items: { enum: ["value", "type", "dynamic"] } },
                message: { type: "string" },
              },
              required: ["name", "from", "forbid", "message"],
              additionalProperties: false,
            },
          },
        },
        required: ["boundaries"],
        additionalProperties: false,
      },
    ],
    messages: { crossing: "{{message}} ('{{specifier}}' is {{target}}; boundary \"{{name}}\")" },
  },
  create(context) {
    const root = context.cwd;
    const file = path.relative(root, context.filename).split(path.sep).join("/");
    const applicable = context.options[0].boundaries
      .filter((boundary) => matcher(boundary.from)(file) && !matcher(boundary.exceptFrom)(file))
      .map((boundary) => ({
        ...boundary,
        forbidden: matcher(boundary.forbid),
        allowed: matcher(boundary.allow),
        kinds: boundary.kinds ?? ["value", "type", "dynamic"],
      }));
    if (applicable.length === 0) return {};

    function check(node, source, kind) {
      const specifier = specifierText(source);
      if (specifier === null) return;
      const target = resolveTarget(root, context.filename, specifier);
      if (target === null) return;
      for (const boundary of applicable) {
        if (!boundary.kinds.includes(kind) || !boundary.forbidden(target) || boundary.allowed(target)) continue;
        context.report({
          node: source,
          messageId: "crossing",
          data: { message: boundary.message, specifier, target, name: boundary.name },
        });
      }
    }

    const declaration = (node) => {
      if (node.source) check(node, node.source, isTypeOnly(node) ? "type" : "value");
    };
    return {
      ImportDeclaration: declaration,
      ExportNamedDeclaration: declaration,
      ExportAllDeclaration: declaration,
      ImportExpression: (node) => check(node, node.source, "dynamic"),
    };
  },
};
