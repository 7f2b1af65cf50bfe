import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { isProtectedPath, requiredRole } from "~/server/session/protected-paths";

/*
 * The middleware redirects to /login (and refuses a missing role) only for the paths in
 * src/server/session/protected-paths.ts; the pages' loaders check again. This reads the route files
 * and follows each page's loaders (the `query()`s of a feature's *.api.ts it imports, directly or
 * through the components it renders) to the server functions they call: a page whose loader is a
 * user function (userQuery/userFunction, with its `role`) or calls requireUser() or requireRole()
 * at any depth, must be a protected path, with that role. A page
 * added without its path in the list fails here.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const src = path.join(root, "src");
const GUARDS = path.join(src, "server/session/guards.ts");
const BOUNDARY = path.join(src, "server/boundary/server-function.ts");
const USER_FUNCTIONS = new Set(["userFunction", "userQuery", "userAction"]);

/** The role in a user function's last argument, `{ role: "moderator" }`, if there is one. */
function accessRole(call: ts.CallExpression): string | null {
  const access = call.arguments[call.arguments.length - 1];
  if (!access || !ts.isObjectLiteralExpression(access)) return null;
  for (const property of access.properties) {
    if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name) && property.name.text === "role") {
      return ts.isStringLiteral(property.initializer) ? property.initializer.text : null;
    }
  }
  return null;
}

const parsed = new Map<string, ts.SourceFile>();
function sourceOf(file: string): ts.SourceFile {
  let source = parsed.get(file);
  if (!source) {
    source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    parsed.set(file, source);
  }
  return source;
}

function resolve(fromFile: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith("~/")) base = path.join(src, specifier.slice(2));
  else if (specifier.startsWith(".")) base = path.resolve(path.dirname(fromFile), specifier);
  else return null;
  return (
    [".ts", ".tsx", ""].map((extension) => base + extension).find((file) => existsSync(file) && statSync(file).isFile()) ?? null
  );
}

/** Local name -> where it comes from, for a file's static imports of the app's own modules. */
function importsOf(file: string): Map<string, { file: string; name: string }> {
  const imports = new Map<string, { file: string; name: string }>();
  for (const statement of sourceOf(file).statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const target = resolve(file, statement.moduleSpecifier.text);
    const bindings = statement.importClause?.namedBindings;
    if (!target || !bindings || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) {
      imports.set(element.name.text, { file: target, name: (element.propertyName ?? element.name).text });
    }
  }
  return imports;
}

/** A module's top-level functions and constants by name. */
function declarationsOf(file: string): Map<string, ts.Node> {
  const declarations = new Map<string, ts.Node>();
  for (const statement of sourceOf(file).statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name) declarations.set(statement.name.text, statement);
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) declarations.set(declaration.name.text, declaration);
      }
    }
  }
  return declarations;
}

function forEachDescendant(node: ts.Node, visit: (node: ts.Node) => void): void {
  node.forEachChild((child) => {
    visit(child);
    forEachDescendant(child, visit);
  });
}

interface Guard {
  /** The loader needs a signed-in user. */
  user: boolean;
  roles: Set<string>;
}

const guardCache = new Map<string, Guard>();
/** What signing-in the server function `name` of `file` demands, following its calls. */
function guardOf(file: string, name: string): Guard {
  const key = `${file}#${name}`;
  const cached = guardCache.get(key);
  if (cached) return cached;
  const guard: Guard = { user: false, roles: new Set() };
  guardCache.set(key, guard); // a cycle sees the guard found so far
  const declaration = declarationsOf(file).get(name);
  if (!declaration) return guard;
  const imports = importsOf(file);
  forEachDescendant(declaration, (node) => {
    if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression)) return;
    const callee = imports.get(node.expression.text) ?? { file, name: node.expression.text };
    if (callee.file === BOUNDARY && USER_FUNCTIONS.has(callee.name)) {
      guard.user = true;
      const role = accessRole(node);
      if (role) guard.roles.add(role);
    }
    if (callee.file === GUARDS && (callee.name === "requireUser" || callee.name === "requireRole")) {
      guard.user = true;
      const [role] = node.arguments;
      if (callee.name === "requireRole" && role && ts.isStringLiteral(role)) guard.roles.add(role.text);
      return;
    }
    if (callee.file === file && callee.name === name) return;
    const inner = guardOf(callee.file, callee.name);
    guard.user ||= inner.user;
    for (const role of inner.roles) guard.roles.add(role);
  });
  return guard;
}

