import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import * as ts from "typescript";
import { functionLengths, sourceFiles as sourceFilesUnder } from "../tools/metrics/function-lengths";
import { ROOT } from "./support";

/**
 * The layers of the tree, checked on the imports of every source file: data flows one way
 * (schemas → constructs → stacks → main), product code never imports tooling or tests, the worker
 * imports only the ground floor and its own npm packages, and no import circle exists.
 */

const PRODUCT = ["schemas", "constructs", "stacks", "config", "app-worker/src"];

const sourceFiles = (folder: string): string[] => sourceFilesUnder(ROOT, folder);

/** The module specifiers a file imports, re-exports or requires. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      specs.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "require" &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

/** Repository-relative path of a relative import's target, without extension. */
function target(file: string, spec: string): string {
  return path.relative(ROOT, path.resolve(path.dirname(file), spec)).replace(/\.ts$/, "");
}

const relativeImports = (file: string) =>
  importsOf(file)
    .filter((s) => s.startsWith("."))
    .map((s) => target(file, s));

const rel = (file: string) => path.relative(ROOT, file);

describe("the layers of the tree", () => {
  test("product code never imports tooling, the demo or tests", () => {
    const offending = PRODUCT.flatMap(sourceFiles).flatMap((file) =>
      relativeImports(file)
        .filter((t) => /^(tools|demo|test|scripts)(\/|$)/.test(t) || t.startsWith("app-worker/test"))
        .map((t) => `${rel(file)} → ${t}`),
    );
    expect(offending).toEqual([]);
  });

  test("schemas/ is the ground floor: it imports nothing outside itself", () => {
    const offending = sourceFiles("schemas").flatMap((file) =>
      importsOf(file)
        .filter((s) => !s.startsWith("./"))
        .map((s) => `${rel(file)} → ${s}`),
    );
    expect(offending).toEqual([]);
  });

  test("constructs/ imports only itself, schemas/ and its peer dependencies (never stacks or config)", () => {
    const allowedPackages = /^(cdktf|constructs|@cdktf\/provider-google\/lib\/[a-z0-9-]+)$/;
    const offending = sourceFiles("constructs").flatMap((file) =>
      importsOf(file)
        .filter((s) =>
          s.startsWith(".")
            ? !/^(constructs|schemas)\//.test(target(file, s))
            : !allowedPackages.test(s) && !s.startsWith("node:") && !builtinModules.includes(s),
        )
        .map((s) => `${rel(file)} → ${s}`),
    );
    expect(offending).toEqual([]);
  });

  test("the worker imports only schemas/, Node's modules and its own npm dependencies", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "app-worker/package.json"), "utf8"));
    const deps = Object.keys(pkg.dependencies);
    const offending = sourceFiles("app-worker/src").flatMap((file) =>
      importsOf(file)
        .filter((s) => {
          if (s.startsWith(".")) return !/^(app-worker\/src|schemas)\//.test(target(file, s));
          const name = s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0];
          return !deps.includes(name) && !s.startsWith("node:") && !builtinModules.includes(name);
        })
        .map((s) => `${rel(file)} → ${s}`),
    );
    expect(offending).toEqual([]);
  });

  test("no import circle among the product's files", () => {
    const files = PRODUCT.flatMap(sourceFiles).concat(path.join(ROOT, "main.ts"));
    const known = new Set(files.map((f) => rel(f).replace(/\.ts$/, "")));
    const edges = new Map<string, string[]>();
    for (const file of files) {
      const from = rel(file).replace(/\.ts$/, "");
      edges.set(
        from,
        relativeImports(file)
          .map((t) => (known.has(t) ? t : known.has(`${t}/index`) ? `${t}/index` : undefined))
          .filter((t): t is string => t !== undefined),
      );
    }
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (node: string) => {
      state.set(node, "open");
      stack.push(node);
      for (const next of edges.get(node) ?? []) {
        if (state.get(next) === "open") circles.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(node, "done");
    };
    for (const node of edges.keys()) if (!state.has(node)) visit(node);
    expect(circles).toEqual([]);
    expect(edges.size).toBeGreaterThan(50);
  });
});

describe("rooms that stay easy to change", () => {
  /** The longest a product function may be: a longer one is split into steps. */
  const MAX_FUNCTION_LINES = 150;

  test(`no product function is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long = functionLengths(ROOT).filter((f) => f.lines > MAX_FUNCTION_LINES);
    expect(long.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`)).toEqual([]);
  });

  test("the length count sees every product function (so the limit above can fail)", () => {
    const all = functionLengths(ROOT);
    expect(all.length).toBeGreaterThan(500);
    expect(all.some((f) => f.file === "app-worker/src/main.ts")).toBe(true);
  });

  test("no product code casts past a reference interface to reach what it does not declare", () => {
    // e.g. `(table as ITable & { primaryKey?: unknown })` or `(c as { resource?: unknown }).resource`: what a user's own
    // ITable cannot provide silently changes behaviour. The interfaces carry what their users need instead.
    const probe =
      /^I(Table|Topic|Dataset|Subscription)\s*&|^\{\s*(readonly\s+)?(resource|grantWrite|grantRead|primaryKey|dependables?)\??\s*:/;
    const offending = PRODUCT.flatMap(sourceFiles).flatMap((file) => {
      const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
      const found: string[] = [];
      const visit = (node: ts.Node) => {
        if (ts.isAsExpression(node) && probe.test(node.type.getText(source).trim())) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.push(`${rel(file)}:${line} as ${node.type.getText(source)}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      return found;
    });
    expect(offending).toEqual([]);
  });
});
