/**
 * The demo's reads of the reporting layer beyond the leaderboard: the staging load mid-replay,
 * `leaderboard_live` while staging covers only part of raw, and the windowed aggregates, all with
 * the SQL the local stack deploys and only the emulator adaptations of tools/emulators/emulator-sql.ts.
 */
import { BigQuery } from "@google-cloud/bigquery";
import { asOf, scriptOnEmulator } from "../tools/emulators/emulator-sql";
import { LocalResources } from "./local-stack";

const quoted = (project: string, dataset: string, table: string) => `\`${project}\`.\`${dataset}\`.\`${table}\``;
let scratchCount = 0;

/** Runs a deployed scheduled query's script at `runTime` on the emulator. */
export async function runScheduledScript(
  bigquery: BigQuery,
  resources: LocalResources,
  transferId: string,
  runTime: Date,
): Promise<void> {
  const { synthesized, config } = resources;
  const script: string = synthesized.resource.google_bigquery_data_transfer_config[transferId].params.query;
  const scratchDataset = `${config.datasetPrefix}demo_scratch`;
  const [exists] = await bigquery.dataset(scratchDataset).exists();
  if (!exists) await bigquery.createDataset(scratchDataset, { location: config.location });
  await scriptOnEmulator(
    script,
    runTime,
    () => quoted(config.projectId, scratchDataset, `script_source_${++scratchCount}`),
    async (statement) => (await bigquery.query({ query: statement }))[0],
    // The emulator's MERGE is quadratic: the insert-only staging MERGE runs as the equivalent INSERT.
    { insertOnlyAsInsert: true },
  );
}

/** The newest event time in raw plus a minute: the run time a backfill of the replay would use. */
export async function replayClock(bigquery: BigQuery, resources: LocalResources): Promise<Date> {
  const { wikiChanges } = resources.stack.warehouse;
  const [[{ newest }]] = await bigquery.query({
    query: `SELECT MAX(event_time) AS newest FROM ${quoted(resources.config.projectId, wikiChanges.datasetId, wikiChanges.tableId)}`,
  });
  return new Date(new Date(newest?.value ?? Date.now()).getTime() + 60_000);
}

/** The staging load (MERGE, then the high-water mark), as scheduled, at `runTime`. */
export async function stagingLoad(bigquery: BigQuery, resources: LocalResources, runTime: Date): Promise<void> {
  await runScheduledScript(bigquery, resources, resources.stack.elt.stagingLoad.resource.friendlyUniqueId, runTime);
}

/**
 * leaderboard_live's SQL as of `clock` (the replay's events are long past: the view's "now" is the
 * replay's clock). In materialized-view mode the view's query stands in for the view.
 */
export function liveLeaderboardSql(resources: LocalResources, clock: Date): string {
  const { stack, synthesized } = resources;
  const tables = synthesized.resource.google_bigquery_table;
  let sql: string = tables[stack.elt.views.leaderboard_live.resource.friendlyUniqueId].view.query;
  if (stack.elt.leaderboardView) {
    const view = stack.elt.leaderboardView;
    const mvQuery: string = tables[view.resource.friendlyUniqueId].materialized_view.query;
    sql = sql.split(quoted(resources.config.projectId, view.datasetId, view.tableId)).join(`(${mvQuery})`);
  }
  return asOf(sql, clock);
}

export interface WindowCounts {
  /** Rows of the tumbling table (changes per wiki per minute). */
  tumbling_rows: number;
  /** Rows of the hopping table (active editors per wiki over 5 minutes, every minute). */
  hopping_rows: number;
  /** Rows of the sessions table (editing sessions per user). */
  sessions: number;
}

/** Runs the three window scripts at `runTime`. */
export async function runWindows(bigquery: BigQuery, resources: LocalResources, runTime: Date): Promise<void> {
  const analytics = resources.stack.analytics;
  if (!analytics) return;
  for (const aggregate of [analytics.tumbling, analytics.hopping, analytics.sessions])
    await runScheduledScript(bigquery, resources, aggregate.query.resource.friendlyUniqueId, runTime);
}

/**
 * The windows from scratch at `runTime`: their tables emptied, then the three scripts. The demo's final
 * run does this instead of an incremental run on top of the mid-replay one: the emulator's MERGE
 * compares every target row with every source row, which made the incremental run take most of a
 * minute here; both give the same rows (test/sql/windows.emulator.test.ts covers the incremental runs).
 */
export async function recomputeWindows(bigquery: BigQuery, resources: LocalResources, runTime: Date): Promise<void> {
  const analytics = resources.stack.analytics;
  if (!analytics) return;
  for (const aggregate of [analytics.tumbling, analytics.hopping, analytics.sessions])
    for (const table of [aggregate.table, aggregate.lateEvents])
      await bigquery.query({
        query: `DELETE FROM ${quoted(resources.config.projectId, table.datasetId, table.tableId)} WHERE TRUE`,
      });
  await runWindows(bigquery, resources, runTime);
}

/** The row counts of the window tables: every window with at least one change, final or provisional. */
export async function windowCounts(bigquery: BigQuery, resources: LocalResources): Promise<WindowCounts> {
  const analytics = resources.stack.analytics;
  if (!analytics) return { tumbling_rows: 0, hopping_rows: 0, sessions: 0 };
  const count = async (table: { datasetId: string; tableId: string }): Promise<number> => {
    const [[{ n }]] = await bigquery.query({
      query: `SELECT COUNT(*) AS n FROM ${quoted(resources.config.projectId, table.datasetId, table.tableId)}`,
    });
    return Number(n);
  };
  return {
    tumbling_rows: await count(analytics.tumbling.table),
    hopping_rows: await count(analytics.hopping.table),
    sessions: await count(analytics.sessions.table),
  };
}
