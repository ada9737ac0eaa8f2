/**
 * The demo's ingestion modes and the one piece of glue direct mode needs from the stack.
 *
 * - `pubsub` (the default): the worker publishes to the ingestion topic; the local bridge drains its
 *   subscription into `wiki_changes` (it stands in for Dataflow or the BigQuery subscription).
 * - `direct`: the worker writes `wiki_changes` itself (`SINK=storage-write` or `insert-all`) and refused
 *   rows to `wiki_changes_errors`; there is no ingestion topic, subscription or bridge. Page-state
 *   changes (CDC) stay on Pub/Sub in both modes.
 *
 * Until the stack declares `ingestion.mode: "direct"` itself, {@link directIngestionResources} derives
 * what such a stack declares from the synthesized `local` stack: the ingestion topics and their
 * subscriptions removed, the raw error table added when the stack does not already declare it. Once
 * the stack does, replace the call with synthesizing the local config with `ingestion.mode` "direct"
 * (the error-table addition then finds the table declared and adds nothing).
 */
import { INGESTION_ERRORS_SCHEMA, errorTableIdFor } from "../schemas/ingestion-errors";
import { INGESTION_NAMES } from "../stacks/ingestion";
import { LocalResources, LocalTable } from "./local-stack";

export const DEMO_MODES = ["pubsub", "direct"] as const;
export type DemoMode = (typeof DEMO_MODES)[number];
export const DIRECT_SINKS = ["storage-write", "insert-all"] as const;
export type DirectSink = (typeof DIRECT_SINKS)[number];

/** The raw table the ingestion writes (`wiki_changes`) as the stack declares it. */
export function rawTableOf(resources: LocalResources): LocalTable {
  const { datasetId, tableId } = resources.stack.warehouse.wikiChanges;
  const table = resources.tables.find((t) => t.datasetId === datasetId && t.tableId === tableId);
  if (!table) throw new Error(`the local stack declares no raw table ${datasetId}.${tableId}`);
  return table;
}

/** `dataset.table` of the raw error table beside the raw table (`wiki_changes_errors`). */
export function rawErrorTableOf(resources: LocalResources): string {
  const raw = rawTableOf(resources);
  return `${raw.datasetId}.${errorTableIdFor(raw.tableId)}`;
}

/**
 * The local stack's resources as a direct-mode stack declares them: no ingestion topic, dead-letter
 * topic or subscription on them, and the raw error table (schema `INGESTION_ERRORS_SCHEMA`) in the raw
 * dataset. Every other resource, the CDC topic and subscription included, is left as synthesized.
 */
export function directIngestionResources(resources: LocalResources): LocalResources {
  const ingestionTopics = new Set<string>([INGESTION_NAMES.topic, INGESTION_NAMES.deadLetterTopic]);
  const raw = rawTableOf(resources);
  const errorTableId = errorTableIdFor(raw.tableId);
  const declared = resources.tables.some((t) => t.datasetId === raw.datasetId && t.tableId === errorTableId);
  return {
    ...resources,
    topics: resources.topics.filter((t) => !ingestionTopics.has(t.name)),
    subscriptions: resources.subscriptions.filter((s) => !ingestionTopics.has(s.topic)),
    tables: declared
      ? resources.tables
      : [
          ...resources.tables,
          { datasetId: raw.datasetId, tableId: errorTableId, schema: INGESTION_ERRORS_SCHEMA.toBigQueryJson() },
        ],
  };
}
