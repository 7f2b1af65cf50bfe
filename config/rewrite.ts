/**
 * For the build plugins that rewrite a dependency's source (config/client-bundle.ts,
 * config/dev-server.ts): a rewrite that no longer finds what it expects fails loudly, naming the
 * plugin and the file, instead of shipping the dependency unchanged after an upgrade.
 */
export function reshaped(plugin: string, configFile: string, file: string): Error {
  return new Error(`${plugin}: ${file} is not shaped as expected; update ${configFile}`);
}

/** `code` with its one occurrence of `find` replaced; throws `onReshaped()` unless there is exactly one. */
export function replaceOnce(code: string, find: string, replacement: string, onReshaped: () => Error): string {
  if (code.split(find).length !== 2) throw onReshaped();
  return code.replace(find, () => replacement);
}
