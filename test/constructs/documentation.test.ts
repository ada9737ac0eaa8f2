import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "../support";

/** The names constructs/index.ts exports (values and types). */
function publicNames(): Set<string> {
  const file = path.join(ROOT, "constructs/index.ts");
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) names.add(element.name.text);
    }
  }
  return names;
}

/**
 * Every interface the public API exports (props, options, attributes) documents each of its
 * properties, and every optional one says what happens when it is left out (`@default`).
 */
function publicInterfaces(): { file: string; name: string; node: ts.InterfaceDeclaration }[] {
  const exported = publicNames();
  const dir = path.join(ROOT, "constructs");
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) files.push(full);
    }
  };
  walk(dir);
  const found: { file: string; name: string; node: ts.InterfaceDeclaration }[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    for (const statement of source.statements) {
      const isExported = ts
        .getModifiers(statement as ts.HasModifiers)
        ?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (ts.isInterfaceDeclaration(statement) && isExported && exported.has(statement.name.text)) {
        found.push({ file: path.relative(ROOT, file), name: statement.name.text, node: statement });
      }
    }
  }
  return found;
}

function jsDocOf(member: ts.TypeElement): { text: string; tags: string[] } {
  const docs = (member as unknown as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  const text = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? "").join(" ");
  const tags = docs.flatMap((d) => (d.tags ?? []).map((t) => t.tagName.text));
  return { text, tags };
}

describe("public props are documented", () => {
  const interfaces = publicInterfaces();

  test("the library exports props interfaces to check", () => {
    expect(interfaces.map((i) => i.name)).toEqual(
      expect.arrayContaining([
        "StreamTopicProps",
        "LayeredDatasetProps",
        "ScheduledQueryProps",
        "SsePublisherServiceProps",
      ]),
    );
  });

  test("every property has a JSDoc comment, and every optional one a @default", () => {
    const problems: string[] = [];
    for (const { file, name, node } of interfaces) {
      for (const member of node.members) {
        if (!ts.isPropertySignature(member) && !ts.isMethodSignature(member)) continue;
        const prop = `${file}: ${name}.${member.name.getText()}`;
        const { text, tags } = jsDocOf(member);
        if (text.trim() === "") problems.push(`${prop} has no JSDoc`);
        if (ts.isPropertySignature(member) && member.questionToken && !tags.includes("default")) {
          problems.push(`${prop} is optional but has no @default`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
