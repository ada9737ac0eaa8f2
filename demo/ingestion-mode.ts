/**
 * The demo's ingestion modes and the one piece of glue direct mode needs from the stack.
 *
 * - `pubsub` (the default): the worker publishes to the ingestion topic; the local bridge drains its
 *   subscription into `wiki_changes` (it stands in for Dataflow or the BigQuery subscription).
 * - `direct`: the worker writes `wiki_changes` itself (`SINK=storage-write` or `insert-all`) and refused
 *   rows to `wiki_changes_errors`; there is no ingestion topic, subscription or bridge. Page-state
 *   changes (CDC) stay on Pub/Sub in both modes.
 *
 * In direct mode the demo synthesizes the `local` stack with `ingestion.mode: "direct"`: the stack
 * then declares no ingestion topic or subscription, and declares the raw error table.
 */
import { LocalResources } from "./local-stack";

export const DEMO_MODES = ["pubsub", "direct"] as const;
export type DemoMode = (typeof DEMO_MODES)[number];

/** `dataset.table` of the raw error table the direct-mode stack declares (`wiki_changes_errors`). */
export function rawErrorTableOf(resources: LocalResources): string {
  const table = resources.stack.ingestion.errorTable;
  if (!table) throw new Error("the local stack declares no raw error table: synthesize it with ingestion.mode direct");
  return `${table.datasetId}.${table.tableId}`;
}
