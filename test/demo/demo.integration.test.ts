/**
 * The main job, `npm run demo`, end to end on the real emulators and the real worker.
 * Expected figures are computed here, directly from the fixture, not by the pipeline.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { readFixture } from "../../demo/fixture";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = path.join(ROOT, "tools/fixtures/recentchange.jsonl.gz");

interface Expected {
  published: number;
  staged: number;
  /** Distinct events with a user: what the leaderboards count. */
  withUser: number;
  leaderboard: Array<{ user: string; changes_count: number }>;
  windows: { tumbling_rows: number; hopping_rows: number; sessions: number };
}

const MINUTE = 60_000;

/**
 * The window tables' row counts for distinct events (the demo runs the windows once, after the last
 * staging load, so nothing is late): wiki-minutes with a change, 5-minute windows every minute per
 * wiki with a change, and per-user sessions split by more than 30 idle minutes.
 */
function windowsFrom(events: Array<{ wiki?: string | null; user?: string | null; dt: number }>) {
  const tumbling = new Set<string>();
  const hopping = new Set<string>();
  const times = new Map<string, number[]>();
  for (const e of events) {
    if (e.wiki !== undefined && e.wiki !== null) {
      const minute = Math.floor(e.dt / MINUTE);
      tumbling.add(`${e.wiki}|${minute}`);
      for (let k = 0; k < 5; k++) hopping.add(`${e.wiki}|${minute - k}`);
    }
    if (e.user !== undefined && e.user !== null) {
      if (!times.has(e.user)) times.set(e.user, []);
      times.get(e.user)!.push(e.dt);
    }
  }
  let sessions = 0;
  for (const list of times.values()) {
    list.sort((a, b) => a - b);
    sessions += 1 + list.slice(1).filter((t, i) => t - list[i] > 30 * MINUTE).length;
  }
  return { tumbling_rows: tumbling.size, hopping_rows: hopping.size, sessions };
}

