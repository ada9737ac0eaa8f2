/**
 * docs/api.md: the public API, from `constructs/index.ts`. Its `//` comments name the groups; each
 * exported name is followed to its declaration (through re-exports) for its kind and the first
 * sentence of its JSDoc. Read with the TypeScript parser only: no build, no type check.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import type { DocSection } from "../doc-section";
import { markdownTable } from "../markdown-table";

const ROOT = path.resolve(__dirname, "..", "..", "..");
/** The package's entry, relative to the repository root. */
export const API_INDEX = "constructs/index.ts";

/** What a name of the public API is: a value (`class`, `function`, `constant`) or a type (`interface`, `type`). */
export type ApiKind = "class" | "function" | "constant" | "interface" | "type";

/** One exported name. */
export interface ApiEntry {
  readonly name: string;
  readonly kind: ApiKind;
  /** The first sentence of its JSDoc; empty when it has none. */
  readonly summary: string;
  /** The module declaring it, relative to the repository root. */
  readonly module: string;
}

/** A group of the index: the comment above its exports, and their names in index order. */
export interface ApiGroup {
  readonly title: string;
  readonly entries: ApiEntry[];
}

const sources = new Map<string, ts.SourceFile>();

function parse(file: string): ts.SourceFile {
  let source = sources.get(file);
  if (!source) {
    source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    sources.set(file, source);
  }
  return source;
}

function resolveModule(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`${path.relative(ROOT, from)}: cannot resolve "${specifier}"`);
}

/** The first sentence of a declaration's JSDoc (up to the first blank line, or a period outside backticks). */
function summaryOf(node: ts.Node): string {
  const doc = ts.getJSDocCommentsAndTags(node).find(ts.isJSDoc);
  const text = ts.getTextOfJSDocComment(doc?.comment) ?? "";
  const paragraph = text
    .split(/\n\s*\n|\n\s*- /)[0]
    .replace(/\s+/g, " ")
    .trim();
  const linked = paragraph.replace(/\{@link\s+([^}|\s]+)[^}]*\}/g, "`$1`");
  const sentence = /^((?:[^`]|`[^`]*`)*?)\.(\s|$)/.exec(linked);
  return (sentence ? sentence[1] : linked).replace(/[.:;]$/, "");
}

function declarationKind(node: ts.Node): ApiKind | undefined {
  if (ts.isClassDeclaration(node) || ts.isEnumDeclaration(node)) return "class";
  if (ts.isFunctionDeclaration(node)) return "function";
  if (ts.isVariableDeclaration(node)) return "constant";
  if (ts.isInterfaceDeclaration(node)) return "interface";
  if (ts.isTypeAliasDeclaration(node)) return "type";
  return undefined;
}

const VALUE_KINDS: readonly (ApiKind | undefined)[] = ["class", "function", "constant"];

/**
 * The declaration of `name` in `file`, following `export { name } from` re-exports; a value before a
 * type of the same name (`Partitioning` is both).
 */
function findDeclaration(file: string, name: string): { node: ts.Node; file: string } {
  const source = parse(file);
  const local = source.statements
    .flatMap((statement): ts.Node[] =>
      ts.isVariableStatement(statement) ? [...statement.declarationList.declarations] : [statement],
    )
    .filter((node) => {
      const named = (node as ts.DeclarationStatement).name;
      return (
        named !== undefined && ts.isIdentifier(named) && named.text === name && declarationKind(node) !== undefined
      );
    });
  const declared = local.find((node) => VALUE_KINDS.includes(declarationKind(node))) ?? local[0];
  if (declared) return { node: declared, file };
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && statement.exportClause) {
      if (!ts.isNamedExports(statement.exportClause)) continue;
      const element = statement.exportClause.elements.find((e) => e.name.text === name);
      if (!element) continue;
      const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      return findDeclaration(resolveModule(file, specifier), (element.propertyName ?? element.name).text);
    }
  }
  throw new Error(`${path.relative(ROOT, file)}: no declaration of ${name}`);
}

/** The index's exports in its groups, in index order (a value and a type of one name listed once, as the value). */
export function apiGroups(): ApiGroup[] {
  const index = path.join(ROOT, API_INDEX);
  const source = parse(index);
  const groups: ApiGroup[] = [];
  const seen = new Set<string>();
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.moduleSpecifier || !statement.exportClause) continue;
    if (!ts.isNamedExports(statement.exportClause)) continue;
    const comment = (ts.getLeadingCommentRanges(source.text, statement.getFullStart()) ?? [])
      .map((range) => source.text.slice(range.pos, range.end))
      .filter((text) => text.startsWith("//"))
      .pop();
    if (comment || groups.length === 0) {
      groups.push({ title: (comment ?? "// Exports").replace(/^\/\/\s*/, "").replace(/\.$/, ""), entries: [] });
    }
    const module = resolveModule(index, (statement.moduleSpecifier as ts.StringLiteral).text);
    for (const element of statement.exportClause.elements) {
      const name = element.name.text;
      if (seen.has(name)) continue;
      seen.add(name);
      const found = findDeclaration(module, (element.propertyName ?? element.name).text);
      groups[groups.length - 1].entries.push({
        name,
        kind: declarationKind(found.node) as ApiKind,
        summary: summaryOf(found.node),
        module: path.relative(ROOT, found.file),
      });
    }
  }
  return groups;
}

/** One `##` heading and table per group of the index. */
export function renderApi(): string {
  return apiGroups()
    .map((group) =>
      [
        `## ${group.title}`,
        markdownTable(
          ["name", "kind", "what it is"],
          group.entries.map((e) => [`\`${e.name}\``, e.kind, e.summary || "**undocumented**"]),
        ),
      ].join("\n\n"),
    )
    .join("\n\n");
}

export const SECTIONS: DocSection[] = [{ file: "docs/api.md", name: "public-api", render: renderApi }];
