import { TableSchema } from "./table-schema";

/**
 * Raw layer: one row per Wikimedia recentchange event, exactly as the worker projects it.
 * The worker's message keys are exactly these column names (see app-worker/src/projection.ts).
 */
export const WIKI_CHANGES_SCHEMA = new TableSchema(
  [
    {
      name: "event_id",
      type: "STRING",
      mode: "REQUIRED",
      description: "meta.id of the event, or a stable hash of it when missing; the de-duplication key",
    },
    { name: "id", type: "INT64", description: "recentchange id (absent for some log events)" },
    { name: "type", type: "STRING", description: "edit, new, log, categorize or external" },
    { name: "wiki", type: "STRING", description: "wiki database name, e.g. enwiki" },
    { name: "user", type: "STRING", description: "user name (or IP address) that made the change" },
    { name: "title", type: "STRING", description: "page title" },
    { name: "bot", type: "BOOL", description: "whether the change was flagged as made by a bot" },
    { name: "namespace", type: "INT64", description: "namespace id of the page" },
    { name: "timestamp", type: "TIMESTAMP", description: "time of the change (from the event's Unix seconds)" },
    { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED", description: "meta.dt: when the event was emitted" },
  ],
  { name: "wiki_changes" },
);
