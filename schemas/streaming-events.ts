import { TableSchema } from "./table-schema";

/** General-purpose event table for real-time dashboards. */
export const STREAMING_EVENTS_SCHEMA = new TableSchema(
  [
    { name: "event_id", type: "STRING", mode: "REQUIRED", description: "unique event id" },
    { name: "event_type", type: "STRING", mode: "REQUIRED", description: "kind of event, e.g. page_view" },
    { name: "user_id", type: "STRING", description: "user the event belongs to" },
    { name: "page", type: "STRING", description: "page the event happened on" },
    { name: "event_timestamp", type: "TIMESTAMP", description: "when the event happened at the source" },
    { name: "payload", type: "JSON", description: "event-specific attributes" },
    {
      name: "_inserted_at",
      type: "TIMESTAMP",
      description: "when BigQuery received the row; the partitioning column",
      defaultValueExpression: "CURRENT_TIMESTAMP()",
    },
  ],
  { name: "streaming_events" },
);
