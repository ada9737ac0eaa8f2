/**
 * The demo report's health section, end to end on the emulators, against a fixture with a known
 * answer: one replayed duplicate (removed by the staging load, none left in staging), one event
 * three days older than the rest (beyond the 48-hour lookback: late, and not staged), nothing left
 * in the subscriptions.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { asOf, formatHealth } from "../../demo/health";

const ROOT = path.resolve(__dirname, "../..");

test("asOf binds the clock and the ingestion time to the run time", () => {
  const at = new Date("2026-11-20T12:00:00Z");
  expect(asOf("SELECT CURRENT_TIMESTAMP() WHERE _PARTITIONTIME >= x OR _PARTITIONTIME IS NULL", at)).toBe(
    "SELECT TIMESTAMP '2026-11-20T12:00:00.000Z' WHERE TIMESTAMP '2026-11-20T12:00:00.000Z' >= x OR TIMESTAMP '2026-11-20T12:00:00.000Z' IS NULL",
  );
});

test("npm run demo ends with the health section: backlog, dead letters, late events, duplicates", () => {
  const now = Date.parse("2026-11-20T12:00:00Z");
  const event = (id: string, user: string, minutes: number) =>
    JSON.stringify({
      $schema: "/mediawiki/recentchange/1.0.0",
      meta: {
        id,
        dt: new Date(now + minutes * 60_000).toISOString(),
        domain: "en.wikipedia.org",
        stream: "mediawiki.recentchange",
      },
      id: Math.floor(Math.random() * 1e9),
      type: "edit",
      namespace: 0,
      title: `Page ${id}`,
      timestamp: Math.floor((now + minutes * 60_000) / 1000),
      user,
      bot: false,
      wiki: "enwiki",
    });
  const lines = [
    event("h-1", "zoe", 0),
    event("h-0", "old", -72 * 60), // arrives after a newer one, three days older: beyond the lookback
    event("h-2", "zoe", 1),
    event("h-2", "zoe", 1), // replayed duplicate
    event("h-3", "yann", 2),
  ];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "demo-health-")), "health.jsonl");
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const result = spawnSync("npm", ["run", "--silent", "demo", "--", "--fixture", file, "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 600_000,
  });
  expect(result.stderr).not.toMatch(/demo: /);
  expect(result.status).toBe(0);
  const json = JSON.parse(result.stdout); // stdout is the JSON alone
  expect(json).toMatchObject({ published: 5, raw_rows: 5, staged_rows: 3 });
  expect(json.health).toEqual({
    backlog_left: 0,
    dead_letters: 0,
    late_events: 1,
    duplicates_removed: 2,
    staging_duplicates: 0,
    staging_lag_seconds: 0,
  });
  // The human report (on stderr with --json) ends with the same section.
  expect(result.stderr).toContain(formatHealth(json.health));
});
