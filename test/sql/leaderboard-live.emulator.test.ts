/**
 * reporting/leaderboard_live.sql (as the local stack deploys it, in both leaderboard modes) on the
 * BigQuery emulator, with the deployed staging load, against the exact count computed here from
 * the raw rows: changes per user over every distinct event, wherever the staging boundary is.
 *
 * Emulator adaptations (docs/emulator-limits.md): MERGE sources materialized, @run_time bound as a
 * literal; `_PARTITIONTIME` is the query time on the emulator, so the raw partition filter is checked
 * by ZetaSQL only. The view runs with the emulator's real CURRENT_TIMESTAMP(), except where a test
 * reads it "as of" a later time.
 */
import { BigQueryEmulator, BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { asOf, scriptOnEmulator } from "../../tools/emulators/emulator-sql";
import type { WikiChangeRow } from "../../app-worker/src/projection";
import { synthEnvironment } from "../support";

const HOUR = 3_600_000;
const MINUTE = 60_000;
const mv = synthEnvironment("local");
const refresh = synthEnvironment("local", (c) => ({ ...c, elt: { ...c.elt, leaderboard: "scheduled-refresh" } }));
const { config } = mv;
const PROJECT = config.projectId;
const L = config.elt.lookbackHours;

const stagingScript = (env: typeof mv) =>
  env.json.resource.google_bigquery_data_transfer_config[env.stack.elt.stagingLoad.resource.friendlyUniqueId].params
    .query as string;
const liveView = (env: typeof mv) =>
  env.json.resource.google_bigquery_table[env.stack.elt.views.leaderboard_live.resource.friendlyUniqueId].view
    .query as string;
const mvQuery = (env: typeof mv) =>
  env.json.resource.google_bigquery_table[env.stack.elt.leaderboardView!.resource.friendlyUniqueId].materialized_view
    .query as string;

const q = (dataset: string, table: string) => `\`${PROJECT}\`.\`${config.datasetPrefix}${dataset}\`.\`${table}\``;
const LEADERBOARD = q("reporting", "leaderboard");

let emulator: BigQueryEmulator;
let bq: BigQueryRestClient;
let scratch = 0;
const run = async (sql: string): Promise<any[]> => (await bq.query(sql)).rows;

function datasetIdOf(ref: string): string {
  const match = /^\$\{google_bigquery_dataset\.([^.]+)\.dataset_id\}$/.exec(ref);
  return match ? mv.json.resource.google_bigquery_dataset[match[1]].dataset_id : ref;
}

beforeAll(async () => {
  emulator = await startBigQueryEmulator({ projectId: PROJECT });
  bq = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
  for (const dataset of Object.values(mv.json.resource.google_bigquery_dataset) as any[])
    await bq.createDataset(dataset.dataset_id, dataset.location);
  for (const table of Object.values(mv.json.resource.google_bigquery_table) as any[]) {
    if (!table.schema) continue;
    const tp = table.time_partitioning;
    await bq.createTable(datasetIdOf(table.dataset_id), table.table_id, {
      schema: { fields: JSON.parse(table.schema) },
      timePartitioning: tp ? { type: tp.type, field: tp.field } : undefined,
    });
  }
  // The scheduled-refresh mode's leaderboard table (the materialized view is not a table on the emulator).
  await run(`CREATE TABLE ${LEADERBOARD} (\`user\` STRING NOT NULL, changes_count INT64 NOT NULL)`);
  await bq.createDataset("emulator_scratch", config.location);
}, 20 * 60_000);

afterAll(async () => {
  await emulator?.stop();
});

const NOW = Date.now();
let seq = 0;
function change(id: string, user: string | null, minutesAgo: number): WikiChangeRow {
  const at = new Date(NOW - minutesAgo * MINUTE).toISOString();
  return {
    event_id: id,
    id: ++seq,
    type: "edit",
    wiki: "enwiki",
    user,
    title: id,
    bot: false,
    namespace: 0,
    timestamp: at,
    event_time: at,
  };
}

const R1 = new Date(NOW - 60 * MINUTE);
const R2 = new Date(R1.getTime() + 15 * MINUTE);

/** Delivered before the first load. */
const A = [
  change("a1", "alice", 70),
  change("a1", "alice", 70), // duplicate
  change("a2", "alice", 65),
  change("b1", "bob", 64),
  change("n1", null, 63), // no user: never on a leaderboard
  change("c1", "carol", 20 * 60), // 20 hours late, inside the lookback
  change("old", "olga", (L + 5) * 60), // more than the lookback late: the warehouse leaves it in raw
];
/** Delivered after the first load, before the second: replays of staged events, new events, late ones. */
const B = [
  change("a1", "alice", 70), // replay of a staged event
  change("b1", "bob", 64), // replay of a staged event
  change("b2", "bob", 50),
  change("d1", "dave", 45),
  // Late: at or after the first load's covered_from (R1 - L) but before the second's own R2 - L.
  // Counted live at once; the second load must stage it (its window chains from the first mark).
  change("gap", "gina", L * 60 + 60 - 5),
];
/** Delivered after the second load. */
const C = [change("gap", "gina", L * 60 + 60 - 5), change("e1", "erin", 10), change("e2", "erin", 5)];

/** The exact answer: changes per distinct event id with a user, except events later than the lookback. */
function exact(rows: WikiChangeRow[]): { user: string; changes_count: number }[] {
  const byUser = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.user === null || row.event_id === "old") continue;
    if (!byUser.has(row.user)) byUser.set(row.user, new Set());
    byUser.get(row.user)!.add(row.event_id);
  }
  return [...byUser]
    .map(([user, ids]) => ({ user, changes_count: ids.size }))
    .sort((a, b) => b.changes_count - a.changes_count || (a.user < b.user ? -1 : 1));
}

