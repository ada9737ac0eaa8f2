import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "./markdown";

/**
 * docs/api.md lists the public API: exactly the names `constructs/index.ts` exports, values and
 * types. The index is read with the TypeScript parser (no build, no type check); the doc's names
 * are the first cells of its tables, one backticked name each, e.g.
 *
 *   | `Duration` | class | a length of time, the one type every time-valued prop takes |
 *
 * The second cell is the kind of the name: `class`, `function` or `constant` for values,
 * `interface` or `type` for types. Finally the module itself, loaded, exports exactly the value
 * names the index lists, so nothing reaches the package through an `export *`.
 */

const INDEX = "constructs/index.ts";
const DOC = "docs/api.md";
const VALUE_KINDS = ["class", "function", "constant"];
const TYPE_KINDS = ["interface", "type"];

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

/** The names docs/api.md lists (first table cell, one backticked name), with the kind in the second cell. */
function documentedNames(): Map<string, string> {
  const names = new Map<string, string>();
  const lines = fs.readFileSync(path.join(ROOT, DOC), "utf8").split("\n");
  lines.forEach((line, index) => {
    if (!line.trim().startsWith("|")) return;
    const cells = line
      .trim()
      .replace(/^\||\|$/g, "")
      .split("|");
    const name = /^`([A-Za-z_$][A-Za-z0-9_$]*)`$/.exec(cells[0]?.trim() ?? "");
    if (!name) return;
    if (names.has(name[1])) throw new Error(`${DOC}:${index + 1}: ${name[1]} is listed twice`);
    names.set(name[1], (cells[1] ?? "").trim());
  });
  return names;
}

describe(`${DOC} and the public API (${INDEX})`, () => {
  const exported = indexExports();
  const documented = documentedNames();

  test("the index lists every name explicitly (no export *)", () => {
    expect(exported.starExports).toEqual([]);
    expect(exported.values.length).toBeGreaterThan(10);
    expect(exported.types.length).toBeGreaterThan(10);
  });

  test("docs/api.md lists exactly the names the index exports", () => {
    const all = new Set([...exported.values, ...exported.types]);
    expect({
      exportedButNotInDocs: [...all].filter((name) => !documented.has(name)).sort(),
      inDocsButNotExported: [...documented.keys()].filter((name) => !all.has(name)).sort(),
    }).toEqual({ exportedButNotInDocs: [], inDocsButNotExported: [] });
  });

  test("docs/api.md gives each name its kind: a value (class, function, constant) or a type (interface, type)", () => {
    const values = new Set(exported.values);
    const wrong = [...documented]
      .filter(([name]) => values.has(name) || exported.types.includes(name))
      .filter(([name, kind]) => !(values.has(name) ? VALUE_KINDS : TYPE_KINDS).includes(kind))
      .map(
        ([name, kind]) =>
          `${name}: "${kind}", expected one of ${(values.has(name) ? VALUE_KINDS : TYPE_KINDS).join(", ")}`,
      );
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
