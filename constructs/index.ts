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
export * from "./bigquery/reporting-table";
export * from "./bigquery/cdc-table";
export * from "./bigquery/background-reservation";
export * from "./pubsub/avro-schema";
export type { BigQueryTableTarget } from "./pubsub/iam-members";
export { pubsubServiceAgentEmail } from "./pubsub/iam-members";
export * from "./pubsub/stream-subscription";
export * from "./pubsub/stream-topic";
export * from "./dataflow/pubsub-to-bigquery-job";
export * from "./project/project-services";
export * from "./bigquery/sql-template";
export * from "./bigquery/view";
export * from "./bigquery/materialized-view";
export * from "./bigquery/scheduled-query";
export * from "./worker/sse-publisher-service";
export * from "./policy";
