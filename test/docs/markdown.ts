import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The documentation the doc tests cover, as paths relative to the repository root:
 * README.md, every Markdown file under docs/, and the per-module READMEs.
 */
export function documentationFiles(): string[] {
  const files = ["README.md"];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith(".md")) files.push(relative);
    }
  };
  if (fs.existsSync(path.join(ROOT, "docs"))) walk("docs");
  for (const moduleReadme of ["app-worker/README.md"]) {
    if (fs.existsSync(path.join(ROOT, moduleReadme))) files.push(moduleReadme);
  }
  return files.sort();
}

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** File, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word (`ts`, `sh`, …). */
  readonly language: string;
  /** The code between the fences. */
  readonly code: string;
  /** The last non-blank line before the opening fence (where markers such as `<!-- synth: … -->` go). */
  readonly precedingLine: string;
}

/** Every fenced code block (``` or ~~~) of a Markdown file. */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  let open: { fence: string; language: string; line: number; precedingLine: string; body: string[] } | undefined;
  let lastNonBlank = "";
  lines.forEach((text, index) => {
    if (open) {
      if (text.trim().startsWith(open.fence) && text.trim().replace(/[`~]/g, "") === "") {
        blocks.push({
          file,
          line: open.line,
          language: open.language,
          code: open.body.join("\n"),
          precedingLine: open.precedingLine,
        });
        open = undefined;
      } else {
        open.body.push(text);
      }
      return;
    }
    const fence = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
    if (fence) {
      open = { fence: fence[1], language: fence[2], line: index + 1, precedingLine: lastNonBlank, body: [] };
      return;
    }
    if (text.trim() !== "") lastNonBlank = text.trim();
  });
  if (open) throw new Error(`${file}:${open.line}: code block is never closed`);
  return blocks;
}

/** The Markdown of a file without its fenced code blocks and inline code spans (for link checks). */
export function proseOf(file: string): string {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  return text.replace(/^\s*(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of every heading of a Markdown file (duplicates get GitHub's `-1`, `-2` suffixes). */
export function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  for (const match of text
    .replace(/^\s*(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*\1[^\n]*$/gm, "")
    .matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = headingAnchor(match[1]);
    const count = seen.get(base) ?? 0;
    anchors.add(count === 0 ? base : `${base}-${count}`);
    seen.set(base, count + 1);
  }
  return anchors;
}
