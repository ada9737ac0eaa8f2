/**
 * Runs the ELT of the local stack on the BigQuery emulator: the staging load exactly as the
 * stack schedules it (the scheduled query's `params.query`), then the leaderboard (the
 * materialized view's query, or the scheduled refresh), with only the emulator adaptations
 * of tools/emulators/emulator-sql.ts.
 */
import { BigQuery } from "@google-cloud/bigquery";
import { mergeOnEmulator } from "../tools/emulators/emulator-sql";
import { stagingLoad } from "./analytics";
import { LocalResources } from "./local-stack";
import { LeaderboardRow } from "./report";

export interface EltResult {
  /** @run_time the staging load ran as. */
  runTime: Date;
  stagedRows: number;
  top10: LeaderboardRow[];
}

const quoted = (project: string, dataset: string, table: string) => `\`${project}\`.\`${dataset}\`.\`${table}\``;

/**
 * What to read for the leaderboard: the materialized view's query in parentheses (the emulator has no
 * materialized views), or the table the scheduled refresh writes.
 */
export function leaderboardSource(resources: LocalResources): string {
  const { stack, synthesized, config } = resources;
  if (stack.elt.leaderboardView)
    return `(${synthesized.resource.google_bigquery_table[stack.elt.leaderboardView.resource.friendlyUniqueId].materialized_view.query})`;
  const table = stack.warehouse.leaderboard;
  if (stack.elt.leaderboardRefresh && table) return quoted(config.projectId, table.datasetId, table.tableId);
  throw new Error("the local stack has no leaderboard (neither a materialized view nor a scheduled refresh)");
}

export async function runElt(bigquery: BigQuery, resources: LocalResources): Promise<EltResult> {
  const { stack, synthesized, config } = resources;
  const warehouse = stack.warehouse;
  const run = async (statement: string): Promise<any[]> => (await bigquery.query({ query: statement }))[0];
  const raw = quoted(config.projectId, warehouse.wikiChanges.datasetId, warehouse.wikiChanges.tableId);
  const staged = quoted(config.projectId, warehouse.wikiStaged.datasetId, warehouse.wikiStaged.tableId);

  // A replay's events are older than "now": run the load as a backfill run would, as of the newest event,
  // so that the whole replay falls inside the lookback window.
  const [{ newest }] = await run(`SELECT MAX(event_time) AS newest FROM ${raw}`);
  const runTime = new Date(new Date(newest?.value ?? Date.now()).getTime() + 60_000);

  const transfers = synthesized.resource.google_bigquery_data_transfer_config;
  const scratchDataset = `${config.datasetPrefix}demo_scratch`;
  // The staging script: its MERGE, then the high-water mark.
  await stagingLoad(bigquery, resources, runTime);
  const [{ n: stagedRows }] = await run(`SELECT COUNT(*) AS n FROM ${staged}`);

  if (stack.elt.leaderboardRefresh && warehouse.leaderboard) {
    const refreshSql: string = transfers[stack.elt.leaderboardRefresh.resource.friendlyUniqueId].params.query;
    await mergeOnEmulator(refreshSql, runTime, quoted(config.projectId, scratchDataset, "leaderboard_source"), run);
  }
  return { runTime, stagedRows: Number(stagedRows), top10: await leaderboardTop10(bigquery, resources) };
}

/** The leaderboard's top 10 now (by changes_count descending, then user). */
export async function leaderboardTop10(bigquery: BigQuery, resources: LocalResources): Promise<LeaderboardRow[]> {
  const [top] = await bigquery.query({
    query: `SELECT \`user\`, changes_count FROM ${leaderboardSource(resources)} ORDER BY changes_count DESC, \`user\` LIMIT 10`,
  });
  return top.map((row: any) => ({ user: String(row.user), changes_count: Number(row.changes_count) }));
}
