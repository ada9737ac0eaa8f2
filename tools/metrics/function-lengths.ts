/**
 * Lists the product's functions by length (lines from the declaration to its closing brace), longest first:
 * `npx tsx tools/metrics/function-lengths.ts [--over N] [--json]`. Functions nested in another count in
 * both (the outer one's lines include them). Used by test/architecture.test.ts to hold the limit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** The folders of product code (what ships or deploys), as the architecture test names them. */
export const PRODUCT_FOLDERS = ["schemas", "constructs", "stacks", "config", "app-worker/src", "demo"];

/** One function-like declaration and its length. */
export interface FunctionLength {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

/** The TypeScript source files (not declarations) under `folder` of `root`, recursively. */
export function sourceFiles(root: string, folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
    }
  };
  if (fs.existsSync(path.join(root, folder))) walk(path.join(root, folder));
  return out;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (ts.isConstructorDeclaration(node)) {
    const owner = node.parent as ts.ClassLikeDeclaration;
    return `${owner.name?.getText(source) ?? "class"}.constructor`;
  }
  if (named.name) {
    const owner = node.parent;
    const prefix = ts.isClassLike(owner) && owner.name ? `${owner.name.getText(source)}.` : "";
    return prefix + named.name.getText(source);
  }
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(source);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  return "(anonymous)";
}

/** Every function, method, constructor, accessor and arrow function of the files under `folders`. */
export function functionLengths(root: string, folders: readonly string[] = PRODUCT_FOLDERS): FunctionLength[] {
  const out: FunctionLength[] = [];
  for (const file of folders.flatMap((f) => sourceFiles(root, f))) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        out.push({
          file: path.relative(root, file),
          name: nameOf(node, source),
          line: start + 1,
          lines: end - start + 1,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const over = args.includes("--over") ? Number(args[args.indexOf("--over") + 1]) : 100;
  const long = functionLengths(path.resolve(__dirname, "../..")).filter((f) => f.lines > over);
  if (args.includes("--json")) console.log(JSON.stringify(long, null, 2));
  else {
    for (const f of long) console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}`);
    console.log(`${long.length} functions over ${over} lines`);
  }
}
