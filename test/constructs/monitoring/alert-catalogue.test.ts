/** The alert catalogue as data: every entry complete, its templates fillable, its runbook generic. */
import { ALERT_CATALOGUE } from "../../../constructs";
import { WATCHED_KINDS } from "../../../constructs/monitoring/monitored";
import { runbookTexts } from "../../../constructs/monitoring/runbook";

describe("the alert catalogue", () => {
  test("ids are unique", () => {
    expect(new Set(ALERT_CATALOGUE.map((a) => a.id)).size).toBe(ALERT_CATALOGUE.length);
  });

  test.each(ALERT_CATALOGUE.map((a) => [a.id, a]))(
    "%s: its runbook fills in the library's own words, naming none of this application's tables or files",
    (_id, a) => {
      const { meaning, firstChecks } = runbookTexts(a);
      for (const text of [meaning, ...firstChecks]) {
        expect(text).not.toMatch(/\{\{|\}\}/);
        expect(text).not.toMatch(/wiki_|sql\/|ingestion\.dataflow|worker\.(cpu|userAgent)|elt\.lookback|reservation\./);
      }
    },
  );

  test("a placeholder without a word fails naming the alert and the placeholder", () => {
    const a = { ...ALERT_CATALOGUE[0], meaning: "{{nowhere}} is late." };
    expect(() => runbookTexts(a)).toThrow(
      'alert pubsub-backlog-age: placeholder {{nowhere}} has no value in "{{nowhere}} is late."',
    );
  });

  test("each watched kind's charts have positions of their own (a kind with one policy per target shares one)", () => {
    const positions = ALERT_CATALOGUE.filter((a) => a.tile && !WATCHED_KINDS[a.signal.watches].idOf).map(
      (a) => a.tile!.position,
    );
    expect(new Set(positions).size).toBe(positions.length);
  });
});
