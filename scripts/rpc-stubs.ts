/**
 * `npm run rpc:generate`: writes the RPC stubs (src/features/<domain>/<domain>.api.ts and
 * .preload.ts) from the server functions of src/server/<domain>/ (ADR 0049, config/rpc-stubs.ts).
 * `npm run rpc:check` (`--check`, part of `npm test`) writes nothing and fails when they are stale.
 */
import { fileURLToPath } from "node:url";
import { RpcModuleError, rpcStubChanges, writeRpcStubs } from "../config/rpc-stubs.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

try {
  if (process.argv.includes("--check")) {
    const { write, remove } = await rpcStubChanges(root);
    const stale = [...write.keys(), ...remove];
    if (stale.length > 0) {
      console.error(`RPC stubs out of date (run \`npm run rpc:generate\`): ${stale.join(", ")}`);
      process.exitCode = 1;
    }
  } else {
    const changed = await writeRpcStubs(root);
    console.log(changed.length > 0 ? `RPC stubs written: ${changed.join(", ")}` : "RPC stubs up to date");
  }
} catch (error) {
  if (!(error instanceof RpcModuleError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
