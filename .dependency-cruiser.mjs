/*
 * The dependency check of `npm test` (ADR 0051): no import cycle across files, in the app or in the
 * local Supabase package, and no arrow in src/server from a lower layer to a higher one. Lint
 * (eslint.config.js) guards which part may import which; this guards the shape of the graph.
 *
 * The layers of src/server, bottom to top; each may import the ones below it, never one above:
 *   base      env.ts, forms.ts, http-errors.ts, local-backend.ts, security/
 *   db        db/: Postgres clients, schema, RLS transactions, the tables the server keeps (roles,
 *             moderation settings, rate limits)
 *   session   session/: the request's session: cookies, the one Supabase client, verified claims,
 *             guards, revocation
 *   boundary  boundary/: builds every server function, guards every /_server request
 *   domains   auth/, account/, messages/, home.ts: what a feature's *.api.ts calls
 * Above them all: src/middleware.ts, src/entry-server.tsx and the API routes (src/routes/**\/*.ts).
 */
const BASE = "^src/server/(env|forms|http-errors|local-backend)\\.ts$|^src/server/security/";
const DB = "^src/server/db/";
const SESSION = "^src/server/session/";
const BOUNDARY = "^src/server/boundary/";
const DOMAINS = "^src/server/(auth|account|messages)/|^src/server/home\\.ts$";
const ENTRY_POINTS = "^src/(middleware\\.ts|entry-server\\.tsx)$|^src/routes/";

const above = (layer, higher) => ({
  name: `${layer.name}-imports-above`,
  comment: `${layer.name} is below ${higher.map((h) => h.name).join(", ")}: an import the other way makes a layer depend on what it serves.`,
  severity: "error",
  from: { path: layer.path },
  to: { path: higher.map((h) => h.path).join("|") },
});

const base = { name: "base", path: BASE };
const db = { name: "db", path: DB };
const session = { name: "session", path: SESSION };
const boundary = { name: "boundary", path: BOUNDARY };
const domains = { name: "domains", path: DOMAINS };
const entryPoints = { name: "entry points", path: ENTRY_POINTS };

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-circular",
      comment:
        "Two modules that import each other (directly or through others) are one module in two files. An arrow that is only a type import is erased by the compiler and does not count: two objects that hold each other may describe each other.",
      severity: "error",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "no-circular-folders",
      comment: "Nor do two folders: a cycle between folders is a layer or a domain split in the wrong place.",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    above(base, [db, session, boundary, domains, entryPoints]),
    above(db, [session, boundary, domains, entryPoints]),
    above(session, [boundary, domains, entryPoints]),
    above(boundary, [domains, entryPoints]),
    above(domains, [entryPoints]),
    {
      name: "auth-imports-other-domains",
      comment: "auth/ (sign-in, second factor) is what the other domains build on; it imports none of them.",
      severity: "error",
      from: { path: "^src/server/auth/" },
      to: { path: "^src/server/(account|messages)/|^src/server/home\\.ts$" },
    },
    {
      name: "domains-import-each-other",
      comment: "account/, messages/ and home.ts import auth/ and the layers below, never each other.",
      severity: "error",
      from: { path: "^src/server/(account|messages|home)[/.]" },
      to: { path: "^src/server/(account|messages)/|^src/server/home\\.ts$", pathNot: "^src/server/$1[/.]" },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import the check cannot follow would hide the cycles and arrows behind it.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "server-module-outside-layers",
      comment: "Every module in src/server belongs to a layer above; a new folder or file gets one in this file.",
      severity: "error",
      from: { path: "^src/server/", pathNot: [BASE, DB, SESSION, BOUNDARY, DOMAINS].join("|") },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports are arrows too: a layer that needs a higher layer's types depends on it.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "types", "default"] },
  },
};