/** The server function a `query()` of an *.api.ts file calls: `(await import("~/server/x")).fn(...)`. */
function loaderTarget(apiFile: string, name: string): { file: string; name: string } | null {
  const declaration = declarationsOf(apiFile).get(name);
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return null;
  const call = declaration.initializer;
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.expression.text !== "query") return null;
  let target: { file: string; name: string } | null = null;
  forEachDescendant(call, (node) => {
    if (!ts.isPropertyAccessExpression(node)) return;
    let object: ts.Expression = node.expression;
    while (ts.isParenthesizedExpression(object) || ts.isAwaitExpression(object)) object = object.expression;
    if (!ts.isCallExpression(object) || object.expression.kind !== ts.SyntaxKind.ImportKeyword) return;
    const [specifier] = object.arguments;
    const file = specifier && ts.isStringLiteral(specifier) ? resolve(apiFile, specifier.text) : null;
    if (file) target = { file, name: node.name.text };
  });
  return target;
}

/** The loaders a page uses: `query()`s imported from *.api.ts by the page or the modules it imports. */
function loadersOf(page: string): { api: string; name: string }[] {
  const loaders: { api: string; name: string }[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, imported] of importsOf(file)) {
      if (imported.file.endsWith(".api.ts")) loaders.push({ api: imported.file, name: imported.name });
      else if (!imported.file.startsWith(path.join(src, "server"))) visit(imported.file);
    }
  };
  visit(page);
  return loaders;
}

function pageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return pageFiles(file);
    return entry.name.endsWith(".tsx") ? [file] : [];
  });
}

/** A URL the file route answers: `[param]` gets a sample value, `(group)` and `index` add nothing. */
function urlOf(page: string): string {
  const segments = path
    .relative(path.join(src, "routes"), page)
    .replace(/\.tsx$/, "")
    .split(path.sep)
    .filter((segment) => segment !== "index" && !/^\(.*\)$/.test(segment))
    .map((segment) => (segment.startsWith("[...") ? "no-such-page" : segment.startsWith("[") ? "sample" : segment));
  return `/${segments.join("/")}`;
}

const pages = pageFiles(path.join(src, "routes")).map((file) => {
  const guard: Guard = { user: false, roles: new Set() };
  for (const loader of loadersOf(file)) {
    const target = loaderTarget(loader.api, loader.name);
    if (!target) continue;
    const found = guardOf(target.file, target.name);
    guard.user ||= found.user;
    for (const role of found.roles) guard.roles.add(role);
  }
  return { file: path.relative(root, file), url: urlOf(file), guard };
});

describe("pages whose loaders need a user are protected in the middleware", () => {
  it("finds guarded loaders (the analysis sees the pages)", () => {
    expect(pages.filter((page) => page.guard.user).length).toBeGreaterThan(0);
    expect(pages.some((page) => page.guard.roles.size > 0)).toBe(true);
  });

  it.each(pages.filter((page) => page.guard.user))("$url ($file) is a protected path", ({ url }) => {
    expect(isProtectedPath(url)).toBe(true);
  });

  it.each(pages.filter((page) => page.guard.roles.size > 0))("$url ($file) requires its loader's role", ({ url, guard }) => {
    expect(guard.roles.size).toBe(1);
    expect(requiredRole(url)).toBe([...guard.roles][0]);
  });
});
