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
 *   domains   everything else: auth/, account/, conversations/, messages/, home/, and a new feature's folder:
 *             what a feature's *.api.ts calls
 * Above them all: src/middleware.ts, src/entry-server.tsx and the API routes (src/routes/**\/*.ts).
 */
const BASE = "^src/server/(env|forms|http-errors|local-backend)\\.ts$|^src/server/security/";
const DB = "^src/server/db/";
const SESSION = "^src/server/session/";
const BOUNDARY = "^src/server/boundary/";
const PRELOAD = "^src/features/[^/]+/[^/]+\\.preload\\.ts$";
const ENTRY_POINTS = "^src/(middleware\\.ts|entry-server\\.tsx)$|^src/routes/";
// Every other folder or file of src/server is a domain: a new feature's server module needs no entry here.
const SERVER = "^src/server/";

/** No arrow from `name` (the layers in `own`, given as paths) to any part of src/server above them, nor to an entry point. */
const above = (name, own, below = []) => ({
  name: `${name}-imports-above`,
  comment: `${name} serves the layers above it: an import the other way makes it depend on what it serves.`,
  severity: "error",
  from: { path: own },
  to: { path: [SERVER, ENTRY_POINTS].join("|"), pathNot: [own, ...below].join("|") },
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-circular",
      comment:
        "Two modules that import each other (directly or through others) are one module in two files. An arrow that is only a type import is erased by the compiler and does not count: two objects that hold each other may describe each other.",
      severity: "error",
      from: {},
      // Cycles through a feature's generated preload file are the next rule's.
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"], pathNot: PRELOAD } },
    },
    {
      name: "no-circular-through-preload",
      comment:
        "A feature's generated preload loads that feature's api file with import(), and the api file re-exports it so a route names one module (ADR 0049): that loop is broken at run time by the lazy import. A loop through a preload file with only static arrows is a cycle like any other.",
      severity: "error",
      from: { path: PRELOAD },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only", "dynamic-import"] } },
    },
    {
      name: "no-circular-folders",
      comment: "Nor do two folders: a cycle between folders is a layer or a domain split in the wrong place.",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    above("base", BASE),
    above("db", DB, [BASE]),
    above("session", SESSION, [BASE, DB]),
    above("boundary", BOUNDARY, [BASE, DB, SESSION]),
    {
      name: "domains-import-entry-points",
      comment: "The domains serve the middleware, the entry and the API routes; they never import them.",
      severity: "error",
      from: { path: SERVER, pathNot: [BASE, DB, SESSION, BOUNDARY].join("|") },
      to: { path: ENTRY_POINTS },
    },
    {
      name: "auth-imports-other-domains",
      comment: "auth/ (sign-in, second factor) is what the other domains build on; it imports none of them.",
      severity: "error",
      from: { path: "^src/server/auth/" },
      to: { path: SERVER, pathNot: [BASE, DB, SESSION, BOUNDARY, "^src/server/auth/"].join("|") },
    },
    {
      name: "domains-import-each-other",
      comment:
        "A domain (account/, conversations/, messages/, home/, ...) imports auth/ and the layers below, never another domain.",
      severity: "error",
      from: { path: "^src/server/([^/.]+)[/.]", pathNot: [BASE, DB, SESSION, BOUNDARY, "^src/server/auth/"].join("|") },
      to: { path: SERVER, pathNot: [BASE, DB, SESSION, BOUNDARY, "^src/server/auth/", "^src/server/$1[/.]"].join("|") },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import the check cannot follow would hide the cycles and arrows behind it.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
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
