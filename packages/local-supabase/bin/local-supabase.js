#!/usr/bin/env node
// `#cli` is the built dist/cli.js; inside this package's own workspace, run with the
// `local-supabase-source` condition and a TypeScript loader, it is src/cli.ts (ADR 0048).
await import("#cli");
