/**
 * The alerts {@link PipelineMonitoring} can create: id, title, severity, default threshold and
 * duration, and the runbook every policy carries in its documentation. docs/alerts.md lists the
 * same alerts; a test keeps the two equal.
 */

/** Severity of an alert policy, as Cloud Monitoring takes it. */
export type AlertSeverity = "CRITICAL" | "ERROR" | "WARNING";

/** Ids of the alerts. */
export type AlertId =
  | "pubsub-backlog-age"
  | "pubsub-undelivered-messages"
  | "dead-letters"
  | "bigquery-subscription-rejections"
  | "bigquery-subscription-state"
  | "dataflow-system-lag"
  | "dataflow-watermark-age"
  | "dataflow-job-failed"
  | "worker-stalled"
  | "worker-event-lag"
  | "worker-checkpoint-age"
  | "worker-reconnect-storm"
  | "worker-dead-letters"
  | "worker-sink-refused"
  | "worker-sink-errors"
  | "elt-run-failed"
  | "elt-freshness"
  | "quality-late-events"
  | "quality-staging-duplicates"
  | "cdc-staleness"
  | "reservation-at-max";

/** One alert of the catalogue. */
export interface AlertDefinition {
  /** Stable id: the `alert` user label, the key of `monitoring.alerts` and of docs/alerts.md. */
  readonly id: AlertId;
  /** Display name, after the environment prefix. */
  readonly title: string;
  /** The policy's severity. */
  readonly severity: AlertSeverity;
  /** What the threshold counts, for messages and docs (e.g. `seconds`, `messages`). */
  readonly unit: string;
  /** Default threshold (the alert fires above it, or at or above it for `reservation-at-max`). */
  readonly threshold: number;
  /** Whether the threshold must be greater than 0 (ages, lags) rather than at least 0 (counts). */
  readonly positiveThreshold: boolean;
  /** Default time the condition must hold, in seconds (a multiple of 60). */
  readonly durationSeconds: number;
  /** What it means, one or two sentences. */
  readonly meaning: string;
  /** The first three things to check. */
  readonly firstChecks: readonly [string, string, string];
}

const alert = (definition: AlertDefinition): AlertDefinition => Object.freeze(definition);

/** Every alert, in catalogue order. */
export const ALERT_CATALOGUE: readonly AlertDefinition[] = Object.freeze([
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
      "Is the job at its maximum number of workers (Dataflow console, autoscaling)? Raise ingestion.dataflow.maxWorkers.",
      "Are BigQuery writes failing or throttled (job logs, error table rows)?",
      "Is one step slow (the job graph's wall time per step), e.g. after a change of the template version?",
    ],
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
      "Read the worker's logs (Cloud Run) for publish or write errors: permission denied on the topic (or table), or topic (or table) not found.",
      "Check the topic exists and the worker's service account has Pub/Sub Publisher on it (mode direct: the raw and error tables, BigQuery Data Editor on each).",
      "Restart the service (deploy a new revision); it resumes from its checkpoint.",
    ],
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
      "Is the worker CPU-bound (Cloud Run CPU utilisation)? Raise worker.cpu.",
      "Is Wikimedia's stream itself delayed (stream.wikimedia.org status)?",
    ],
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
      "Read the worker's logs for checkpoint write errors (Cloud Storage permission, bucket missing).",
      "Check the checkpoint bucket exists and the worker's service account can write the object.",
      "Check that the worker publishes at all (worker-stalled): the checkpoint only moves with published events.",
    ],
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
      "Read the worker's logs for the disconnect reason (HTTP 429 or 5xx from Wikimedia, timeouts).",
      "A 429 means the user agent is rate-limited: check worker.userAgent names the project and a contact.",
      "Check Cloud Run egress (VPC connector, NAT) if every attempt times out.",
    ],
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
      "Read the worker's logs for 'dead-lettered an event' with the same reason and size.",
      "Replay what should be kept: resume a worker from the record's sseId as Last-Event-ID, or load the sample by hand.",
    ],
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
      "Ingestion mode direct: BigQuery refused rows for good (invalid value, schema mismatch, row too large) within 10 minutes; the worker wrote them to the raw error table (wiki_changes_errors) instead of the raw table.",
    firstChecks: [
      "Query the error table's newest rows (errorMessage, payloadString) and the metric's reason label.",
      "Compare the refused rows with the raw table's schema: a new field or type from the worker's projection is the usual cause.",
      "After the fix, re-insert the payloads from the error table into the raw table (INSERT … SELECT over payloadString).",
    ],
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
      "Read the worker's logs (Cloud Run) for the BigQuery error: permission denied on the table, table not found, quota exceeded.",
      "Check the raw and error tables exist and the worker's service account has BigQuery Data Editor on both (table-level bindings).",
      "Check the project's streaming quotas (Storage Write API throughput, insertAll bytes per second) against the ingestion rate.",
    ],
  }),
  alert({
    id: "elt-run-failed",
    title: "Scheduled ELT run failed",
    severity: "ERROR",
    unit: "runs",
    threshold: 0,
    positiveThreshold: false,
    durationSeconds: 0,
    meaning: "A run of the staging load or the leaderboard refresh failed: staging and reporting stop moving.",
    firstChecks: [
      "Open the scheduled query's run history (BigQuery, Scheduled queries) and read the error.",
      "Permission errors: the query's service account and the Data Transfer service agent's token-creator binding.",
      "Query errors after a schema change: run the SQL check (`npm run sql:check`) and redeploy; then backfill the missed runs.",
    ],
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
      "Raw holds events that arrived later than the staging load's lookback window (sql/quality/late_arrivals.sql, beyond_lookback): the load will not stage them.",
    firstChecks: [
      "Query the reporting view wiki_changes_late_arrivals for the affected event hours.",
      "Was the worker or the consumer down for longer than the lookback (backlog-age history)?",
      "Run a backfill of the staging load over those hours, or raise elt.lookbackHours.",
    ],
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
      "wiki_staged holds more than one row for some event_id (sql/quality/staging_duplicates.sql): the staging load's de-duplication failed.",
    firstChecks: [
      "Find the ids: run sql/quality/staging_duplicates.sql's inner query grouped by event_id.",
      "Check whether copies of an event carry different event_time values (the MERGE's partition window would miss them).",
      "Delete the surplus rows (keep the earliest ingested_at) and fix the cause before the next run.",
    ],
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
      "Check the BACKGROUND reservation's slot usage (reservation-at-max, sql/cdc/background_slot_usage.sql).",
      "Look for failed background apply jobs in INFORMATION_SCHEMA.JOBS (job_id LIKE '%cdc_background%').",
      "Compare max_staleness with sql/cdc/recommended_max_staleness.sql and raise it if the apply jobs need longer.",
    ],
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
      "Check CDC staleness (cdc-staleness) and which tables' apply jobs use the slots (sql/cdc/background_slot_usage.sql).",
      "Raise reservation.autoscaleMaxSlots, or the baseline if usage is steady.",
      "Look for a change-rate spike upstream (more upserts per minute than usual).",
    ],
  }),
]);

/** The catalogue entry of an alert id. */
export function alertDefinition(id: AlertId): AlertDefinition {
  const found = ALERT_CATALOGUE.find((a) => a.id === id);
  if (!found) throw new Error(`unknown alert id ${id}`);
  return found;
}

/** Every alert id, in catalogue order. */
export const ALERT_IDS: readonly AlertId[] = Object.freeze(ALERT_CATALOGUE.map((a) => a.id));
