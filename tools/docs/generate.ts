/**
 * `npm run docs`: regenerates the reference tables of the docs from the code. Every module under
 * tools/docs/sections/ exports `SECTIONS: DocSection[]` (tools/docs/doc-section.ts); each section's
 * `render()` replaces the text between `<!-- generated:begin NAME -->` and `<!-- generated:end NAME -->`
 * in its page, and the page is formatted with the repository's Prettier settings.
 *
 *     npm run docs             rewrite the pages that differ
 *     npm run docs -- --check  write nothing; exit 1 listing the pages that differ
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as markdown from "prettier/plugins/markdown";
import * as prettier from "prettier/standalone";
import type { DocSection } from "./doc-section";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "..", "..");
const SECTIONS_DIR = path.join(__dirname, "sections");

/** Every section of every module under tools/docs/sections/, in file order. */
export function loadSections(): DocSection[] {
  return fs
    .readdirSync(SECTIONS_DIR)
    .filter((file) => /\.ts$/.test(file) && !file.endsWith(".d.ts"))
    .sort()
    .flatMap((file) => {
      const loaded = require(path.join(SECTIONS_DIR, file)) as { SECTIONS?: DocSection[] };
      if (!Array.isArray(loaded.SECTIONS)) {
        throw new Error(`tools/docs/sections/${file} exports no SECTIONS array (see tools/docs/doc-section.ts)`);
      }
      return loaded.SECTIONS;
    });
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A section's Markdown as it goes between its markers: `render()` formatted with the repository's
 * Prettier settings (tables aligned). Prettier's standalone build with its Markdown plugin: the Node
 * entry loads itself by a dynamic import, which jest refuses.
 */
export async function renderSection(section: DocSection): Promise<string> {
  const options = JSON.parse(fs.readFileSync(path.join(ROOT, ".prettierrc.json"), "utf8")) as Record<string, unknown>;
  const formatted = await prettier.format(section.render(), { ...options, parser: "markdown", plugins: [markdown] });
  return formatted.trim();
}

/** `text` with each section's markers filled; throws when the page lacks a section's markers. */
export function fillMarkers(file: string, text: string, rendered: ReadonlyMap<string, string>): string {
  let filled = text;
  for (const [name, markdownText] of rendered) {
    const pattern = new RegExp(
      `(<!-- generated:begin ${escape(name)} -->)[\\s\\S]*?(<!-- generated:end ${escape(name)} -->)`,
    );
    if (!pattern.test(filled)) {
      throw new Error(
        `${file}: no "<!-- generated:begin ${name} -->" … "<!-- generated:end ${name} -->" markers ` +
          `for the section ${name}; add them where the generated text goes`,
      );
    }
    filled = filled.replace(pattern, (_, begin: string, end: string) => `${begin}\n\n${markdownText}\n\n${end}`);
  }
  return filled;
}

/** A page as `npm run docs` writes it: the committed page with its sections filled in. */
export async function generatePage(file: string, sections: readonly DocSection[]): Promise<string> {
  const rendered = new Map<string, string>();
  for (const section of sections) rendered.set(section.name, await renderSection(section));
  return fillMarkers(file, fs.readFileSync(path.join(ROOT, file), "utf8"), rendered);
}

/** Every page with sections, and its generated text. */
export async function generateAll(): Promise<Map<string, string>> {
  const byFile = new Map<string, DocSection[]>();
  for (const section of loadSections()) {
    const list = byFile.get(section.file) ?? [];
    if (list.some((s) => s.name === section.name))
      throw new Error(`${section.file}: two sections named ${section.name}`);
    byFile.set(section.file, [...list, section]);
  }
  const pages = new Map<string, string>();
  for (const [file, sections] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    pages.set(file, await generatePage(file, sections));
  }
  return pages;
}

async function main(check: boolean): Promise<number> {
  const differ: string[] = [];
  for (const [file, text] of await generateAll()) {
    const absolute = path.join(ROOT, file);
    if (fs.readFileSync(absolute, "utf8") === text) continue;
    differ.push(file);
    if (!check) fs.writeFileSync(absolute, text);
  }
  if (check && differ.length > 0) {
    console.error(
      `${differ.length} page(s) differ from the code; run npm run docs:\n${differ.map((f) => `  ${f}`).join("\n")}`,
    );
    return 1;
  }
  console.log(differ.length === 0 ? "docs: up to date" : `docs: rewrote ${differ.join(", ")}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.includes("--check")).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
