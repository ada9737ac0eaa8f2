/**
 * The alerts {@link PipelineMonitoring} can create, as data: for each, its id, title, severity, default
 * threshold and duration, its runbook (what it means, the first three things to check), and its signal
 * (which watched constructs it needs, the metric and how it is aligned, reduced and compared, where its
 * threshold comes from) and its dashboard tile, if it has one. `PipelineMonitoring` builds every policy
 * and tile by a loop over this list, and docs/alerts.md's table and runbooks are generated from it
 * (tools/docs/sections/alerts.ts): adding an alert is adding one entry here.
 *
 * Texts may hold placeholders `{{name}}`: in a runbook, the application's words for its own resources
 * (`PipelineMonitoringProps.runbookWords`, else the entry's generic `words`); in a condition or tile
 * name, `{{id}}`, `{{title}}`, `{{threshold}}` and `{{level}}`; in a PromQL query, `{{threshold}}`,
 * `{{window}}` and the keys of `WORKER_METRICS` (their Prometheus names).
 */
import { GCP_METRICS, WORKER_METRICS } from "./metric-catalogue";
import type { LabelMatch } from "./metric-filter";

/** Severity of an alert policy, as Cloud Monitoring takes it. */
export type AlertSeverity = "CRITICAL" | "ERROR" | "WARNING";

/**
 * What an alert watches: the {@link PipelineMonitoringProps} prop it needs (no policy without one). `directSinkWorker`
 * is the `worker` when its sink is not `pubsub` (it writes BigQuery itself).
 */
export type WatchedKind =
  | "ingestionSubscriptions"
  | "deadLetterSubscriptions"
  | "bigQuerySubscriptions"
  | "dataflowJobs"
  | "worker"
  | "directSinkWorker"
  | "eltQueries"
  | "healthChecks"
  | "reservation";

/** How each series is aligned over the alignment period. */
export type Aligner = "ALIGN_MAX" | "ALIGN_MEAN" | "ALIGN_SUM" | "ALIGN_RATE";
/** How the series are combined. */
export type Reducer = "REDUCE_MAX" | "REDUCE_SUM";
/** How the value is compared with the threshold. */
export type Comparison = "COMPARISON_GT" | "COMPARISON_GE" | "COMPARISON_LT";

/**
 * Where the threshold comes from: `settings`, the override (`alerts.<id>.threshold`) or the entry's default;
 * `watched`, the watched construct's own level (a health check compares itself, so the condition counts its
 * breaches); `settings-or-watched`, the override, else the watched construct's level (the reservation's
 * maximum slots).
 */
export type ThresholdSource = "settings" | "watched" | "settings-or-watched";

/** A threshold condition on a Cloud Monitoring metric (its filter checked against the metric catalogue). */
export interface MetricSignal {
  /** The watched constructs; their selection (e.g. `subscription_id` one of theirs) is part of the filter. */
  readonly watches: Exclude<WatchedKind, "worker" | "directSinkWorker">;
  /** The condition's name, after the title (placeholders `{{id}}`, `{{threshold}}`, `{{level}}`). */
  readonly condition: string;
  /**
   * The metric type, one of the metric catalogue's.
   * @default - the watched construct's own metric (a health check's log-based metric)
   */
  readonly metric?: string;
  /**
   * Conditions on the metric's labels, besides the watched constructs' selection.
   * @default - none
   */
  readonly metricLabels?: Readonly<Record<string, LabelMatch>>;
  /** How each series is aligned. */
  readonly aligner: Aligner;
  /**
   * The alignment period, in seconds.
   * @default 60
   */
  readonly alignmentSeconds?: number;
  /**
   * How the series are combined.
   * @default - not combined
   */
  readonly reducer?: Reducer;
  /** The comparison with the threshold. */
  readonly comparison: Comparison;
  /**
   * Where the threshold comes from.
   * @default "settings"
   */
  readonly threshold?: ThresholdSource;
  /**
   * A fixed threshold of the condition, whatever the alert's threshold (which the runbook then shows).
   * @default - the alert's threshold
   */
  readonly conditionThreshold?: number;
}

/**
 * A PromQL condition on the worker's Prometheus metrics, metric validation off: Managed Service for Prometheus
 * creates their types on the first sample, so a filter on them would be refused until the worker has run.
 */
