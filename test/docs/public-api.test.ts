import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "./markdown";

import { apiGroups } from "../../tools/docs/sections/api";

/**
 * The public API as code: `constructs/index.ts` lists every name explicitly (no `export *`), the
 * loaded module exports exactly the value names it lists, and every name has a JSDoc summary (the
 * line docs/api.md shows; the page itself is generated, and test/docs/generated.test.ts holds it
 * equal to the code). The index is read with the TypeScript parser (no build, no type check).
 */

const INDEX = "constructs/index.ts";

interface IndexExports {
  readonly values: string[];
  readonly types: string[];
  /** `export * from "…"` statements: they would export whatever the module adds, unlisted. */
  readonly starExports: string[];
}

function hasExportModifier(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Every name `constructs/index.ts` exports, sorted, split into values and type-only names. */
function indexExports(): IndexExports {
  const file = path.join(ROOT, INDEX);
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const values = new Set<string>();
  const types = new Set<string>();
  const starExports: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause === undefined) {
        starExports.push(statement.getText(source));
      } else if (ts.isNamespaceExport(clause)) {
        (statement.isTypeOnly ? types : values).add(clause.name.text);
      } else {
        for (const element of clause.elements) {
          (statement.isTypeOnly || element.isTypeOnly ? types : values).add(element.name.text);
        }
      }
    } else if (ts.isExportAssignment(statement)) {
      values.add("default");
    } else if (hasExportModifier(statement)) {
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name)) values.add(declaration.name.text);
        }
      } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
        types.add(statement.name.text);
      } else if (
        (ts.isClassDeclaration(statement) || ts.isFunctionDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
        statement.name
      ) {
        values.add(statement.name.text);
      }
    }
  }
  // A name exported as a value also names its type: list it once, as a value.
  for (const name of values) types.delete(name);
  return { values: [...values].sort(), types: [...types].sort(), starExports };
}

describe(`the public API (${INDEX})`, () => {
  const exported = indexExports();

  test("the index lists every name explicitly (no export *)", () => {
    expect(exported.starExports).toEqual([]);
    expect(exported.values.length).toBeGreaterThan(10);
    expect(exported.types.length).toBeGreaterThan(10);
  });

  test("every exported name has a JSDoc summary, and the generated list holds every name once", () => {
    const entries = apiGroups().flatMap((group) => group.entries);
    expect(entries.filter((e) => e.summary === "").map((e) => `${e.name} (${e.module})`)).toEqual([]);
    expect(entries.map((e) => e.name).sort()).toEqual([...new Set([...exported.values, ...exported.types])].sort());
  });

  test("the generated list gives each name its kind: values as class, function or constant", () => {
    const values = new Set(exported.values);
    const entries = apiGroups().flatMap((group) => group.entries);
    const wrong = entries
      .filter((e) => values.has(e.name) !== ["class", "function", "constant"].includes(e.kind))
      .map((e) => `${e.name}: ${e.kind}`);
    expect(wrong).toEqual([]);
  });

  test("the loaded module exports exactly the index's value names", () => {
    const loaded = Object.keys(require("../../constructs/index")).sort();
    expect({
      loadedButNotListed: loaded.filter((name) => !exported.values.includes(name)),
      listedButNotLoaded: exported.values.filter((name) => !loaded.includes(name)),
    }).toEqual({ loadedButNotListed: [], listedButNotLoaded: [] });
  });
});
