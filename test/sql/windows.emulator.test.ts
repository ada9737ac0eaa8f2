/**
 * The windowed aggregates (sql/analytics/window_*.sql, as the local stack deploys them) on the
 * BigQuery emulator, fed by the deployed staging load, against a reference computed here in
 * TypeScript from the events and the order in which the runs see them.
 *
 * Emulator adaptations (tools/emulators/emulator-sql.ts, see docs/emulator-limits.md): each
 * MERGE's USING subquery is materialized first, @run_time is bound as a literal.
 */
import { scriptStatements } from "../../constructs/bigquery/sql-script";
import { BigQueryEmulator, BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { scriptOnEmulator } from "../../tools/emulators/emulator-sql";
import type { WikiChangeRow } from "../../app-worker/src/projection";
import { synthEnvironment } from "../support";

const MINUTE = 60_000;
const { config, stack, json } = synthEnvironment("local");
const PROJECT = config.projectId;
const LATENESS = config.windows.allowedLatenessMinutes * MINUTE;
const GAP = config.windows.sessionGapMinutes * MINUTE;
const transfers = Object.values(json.resource.google_bigquery_data_transfer_config) as any[];
const scriptOf = (displayName: string) => transfers.find((t) => t.display_name.includes(displayName)).params.query;
const STAGING = scriptOf("staging load");
const analytics = stack.analytics!;
const deployed = (aggregate: typeof analytics.tumbling): string =>
  json.resource.google_bigquery_data_transfer_config[aggregate.query.resource.friendlyUniqueId].params.query;
const SCRIPTS = {
  tumbling: deployed(analytics.tumbling),
  hopping: deployed(analytics.hopping),
  sessions: deployed(analytics.sessions),
};
const q = (dataset: string, table: string) => `\`${PROJECT}\`.\`${dataset}\`.\`${table}\``;
const REPORTING = `${config.datasetPrefix}reporting`;
const T = {
  tumbling: q(REPORTING, analytics.tumbling.table.tableId),
  hopping: q(REPORTING, analytics.hopping.table.tableId),
  sessions: q(REPORTING, analytics.sessions.table.tableId),
};
const LATE = {
  tumbling: q(REPORTING, analytics.tumbling.lateEvents.tableId),
  hopping: q(REPORTING, analytics.hopping.lateEvents.tableId),
  sessions: q(REPORTING, analytics.sessions.lateEvents.tableId),
};

let emulator: BigQueryEmulator;
let bq: BigQueryRestClient;
let scratch = 0;
const run = async (sql: string): Promise<any[]> => (await bq.query(sql)).rows;
const onEmulator = (script: string, runTime: Date) =>
  scriptOnEmulator(script, runTime, () => q("emulator_scratch", `window_source_${++scratch}`), run);

function datasetIdOf(ref: string): string {
  const match = /^\$\{google_bigquery_dataset\.([^.]+)\.dataset_id\}$/.exec(ref);
  return match ? json.resource.google_bigquery_dataset[match[1]].dataset_id : ref;
}

beforeAll(async () => {
  emulator = await startBigQueryEmulator({ projectId: PROJECT });
  bq = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
  for (const dataset of Object.values(json.resource.google_bigquery_dataset) as any[])
    await bq.createDataset(dataset.dataset_id, dataset.location);
  for (const table of Object.values(json.resource.google_bigquery_table) as any[]) {
    if (!table.schema) continue;
    const tp = table.time_partitioning;
    await bq.createTable(datasetIdOf(table.dataset_id), table.table_id, {
      schema: { fields: JSON.parse(table.schema) },
      timePartitioning: tp ? { type: tp.type, field: tp.field } : undefined,
    });
  }
  await bq.createDataset("emulator_scratch", config.location);
}, 20 * 60_000);

afterAll(async () => {
  await emulator?.stop();
});

// ---------------------------------------------------------------------------------------
// Events, and the reference: what each run sees, accepts, rejects
// ---------------------------------------------------------------------------------------

const BASE = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000; // a whole hour, 6 hours ago
let seq = 0;
function change(id: string, wiki: string, user: string | null, minute: number): WikiChangeRow {
  const at = new Date(BASE + minute * MINUTE).toISOString();
  return {
    event_id: id,
    id: ++seq,
    type: "edit",
    wiki,
    user,
    title: id,
    bot: false,
    namespace: 0,
    timestamp: at,
    event_time: at,
  };
}

/** Delivered before run 1: two wikis, sessions with gaps under and over 30 minutes, a duplicate. */
const BATCH_1 = [
  change("a1", "enwiki", "alice", 0.5),
  change("a2", "enwiki", "alice", 0.7),
  change("a2", "enwiki", "alice", 0.7), // at-least-once: staged once
  change("b1", "enwiki", "bob", 1.2),
  change("c1", "dewiki", "carol", 2.0),
  change("a3", "enwiki", "alice", 20), // 19 minutes after a2: same session
  change("b2", "enwiki", "bob", 40), // 38.8 minutes after b1: a new session
  change("n1", "dewiki", null, 41), // no user: a change, but no editor and no session
  change("c2", "dewiki", "carol", 44.5),
];
/** Delivered before run 2: newer events, a late one inside the allowed lateness and one beyond it. */
const BATCH_2 = [
  change("a4", "enwiki", "alice", 47), // 27 minutes after a3: extends alice's session
  change("d1", "enwiki", "dave", 52),
  change("c3", "dewiki", "carol", 60),
  change("l1", "enwiki", "erin", 36), // late, but at or after run 1's watermark (44.5 - 10 = 34.5): counted
  change("x1", "enwiki", "bob", 3), // behind the watermark: recorded as late, windows left alone
  change("c1", "dewiki", "carol", 2.0), // a replay of a staged event: nothing new
];
/** Delivered before run 3: pushes the watermark so that early windows and sessions become final. */
const BATCH_3 = [change("f1", "frwiki", "frank", 95), change("x2", "dewiki", "carol", 45)];

interface Seen {
  accepted: WikiChangeRow[];
  late: WikiChangeRow[];
  watermark: number | undefined;
}

/** Replays the runs: each sees the distinct events delivered since the last; those behind the watermark are late. */
function reference(batches: WikiChangeRow[][]): Seen {
  const seen: Seen = { accepted: [], late: [], watermark: undefined };
  const ids = new Set<string>();
  for (const batch of batches) {
    const arrivals = batch.filter((e) => !ids.has(e.event_id) && ids.add(e.event_id));
    const unique = [...new Map(arrivals.map((e) => [e.event_id, e])).values()];
    const wm = seen.watermark;
    for (const e of unique) (wm !== undefined && Date.parse(e.event_time) < wm ? seen.late : seen.accepted).push(e);
    const accepted = unique.filter((e) => wm === undefined || Date.parse(e.event_time) >= wm);
    if (accepted.length > 0) {
      const newest = Math.max(...accepted.map((e) => Date.parse(e.event_time))) - LATENESS;
      seen.watermark = wm === undefined ? newest : Math.max(wm, newest);
    }
  }
  return seen;
}

const iso = (ms: number) => new Date(ms).toISOString();

function tumblingRef(seen: Seen) {
  const windows = new Map<string, { wiki: string; start: number; ids: Set<string> }>();
  for (const e of seen.accepted) {
    const start = Math.floor(Date.parse(e.event_time) / MINUTE) * MINUTE;
    const key = `${e.wiki}|${start}`;
    if (!windows.has(key)) windows.set(key, { wiki: e.wiki!, start, ids: new Set() });
    windows.get(key)!.ids.add(e.event_id);
  }
  return [...windows.values()]
    .map((w) => ({
      wiki: w.wiki,
      window_start: iso(w.start),
      window_end: iso(w.start + MINUTE),
      changes: w.ids.size,
      is_final: w.start + MINUTE <= seen.watermark!,
    }))
    .sort(order("wiki", "window_start"));
}

function hoppingRef(seen: Seen) {
  const windows = new Map<string, { wiki: string; start: number; users: Set<string> }>();
  for (const e of seen.accepted) {
    const t = Date.parse(e.event_time);
    // every 1-minute-aligned start s with s <= t < s + 5 minutes
    for (let start = Math.floor(t / MINUTE) * MINUTE; start > t - 5 * MINUTE; start -= MINUTE) {
      const key = `${e.wiki}|${start}`;
      if (!windows.has(key)) windows.set(key, { wiki: e.wiki!, start, users: new Set() });
      if (e.user !== null) windows.get(key)!.users.add(e.user);
    }
  }
  return [...windows.values()]
    .map((w) => ({
      wiki: w.wiki,
      window_start: iso(w.start),
      window_end: iso(w.start + 5 * MINUTE),
      active_editors: w.users.size,
      is_final: w.start + 5 * MINUTE <= seen.watermark!,
    }))
    .sort(order("wiki", "window_start"));
}

function sessionsRef(seen: Seen) {
  const byUser = new Map<string, number[]>();
  for (const e of seen.accepted) {
    if (e.user === null) continue;
    if (!byUser.has(e.user)) byUser.set(e.user, []);
    byUser.get(e.user)!.push(Date.parse(e.event_time));
  }
  const sessions: { user: string; session_start: string; session_end: string; changes: number; is_final: boolean }[] =
    [];
  for (const [user, times] of byUser) {
    times.sort((a, b) => a - b);
    let start = times[0];
    let end = times[0];
    let count = 1;
    const close = () =>
      sessions.push({
        user,
        session_start: iso(start),
        session_end: iso(end),
        changes: count,
        is_final: end + GAP < seen.watermark!,
      });
    for (const t of times.slice(1)) {
      if (t - end > GAP) {
        close();
        start = t;
        count = 0;
      }
      end = t;
      count++;
    }
    close();
  }
  return sessions.sort(order("user", "session_start"));
}

function order(...keys: string[]) {
  return (a: any, b: any) => {
    for (const k of keys) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
    return 0;
  };
}

async function table(kind: keyof typeof T): Promise<any[]> {
  const [key, start, end, measure] =
    kind === "sessions"
      ? ["user", "session_start", "session_end", "changes"]
      : ["wiki", "window_start", "window_end", kind === "tumbling" ? "changes" : "active_editors"];
  return run(`SELECT \`${key}\`, ${start}, ${end}, ${measure}, is_final FROM ${T[kind]} ORDER BY \`${key}\`, ${start}`);
}

async function fullTables(): Promise<Record<string, any[]>> {
  const out: Record<string, any[]> = {};
  for (const kind of Object.keys(T) as (keyof typeof T)[]) {
    out[kind] = await run(`SELECT * FROM ${T[kind]} ORDER BY 1, 2`);
    out[`${kind}_late`] = await run(`SELECT event_id, recorded_at FROM ${LATE[kind]} ORDER BY event_id`);
  }
  return out;
}

const RAW = `${config.datasetPrefix}raw`;
const runTimeAfter = (minute: number) => new Date(BASE + (minute + 1) * MINUTE);

/** Delivers a batch to raw, runs the staging load, then the three window scripts, all at `runTime`. */
async function deliverAndRun(batch: WikiChangeRow[], runTime: Date): Promise<void> {
  if (batch.length > 0) await bq.insertAll(RAW, "wiki_changes", batch);
  await onEmulator(STAGING, runTime);
  for (const kind of Object.keys(SCRIPTS) as (keyof typeof SCRIPTS)[]) await onEmulator(SCRIPTS[kind], runTime);
}

async function expectTablesToMatch(seen: Seen): Promise<void> {
  expect(await table("tumbling")).toEqual(tumblingRef(seen));
  expect(await table("hopping")).toEqual(hoppingRef(seen));
  expect(await table("sessions")).toEqual(sessionsRef(seen));
  for (const kind of Object.keys(T) as (keyof typeof T)[]) {
    const late = await run(`SELECT event_id FROM ${LATE[kind]} ORDER BY event_id`);
    expect([kind, late.map((r) => r.event_id)]).toEqual([kind, seen.late.map((e) => e.event_id).sort()]);
    // Every provisional row carries the current watermark.
    const marks = await run(`SELECT DISTINCT watermark FROM ${T[kind]} WHERE NOT is_final`);
    for (const row of marks) expect(row.watermark).toBe(iso(seen.watermark!));
  }
}

describe("windowed aggregates on the BigQuery emulator", () => {
  test("each scheduled query is a script: the late-events INSERTs (within and beyond the horizon), then the window MERGE", () => {
    for (const script of Object.values(SCRIPTS)) {
      const statements = scriptStatements(script);
      expect(statements).toHaveLength(3);
      expect(statements[0]).toMatch(/^(--[^\n]*\n)*INSERT INTO/);
      expect(statements[1]).toMatch(/^(--[^\n]*\n)*INSERT INTO[^\n]*_late_events/);
      expect(statements[2]).toMatch(/\nMERGE /);
    }
    expect(scriptStatements(STAGING)).toHaveLength(2);
  });

  test("run 1: every window with at least one change, provisional or final by the watermark", async () => {
    await deliverAndRun(BATCH_1, runTimeAfter(45));
    const seen = reference([BATCH_1]);
    expect(seen.watermark).toBe(BASE + 34.5 * MINUTE);
    await expectTablesToMatch(seen);
    expect((await table("tumbling")).some((w) => w.is_final)).toBe(true);
    expect((await table("tumbling")).some((w) => !w.is_final)).toBe(true);
  });

  test("run 2: a late event inside the allowed lateness updates its windows; one beyond it is recorded and leaves the final windows alone", async () => {
    const before = await table("tumbling");
    await deliverAndRun(BATCH_2, runTimeAfter(60));
    const seen = reference([BATCH_1, BATCH_2]);
    expect(seen.late.map((e) => e.event_id)).toEqual(["x1"]);
    expect(seen.accepted.map((e) => e.event_id)).toContain("l1");
    await expectTablesToMatch(seen);
    // x1 (enwiki, minute 3) did not change the final window it falls in.
    const minute3 = iso(BASE + 3 * MINUTE);
    expect((await table("tumbling")).find((w) => w.wiki === "enwiki" && w.window_start === minute3)).toBeUndefined();
    const finalBefore = before.filter((w) => w.is_final);
    const after = await table("tumbling");
    for (const w of finalBefore) expect(after).toContainEqual(w);
  });

  test("a re-run with nothing new changes nothing, not even computed_at", async () => {
    const before = await fullTables();
    await deliverAndRun([], runTimeAfter(60));
    expect(await fullTables()).toEqual(before);
  });

  test("run 3: the watermark moves on, windows and sessions become final; a new late event is recorded", async () => {
    await deliverAndRun(BATCH_3, runTimeAfter(95));
    const seen = reference([BATCH_1, BATCH_2, BATCH_3]);
    expect(seen.late.map((e) => e.event_id).sort()).toEqual(["x1", "x2"]);
    await expectTablesToMatch(seen);
    const sessions = await table("sessions");
    expect(sessions.find((s) => s.user === "alice")).toMatchObject({ changes: 4, is_final: true });
    // And once more: idempotent.
    const before = await fullTables();
    await deliverAndRun([], runTimeAfter(95));
    expect(await fullTables()).toEqual(before);
  });
  test("an arrival older than the run's horizon is recorded as late too (a replay after a long outage, then a backfill)", async () => {
    // A replay after a long outage delivers an event 200 hours old: the staging load (lookback 48 h) leaves it in
    // raw and the windows' horizon (97 h) never reads it, but it arrived behind the watermark.
    const veryLate = change("v1", "enwiki", "vera", -200 * 60);
    const runTime = runTimeAfter(95);
    const horizonHours = Math.min(
      ...Object.values(analytics).map((a: any) => Number(a.bindings?.["window.horizon_hours"] ?? Infinity)),
    );
    expect(Date.parse(veryLate.event_time)).toBeLessThan(runTime.getTime() - horizonHours * 3_600_000);
    const before = {
      tumbling: await table("tumbling"),
      hopping: await table("hopping"),
      sessions: await table("sessions"),
    };
    await deliverAndRun([veryLate], runTime);
    for (const kind of Object.keys(T) as (keyof typeof T)[]) {
      const late = await run(`SELECT event_id, event_time, watermark FROM ${LATE[kind]} WHERE event_id = 'v1'`);
      expect([kind, late]).toEqual([
        kind,
        [{ event_id: "v1", event_time: veryLate.event_time, watermark: expect.any(String) }],
      ]);
    }
    // Windows left alone.
    expect({
      tumbling: await table("tumbling"),
      hopping: await table("hopping"),
      sessions: await table("sessions"),
    }).toEqual(before);

    // A backfill of the staging load for the hour of the event stages it (staged_at: now), and the next window run
    // does not record it a second time.
    await onEmulator(STAGING, new Date(Date.parse(veryLate.event_time) + 3_600_000));
    expect(
      await run(`SELECT event_id FROM ${q(`${config.datasetPrefix}staging`, "wiki_staged")} WHERE event_id = 'v1'`),
    ).toHaveLength(1);
    const recorded = await fullTables();
    await deliverAndRun([], runTime);
    expect(await fullTables()).toEqual(recorded);
  });
});
