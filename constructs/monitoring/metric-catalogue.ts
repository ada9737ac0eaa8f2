/**
 * Every Cloud Monitoring metric type the monitoring constructs use, with the page Google documents
 * it on, its monitored resource type, the resource's labels and the metric's own labels. A filter
 * or chart built by {@link metricFilter} may name only these metric types and, for each, only these
 * labels: a typo fails synthesis instead of creating an alert that never fires.
 */

/** Pages the metric types are documented on. */
export const METRIC_DOCS = {
  pubsub: "https://cloud.google.com/monitoring/api/metrics_gcp_p_z#gcp-pubsub",
  dataflow: "https://cloud.google.com/monitoring/api/metrics_gcp_d_i#gcp-dataflow",
  bigquery: "https://cloud.google.com/monitoring/api/metrics_gcp_a_b#gcp-bigquery",
  bigquerydatatransfer: "https://cloud.google.com/monitoring/api/metrics_gcp_a_b#gcp-bigquerydatatransfer",
  logging: "https://cloud.google.com/logging/docs/logs-based-metrics#user-defined_metrics_overview",
  prometheus: "https://cloud.google.com/stackdriver/docs/managed-prometheus/query-cm#metric-names",
} as const;

/** Monitored resource types and their labels (https://cloud.google.com/monitoring/api/resources). */
export const MONITORED_RESOURCES = {
  pubsub_subscription: ["project_id", "subscription_id"],
  dataflow_job: ["project_id", "job_name", "region"],
  bigquery_project: ["project_id", "location"],
  bigquery_dts_config: ["project_id", "location", "config_id"],
  prometheus_target: ["project_id", "location", "cluster", "namespace", "job", "instance"],
} as const;

/** A monitored resource type of {@link MONITORED_RESOURCES}. */
export type MonitoredResourceType = keyof typeof MONITORED_RESOURCES;

/** One documented metric type. */
export interface MetricDefinition {
  /** The full metric type, e.g. `pubsub.googleapis.com/subscription/oldest_unacked_message_age`. */
  readonly type: string;
  /** Metric kind and value type as documented, e.g. `GAUGE, INT64`. */
  readonly kind: "GAUGE" | "DELTA" | "CUMULATIVE";
  /** The monitored resource type its time series are written against. */
  readonly resource: MonitoredResourceType;
  /** The metric's own labels (`metric.labels.<name>`). */
  readonly labels: readonly string[];
  /** Where Google documents it. */
  readonly doc: string;
}

const metric = (
  type: string,
  kind: MetricDefinition["kind"],
  resource: MonitoredResourceType,
  labels: readonly string[],
  doc: string,
): MetricDefinition => Object.freeze({ type, kind, resource, labels: Object.freeze([...labels]), doc });

/** Prometheus metrics collected by Managed Service for Prometheus: `prometheus.googleapis.com/<name>/<kind>`. */
export function prometheusMetricType(name: string, kind: "counter" | "gauge"): string {
  return `prometheus.googleapis.com/${name}/${kind}`;
}

/** The worker's Prometheus metrics (app-worker/src/metrics.ts), as Cloud Monitoring stores them. */
export const WORKER_METRICS = {
  eventsPublished: prometheusMetricType("fresh_streams_worker_events_published_total", "counter"),
  eventsReceived: prometheusMetricType("fresh_streams_worker_events_received_total", "counter"),
  eventLag: prometheusMetricType("fresh_streams_worker_event_lag_seconds", "gauge"),
  sseReconnects: prometheusMetricType("fresh_streams_worker_sse_reconnects_total", "counter"),
  checkpointAge: prometheusMetricType("fresh_streams_worker_checkpoint_age_seconds", "gauge"),
  checkpointFailures: prometheusMetricType("fresh_streams_worker_checkpoint_failures_total", "counter"),
  eventsDeadLettered: prometheusMetricType("fresh_streams_worker_events_dead_lettered_total", "counter"),
  /** With CDC_TOPIC: page changes Pub/Sub can never accept, dead-lettered (the event's row is published), by `reason`. */
  pageChangesDeadLettered: prometheusMetricType("fresh_streams_worker_page_changes_dead_lettered_total", "counter"),
  lastEventAge: prometheusMetricType("fresh_streams_worker_last_event_age_seconds", "gauge"),
  /** Direct ingestion (a BigQuery sink): rows BigQuery acknowledged, by `sink`. */
  sinkRowsWritten: prometheusMetricType("fresh_streams_worker_sink_rows_written_total", "counter"),
  /** Direct ingestion: rows BigQuery refused for good (written to the error table), by `sink` and `reason`. */
  sinkRowsRefused: prometheusMetricType("fresh_streams_worker_sink_rows_refused_total", "counter"),
  /** Direct ingestion: write requests by `sink` and `outcome` (ok, partial, retried, failed). */
  sinkRequests: prometheusMetricType("fresh_streams_worker_sink_requests_total", "counter"),
} as const;

