/**
 * fresh-streams: the public API of the construct library, listed name by name. Anything not
 * exported here is private to the library and may change without notice. `docs/api.md` is
 * generated from this file by `npm run docs`: each `//` comment below is a heading there, and the
 * first sentence of each name's JSDoc its line.
 */

// Core: time, identities and the reference interfaces every construct takes.
export { Duration } from "./core/duration";
export { Size } from "./core/size";
export { Principal } from "./core/principal";
export type { IGrantable, IPrincipal } from "./core/principal";
export type { IDataset, IResource, ISubscription, ITable, ITopic, RowWriteApi } from "./core/references";
export { movedFrom } from "./core/moved-from";
export type { ResourceMove } from "./core/moved-from";

// Schemas as code.
export { TableSchema } from "../schemas/table-schema";
export type {
  BigQueryJsonField,
  ColumnDefinition,
  ColumnMode,
  ColumnType,
  RangeElementType,
  TableSchemaOptions,
} from "../schemas/table-schema";

// Change data capture: the pseudo-columns and sequence numbers of BigQuery CDC.
export {
  CDC_PSEUDO_COLUMNS,
  compareSequenceNumbers,
  encodeSequenceNumber,
  sequenceNumberProblem,
} from "../schemas/cdc-sequence";
export type { ChangeType } from "../schemas/cdc-sequence";

// Schema evolution: which changes of a table schema roll out beside the old writer.
export { assertRollingSchemaChange, COLUMN_MIGRATION, diffTableSchemas } from "../schemas/schema-evolution";
export type { SchemaChange, SchemaChangeKind } from "../schemas/schema-evolution";

// BigQuery: datasets, tables, views, scheduled queries, reservations.
export { DatasetBase } from "./bigquery/dataset-base";
export { LayeredDataset } from "./bigquery/layered-dataset";
export type { DatasetAttributes, LayeredDatasetProps, WarehouseLayer } from "./bigquery/layered-dataset";
export { Partitioning } from "./bigquery/table-options";
export type {
  IngestionTimePartitioning,
  IntegerRangePartitioning,
  NoPartitioning,
  TimeColumnPartitioning,
  TimeGranularity,
} from "./bigquery/table-options";
export { TableBase } from "./bigquery/table-base";
export type { TableNames } from "./bigquery/table-grants";
export { NativeTableBase } from "./bigquery/native-table-base";
export type { NativeTableOptions } from "./bigquery/native-table-base";
export { StreamingTable } from "./bigquery/streaming-table";
export type { StreamingTableProps } from "./bigquery/streaming-table";
export { ReportingTable } from "./bigquery/reporting-table";
export type { ReportingTableProps } from "./bigquery/reporting-table";
export { CdcTable, recommendedMaxStaleness } from "./bigquery/cdc-table";
export type { CdcTableProps } from "./bigquery/cdc-table";
export { TableReference } from "./bigquery/table-reference";
export type { TableAttributes } from "./bigquery/table-reference";
export { BackgroundReservation } from "./bigquery/background-reservation";
export type {
  BackgroundJobType,
  BackgroundReservationProps,
  CapacityCommitmentOptions,
  CommitmentPlan,
  ReservationEdition,
} from "./bigquery/background-reservation-props";
export { View } from "./bigquery/view";
export type { ViewProps } from "./bigquery/view";
export { MaterializedView } from "./bigquery/materialized-view";
export type { MaterializedViewProps } from "./bigquery/materialized-view";
export { ScheduledQuery } from "./bigquery/scheduled-query";
export type { ScheduledQueryDestination, ScheduledQueryProps } from "./bigquery/scheduled-query";
export { renderSql, renderSqlFile } from "./bigquery/sql-template";
export { scriptStatements, sqlScript } from "./bigquery/sql-script";
export { WindowKind } from "./bigquery/window-kind";
export type { WindowKindName } from "./bigquery/window-kind";
export { WindowedAggregate } from "./bigquery/windowed-aggregate";
export type { IngestionLog, SourceMark, WindowedAggregateProps } from "./bigquery/windowed-aggregate";
export type {
  SqlBinding,
  SqlBindings,
  SqlDatasetRef,
  SqlFileOptions,
  SqlRegionRef,
  SqlTableRef,
} from "./bigquery/sql-template";