/** What the pipeline must produce for a fixture: canaries excluded, one change per distinct meta.id. */
function expectedFrom(lines: string[]): Expected {
  const events = lines.map((line) => JSON.parse(line));
  const real = events.filter((e) => e.meta?.domain !== "canary");
  const ids = new Set(real.map((e) => e.meta.id));
  const perUser = new Map<string, Set<string>>();
  for (const e of real) {
    if (e.user === undefined || e.user === null) continue;
    if (!perUser.has(e.user)) perUser.set(e.user, new Set());
    perUser.get(e.user)!.add(e.meta.id);
  }
  const leaderboard = [...perUser]
    .map(([user, set]) => ({ user, changes_count: set.size }))
    .sort((a, b) => b.changes_count - a.changes_count || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
    .slice(0, 10);
  const distinct = [...new Map(real.map((e) => [e.meta.id, e])).values()].map((e) => ({
    wiki: e.wiki,
    user: e.user,
    dt: Date.parse(e.meta.dt),
  }));
  const withUser = [...perUser.values()].reduce((n, set) => n + set.size, 0);
  return { published: real.length, staged: ids.size, withUser, leaderboard, windows: windowsFrom(distinct) };
}

/** The replay's fixed points (demo/mid-replay.ts): the ELT runs once after a tenth, the story is read at half. */
function points(events: number): { tick: number; mid: number } {
  const tick = Math.min(Math.max(1, Math.floor(events / 10)), events - 1);
  return { tick, mid: Math.max(tick, Math.floor(events / 2)) };
}

/** What the story must say mid-replay: staging (and the leaderboard) at the tick, leaderboard_live exact. */
function expectedMid(lines: string[]) {
  const { tick, mid } = points(lines.length);
  const atTick = expectedFrom(lines.slice(0, tick));
  const atMid = expectedFrom(lines.slice(0, mid));
  return { tick, mid, atTick, atMid };
}

function demo(args: string[], timeout = 600_000) {
  return spawnSync("npm", ["run", "--silent", "demo", "--", ...args], { cwd: ROOT, encoding: "utf8", timeout });
}

/** stdout of `--json` is one JSON document and nothing else (`npm run -s demo -- --json | jq .`). */
function stdoutJson(stdout: string): any {
  expect(stdout.trimStart().startsWith("{")).toBe(true);
  return JSON.parse(stdout);
}

/** The story row of `object` read at `readAt`. */
function storyRow(json: any, object: string, readAt: "mid-replay" | "end"): any {
  const row = json.story.find((r: any) => r.object === object && r.read_at === readAt);
  expect(row).toBeDefined();
  return row;
}

const STORY_OBJECTS = [
  "wiki_changes",
  "wiki_staged",
  "leaderboard",
  "leaderboard_live",
  "wiki_changes_per_minute",
  "wiki_active_editors_5m",
  "user_sessions",
  "wiki_pages",
];

/**
 * The story, in either mode: every object read twice with numbers; mid-replay the staging-only
 * leaderboard (and all that is built on staging) behind with a lag, leaderboard_live exact; at the
 * end everything exact.
 */
function expectStory(json: any, lines: string[]): void {
  const { tick, mid, atTick, atMid } = expectedMid(lines);
  expect(json.story).toHaveLength(2 * STORY_OBJECTS.length);
  for (const object of STORY_OBJECTS)
    for (const readAt of ["mid-replay", "end"] as const) {
      const row = storyRow(json, object, readAt);
      expect(row.replayed_events).toBe(readAt === "end" ? lines.length : mid);
      expect(row.bytes_scanned).toBeGreaterThan(0);
      expect(row.bytes_estimated).toBe(true);
      expect(typeof row.summary).toBe("string");
      // At the end every object has caught up (wiki_pages: its newest change may be older than the last event).
      if (readAt === "end")
        expect({ object, lag: object === "wiki_pages" ? 0 : row.lag_seconds, exact: row.exact }).toEqual({
          object,
          lag: 0,
          exact: object === "wiki_active_editors_5m" ? null : true,
        });
    }
  const board = storyRow(json, "leaderboard", "mid-replay");
  const live = storyRow(json, "leaderboard_live", "mid-replay");
  const staged = storyRow(json, "wiki_staged", "mid-replay");
  // Staging ran once, after the first tenth: staging and the leaderboard on it cover only that.
  expect(staged.events_covered).toBe(atTick.staged);
  expect(board).toMatchObject({ events_covered: atTick.withUser, events_expected: atMid.withUser, exact: false });
  expect(board.lag_seconds).toBeGreaterThan(0);
  expect(board.top10).toEqual(atTick.leaderboard);
  expect(json.leaderboard_mid_replay).toEqual(atTick.leaderboard);
  // leaderboard_live: staged counts plus raw's unstaged tail, exact over every event sent.
  expect(live).toMatchObject({
    events_covered: atMid.withUser,
    events_expected: atMid.withUser,
    exact: true,
    lag_seconds: 0,
  });
  expect(live.top10).toEqual(atMid.leaderboard);
  expect(json.leaderboard_live).toEqual(atMid.leaderboard);
  expect(storyRow(json, "wiki_changes", "mid-replay").events_covered).toBe(atMid.staged);
  expect(tick).toBeLessThan(mid);
}

/** Counts, the ingestion cost lines and the report on stderr. */
function expectCountsAndCosts(json: any, lines: string[], stderr: string): void {
  const canaries = lines.filter((l) => JSON.parse(l).meta?.domain === "canary").length;
  expect(json.counts).toMatchObject({ received: lines.length, published: lines.length - canaries, refused: 0 });
  expect(json.counts.dropped.canary ?? 0).toBe(canaries);
  expect(json.ingestion_cost).toHaveLength(4 * 3);
  for (const line of json.ingestion_cost) {
    expect([50, 500, 5000]).toContain(line.eventsPerSecond);
    expect(line.monthlyUsd).toBeGreaterThan(0);
    expect(line.source).toMatch(/https:\/\/cloud\.google\.com\//);
  }
  // The human report went to stderr.
  expect(stderr).toContain("story: every reporting object read mid-replay and at the end");
  expect(stderr).toMatch(/^events dropped +\d+/m);
  expect(stderr).toMatch(/^ingestion cost a month/m);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs the demo reported for the processes it started. */
function reportedPids(stderr: string): number[] {
  return [...stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

/** The default mode's JSON on the bundled fixture, for the direct-mode test to compare with. */
let defaultModeJson: any;

describe("npm run demo", () => {
  test("the bundled fixture: the leaderboard matches counts computed from the fixture", () => {
    const lines = readFixture(FIXTURE);
    const expected = expectedFrom(lines);
    // The bundled fixture is large, with canaries and replayed duplicates.
    expect(lines.length).toBeGreaterThanOrEqual(5000);
    expect(lines.length - expected.published).toBeGreaterThan(0);
    expect(expected.published - expected.staged).toBeGreaterThan(0);

    const result = demo(["--json"]);
    expect(result.stderr).not.toMatch(/demo: /);
    expect(result.status).toBe(0);
    const json = stdoutJson(result.stdout);
    defaultModeJson = json;
    expect(json.published).toBe(expected.published);
    expect(json.raw_rows).toBe(expected.published);
    expect(json.staged_rows).toBe(expected.staged);
    expect(json.duplicates_removed).toBe(expected.published - expected.staged);
    expect(json.leaderboard).toEqual(expected.leaderboard);
    expect(json.windows).toEqual(expected.windows);
    expect(json.windows.sessions).toBeGreaterThan(0);
    expectStory(json, lines);
    expectCountsAndCosts(json, lines, result.stderr);
    // The leaderboards read mid-replay differ: the staging-only one is behind.
    expect(json.leaderboard_mid_replay).not.toEqual(json.leaderboard_live);
    expect(result.stderr).toContain(`1   ${expected.leaderboard[0].user}`);
    // Every process it started is gone.
    const pids = reportedPids(result.stderr);
    expect(pids.length).toBe(3); // Pub/Sub emulator, BigQuery emulator, worker
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });

  test("--mode direct: the worker writes wiki_changes itself; the same report as the default mode", () => {
    const lines = readFixture(FIXTURE);
    const expected = expectedFrom(lines);
    const result = demo(["--mode", "direct", "--json"]);
    expect(result.stderr).not.toMatch(/demo: /);
    expect(result.status).toBe(0);
    const json = stdoutJson(result.stdout);
    // No ingestion topic, subscription or bridge: the worker's Storage Write stream fills wiki_changes.
    expect(result.stderr).toContain("SINK=storage-write (no ingestion topic, no bridge)");
    expect(result.stderr).toMatch(/provisioning \d+ datasets, \d+ tables, 2 topics, 2 subscriptions/);
    expect(result.stderr).not.toContain("local bridge");
    expect(json).toMatchObject({
      published: expected.published,
      raw_rows: expected.published,
      staged_rows: expected.staged,
      duplicates_removed: expected.published - expected.staged,
      error_rows: 0, // wiki_changes_errors, the worker's error table
      leaderboard: expected.leaderboard,
      windows: expected.windows,
    });
    expectStory(json, lines);
    expectCountsAndCosts(json, lines, result.stderr);
    // The subscriptions' backlog does not apply; the SQL health checks do.
    expect(json.health).toEqual({
      backlog_left: null,
      dead_letters: null,
      late_events: 0,
      duplicates_removed: expected.published - expected.staged,
      staging_duplicates: 0,
      staging_lag_seconds: 0,
    });
    expect(result.stderr).toContain("backlog left        n/a (direct mode: no subscription)");
    // The same fields and figures as the default mode's run above (when it ran in this process).
    if (defaultModeJson) {
      expect(Object.keys(json).sort()).toEqual(Object.keys(defaultModeJson).sort());
      expect(Object.keys(json.health).sort()).toEqual(Object.keys(defaultModeJson.health).sort());
      expect(json.leaderboard).toEqual(defaultModeJson.leaderboard);
      expect(json.leaderboard_live).toEqual(defaultModeJson.leaderboard_live);
      expect(json.leaderboard_mid_replay).toEqual(defaultModeJson.leaderboard_mid_replay);
      const figures = (j: any) => j.story.map((r: any) => [r.object, r.read_at, r.events_covered, r.lag_seconds]);
      expect(figures(json)).toEqual(figures(defaultModeJson));
      expect(json.windows).toEqual(defaultModeJson.windows);
      expect(json.cdc).toEqual(defaultModeJson.cdc);
    }
    const pids = reportedPids(result.stderr);
    expect(pids.length).toBe(3); // Pub/Sub emulator (CDC), BigQuery emulator, worker
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });

  test("--mode direct --sink insert-all on a small fixture", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "demo-fixture-")), "small.jsonl");
    const lines = readFixture(FIXTURE).slice(0, 200);
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const expected = expectedFrom(lines);
    const result = demo(["--mode", "direct", "--sink", "insert-all", "--fixture", file, "--json"]);
    expect(result.stderr).not.toMatch(/demo: /);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("SINK=insert-all");
    const json = stdoutJson(result.stdout);
    expect(json).toMatchObject({
      published: expected.published,
      staged_rows: expected.staged,
      error_rows: 0,
      leaderboard: expected.leaderboard,
      windows: expected.windows,
    });
    expectStory(json, lines);
  });

  test("--sink without --mode direct: a clear message and exit 2", () => {
    const result = demo(["--sink", "insert-all"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("demo: --sink applies to --mode direct only");
    expect(reportedPids(result.stderr)).toEqual([]);
  });

  test("--fixture replays another file; duplicates and canaries are handled", () => {
    const now = Date.parse("2026-11-20T12:00:00Z");
    const event = (id: string, user: string | null, minutes: number, domain = "en.wikipedia.org") =>
      JSON.stringify({
        $schema: "/mediawiki/recentchange/1.0.0",
        meta: { id, dt: new Date(now + minutes * 60_000).toISOString(), domain, stream: "mediawiki.recentchange" },
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
      event("a-1", "zoe", 0),
      event("a-2", "zoe", 1),
      event("a-2", "zoe", 1), // replayed duplicate
      event("a-3", "yann", 2),
      event("a-4", "canary-user", 3, "canary"),
      event("a-5", "xia", 4),
      event("a-6", "yann", 5),
      event("a-7", "zoe", 6),
    ];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "demo-fixture-")), "small.jsonl");
    fs.writeFileSync(file, lines.join("\n") + "\n");

    const result = demo(["--fixture", file, "--json"]);
    expect(result.status).toBe(0);
    const json = stdoutJson(result.stdout);
    expect(json).toMatchObject({ published: 7, raw_rows: 7, staged_rows: 6, duplicates_removed: 1 });
    expect(json.leaderboard).toEqual([
      { user: "zoe", changes_count: 3 },
      { user: "yann", changes_count: 2 },
      { user: "xia", changes_count: 1 },
    ]);
    expect(json.leaderboard).toEqual(expectedFrom(lines).leaderboard);
    // Read after 4 of the 8 events, staging holding the first one.
    expect(json.leaderboard_live).toEqual(expectedFrom(lines.slice(0, 4)).leaderboard);
    expect(json.leaderboard_mid_replay).toEqual([{ user: "zoe", changes_count: 1 }]);
    expectStory(json, lines);
    // One wiki, changes in 6 of the minutes 0-6 (11 five-minute windows reach them); zoe, yann and xia: one session each.
    expect(json.windows).toEqual({ tumbling_rows: 6, hopping_rows: 11, sessions: 3 });
    expect(json.windows).toEqual(expectedFrom(lines).windows);
  });

  test("a missing fixture: a clear message and exit 2", () => {
    const result = demo(["--fixture", "/nonexistent/events.jsonl"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("demo: --fixture: no such file /nonexistent/events.jsonl");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test("a line that is not JSON: the file and line number, exit 1", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "demo-fixture-")), "bad.jsonl");
    fs.writeFileSync(file, `${readFixture(FIXTURE)[0]}\nthis is not json\n`);
    const result = demo(["--fixture", file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`demo: fixture ${file}, line 2: not JSON`);
  });

  test("a port already in use: a clear message, exit 2, nothing left running", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = demo(["--pubsub-port", String(port)]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`demo: port ${port} (--pubsub-port) is already in use on 127.0.0.1`);
      expect(reportedPids(result.stderr)).toEqual([]);
    } finally {
      server.close();
    }
  });

  test("an unknown option: usage and exit 2", () => {
    const result = demo(["--fixtures", "x"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown option "--fixtures"');
    expect(result.stderr).toContain("usage: npm run demo");
  });

  test("Ctrl-C mid-run stops every process it started", async () => {
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "demo/main.ts"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Interrupt once both emulators are up and the worker is starting.
    const deadline = Date.now() + 120_000;
    while (!/worker running/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toMatch(/worker running/);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    const pids = reportedPids(stderr);
    expect(pids.length).toBe(3);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });
});
