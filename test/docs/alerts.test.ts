import * as fs from "node:fs";
import * as path from "node:path";
import { ALERT_CATALOGUE } from "../../constructs/monitoring/alert-catalogue";
import { METRIC_CATALOGUE } from "../../constructs/monitoring/metric-catalogue";

/** docs/alerts.md lists every alert of the catalogue with its severity, and every catalogued metric type. */
const DOC = fs.readFileSync(path.resolve(__dirname, "../../docs/alerts.md"), "utf8");

describe("docs/alerts.md", () => {
  test.each(ALERT_CATALOGUE.map((a) => [a.id, a]))("%s: a catalogue row and a runbook section", (id, a) => {
    const row = DOC.split("\n").find((line) => line.startsWith(`| \`${id}\``));
    expect(row).toBeDefined();
    expect(row).toContain(a.severity);
    expect(row).toContain(a.title);
    expect(DOC).toContain(`### \`${id}\`: ${a.title}`);
    for (const check of a.firstChecks) expect(DOC).toContain(check);
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