/** The Google Cloud metric types the alerts and charts use, each spelled here once. */
export const GCP_METRICS = {
  oldestUnackedMessageAge: "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
  numUndeliveredMessages: "pubsub.googleapis.com/subscription/num_undelivered_messages",
  deadLetterMessageCount: "pubsub.googleapis.com/subscription/dead_letter_message_count",
  exportPushSubscriptionDetails: "pubsub.googleapis.com/subscription/export_push_subscription_details",
  dataflowSystemLag: "dataflow.googleapis.com/job/system_lag",
  dataflowDataWatermarkAge: "dataflow.googleapis.com/job/data_watermark_age",
  dataflowIsFailed: "dataflow.googleapis.com/job/is_failed",
  transferCompletedRuns: "bigquerydatatransfer.googleapis.com/transfer_config/completed_runs",
  reservationSlotsAllocated: "bigquery.googleapis.com/slots/total_allocated_for_reservation",
} as const;

/** Prefix of user-defined (log-based) metrics. */
export const LOG_BASED_METRIC_PREFIX = "logging.googleapis.com/user/";

/**
 * The catalogue: every fixed metric type used by an alert or a chart. Log-based metrics
 * (`logging.googleapis.com/user/<name>`) are defined by the stack itself and are checked against
 * {@link LOG_BASED_METRIC}.
 */
export const METRIC_CATALOGUE: readonly MetricDefinition[] = Object.freeze([
  metric(GCP_METRICS.oldestUnackedMessageAge, "GAUGE", "pubsub_subscription", [], METRIC_DOCS.pubsub),
  metric(GCP_METRICS.numUndeliveredMessages, "GAUGE", "pubsub_subscription", [], METRIC_DOCS.pubsub),
  metric(GCP_METRICS.deadLetterMessageCount, "DELTA", "pubsub_subscription", ["response_code"], METRIC_DOCS.pubsub),
  metric(
    GCP_METRICS.exportPushSubscriptionDetails,
    "GAUGE",
    "pubsub_subscription",
    ["subscription_state", "subscription_type"],
    METRIC_DOCS.pubsub,
  ),
  metric(GCP_METRICS.dataflowSystemLag, "GAUGE", "dataflow_job", [], METRIC_DOCS.dataflow),
  metric(GCP_METRICS.dataflowDataWatermarkAge, "GAUGE", "dataflow_job", [], METRIC_DOCS.dataflow),
  metric(GCP_METRICS.dataflowIsFailed, "GAUGE", "dataflow_job", [], METRIC_DOCS.dataflow),
  metric(
    GCP_METRICS.transferCompletedRuns,
    "DELTA",
    "bigquery_dts_config",
    ["completion_state", "run_cause"],
    METRIC_DOCS.bigquerydatatransfer,
  ),
  metric(GCP_METRICS.reservationSlotsAllocated, "GAUGE", "bigquery_project", ["reservation"], METRIC_DOCS.bigquery),
  metric(WORKER_METRICS.eventsPublished, "CUMULATIVE", "prometheus_target", [], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.eventsReceived, "CUMULATIVE", "prometheus_target", [], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.eventLag, "GAUGE", "prometheus_target", [], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.sseReconnects, "CUMULATIVE", "prometheus_target", [], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.checkpointAge, "GAUGE", "prometheus_target", [], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.checkpointFailures, "CUMULATIVE", "prometheus_target", [], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.eventsDeadLettered, "CUMULATIVE", "prometheus_target", ["reason"], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.pageChangesDeadLettered, "CUMULATIVE", "prometheus_target", ["reason"], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.lastEventAge, "GAUGE", "prometheus_target", [], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.sinkRowsWritten, "CUMULATIVE", "prometheus_target", ["sink"], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.sinkRowsRefused, "CUMULATIVE", "prometheus_target", ["sink", "reason"], METRIC_DOCS.prometheus),
  metric(WORKER_METRICS.sinkRequests, "CUMULATIVE", "prometheus_target", ["sink", "outcome"], METRIC_DOCS.prometheus),
]);

/**
 * What the log-based counter metrics of {@link SqlHealthCheck} look like: written against the
 * Data Transfer Service's `bigquery_dts_config` resource (the scheduled query's run logs), no labels.
 */
export const LOG_BASED_METRIC: Omit<MetricDefinition, "type"> = Object.freeze({
  kind: "DELTA",
  resource: "bigquery_dts_config",
  labels: Object.freeze([]),
  doc: METRIC_DOCS.logging,
});

/** The catalogue entry of a metric type; log-based metric types get {@link LOG_BASED_METRIC}. */
export function metricDefinition(type: string): MetricDefinition | undefined {
  const known = METRIC_CATALOGUE.find((m) => m.type === type);
  if (known) return known;
  if (type.startsWith(LOG_BASED_METRIC_PREFIX) && type.length > LOG_BASED_METRIC_PREFIX.length) {
    return { ...LOG_BASED_METRIC, type };
  }
  return undefined;
}
