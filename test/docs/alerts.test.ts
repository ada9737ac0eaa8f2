import * as fs from "node:fs";
import * as path from "node:path";
import { ALERT_CATALOGUE, METRIC_CATALOGUE } from "../../constructs";
import { SECTIONS } from "../../tools/docs/sections/alerts";

const ROOT = path.resolve(__dirname, "../..");
const DOC = fs.readFileSync(path.join(ROOT, "docs/alerts.md"), "utf8");

/** The text between a section's markers in its page (until tools/docs/generate.ts and its test take this over). */
function committed(file: string, name: string): string {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const begin = `<!-- generated:begin ${name} -->`;
  const end = `<!-- generated:end ${name} -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no markers ${begin} … ${end}`);
  return text.slice(a + begin.length, b).trim();
}

describe("docs/alerts.md", () => {
  test.each(SECTIONS.map((s) => [s.name, s]))("%s: the committed text is what the catalogue generates", (_n, s) => {
    expect(committed(s.file, s.name)).toBe(s.render().trim());
  });

  test.each(ALERT_CATALOGUE.map((a) => [a.id, a]))("%s: a catalogue row and a runbook section", (id, a) => {
    const row = DOC.split("\n").find((line) => line.startsWith(`| \`${id}\``));
    expect(row).toContain(a.severity);
    expect(row).toContain(a.title);
    expect(DOC).toContain(`### \`${id}\`: ${a.title}`);
  });

  test("every catalogued metric type is named, with its documentation page", () => {
    for (const m of METRIC_CATALOGUE) {
      const name = m.type.startsWith("prometheus.googleapis.com/")
        ? m.type.split("/")[1].replace(/^fresh_streams_worker/, "")
        : m.type.split("/").pop()!;
      expect([m.type, DOC.includes(name)]).toEqual([m.type, true]);
      expect([m.type, DOC.includes(m.doc.split("#")[0])]).toEqual([m.type, true]);
    }
  });
});
