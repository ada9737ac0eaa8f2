import * as fs from "node:fs";
import * as path from "node:path";
import { fillMarkers, generateAll, loadSections, ROOT } from "../../tools/docs/generate";

/**
 * The reference tables of docs/ are generated from the code (`npm run docs`, tools/docs/generate.ts):
 * every section under tools/docs/sections/ is rendered here, and a committed page that differs
 * fails with the first differing line. Fix it with `npm run docs`, never by hand.
 */
describe("generated docs", () => {
  test("every committed page equals its generated text (run npm run docs)", async () => {
    const pages = await generateAll();
    expect(pages.size).toBeGreaterThanOrEqual(3);
    const differ: string[] = [];
    for (const [file, generated] of pages) {
      const committed = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n");
      const lines = generated.split("\n");
      const at = lines.findIndex((line, i) => line !== committed[i]);
      if (at >= 0 || lines.length !== committed.length) {
        const line = at >= 0 ? at : Math.min(lines.length, committed.length);
        differ.push(
          `${file}:${line + 1}: committed ${JSON.stringify(committed[line])}, generated ${JSON.stringify(lines[line])}`,
        );
      }
    }
    expect(differ).toEqual([]);
  });

  test("sections have distinct names within a page and render something", () => {
    const sections = loadSections();
    const keys = sections.map((s) => `${s.file}#${s.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const s of sections) expect(s.render().trim()).not.toBe("");
    expect(keys).toEqual(expect.arrayContaining(["docs/api.md#public-api", "docs/policy.md#policy-rules"]));
  });

  test("a page without a section's markers is refused, naming the page and the section", () => {
    expect(() => fillMarkers("docs/x.md", "# x\n", new Map([["table", "| a |"]]))).toThrow(
      'docs/x.md: no "<!-- generated:begin table -->" … "<!-- generated:end table -->" markers for the section table',
    );
  });

  test("only the text between the markers is replaced", () => {
    const page = "before\n<!-- generated:begin t -->\nold\n<!-- generated:end t -->\nafter\n";
    expect(fillMarkers("p.md", page, new Map([["t", "new"]]))).toBe(
      "before\n<!-- generated:begin t -->\n\nnew\n\n<!-- generated:end t -->\nafter\n",
    );
  });
});
