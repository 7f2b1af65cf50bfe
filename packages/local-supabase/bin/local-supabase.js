#!/usr/bin/env node
// The package ships TypeScript sources; tsx runs them wherever the package is installed (Node
// refuses to strip types of files under node_modules).
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
