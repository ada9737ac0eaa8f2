/**
 * The ZetaSQL catalog and placeholder bindings the SQL checks use: built from the same
 * TableSchemas the warehouse constructs use, under made-up project and dataset names
 * (the SQL never hard-codes them, so any names do).
 */
import {
  CatalogTable,
  columnsOf,
  datasetInformationSchema,
  INGESTION_TIME_PSEUDO_COLUMNS,
  regionInformationSchema,
} from "../../scripts/zetasql/analyzer";
import { eltSqlBindings } from "../../stacks/elt";
import {
  EMPLOYEES_SCHEMA,
  LEADERBOARD_SCHEMA,
  STREAMING_EVENTS_SCHEMA,
  WIKI_CHANGES_SCHEMA,
  WIKI_STAGED_SCHEMA,
} from "../../stacks/schemas";

export const PROJECT = "fresh-streams-check";
export const LOCATION = "US";
export const DATASETS = { raw: "check_raw", staging: "check_staging", reporting: "check_reporting" };

export const REFS = {
  wikiChanges: { project: PROJECT, datasetId: DATASETS.raw, tableId: "wiki_changes" },
  wikiStaged: { project: PROJECT, datasetId: DATASETS.staging, tableId: "wiki_staged" },
  leaderboard: { project: PROJECT, datasetId: DATASETS.reporting, tableId: "leaderboard" },
  streamingEvents: { project: PROJECT, datasetId: DATASETS.raw, tableId: "streaming_events" },
  employees: { project: PROJECT, datasetId: DATASETS.raw, tableId: "employees" },
};

export const LOOKBACK_HOURS = 48;

/** The bindings, exactly as the Elt construct builds them. */
export const BINDINGS = eltSqlBindings({
  wikiChanges: REFS.wikiChanges,
  wikiStaged: REFS.wikiStaged,
  leaderboard: REFS.leaderboard,
  streamingEvents: REFS.streamingEvents,
  cdcDataset: { project: PROJECT, datasetId: DATASETS.raw },
  region: { project: PROJECT, location: LOCATION },
  lookbackHours: LOOKBACK_HOURS,
});

const path = (ref: { project: string; datasetId: string; tableId: string }) => [
  ref.project,
  ref.datasetId,
  ref.tableId,
];

/** Tables, pseudo-columns and INFORMATION_SCHEMA views the SQL may read. */
export const CATALOG: CatalogTable[] = [
  // Ingestion-time partitioned: _PARTITIONTIME and _PARTITIONDATE exist.
  { path: path(REFS.wikiChanges), columns: [...columnsOf(WIKI_CHANGES_SCHEMA), ...INGESTION_TIME_PSEUDO_COLUMNS] },
  // Column-partitioned tables have no _PARTITIONTIME.
  { path: path(REFS.wikiStaged), columns: columnsOf(WIKI_STAGED_SCHEMA) },
  { path: path(REFS.leaderboard), columns: columnsOf(LEADERBOARD_SCHEMA) },
  { path: path(REFS.streamingEvents), columns: columnsOf(STREAMING_EVENTS_SCHEMA) },
  { path: path(REFS.employees), columns: columnsOf(EMPLOYEES_SCHEMA) },
  ...datasetInformationSchema(PROJECT, DATASETS.raw),
  ...regionInformationSchema(PROJECT, LOCATION),
];

export { SCHEDULED_QUERY_PARAMETERS } from "../../scripts/zetasql/deployed-sql";
