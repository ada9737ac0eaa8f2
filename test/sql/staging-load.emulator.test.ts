/**
 * The staging load and the leaderboard, executed on the BigQuery emulator
 * (goccy/bigquery-emulator v0.8.1, built by scripts/ensure-bigquery-emulator.sh).
 *
 * The tables are created from the synthesized `local` stack (schemas, partitioning,
 * clustering exactly as Terraform would create them) and the statements are the ones the
 * stack deploys (the scheduled query's `params.query`, the materialized view's query).
 * Expected results are computed independently here, in TypeScript, from the rows inserted.
 *
 * Emulator limits, and the only adaptations made to the SQL (see `onEmulator`):
 * 1. MERGE's source must be a single table reference ("MERGE: source must be a
 *    single-table reference"), so the USING (...) subquery is first materialized with
 *    CREATE TABLE ... AS and the MERGE then reads that table. The subquery and the MERGE
 *    text are otherwise run unchanged.
 * 2. A query parameter in MERGE's ON condition never matches (the target rows look
 *    unmatched, so every run re-inserts them): the scheduled query's @run_time is bound
 *    as a TIMESTAMP literal instead, which is the value the Data Transfer Service binds.
 * 3. `_PARTITIONTIME` is not stored: the emulator evaluates it to the time of the query
 *    (not the ingestion time truncated to the day, and never NULL). So every raw row looks
 *    freshly ingested: the raw-partition filter of the load (cost control) cannot be
 *    exercised here; it is checked by ZetaSQL analysis only. The late-event window, which
 *    filters on event_time, is fully exercised. The test asserts this behaviour so a
 *    change in the emulator is noticed.
 * 4. No insertId de-duplication on insertAll: irrelevant here (duplicates are inserted on
 *    purpose; the SQL must remove them, as with the Storage Write API, which never de-duplicates).
 * 5. No materialized views: the materialized view's query is run as a query.
 */
