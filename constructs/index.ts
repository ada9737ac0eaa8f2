/**
 * fresh-streams: the public API of the construct library.
 * Everything a user composes in their own cdktf stack is exported from here.
 */
export * from "./bigquery/table-schema";
