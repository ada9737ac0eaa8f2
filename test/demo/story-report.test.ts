/** The story's text table, the cost lines, the counts and the self-contained HTML page. */
import { htmlReport, lagChart } from "../../demo/html-report";
import { DemoResult, formatReport } from "../../demo/report";
import type { StoryRow } from "../../demo/story";
import { bytesText, formatCosts, formatCounts, formatStory } from "../../demo/story-report";
import { ingestionCostLines } from "../../tools/cost/ingestion";

const row = (
  object: string,
  readAt: StoryRow["read_at"],
  covered: number,
  expected: number,
  lag: number,
): StoryRow => ({
  object,
  kind: "table",
  read_at: readAt,
  replayed_events: readAt === "end" ? 10 : 5,
  read_at_time: "2026-12-06T00:00:00.000Z",
  events_covered: covered,
  events_expected: expected,
  exact: covered === expected,
  lag_seconds: lag,
  summary: `${object} said`,
  bytes_scanned: 2048,
  bytes_estimated: true,
});

const story: StoryRow[] = [
  row("wiki_staged", "mid-replay", 1, 5, 40),
  row("leaderboard_live", "mid-replay", 5, 5, 0),
  row("wiki_staged", "end", 10, 10, 0),
  row("leaderboard_live", "end", 10, 10, 0),
];

test("the story table: each object's reads next to each other, covered of expected, exact, lag, bytes", () => {
  const lines = formatStory(story).split("\n");
  const body = lines.filter((l) => /^(wiki_staged|leaderboard_live) /.test(l));
  expect(body.map((l) => l.split(/\s{2,}/).slice(0, 6))).toEqual([
    ["wiki_staged", "mid-replay", "5", "1 of 5", "NO", "40"],
    ["wiki_staged", "end", "10", "10 of 10", "yes", "0"],
    ["leaderboard_live", "mid-replay", "5", "5 of 5", "yes", "0"],
    ["leaderboard_live", "end", "10", "10 of 10", "yes", "0"],
  ]);
  expect(body[0]).toMatch(/2\.0 KiB$/);
  expect(formatStory(story)).toContain("estimated from BigQuery's documented sizes");
});

test("bytes in B, KiB and MiB", () => {
  expect([bytesText(587), bytesText(2048), bytesText(3 * 1024 * 1024)]).toEqual(["587 B", "2.0 KiB", "3.0 MiB"]);
});

test("one cost line per ingestion mode, a column per rate, from the cost model", () => {
  const lines = ingestionCostLines([50, 500, 5000]);
  const text = formatCosts(lines).split("\n");
  expect(text[1]).toMatch(/^mode +50 events\/s +500 events\/s +5,000 events\/s$/);
  const dataflow = lines.filter((l) => l.mode === "dataflow").map((l) => l.monthlyUsd);
  const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2 })}`;
  expect(text.find((l) => l.startsWith("dataflow "))).toMatch(
    new RegExp(dataflow.map((n) => `\\${usd(n)}`).join(" +")),
  );
  expect(
    text.filter((l) => /^(dataflow|bigquery-subscription|direct storage-write|direct insert-all) /.test(l)),
  ).toHaveLength(4);
  expect(text[text.length - 1]).toMatch(/^prices: https:\/\/cloud\.google\.com\//);
});

test("the counts: dropped events with their reasons", () => {
  const text = formatCounts({
    received: 20,
    published: 17,
    dropped: { canary: 2, malformed: 1 },
    refused: 0,
    error_rows: 0,
    duplicates_removed: 4,
  });
  expect(text).toContain("events dropped     3 (2 canary, 1 malformed: the worker skips them)");
  expect(text).toContain("duplicates removed 4");
});

const result: DemoResult = {
  published: 17,
  raw_rows: 17,
  staged_rows: 13,
  duplicates_removed: 4,
  error_rows: 0,
  counts: { received: 20, published: 17, dropped: { canary: 3 }, refused: 0, error_rows: 0, duplicates_removed: 4 },
  leaderboard: [{ user: "zoe", changes_count: 9 }],
  leaderboard_mid_replay: [{ user: "yann", changes_count: 1 }],
  leaderboard_live: [{ user: "zoe", changes_count: 4 }],
  windows: { tumbling_rows: 1, hopping_rows: 5, sessions: 2 },
  cdc: { messages: 3, upserts: 3, deletes: 0, pages_rows: 3, pages_sha256: "x" },
  story,
  ingestion_cost: ingestionCostLines([50, 500, 5000]),
};

test("the report shows the two leaderboards read mid-replay side by side", () => {
  const text = formatReport(result);
  expect(text).toMatch(/^leaderboard \(staging only: behind\) +leaderboard_live \(staging \+ raw tail: exact\)$/m);
  expect(text).toMatch(/^1 +yann +1 +1 +zoe +4$/m);
  expect(text).toMatch(/^events received +20$/m);
});

test("the HTML page is self-contained: the table, an inline SVG lag chart, no script or external resource", () => {
  const html = htmlReport(result);
  expect(html).not.toMatch(/<script|<link|\ssrc=|@import|url\(/i);
  expect(html).toContain("<td>wiki_staged</td>");
  expect(html).toContain("<svg");
  // One line per object through its reads: wiki_staged from 40 s behind mid-replay to 0 at the end.
  const chart = lagChart(story);
  expect(chart.match(/<polyline/g)).toHaveLength(2);
  expect(chart).toContain(">40</text>");
});