import { EnvironmentConfig } from "../../config/schema";
import { renderSqlFile } from "../../constructs/bigquery/sql-template";
import { BigQueryEmulator, BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { mergeOnEmulator, scriptOnEmulator } from "../../tools/emulators/emulator-sql";
import type { WikiChangeRow } from "../../app-worker/src/projection";
import { synthEnvironment } from "../support";

const HOUR = 3_600_000;

function synthLocal(elt: Partial<EnvironmentConfig["elt"]> = {}) {
  const { config, stack, json } = synthEnvironment("local", (c) => ({ ...c, elt: { ...c.elt, ...elt } }));
  return { config, stack, resources: json.resource };
}

const mv = synthLocal();
const refresh = synthLocal({ leaderboard: "scheduled-refresh" });
const CONFIG = mv.config;
const PROJECT = CONFIG.projectId;
const LOOKBACK_HOURS = CONFIG.elt.lookbackHours;

let emulator: BigQueryEmulator;
let bq: BigQueryRestClient;
let tempCount = 0;

async function run(query: string, runTime?: Date): Promise<any[]> {
  const parameters = runTime ? [{ name: "run_time", type: "TIMESTAMP" as const, value: runTime }] : [];
  return (await bq.query(query, parameters)).rows;
}

/**
 * Runs a MERGE the way the emulator can (adaptations 1 and 2 above, shared with the demo in
 * tools/emulators/emulator-sql.ts): @run_time bound as a literal, the USING subquery materialized first.
 */
async function onEmulator(sql: string, runTime: Date): Promise<void> {
  const scratch = () => `\`${PROJECT}\`.\`emulator_scratch\`.\`merge_source_${++tempCount}\``;
  if (/;\s*$/.test(sql)) await scriptOnEmulator(sql, runTime, scratch, (statement) => run(statement));
  else await mergeOnEmulator(sql, runTime, scratch(), (statement) => run(statement));
}

function datasetIdOf(resources: any, ref: string): string {
  const match = /^\$\{google_bigquery_dataset\.([^.]+)\.dataset_id\}$/.exec(ref);
  return match ? resources.google_bigquery_dataset[match[1]].dataset_id : ref;
}

const created = new Set<string>();

/** Creates the datasets and native tables of a synthesized stack on the emulator. */
async function createFromSynth(resources: any, only?: string[]): Promise<void> {
  for (const dataset of Object.values(resources.google_bigquery_dataset) as any[]) {
    if (created.has(dataset.dataset_id)) continue;
    await bq.createDataset(dataset.dataset_id, dataset.location);
    created.add(dataset.dataset_id);
  }
  for (const table of Object.values(resources.google_bigquery_table) as any[]) {
    if (!table.schema || (only && !only.includes(table.table_id))) continue;
    const tp = table.time_partitioning;
    await bq.createTable(datasetIdOf(resources, table.dataset_id), table.table_id, {
      schema: { fields: JSON.parse(table.schema) },
      timePartitioning: tp ? { type: tp.type, field: tp.field } : undefined,
      clustering: table.clustering ? { fields: table.clustering } : undefined,
    });
  }
}

// ---------------------------------------------------------------------------------------
// The raw events, and what the load must make of them (computed here, not by SQL)
// ---------------------------------------------------------------------------------------

/** A raw row, exactly as the worker publishes it. */
type RawRow = WikiChangeRow;

const RUN_1 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const RUN_2 = new Date(RUN_1.getTime() + 15 * 60_000);

let seq = 0;
function event(eventId: string, user: string | null, hoursBeforeRun1: number, type = "edit"): RawRow {
  const at = new Date(RUN_1.getTime() - hoursBeforeRun1 * HOUR);
  return {
    event_id: eventId,
    id: 1000 + ++seq,
    type,
    wiki: "enwiki",
    user,
    title: `Page ${eventId}`,
    bot: user === "bot",
    namespace: 0,
    timestamp: at.toISOString(),
    event_time: at.toISOString(),
  };
}

/** First delivery: events over three calendar days, with duplicates, late events in and out of the window. */
const BATCH_1: RawRow[] = [
  event("e01", "alice", 0.5),
  event("e01", "alice", 0.5), // at-least-once delivery: same event twice
  event("e01", "alice", 0.5), // ... and a third time
  event("e02", "alice", 3, "new"),
  event("e03", "bob", 3),
  event("e03", "bob", 3), // duplicate
  event("e04", "bob", 20, "log"),
  event("e05", "carol", 26), // yesterday
  event("e06", "carol", 30, "categorize"),
  event("e07", "dave", 40), // the day before yesterday (for any run time)
  event("e08", null, 5, "log"), // a log event without a user: staged, not on the leaderboard
  event("e09", "erin", 47), // late, but inside the 48-hour lookback
  event("e10", "frank", 50), // late beyond the lookback: left in raw
  event("e11", "frank", 24 * 5), // five days old: left in raw
];

/** Later delivery, after a reconnect: a replay of already-staged events, and one late event arriving after newer ones were staged. */
const BATCH_2: RawRow[] = [
  event("e01", "alice", 0.5),
  event("e03", "bob", 3),
  event("e05", "carol", 26),
  event("e12", "bob", 30), // new, 30 hours late: the naive MAX(event_time) load would drop it
  event("e13", "gina", 49), // late beyond the lookback at RUN_2: left in raw
];

/** What staging must hold after a load at `runTime` over these rows, and what it already held. */
function expectedStaged(rows: RawRow[], runTime: Date, already: Set<string> = new Set()): Map<string, RawRow> {
  const staged = new Map<string, RawRow>();
  for (const id of already)
    staged.set(
      id,
      rows.find((r) => r.event_id === id)!,
    );
  const boundary = runTime.getTime() - LOOKBACK_HOURS * HOUR;
  for (const row of rows) {
    if (Date.parse(row.event_time) >= boundary && !staged.has(row.event_id)) staged.set(row.event_id, row);
  }
  return staged;
}

function expectedLeaderboard(staged: Iterable<RawRow>): { user: string; changes_count: number }[] {
  const counts = new Map<string, number>();
  for (const row of staged) if (row.user !== null) counts.set(row.user, (counts.get(row.user) ?? 0) + 1);
  return [...counts]
    .map(([user, changes_count]) => ({ user, changes_count }))
    .sort((a, b) => b.changes_count - a.changes_count || (a.user < b.user ? -1 : 1));
}

const RAW = `\`${PROJECT}\`.\`${CONFIG.datasetPrefix}raw\`.\`wiki_changes\``;
const STAGED = `\`${PROJECT}\`.\`${CONFIG.datasetPrefix}staging\`.\`wiki_staged\``;
const LEADERBOARD = `\`${PROJECT}\`.\`${CONFIG.datasetPrefix}reporting\`.\`leaderboard\``;

const stagingLoadSql = (Object.values(mv.resources.google_bigquery_data_transfer_config) as any[]).find((c) =>
  c.display_name.includes("staging load"),
).params.query as string;
const leaderboardMvSql = (Object.values(mv.resources.google_bigquery_table) as any[]).find(
  (t) => t.table_id === "leaderboard",
).materialized_view.query as string;
const leaderboardRefreshSql = (Object.values(refresh.resources.google_bigquery_data_transfer_config) as any[]).find(
  (c) => c.display_name.includes("leaderboard refresh"),
).params.query as string;

async function stagedRows(): Promise<any[]> {
  return run(`SELECT event_id, \`user\`, event_time, ingested_at, staged_at FROM ${STAGED} ORDER BY event_id`);
}

beforeAll(async () => {
  // Builds the emulator on first use (about 11 minutes cold; scripts/test.sh does it before jest).
  emulator = await startBigQueryEmulator({ projectId: PROJECT });
  bq = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
  await createFromSynth(mv.resources);
  await bq.createDataset("emulator_scratch", CONFIG.location);
}, 20 * 60_000);

afterAll(async () => {
  await emulator?.stop();
});

describe("staging load (sql/staging/wiki_staged.sql) on the BigQuery emulator", () => {
  let afterFirst: Map<string, RawRow>;

  test("the statements under test are the ones the stack deploys", () => {
    expect(stagingLoadSql).toContain(`MERGE ${STAGED} AS staged`);
    // A script: the MERGE, then the high-water mark (sql/staging/wiki_staged_watermark.sql).
    expect(stagingLoadSql).toContain(
      `INSERT INTO \`${PROJECT}\`.\`${CONFIG.datasetPrefix}staging\`.\`wiki_staged_watermark\``,
    );
    expect(stagingLoadSql).toContain(`FROM ${RAW}`);
    expect(leaderboardMvSql).toContain(`FROM ${STAGED}`);
    expect(leaderboardRefreshSql).toContain(`MERGE ${LEADERBOARD} AS board`);
  });

  test("emulator limit: _PARTITIONTIME is the query time, not a stored ingestion time", async () => {
    await bq.insertAll(`${CONFIG.datasetPrefix}raw`, "wiki_changes", [event("probe", "probe", 0)]);
    const before = Date.now();
    const [row] = await run(`SELECT _PARTITIONTIME AS pt FROM ${RAW} WHERE event_id = 'probe'`);
    const partitionTime = Date.parse(row.pt);
    // Real BigQuery: midnight UTC of the ingestion day (or NULL while in the streaming buffer).
    expect(partitionTime).toBeGreaterThanOrEqual(before - 1000);
    await run(`DELETE FROM ${RAW} WHERE event_id = 'probe'`);
  });

  test("emulator limit: a query parameter in MERGE's ON condition never matches (hence @run_time is bound as a literal)", async () => {
    await run(`CREATE TABLE \`${PROJECT}\`.\`emulator_scratch\`.\`param_probe\` (id STRING, ts TIMESTAMP)`);
    const probe = `\`${PROJECT}\`.\`emulator_scratch\`.\`param_probe\``;
    await run(`INSERT INTO ${probe} (id, ts) VALUES ('a', TIMESTAMP '2026-01-02')`);
    const merge = (condition: string) =>
      `MERGE ${probe} AS t USING ${probe} AS s ON t.id = s.id AND ${condition} WHEN NOT MATCHED BY TARGET THEN INSERT (id, ts) VALUES (s.id, s.ts)`;
    await run(merge("t.ts >= TIMESTAMP '2026-01-01'"));
    expect((await run(`SELECT COUNT(*) AS n FROM ${probe}`))[0].n).toBe(1); // a literal: matched, nothing inserted
    await run(merge("t.ts >= @run_time"), new Date("2026-01-01T00:00:00Z"));
    // Real BigQuery: still 1 row. The emulator: the row is inserted again.
    expect((await run(`SELECT COUNT(*) AS n FROM ${probe}`))[0].n).toBe(2);
  });

  test("first run: one row per event_id, events over three days, late events only inside the lookback", async () => {
    await bq.insertAll(`${CONFIG.datasetPrefix}raw`, "wiki_changes", BATCH_1);
    await onEmulator(stagingLoadSql, RUN_1);

    afterFirst = expectedStaged(BATCH_1, RUN_1);
    const rows = await stagedRows();
    expect(rows.map((r) => r.event_id)).toEqual([...afterFirst.keys()].sort());
    // Independently: 11 distinct events in raw, 2 older than 48 hours.
    expect(rows).toHaveLength(9);
    expect(rows.map((r) => r.event_id)).toContain("e09"); // 47 hours late: accepted
    expect(rows.map((r) => r.event_id)).not.toContain("e10"); // 50 hours late: left in raw
    expect(rows.map((r) => r.event_id)).not.toContain("e11");
    const days = new Set(rows.map((r) => r.event_time.slice(0, 10)));
    expect(days.size).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.ingested_at).not.toBeNull();
      expect(row.staged_at).not.toBeNull();
    }
  });

  test("second run over the same raw data changes nothing", async () => {
    const before = await stagedRows();
    await onEmulator(stagingLoadSql, RUN_1);
    expect(await stagedRows()).toEqual(before);
  });

  test("a replay after a reconnect adds nothing; an event arriving 30 hours late is still staged", async () => {
    await bq.insertAll(`${CONFIG.datasetPrefix}raw`, "wiki_changes", BATCH_2);
    await onEmulator(stagingLoadSql, RUN_2);
    const expected = expectedStaged([...BATCH_1, ...BATCH_2], RUN_2, new Set(afterFirst.keys()));
    const rows = await stagedRows();
    expect(rows.map((r) => r.event_id)).toEqual([...expected.keys()].sort());
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => r.event_id)).toContain("e12");
    expect(rows.map((r) => r.event_id)).not.toContain("e13");
    // Still exactly one row per event.
    const [dups] = await run(
      `SELECT COUNT(*) AS n FROM (SELECT event_id FROM ${STAGED} GROUP BY event_id HAVING COUNT(*) > 1)`,
    );
    expect(dups.n).toBe(0);
    // And once more: nothing changes.
    await onEmulator(stagingLoadSql, RUN_2);
    expect(await stagedRows()).toEqual(rows);
  });

  test("quality/duplicate_check.sql sees the duplicates raw holds", async () => {
    const sql = renderSqlFile("quality/duplicate_check.sql", mv.stack.elt.bindings);
    const [row] = await run(sql);
    const all = [...BATCH_1, ...BATCH_2];
    const copies = new Map<string, number>();
    for (const r of all) copies.set(r.event_id, (copies.get(r.event_id) ?? 0) + 1);
    expect(row).toEqual({
      distinct_ids: copies.size,
      raw_rows: all.length,
      surplus_rows: all.length - copies.size,
      duplicated_ids: [...copies.values()].filter((n) => n > 1).length,
      max_copies_per_id: Math.max(...copies.values()),
    });
    expect(row.max_copies_per_id).toBe(4); // e01: three copies, then a replay
  });
});

