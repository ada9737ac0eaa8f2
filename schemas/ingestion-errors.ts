import { TableSchema } from "./table-schema";

/**
 * The raw error table (`wiki_changes_errors`): rows that could not be written to the raw table.
 * The shape of the Google-provided Dataflow template's dead-letter table, so that the Dataflow
 * path (the job writes it) and the direct path (the worker writes it) fill the same table the
 * same way; the health checks and alerts read one shape.
 */
export const INGESTION_ERRORS_SCHEMA = new TableSchema(
  [
    { name: "timestamp", type: "TIMESTAMP", mode: "REQUIRED", description: "when the failure happened" },
    { name: "payloadString", type: "STRING", mode: "REQUIRED", description: "the message data as text" },
    { name: "payloadBytes", type: "BYTES", mode: "REQUIRED", description: "the message data as bytes" },
    {
      name: "attributes",
      type: "RECORD",
      mode: "REPEATED",
      description: "the message attributes",
      fields: [
        { name: "key", type: "STRING" },
        { name: "value", type: "STRING" },
      ],
    },
    { name: "errorMessage", type: "STRING", description: "why the message could not be written" },
    { name: "stacktrace", type: "STRING", description: "where it failed" },
  ],
  { name: "dataflow_deadletter" },
);

/** The error table's id beside a raw table: `<table>_errors` (the Dataflow template's convention here). */
export function errorTableIdFor(tableId: string): string {
  return `${tableId}_errors`;
}