const RAW = `${config.datasetPrefix}raw`;
/** The view's query, ordered (the emulator cannot parse a WITH query nested in FROM). */
const read = (view: string) => run(`${view.trimEnd()}\nORDER BY changes_count DESC, \`user\``);
const stagedIds = async () =>
  (await run(`SELECT event_id FROM ${q("staging", "wiki_staged")} ORDER BY event_id`)).map((r) => r.event_id);
const load = (runTime: Date) =>
  scriptOnEmulator(stagingScript(mv), runTime, () => `\`${PROJECT}\`.\`emulator_scratch\`.\`live_${++scratch}\``, run);

describe("leaderboard_live on the BigQuery emulator: exact wherever the staging boundary is", () => {
  test("the view under test is the deployed one: the staged counts of the materialized view plus the raw tail", () => {
    const sql = liveView(mv);
    expect(sql).toContain(`FROM ${LEADERBOARD}`);
    expect(sql).toContain(`FROM ${q("raw", "wiki_changes")} AS raw`);
    expect(sql).toContain(`FROM ${q("staging", "wiki_staged_watermark")}`);
    // In scheduled-refresh mode the staged counts come from wiki_staged itself (the table may be stale).
    expect(liveView(refresh)).not.toContain(`FROM ${LEADERBOARD}`);
  });

  const both = async (rows: WikiChangeRow[]) => {
    const expected = exact(rows);
    // Materialized-view mode: the emulator has no materialized views; the view's query stands in for it.
    expect(
      await read(
        liveView(mv)
          .split(LEADERBOARD)
          .join(`(${mvQuery(mv)})`),
      ),
    ).toEqual(expected);
    expect(await read(liveView(refresh))).toEqual(expected);
  };

  test("before the first load: everything comes from raw, duplicates once", async () => {
    await bq.insertAll(RAW, "wiki_changes", A);
    await both(A);
    expect(await stagedIds()).toEqual([]);
  });

  test("after the first load, with replays, new and late events delivered since: no double count, no gap", async () => {
    await load(R1);
    expect(await stagedIds()).toEqual(["a1", "a2", "b1", "c1", "n1"]);
    await both(A);
    await bq.insertAll(RAW, "wiki_changes", B);
    await both([...A, ...B]);
  });

  test("the second load stages the late event live already counted (the window chains from the first mark)", async () => {
    await load(R2);
    expect(await stagedIds()).toEqual(["a1", "a2", "b1", "b2", "c1", "d1", "gap", "n1"]);
    await both([...A, ...B]);
    await load(R2); // a re-run changes nothing
    await both([...A, ...B]);
    await bq.insertAll(RAW, "wiki_changes", C);
    await both([...A, ...B, ...C]);
  });

  test("the staged counts and the watermark stay consistent: staged + tail = exact, the tail alone is what is not staged", async () => {
    const staged = exact([...A, ...B]);
    const [{ n }] = await run(`SELECT COUNT(*) AS n FROM ${q("staging", "wiki_staged_watermark")}`);
    expect(n).toBe(3);
    // What the tail adds on top of staging: erin's two changes, from raw only.
    const live = await read(liveView(refresh));
    const diff = live
      .map((r) => ({
        ...r,
        changes_count: r.changes_count - (staged.find((s) => s.user === r.user)?.changes_count ?? 0),
      }))
      .filter((r) => r.changes_count > 0);
    expect(diff).toEqual([{ user: "erin", changes_count: 2 }]);
  });

  test("when the last staging run is older than the lookback, the view refuses to answer", async () => {
    const later = new Date(R2.getTime() + (L + 1) * HOUR);
    await expect(read(asOf(liveView(refresh), later))).rejects.toThrow(/last staging run .* is more than 48 hours old/);
  });
});
