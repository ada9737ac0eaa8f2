/**
 * The SQL an environment deploys, and the ZetaSQL catalog to check it against.
 *
 * Synthesizes the environment's stack, collects every scheduled query, view and materialized
 * view query, and builds a catalog from the same TableSchemas the warehouse uses, under the
 * environment's own project, dataset and location names.
 */
import * as path from "node:path";
import { Testing } from "cdktf";
import { loadEnvironment } from "../../config/load";
import { EnvironmentConfig } from "../../config/schema";
import { StreamingAnalyticsStack } from "../../stacks/streaming-analytics-stack";
import {
  EMPLOYEES_SCHEMA,
  LEADERBOARD_SCHEMA,
  STREAMING_EVENTS_SCHEMA,
  WIKI_CHANGES_SCHEMA,
  WIKI_STAGED_SCHEMA,
  WIKI_STAGED_WATERMARK_SCHEMA,
} from "../../schemas";
import { scriptStatements } from "../../constructs/bigquery/sql-script";
import { lateEventsSchema, windowTableSchema } from "../../constructs/bigquery/windowed-aggregate";
import { WindowKind } from "../../constructs/bigquery/window-kind";
import { Duration } from "../../constructs/core/duration";
import { WINDOW_TABLES } from "../../stacks/analytics";
import {
  CatalogTable,
  columnsOf,
  datasetInformationSchema,
  INGESTION_TIME_PSEUDO_COLUMNS,
  QueryParameter,
  regionInformationSchema,
  simpleType,
} from "./analyzer";

/** One deployed statement. */
export interface DeployedStatement {
  /** What deploys it, e.g. `view cdc_apply_watermark` or the scheduled query's display name. */
  readonly what: string;
  readonly sql: string;
}

/** Query parameters a scheduled query receives from the Data Transfer Service. */
export const SCHEDULED_QUERY_PARAMETERS: QueryParameter[] = [
  { name: "run_time", type: simpleType("TIMESTAMP") },
  { name: "run_date", type: simpleType("DATE") },
];

/**
 * The warehouse's tables (from the TableSchemas) and the INFORMATION_SCHEMA views, under a
 * project, a dataset prefix (`<prefix>raw`, `<prefix>staging`, `<prefix>reporting`) and a location.
 */
export function warehouseCatalog(projectId: string, datasetPrefix: string, location: string): CatalogTable[] {
  const ref = (layer: string, tableId: string) => [projectId, `${datasetPrefix}${layer}`, tableId];
  return [
    // Ingestion-time partitioned: _PARTITIONTIME and _PARTITIONDATE exist. Column-partitioned tables have neither.
    {
      path: ref("raw", "wiki_changes"),
      columns: [...columnsOf(WIKI_CHANGES_SCHEMA), ...INGESTION_TIME_PSEUDO_COLUMNS],
    },
    { path: ref("staging", "wiki_staged"), columns: columnsOf(WIKI_STAGED_SCHEMA) },
    { path: ref("staging", "wiki_staged_watermark"), columns: columnsOf(WIKI_STAGED_WATERMARK_SCHEMA) },
    ...windowCatalog(ref),
    { path: ref("reporting", "leaderboard"), columns: columnsOf(LEADERBOARD_SCHEMA) },
    { path: ref("raw", "streaming_events"), columns: columnsOf(STREAMING_EVENTS_SCHEMA) },
    { path: ref("raw", "employees"), columns: columnsOf(EMPLOYEES_SCHEMA) },
    ...datasetInformationSchema(projectId, `${datasetPrefix}raw`),
    ...regionInformationSchema(projectId, location),
  ];
}

/** The window tables of stacks/analytics.ts and their late-events tables, in the reporting dataset. */
function windowCatalog(ref: (layer: string, tableId: string) => string[]): CatalogTable[] {
  const minute = Duration.minutes(1);
  const tables: [string, WindowKind, string, string][] = [
    [WINDOW_TABLES.tumbling, WindowKind.tumbling(minute), "wiki", "changes"],
    [WINDOW_TABLES.hopping, WindowKind.hopping(Duration.minutes(5), minute), "wiki", "active_editors"],
    [WINDOW_TABLES.sessions, WindowKind.session(Duration.minutes(30)), "user", "changes"],
  ];
  return tables.flatMap(([tableId, kind, key, measure]) => [
    { path: ref("reporting", tableId), columns: columnsOf(windowTableSchema(kind, key, measure, tableId)) },
    {
      path: ref("reporting", `${tableId}_late_events`),
      columns: columnsOf(lateEventsSchema(key, `${tableId}_late_events`)),
    },
  ]);
}

/** The catalog of an environment, under its own project, dataset and location names. */
export function environmentCatalog(config: EnvironmentConfig): CatalogTable[] {
  return warehouseCatalog(config.projectId, config.datasetPrefix, config.location);
}

/** Synthesizes `config/<name>.json`'s stack and returns its SQL and catalog. */
export function deployedSql(name: string, configDir = path.join(__dirname, "..", "..", "config")) {
  const { config } = loadEnvironment(path.join(configDir, `${name}.json`));
  const stack = new StreamingAnalyticsStack(Testing.app(), name, { environment: name, config });
  const resources = JSON.parse(Testing.synth(stack)).resource;
  const statements: DeployedStatement[] = [];
  for (const t of Object.values(resources.google_bigquery_data_transfer_config ?? {}) as any[]) {
    // A script is analyzed statement by statement (ZetaSQL analyzes one statement at a time).
    const parts = scriptStatements(t.params.query);
    parts.forEach((sql, i) =>
      statements.push({
        what: `scheduled query "${t.display_name}"${parts.length > 1 ? ` statement ${i + 1}` : ""}`,
        sql,
      }),
    );
  }
  for (const t of Object.values(resources.google_bigquery_table ?? {}) as any[]) {
    if (t.view) statements.push({ what: `view ${t.table_id}`, sql: t.view.query });
    if (t.materialized_view)
      statements.push({ what: `materialized view ${t.table_id}`, sql: t.materialized_view.query });
  }
  return { name, config, statements, catalog: environmentCatalog(config) };
}