export interface PromqlSignal {
  /** The worker, or the worker writing BigQuery directly. */
  readonly watches: "worker" | "directSinkWorker";
  /** The condition's name, after the title. */
  readonly condition: string;
  /** The query with its comparison (placeholders `{{threshold}}`, `{{window}}`, keys of `WORKER_METRICS`). */
  readonly promql: string;
  /**
   * How long the query must hold, in seconds.
   * @default - the alert's duration
   */
  readonly durationSeconds?: number;
}

/** A chart of the dashboard. */
export interface TileSpec {
  /** Its title (placeholders `{{title}}`, `{{level}}`). */
  readonly title: string;
  /** Where it goes: tiles are laid out by ascending position, two per row; ties in catalogue order. */
  readonly position: number;
  /**
   * The metric charted.
   * @default - the condition's metric
   */
  readonly metric?: string;
  /**
   * Conditions on the metric's labels, besides the watched constructs' selection.
   * @default - none
   */
  readonly metricLabels?: Readonly<Record<string, LabelMatch>>;
  /** How each series is aligned (over 60 s). */
  readonly aligner: Aligner;
  /**
   * How the series are combined.
   * @default - not combined
   */
  readonly reducer?: Reducer;
  /**
   * Fields the series are grouped by (`resource.labels.*`, `metric.labels.*`).
   * @default - none
   */
  readonly groupBy?: readonly string[];
}

/** One alert of the catalogue. */
export interface AlertDefinition<Id extends string = string> {
  /** Stable id: the `alert` user label, the key of `monitoring.alerts` and of docs/alerts.md. */
  readonly id: Id;
  /** Display name, after the environment prefix. */
  readonly title: string;
  /** The policy's severity. */
  readonly severity: AlertSeverity;
  /** What the threshold counts, for messages and docs (e.g. `seconds`, `messages`). */
  readonly unit: string;
  /** Default threshold (the alert fires above it, or at or above it with `COMPARISON_GE`). */
  readonly threshold: number;
  /** Whether the threshold must be greater than 0 (ages, lags) rather than at least 0 (counts). */
  readonly positiveThreshold: boolean;
  /** Default time the condition must hold, in seconds (a multiple of 60). */
  readonly durationSeconds: number;
  /** What it means, one or two sentences (placeholders: runbook words). */
  readonly meaning: string;
  /** The first three things to check (placeholders: runbook words). */
  readonly firstChecks: readonly [string, string, string];
  /**
   * The generic wording of each runbook placeholder, used unless the application gives its own.
   * @default - no placeholders
   */
  readonly words?: Readonly<Record<string, string>>;
  /** What it watches and how. */
  readonly signal: MetricSignal | PromqlSignal;
  /**
   * Its dashboard chart.
   * @default - no chart
   */
  readonly tile?: TileSpec;
}

/** Ten minutes: the window of the counter alerts (worker reconnects, ELT failures). */
const COUNT_WINDOW = 600;
const BY_SUBSCRIPTION = ["resource.labels.subscription_id"];

const alert = <const Id extends string>(definition: AlertDefinition<Id>): AlertDefinition<Id> =>
  Object.freeze(definition);

/**
 * The SQL health checks' signal: breaches of the check (it compares with its own threshold, so every breach
 * counts) in 20 minutes, on its log-based metric; one policy per check, the check's id being the alert's.
 */
const HEALTH_CHECK_SIGNAL: MetricSignal = {
  watches: "healthChecks",
  condition: "breaches of the {{id}} check (threshold {{level}})",
  aligner: "ALIGN_SUM",
  alignmentSeconds: 2 * COUNT_WINDOW,
  reducer: "REDUCE_SUM",
  comparison: "COMPARISON_GT",
  threshold: "watched",
  conditionThreshold: 0,
};
const HEALTH_CHECK_TILE: TileSpec = {
  title: "{{title}}: check breaches (threshold {{level}})",
  position: 80,
  aligner: "ALIGN_SUM",
  reducer: "REDUCE_SUM",
};

