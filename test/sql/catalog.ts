/**
 * The ZetaSQL catalog and placeholder bindings the SQL checks use: built from the same
 * TableSchemas the warehouse constructs use, under made-up project and dataset names
 * (the SQL never hard-codes them, so any names do).
 */
import { CatalogTable } from "../../tools/zetasql/analyzer";
import { warehouseCatalog } from "../../tools/zetasql/deployed-sql";
import { eltSqlBindings } from "../../stacks/elt";

export const PROJECT = "fresh-streams-check";
export const LOCATION = "US";
const DATASET_PREFIX = "check_";
export const DATASETS = {
  raw: `${DATASET_PREFIX}raw`,
  staging: `${DATASET_PREFIX}staging`,
  reporting: `${DATASET_PREFIX}reporting`,
};

export const REFS = {
  wikiChanges: { project: PROJECT, datasetId: DATASETS.raw, tableId: "wiki_changes" },
  wikiStaged: { project: PROJECT, datasetId: DATASETS.staging, tableId: "wiki_staged" },
  leaderboard: { project: PROJECT, datasetId: DATASETS.reporting, tableId: "leaderboard" },
  streamingEvents: { project: PROJECT, datasetId: DATASETS.raw, tableId: "streaming_events" },
  stagingWatermark: { project: PROJECT, datasetId: DATASETS.staging, tableId: "wiki_staged_watermark" },
  employees: { project: PROJECT, datasetId: DATASETS.raw, tableId: "employees" },
};

export const LOOKBACK_HOURS = 48;

/** The bindings, exactly as the Elt construct builds them. */
export const BINDINGS = eltSqlBindings({
  wikiChanges: REFS.wikiChanges,
  wikiStaged: REFS.wikiStaged,
  leaderboard: REFS.leaderboard,
  streamingEvents: REFS.streamingEvents,
  stagingWatermark: REFS.stagingWatermark,
  stagedCounts: REFS.leaderboard,
  cdcDataset: { project: PROJECT, datasetId: DATASETS.raw },
  region: { project: PROJECT, location: LOCATION },
  lookbackHours: LOOKBACK_HOURS,
});

/** The bindings of the reservation's sizing query (BackgroundReservation.sizingQuery): the ELT's and its reservation. */
export const RESERVATION_BINDINGS = { ...BINDINGS, "reservation.id": `'${PROJECT}:${LOCATION}.cdc-background'` };

/** Tables, pseudo-columns and INFORMATION_SCHEMA views the SQL may read (the same catalog the deployed-SQL check uses). */
export const CATALOG: CatalogTable[] = warehouseCatalog(PROJECT, DATASET_PREFIX, LOCATION);

export { SCHEDULED_QUERY_PARAMETERS } from "../../tools/zetasql/deployed-sql";

/** The window aggregates of stacks/analytics.ts, rendered as the Analytics layer renders them, in the check datasets. */
export const WINDOW_BINDINGS = (() => {
  const { windowSqlBindings, windowSqlFiles } =
    require("../../constructs/bigquery/windowed-aggregate") as typeof import("../../constructs/bigquery/windowed-aggregate");
  const { WindowKind } =
    require("../../constructs/bigquery/window-kind") as typeof import("../../constructs/bigquery/window-kind");
  const { Duration } = require("../../constructs/core/duration") as typeof import("../../constructs/core/duration");
  const { WINDOW_TABLES } = require("../../stacks/analytics") as typeof import("../../stacks/analytics");
  const table = (tableId: string) => ({ project: PROJECT, datasetId: DATASETS.reporting, tableId });
  const aggregates = [
    ["tumbling", WINDOW_TABLES.tumbling, WindowKind.tumbling(Duration.minutes(1)), "wiki", "changes", "event_id"],
    [
      "hopping",
      WINDOW_TABLES.hopping,
      WindowKind.hopping(Duration.minutes(5), Duration.minutes(1)),
      "wiki",
      "active_editors",
      "user",
    ],
    ["sessions", WINDOW_TABLES.sessions, WindowKind.session(Duration.minutes(30)), "user", "changes", "event_id"],
  ] as const;
  return aggregates.map(([name, tableId, window, keyColumn, measure, countDistinct]) => ({
    name,
    files: windowSqlFiles(window, true),
    bindings: windowSqlBindings({
      source: REFS.wikiStaged,
      mark: REFS.stagingWatermark,
      markColumn: "recorded_at",
      table: table(tableId),
      late: table(`${tableId}_late_events`),
      ingested: REFS.wikiChanges,
      window,
      keyColumn,
      measure,
      countDistinct,
      timeColumn: "event_time",
      idColumn: "event_id",
      arrivalColumn: "staged_at",
      allowedLateness: Duration.minutes(10),
      sourceHorizon: Duration.hours(97),
    }),
  }));
})();
