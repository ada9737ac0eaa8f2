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

/** Tables, pseudo-columns and INFORMATION_SCHEMA views the SQL may read (the same catalog the deployed-SQL check uses). */
export const CATALOG: CatalogTable[] = warehouseCatalog(PROJECT, DATASET_PREFIX, LOCATION);

export { SCHEDULED_QUERY_PARAMETERS } from "../../tools/zetasql/deployed-sql";
