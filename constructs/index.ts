/**
 * fresh-streams: the public API of the construct library.
 * Everything a user composes in their own cdktf stack is exported from here.
 */
export * from "./bigquery/table-schema";
export * from "./bigquery/duration";
export * from "./bigquery/table-options";
export * from "./bigquery/table-base";
export * from "./bigquery/layered-dataset";
export * from "./bigquery/streaming-table";
export * from "./bigquery/cdc-table";
export * from "./bigquery/background-reservation";