/** Every alert, in catalogue order. */
export const ALERT_CATALOGUE = Object.freeze([
  alert({
    id: "pubsub-backlog-age",
    title: "Pub/Sub backlog is old",
    severity: "ERROR",
    unit: "seconds",
    threshold: 600,
    positiveThreshold: true,
    durationSeconds: 300,
    meaning:
      "The oldest unacknowledged message of an ingestion subscription is older than the threshold: events are reaching Pub/Sub but not BigQuery.",
    firstChecks: [
      "Is the consumer running: the Dataflow job's state, or the BigQuery subscription's state (its own alert)?",
      "Is it failing on some messages: the dead-letter subscription and the consumer's error table or logs.",
      "Is it keeping up: compare the publish rate on the dashboard with the ack rate; raise Dataflow maxWorkers if it is at its maximum.",
    ],
    signal: {
      watches: "ingestionSubscriptions",
      condition: "oldest unacked message age",
      metric: GCP_METRICS.oldestUnackedMessageAge,
      aligner: "ALIGN_MAX",
      comparison: "COMPARISON_GT",
    },
    tile: {
      title: "Backlog age: oldest unacked message (s)",
      position: 20,
      aligner: "ALIGN_MAX",
      reducer: "REDUCE_MAX",
      groupBy: BY_SUBSCRIPTION,
    },
  }),
  alert({
    id: "pubsub-undelivered-messages",
    title: "Pub/Sub backlog is large",
    severity: "WARNING",
    unit: "messages",
    threshold: 100_000,
    positiveThreshold: true,
    durationSeconds: 600,
    meaning: "An ingestion subscription holds more unacknowledged messages than the threshold.",
    firstChecks: [
      "Is the backlog also old (the backlog-age alert)? If not, this is a burst being worked off.",
      "Did the publish rate jump (dashboard: ingestion rate)? A replay from an old checkpoint does this.",
      "Check the consumer as for the backlog-age alert: state, errors, capacity.",
    ],
    signal: {
      watches: "ingestionSubscriptions",
      condition: "undelivered messages",
      metric: GCP_METRICS.numUndeliveredMessages,
      aligner: "ALIGN_MAX",
      comparison: "COMPARISON_GT",
    },
  }),
  alert({
    id: "dead-letters",
    title: "Messages in a dead-letter subscription",
    severity: "ERROR",
    unit: "messages",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning:
      "A dead-letter subscription holds messages: they failed delivery the configured number of times and are not in BigQuery.",
    firstChecks: [
      "Pull a few with `gcloud pubsub subscriptions pull <dead-letter subscription> --limit 5` (no --auto-ack) and read the attributes.",
      "Compare them with the raw table's schema: a new field or type from the worker is the usual cause.",
      "After the fix, republish them to the ingestion topic, then acknowledge them.",
    ],
    signal: {
      watches: "deadLetterSubscriptions",
      condition: "messages in the dead-letter subscription",
      metric: GCP_METRICS.numUndeliveredMessages,
      aligner: "ALIGN_MAX",
      comparison: "COMPARISON_GT",
    },
    tile: {
      title: "Dead letters: messages in dead-letter subscriptions",
      position: 90,
      aligner: "ALIGN_MAX",
      reducer: "REDUCE_MAX",
      groupBy: BY_SUBSCRIPTION,
    },
  }),
  alert({
    id: "bigquery-subscription-rejections",
    title: "BigQuery subscription rejects messages",
    severity: "ERROR",
    unit: "messages",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning:
      "The BigQuery subscription dead-lettered messages: BigQuery refused to write them (schema mismatch, invalid value, oversize row).",
    firstChecks: [
      "Pull one from the dead-letter subscription and check it against the raw table's schema.",
      "Check whether the worker's projection changed (a new or renamed field, a type change).",
      "If the table should change, add the column (additive changes only), then republish the dead letters.",
    ],
    signal: {
      watches: "bigQuerySubscriptions",
      condition: "messages dead-lettered by the BigQuery subscription",
      metric: GCP_METRICS.deadLetterMessageCount,
      aligner: "ALIGN_SUM",
      alignmentSeconds: COUNT_WINDOW,
      reducer: "REDUCE_SUM",
      comparison: "COMPARISON_GT",
    },
  }),
  alert({
    id: "bigquery-subscription-state",
    title: "BigQuery subscription cannot write",
    severity: "CRITICAL",
    unit: "series",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 300,
    meaning:
      "The BigQuery subscription is in a state other than ACTIVE (permission denied, table not found, schema mismatch): nothing is written.",
    firstChecks: [
      "`gcloud pubsub subscriptions describe <subscription> --format='value(bigqueryConfig.state)'` names the problem.",
      "PERMISSION_DENIED: the Pub/Sub service agent or the subscription's service account lost BigQuery Data Editor on the dataset.",
      "NOT_FOUND or SCHEMA_MISMATCH: the table was deleted or changed; restore it (terraform apply) and compare schemas.",
    ],
    signal: {
      watches: "bigQuerySubscriptions",
      condition: "subscription state other than ACTIVE",
      metric: GCP_METRICS.exportPushSubscriptionDetails,
      metricLabels: { subscription_state: { notRegex: "(?i)active" } },
      aligner: "ALIGN_MAX",
      comparison: "COMPARISON_GT",
    },
  }),
  alert({
    id: "dataflow-system-lag",
    title: "Dataflow system lag is high",
    severity: "ERROR",
    unit: "seconds",
    threshold: 300,
    positiveThreshold: true,
    durationSeconds: 300,
    meaning: "Data has waited longer than the threshold in the Dataflow job: it is falling behind its input.",
    firstChecks: [
      "Is the job at its maximum number of workers (Dataflow console, autoscaling)? Raise {{maxWorkersSetting}}.",
      "Are BigQuery writes failing or throttled (job logs, error table rows)?",
      "Is one step slow (the job graph's wall time per step), e.g. after a change of the template version?",
    ],
    words: { maxWorkersSetting: "the job's maxWorkers" },
    signal: {
      watches: "dataflowJobs",
      condition: "system lag",
      metric: GCP_METRICS.dataflowSystemLag,
      aligner: "ALIGN_MAX",
      comparison: "COMPARISON_GT",
    },
    tile: { title: "Dataflow system lag (s)", position: 100, aligner: "ALIGN_MAX", reducer: "REDUCE_MAX" },
  }),
  alert({
    id: "dataflow-watermark-age",
    title: "Dataflow data watermark is old",
    severity: "ERROR",
    unit: "seconds",
    threshold: 600,
    positiveThreshold: true,
    durationSeconds: 300,
    meaning:
      "The newest fully processed data is older than the threshold: either the job is stuck or the input stopped (check the worker).",
    firstChecks: [
      "Is the worker publishing (worker-stalled alert, ingestion-rate chart)? No input also ages the watermark.",
      "Is the job running and its system lag normal? If lag is high too, see the system-lag runbook.",
      "Look for errors in the job's worker logs (BigQuery write errors, permission errors).",
    ],
    signal: {
      watches: "dataflowJobs",
      condition: "data watermark age",
      metric: GCP_METRICS.dataflowDataWatermarkAge,
      aligner: "ALIGN_MAX",
      comparison: "COMPARISON_GT",
    },
  }),
  alert({
    id: "dataflow-job-failed",
    title: "Dataflow job failed",
    severity: "CRITICAL",
    unit: "jobs",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning: "The ingestion Dataflow job is in the FAILED state: nothing moves from Pub/Sub to BigQuery.",
    firstChecks: [
      "Read the job's error in the Dataflow console (Job logs, severity Error).",
      "Messages are kept in the subscription for its retention: recreate the job with `terraform apply -replace` on it.",
      "If it fails again at start, check the template path, the service account's roles and the temp bucket.",
    ],
    signal: {
      watches: "dataflowJobs",
      condition: "job failed",
      metric: GCP_METRICS.dataflowIsFailed,
      aligner: "ALIGN_MAX",
      comparison: "COMPARISON_GT",
    },
  }),
  alert({
    id: "worker-stalled",
    title: "Worker receives events but publishes none",
    severity: "CRITICAL",
    unit: "events",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 600,
    meaning:
      "For the whole window the worker received events from the stream but published none to Pub/Sub (in ingestion mode direct: BigQuery acknowledged none of its rows): events pile up in memory or are dropped.",
    firstChecks: [
      "Read {{workerLogs}} for publish or write errors: permission denied on the topic (or table), or topic (or table) not found.",
      "Check the topic exists and the worker's service account has Pub/Sub Publisher on it (mode direct: the raw and error tables, BigQuery Data Editor on each).",
      "Restart {{workerHost}} (deploy a new revision); it resumes from its checkpoint.",
    ],
    words: { workerLogs: "the worker's logs (Cloud Run)", workerHost: "the worker" },
    signal: {
      watches: "worker",
      condition: "events received but none published in the window",
      promql:
        "sum(increase({{eventsReceived}}[{{window}}])) > 0 and sum(increase({{eventsPublished}}[{{window}}])) <= {{threshold}}",
      durationSeconds: 0,
    },
    tile: {
      title: "Ingestion rate: events published by the worker (per second)",
      position: 10,
      metric: WORKER_METRICS.eventsPublished,
      aligner: "ALIGN_RATE",
      reducer: "REDUCE_SUM",
    },
  }),
  alert({
    id: "worker-event-lag",
    title: "Worker event lag is high",
    severity: "WARNING",
    unit: "seconds",
    threshold: 300,
    positiveThreshold: true,
    durationSeconds: 300,
    meaning:
      "Events reach the worker more than the threshold after Wikimedia emitted them: the worker or the stream is behind.",
    firstChecks: [
      "Did the worker just restart from an old checkpoint (reconnects, checkpoint age)? Lag then falls by itself.",
      "Is the worker CPU-bound ({{workerCpu}})? Raise {{cpuSetting}}.",
      "Is Wikimedia's stream itself delayed (stream.wikimedia.org status)?",
    ],
    words: {
      cpuSetting: "the service's cpu",
      workerCpu: "Cloud Run CPU utilisation, run.googleapis.com/container/cpu/utilizations",
    },
    signal: { watches: "worker", condition: "event lag", promql: "max({{eventLag}}) > {{threshold}}" },
    tile: {
      title: "Worker event lag (s)",
      position: 30,
      metric: WORKER_METRICS.eventLag,
      aligner: "ALIGN_MAX",
      reducer: "REDUCE_MAX",
    },
  }),
  alert({
    id: "worker-checkpoint-age",
    title: "Worker checkpoint is old",
    severity: "ERROR",
    unit: "seconds",
    threshold: 900,
    positiveThreshold: true,
    durationSeconds: 300,
    meaning:
      "The worker has not saved its position for longer than the threshold: after a restart it would replay (duplicates) or, past the stream's retention, lose events.",
    firstChecks: [
      "Read {{workerLogs}} for checkpoint write errors (Cloud Storage permission, bucket missing).",
      "Check the checkpoint bucket exists and the worker's service account can write the object.",
      "Check that the worker publishes at all (worker-stalled): the checkpoint only moves with published events.",
    ],
    words: { workerLogs: "the worker's logs (Cloud Run)" },
    signal: { watches: "worker", condition: "checkpoint age", promql: "max({{checkpointAge}}) > {{threshold}}" },
    tile: {
      title: "Worker checkpoint age (s)",
      position: 40,
      metric: WORKER_METRICS.checkpointAge,
      aligner: "ALIGN_MAX",
      reducer: "REDUCE_MAX",
    },
  }),
  alert({
    id: "worker-metrics-absent",
    title: "No metrics from the worker",
    severity: "ERROR",
    unit: "samples",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 600,
    meaning:
      "No sample of the worker's metrics reached Cloud Monitoring for the whole window: the worker is not running (a crash loop, an image missing from the repository) or its metrics sidecar cannot write them. Every other worker alert is silent meanwhile: it needs samples to fire.",
    firstChecks: [
      "Is {{workerHost}} running an instance (Cloud Run console, its revisions and instances)?",
      "Read {{workerLogs}}: a worker that exits at start names the setting it refuses (exit 1) or the sink it cannot open (exit 2).",
      "Read the metrics-collector container's logs: a sidecar that cannot write to Cloud Monitoring logs each failed export.",
    ],
    words: { workerHost: "the worker", workerLogs: "the worker's logs (Cloud Run)" },
    signal: {
      watches: "worker",
      condition: "no checkpoint-age sample in the window",
      promql: "absent_over_time({{checkpointAge}}[{{window}}])",
      durationSeconds: 0,
    },
  }),
  alert({
    id: "worker-reconnect-storm",
    title: "Worker reconnects to the stream repeatedly",
    severity: "WARNING",
    unit: "reconnects",
    threshold: 10,
    positiveThreshold: true,
    durationSeconds: 0,
    meaning: "The worker reconnected to the SSE stream more often than the threshold within 10 minutes.",
    firstChecks: [
      "Read {{workerLogs}} for the disconnect reason (HTTP 429 or 5xx from Wikimedia, timeouts).",
      "A 429 means the user agent is rate-limited: check {{userAgentSetting}} names the project and a contact.",
      "Check Cloud Run egress (VPC connector, NAT) if every attempt times out.",
    ],
    words: { userAgentSetting: "the service's userAgent", workerLogs: "the worker's logs (Cloud Run)" },
    signal: {
      watches: "worker",
      condition: "SSE reconnects in 10 minutes",
      promql: "sum(increase({{sseReconnects}}[10m])) > {{threshold}}",
    },
  }),
  alert({
    id: "worker-dead-letters",
    title: "Worker dead-lettered events",
    severity: "ERROR",
    unit: "events",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning:
      "The worker met events it can never publish (a message over Pub/Sub's 10 MB limit, an attribute too large, a message refused as invalid, an SSE frame over MAX_FRAME_BYTES) and wrote them to its dead-letter folder instead: they are not in the warehouse.",
    firstChecks: [
      "List the dead-letter/ objects in the checkpoint bucket: each names the reason, the SSE id and the event id.",
      "Read {{workerLogs}} for 'dead-lettered an event' with the same reason and size.",
      "Replay what should be kept: resume a worker from the record's sseId as Last-Event-ID, or load the sample by hand.",
    ],
    words: { workerLogs: "the worker's logs (Cloud Run)" },
    signal: {
      watches: "worker",
      condition: "events dead-lettered in 10 minutes",
      promql: "sum(increase({{eventsDeadLettered}}[10m])) > {{threshold}}",
    },
  }),
  alert({
    id: "worker-page-change-dead-letters",
    title: "Worker dead-lettered page changes",
    severity: "ERROR",
    unit: "changes",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning:
      "With CDC_TOPIC set, the worker met page changes (page-state CDC messages) that Pub/Sub can never accept (a message over 10 MB, an attribute over 1,024 bytes such as the change_id of a very long event id, a message refused as invalid) and wrote them to its dead-letter folder instead: their events' rows were published as usual, but the page-state table misses those changes until each page changes again.",
    firstChecks: [
      "List the dead-letter/ objects whose name ends in -page_change_<reason>.json in the checkpoint bucket: each names the reason, the SSE id, the event id, the change's type, index and sequence number, and holds its first 4 KiB.",
      "Read {{workerLogs}} for 'dead-lettered a page change' with the same reason and size: an oversized event id, title or target title is the usual cause.",
      "Repair each page's row from the record (its key and change type in the sample, its sequence number), or let the page's next change correct it.",
    ],
    words: { workerLogs: "the worker's logs (Cloud Run)" },
    signal: {
      watches: "worker",
      condition: "page changes dead-lettered in 10 minutes",
      promql: "sum(increase({{pageChangesDeadLettered}}[10m])) > {{threshold}}",
    },
  }),
  alert({
    id: "worker-sink-refused",
    title: "BigQuery refused rows written by the worker",
    severity: "ERROR",
    unit: "rows",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning:
      "Ingestion mode direct: BigQuery refused rows for good (invalid value, schema mismatch, row too large) within 10 minutes; the worker wrote them to {{errorTable}} instead of the raw table.",
    firstChecks: [
      "Query the error table's newest rows (errorMessage, payloadString) and the metric's reason label.",
      "Compare the refused rows with the raw table's schema: a new field or type from the worker's projection is the usual cause.",
      "After the fix, re-insert the payloads from the error table into the raw table (INSERT … SELECT over payloadString).",
    ],
    words: { errorTable: "its error table" },
    signal: {
      watches: "directSinkWorker",
      condition: "rows refused by BigQuery in 10 minutes",
      promql: "sum(increase({{sinkRowsRefused}}[10m])) > {{threshold}}",
    },
    tile: {
      title: "Rows refused by BigQuery, to the error table (per second)",
      position: 60,
      metric: WORKER_METRICS.sinkRowsRefused,
      aligner: "ALIGN_RATE",
      reducer: "REDUCE_SUM",
      groupBy: ["metric.labels.reason"],
    },
  }),
  alert({
    id: "worker-sink-errors",
    title: "Worker's BigQuery writes fail or retry",
    severity: "ERROR",
    unit: "requests",
    threshold: 10,
    positiveThreshold: false,
    durationSeconds: 600,
    meaning:
      "Ingestion mode direct: more write requests than the threshold failed or were retried within 10 minutes, for the whole duration: BigQuery is refusing or throttling the worker, and events wait in its memory (or stop the worker once PUBLISH_TIMEOUT_MS is spent).",
    firstChecks: [
      "Read {{workerLogs}} for the BigQuery error: permission denied on the table, table not found, quota exceeded.",
      "Check the raw and error tables exist and the worker's service account has BigQuery Data Editor on both (table-level bindings).",
      "Check the project's streaming quotas (Storage Write API throughput, insertAll bytes per second) against the ingestion rate.",
    ],
    words: { workerLogs: "the worker's logs (Cloud Run)" },
    signal: {
      watches: "directSinkWorker",
      condition: "failed or retried write requests in 10 minutes",
      promql: 'sum(increase({{sinkRequests}}{outcome=~"failed|retried"}[10m])) > {{threshold}}',
    },
    tile: {
      title: "Worker BigQuery writes by outcome (requests per second)",
      position: 50,
      metric: WORKER_METRICS.sinkRequests,
      aligner: "ALIGN_RATE",
      reducer: "REDUCE_SUM",
      groupBy: ["metric.labels.outcome"],
    },
  }),
  alert({
    id: "elt-run-failed",
    title: "Scheduled ELT run failed",
    severity: "ERROR",
    unit: "runs",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning: "A run of {{eltQueries}} failed: {{eltOutputs}} stop moving.",
    firstChecks: [
      "Open the scheduled query's run history (BigQuery, Scheduled queries) and read the error.",
      "Permission errors: the query's service account and the Data Transfer service agent's token-creator binding.",
      "Query errors after a schema change: {{sqlCheck}} and redeploy; then backfill the missed runs.",
    ],
    words: {
      eltQueries: "a watched scheduled query",
      eltOutputs: "the tables it writes",
      sqlCheck: "check the query against the new schema",
    },
    signal: {
      watches: "eltQueries",
      condition: "failed scheduled-query runs",
      metric: GCP_METRICS.transferCompletedRuns,
      metricLabels: { completion_state: "FAILED" },
      aligner: "ALIGN_SUM",
      alignmentSeconds: COUNT_WINDOW,
      reducer: "REDUCE_SUM",
      comparison: "COMPARISON_GT",
    },
    tile: {
      title: "ELT runs by completion state",
      position: 70,
      aligner: "ALIGN_SUM",
      reducer: "REDUCE_SUM",
      groupBy: ["metric.labels.completion_state"],
    },
  }),
  alert({
    id: "elt-freshness",
    title: "Staging is behind raw",
    severity: "ERROR",
    unit: "seconds",
    threshold: 3600,
    positiveThreshold: true,
    durationSeconds: 0,
    meaning:
      "The newest event in staging is older than the newest event in raw by more than the threshold: the staging load is not keeping up or not running.",
    firstChecks: [
      "Did the staging load's recent runs succeed (elt-run-failed, run history)?",
      "Is the schedule paused (the transfer config's `disabled`)?",
      "Are the new raw events beyond the lookback (quality-late-events)? Those are only staged by a backfill.",
    ],
    signal: HEALTH_CHECK_SIGNAL,
    tile: HEALTH_CHECK_TILE,
  }),
  alert({
    id: "quality-late-events",
    title: "Events arrived beyond the staging lookback",
    severity: "WARNING",
    unit: "events",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning:
      "Raw holds events that arrived later than the staging load's lookback window ({{lateEventsMeasurement}}): the load will not stage them.",
    firstChecks: [
      "Query {{lateEventsView}} for the affected event hours.",
      "Was the worker or the consumer down for longer than the lookback (backlog-age history)?",
      "Run a backfill of the staging load over those hours, or raise {{lookbackSetting}}.",
    ],
    words: {
      lateEventsMeasurement: "the check's measurement",
      lateEventsView: "the check's measurement",
      lookbackSetting: "the staging load's lookback",
    },
    signal: HEALTH_CHECK_SIGNAL,
    tile: HEALTH_CHECK_TILE,
  }),
  alert({
    id: "quality-staging-duplicates",
    title: "Duplicates survived into staging",
    severity: "ERROR",
    unit: "rows",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning:
      "{{stagingTable}} holds more than one row for some event_id ({{duplicatesQuery}}): the staging load's de-duplication failed.",
    firstChecks: [
      "Find the ids: run {{duplicatesQuery}}'s inner query grouped by event_id.",
      "Check whether copies of an event carry different event_time values (the MERGE's partition window would miss them).",
      "Delete the surplus rows (keep the earliest ingested_at) and fix the cause before the next run.",
    ],
    words: { stagingTable: "The staging table", duplicatesQuery: "the check's measurement" },
    signal: HEALTH_CHECK_SIGNAL,
    tile: HEALTH_CHECK_TILE,
  }),
  alert({
    id: "cdc-staleness",
    title: "CDC apply is behind max_staleness",
    severity: "ERROR",
    unit: "seconds",
    threshold: 600,
    positiveThreshold: true,
    durationSeconds: 0,
    meaning:
      "A CDC table's apply watermark (INFORMATION_SCHEMA.TABLES.upsert_stream_apply_watermark) is older than its max_staleness: queries now merge pending changes at run time, slower and costlier.",
    firstChecks: [
      "Check the BACKGROUND reservation's slot usage (reservation-at-max, {{slotUsageQuery}}).",
      "Look for failed background apply jobs in INFORMATION_SCHEMA.JOBS (job_id LIKE '%cdc_background%').",
      "Compare max_staleness with {{recommendedStalenessQuery}} and raise it if the apply jobs need longer.",
    ],
    words: {
      slotUsageQuery: "INFORMATION_SCHEMA.RESERVATIONS_TIMELINE",
      recommendedStalenessQuery: "the apply jobs' durations in INFORMATION_SCHEMA.JOBS",
    },
    signal: HEALTH_CHECK_SIGNAL,
    tile: HEALTH_CHECK_TILE,
  }),
  alert({
    id: "reservation-at-max",
    title: "BACKGROUND reservation at its autoscale maximum",
    severity: "WARNING",
    unit: "slots",
    threshold: 0,
    positiveThreshold: true,
    durationSeconds: 900,
    meaning:
      "The BACKGROUND reservation uses all of its baseline plus autoscale slots: CDC apply jobs queue and staleness grows.",
    firstChecks: [
      "Check CDC staleness (cdc-staleness) and which tables' apply jobs use the slots ({{slotUsageQuery}}).",
      "Size the reservation from measured use ({{reservationSizingQuery}}: slots in use per hour, p50, p95, peak); raise {{autoscaleMaxSlotsSetting}} to cover the peak, and a baseline only if the p50 stays above it (production).",
      "Look for a change-rate spike upstream (more upserts per minute than usual).",
    ],
    words: {
      slotUsageQuery: "INFORMATION_SCHEMA.RESERVATIONS_TIMELINE",
      autoscaleMaxSlotsSetting: "the reservation's autoscale maximum",
      reservationSizingQuery: "INFORMATION_SCHEMA.JOBS_TIMELINE, grouped by hour",
    },
    signal: {
      watches: "reservation",
      condition: "slots used by the reservation",
      metric: GCP_METRICS.reservationSlotsAllocated,
      aligner: "ALIGN_MEAN",
      reducer: "REDUCE_SUM",
      comparison: "COMPARISON_GE",
      threshold: "settings-or-watched",
    },
    tile: {
      title: "BACKGROUND reservation slots (maximum {{level}})",
      position: 110,
      aligner: "ALIGN_MEAN",
      reducer: "REDUCE_SUM",
    },
  }),
] as const);

/** Where a signal's threshold comes from (a PromQL signal's: the settings). */
export function thresholdSource(signal: MetricSignal | PromqlSignal): ThresholdSource {
  return "promql" in signal ? "settings" : (signal.threshold ?? "settings");
}

/** Ids of the alerts of the catalogue. */
export type AlertId = (typeof ALERT_CATALOGUE)[number]["id"];

/** Every alert id, in catalogue order. */
export const ALERT_IDS: readonly AlertId[] = Object.freeze(ALERT_CATALOGUE.map((a) => a.id));

/** The catalogue entry of an alert id. */
export function alertDefinition(id: AlertId): AlertDefinition<AlertId> {
  const found = ALERT_CATALOGUE.find((a) => a.id === id);
  if (!found) throw new Error(`unknown alert id ${id}`);
  return found;
}