// Pub/Sub and Dataflow: ingestion.
export { TopicBase } from "./pubsub/topic-base";
export { StreamTopic } from "./pubsub/stream-topic";
export type { StreamTopicProps, TopicAttributes } from "./pubsub/stream-topic";
export { SubscriptionBase } from "./pubsub/subscription-base";
export { StreamSubscription } from "./pubsub/stream-subscription";
export type {
  BaseSubscriptionOptions,
  BigQuerySubscriptionOptions,
  StreamSubscriptionProps,
  SubscriptionAttributes,
  SubscriptionOptions,
} from "./pubsub/stream-subscription";
export { pubsubServiceAgentEmail } from "./pubsub/iam-members";
export { avroDefinitionFromTableSchema, avroSchemaFromTableSchema, encodeAvroJson } from "./pubsub/avro-schema";
export type { AvroField, AvroRecord, AvroSchemaOptions, AvroType } from "./pubsub/avro-schema";
export {
  DATAFLOW_DEADLETTER_SCHEMA,
  DEFAULT_DATAFLOW_MACHINE_TYPE,
  PubSubToBigQueryJob,
} from "./dataflow/pubsub-to-bigquery-job";
export type { PubSubToBigQueryJobProps } from "./dataflow/pubsub-to-bigquery-job";

// The project's APIs and the worker.
export { ProjectServices, STREAMING_ANALYTICS_SERVICES } from "./project/project-services";
export type { ProjectServicesProps } from "./project/project-services";
export { SsePublisherBase } from "./worker/sse-publisher-base";
export { SsePublisherService } from "./worker/sse-publisher-service";
export type {
  DirectSinkApi,
  SsePublisherProps,
  SsePublisherServiceProps,
  WorkerDirectSink,
} from "./worker/sse-publisher-service";
export { SsePublisherWorkerPool } from "./worker/sse-publisher-worker-pool";
export type { SsePublisherWorkerPoolProps } from "./worker/sse-publisher-worker-pool";
export type { WorkerHostKind } from "./worker/sse-publisher-props";

// Monitoring: alert policies, notification channels, dashboard, SQL-sourced health checks.
export { PipelineMonitoring } from "./monitoring/pipeline-monitoring";
export type {
  AlertSettings,
  MonitoredDataflowJob,
  MonitoredReservation,
  MonitoredScheduledQuery,
  MonitoredWorker,
  PipelineMonitoringProps,
} from "./monitoring/pipeline-monitoring";
export type { WatchedConstructs } from "./monitoring/monitored";
export { healthCheckQuery, healthValueQuery, SqlHealthCheck } from "./monitoring/sql-health-check";
export type { SqlHealthCheckProps } from "./monitoring/sql-health-check";
export { ALERT_CATALOGUE, alertDefinition } from "./monitoring/alert-catalogue";
export type {
  AlertDefinition,
  AlertId,
  AlertSeverity,
  Aligner,
  Comparison,
  MetricSignal,
  PromqlSignal,
  Reducer,
  ThresholdSource,
  TileSpec,
  WatchedKind,
} from "./monitoring/alert-catalogue";
export { GCP_METRICS, METRIC_CATALOGUE, prometheusMetricType, WORKER_METRICS } from "./monitoring/metric-catalogue";
export type { MetricDefinition, MonitoredResourceType } from "./monitoring/metric-catalogue";

// Policy: cdktf Aspects with rule ids and per-resource suppressions.
export {
  AlertingAspect,
  applyWarehousePolicies,
  CmekAspect,
  IdleCostAspect,
  LeastPrivilegeIamAspect,
  markStreamingTable,
  MIN_SUPPRESSION_REASON_LENGTH,
  POLICY_RULES,
  PolicyAspect,
  PolicySuppressions,
  ProductionSafetyAspect,
  RequiredLabelsAspect,
  StreamingTablesAspect,
} from "./policy";
export type {
  AlertingAspectProps,
  CmekAspectProps,
  PolicyAspectList,
  PolicyFinding,
  PolicyResource,
  PolicyRule,
  PolicySuppression,
  RequiredLabelsAspectProps,
  WarehousePolicyProps,
} from "./policy";

// Plan guard: refuses a saved plan's deletes and replacements of what holds data, with the way out.
export {
  AllowEntryError,
  checkPlanSafety,
  constructPathsOf,
  formatPlanSafetyReport,
  MIN_ALLOW_REASON_LENGTH,
  parseAllowEntries,
  PLAN_FORMAT_MAJOR,
  PlanFormatError,
  STATEFUL_RESOURCES,
} from "./plan-safety";
export type {
  ColumnChanges,
  PlanAction,
  PlannedChange,
  PlanSafetyAllowEntry,
  PlanSafetyOptions,
  PlanSafetyReport,
  StatefulResource,
} from "./plan-safety";

// Testing: the apply-order check and the inventory, for users' own tests.
export { describeUnorderedReference, expectApplyOrder, findUnorderedReferences } from "./testing/apply-order";
export type { NamedObjectKind, SynthesizedStack, UnorderedReference } from "./testing/apply-order";
export { DEFAULT_INVENTORY_ATTRIBUTES, inventory } from "./testing/inventory";
export type { Inventory, InventoryAttributes, InventoryOptions } from "./testing/inventory";