describe("leaderboard on the BigQuery emulator", () => {
  const expectedBoard = () =>
    expectedLeaderboard(
      expectedStaged([...BATCH_1, ...BATCH_2], RUN_2, new Set(expectedStaged(BATCH_1, RUN_1).keys())).values(),
    );

  test("the materialized view's query: changes per user, all event types, no NULL user", async () => {
    const rows = await run(`${leaderboardMvSql.replace(/\s*$/, "")}\nORDER BY changes_count DESC, \`user\``);
    expect(rows).toEqual(expectedBoard());
    // Independently: alice 2, bob 3 (e03, e04, e12), carol 2, dave 1, erin 1.
    expect(rows).toEqual([
      { user: "bob", changes_count: 3 },
      { user: "alice", changes_count: 2 },
      { user: "carol", changes_count: 2 },
      { user: "dave", changes_count: 1 },
      { user: "erin", changes_count: 1 },
    ]);
  });

  test("the scheduled full refresh (MERGE) fixes stale counts, adds and removes users, and is idempotent", async () => {
    await createFromSynth(refresh.resources, ["leaderboard"]);
    await run(`INSERT INTO ${LEADERBOARD} (\`user\`, changes_count) VALUES ('alice', 99), ('zoe', 7)`);
    await onEmulator(leaderboardRefreshSql, RUN_2);
    const read = () => run(`SELECT \`user\`, changes_count FROM ${LEADERBOARD} ORDER BY changes_count DESC, \`user\``);
    expect(await read()).toEqual(expectedBoard());
    await onEmulator(leaderboardRefreshSql, RUN_2);
    expect(await read()).toEqual(expectedBoard());
  });

  test("reporting/leaderboard_ranked.sql: most changes first, ties ordered by user, with ranks", async () => {
    const rows = await run(renderSqlFile("reporting/leaderboard_ranked.sql", refresh.stack.elt.bindings));
    expect(rows).toEqual([
      { rank: 1, user: "bob", changes_count: 3 },
      { rank: 2, user: "alice", changes_count: 2 },
      { rank: 2, user: "carol", changes_count: 2 },
      { rank: 4, user: "dave", changes_count: 1 },
      { rank: 4, user: "erin", changes_count: 1 },
    ]);
  });
});
