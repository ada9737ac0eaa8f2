import { Construct, IConstruct } from "constructs";
import { Fn, ITerraformDependable, TerraformResource, Token } from "cdktf";
import { MonitoringAlertPolicy, MonitoringAlertPolicyConfig } from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { MonitoringDashboard } from "@cdktf/provider-google/lib/monitoring-dashboard";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { Duration } from "../core/duration";
import { grantOnce } from "../core/grants";
import { hclSafeString } from "../core/hcl-safe";
import { IGrantable } from "../core/principal";
import { ISubscription } from "../core/references";
import { fail, validateDuration, validateLabels } from "../core/validation";
import { AlertDefinition, alertDefinition, AlertId, AlertSeverity, ALERT_IDS } from "./alert-catalogue";
import { WORKER_METRICS } from "./metric-catalog";
import { MetricFilterSpec, metricFilter, promName, promqlProblems } from "./metric-filter";
import type { SqlHealthCheck } from "./sql-health-check";

/** Overrides of one alert's defaults (docs/alerts.md lists them). */
export interface AlertSettings {
  /**
   * Whether the alert policy is created.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The threshold, in the alert's unit (docs/alerts.md).
   * @default - the catalogue's
   */
  readonly threshold?: number;
  /**
   * How long the condition must hold before the alert opens: a whole number of minutes (the API's rule).
   * @default - the catalogue's
   */
  readonly duration?: Duration;
}

/** A Dataflow job to watch (a `PubSubToBigQueryJob`, or any construct with these attributes). */
export interface MonitoredDataflowJob extends IConstruct {
  /** The job's name (the `job_name` label of its metrics). */
  readonly jobName: string;
}

/** A scheduled query to watch (a `ScheduledQuery`). */
export interface MonitoredScheduledQuery extends IConstruct {
  /** Its transfer config. */
  readonly resource: TerraformResource & { readonly name: string };
}

/** The BACKGROUND reservation to watch. */
export interface MonitoredReservation {
  /** The reservation's name (the `reservation` label of the slot metrics). */
  readonly reservationName: string;
  /** Baseline plus autoscale maximum slots: the level the reservation-at-max alert fires at by default. */
  readonly maxSlots: number;
  /** What creates the reservation, so that the alert is created after it. @default - nothing to wait for */
  readonly dependsOn?: ITerraformDependable[];
}

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** Project the alert policies, channels and dashboard live in (the pipeline's project). */
  readonly project: string;
  /**
   * Prefix of every display name, e.g. the environment name.
   * @default "fresh-streams"
   */
  readonly displayNamePrefix?: string;
  /**
   * Labels on every alert policy (`user_labels`), e.g. the environment's labels.
   * @default {}
   */
  readonly userLabels?: Record<string, string>;
  /**
   * E-mail addresses to notify: one e-mail notification channel is created per address.
   * @default []
   */
  readonly notificationEmails?: string[];
  /**
   * Existing notification channels, `projects/<project>/notificationChannels/<id>`.
   * @default []
   */
  readonly notificationChannelIds?: string[];
  /**
   * Whether alert policies are created at all (a local environment may turn them off; the dashboard stays).
   * @default true
   */
  readonly alerting?: boolean;
  /**
   * How long an open incident stays open without data before it closes by itself (30 minutes to 7 days).
   * @default Duration.hours(1)
   */
  readonly autoClose?: Duration;
  /**
   * Subscriptions that move events into BigQuery (backlog age and size).
   * @default []
   */
  readonly ingestionSubscriptions?: ISubscription[];
  /**
   * Subscriptions keeping dead letters (any message alerts).
   * @default []
   */
  readonly deadLetterSubscriptions?: ISubscription[];
  /**
   * BigQuery subscriptions (write rejections and subscription state).
   * @default []
   */
  readonly bigQuerySubscriptions?: ISubscription[];
  /**
   * Dataflow jobs (system lag, watermark age, failure).
   * @default []
   */
  readonly dataflowJobs?: MonitoredDataflowJob[];
  /**
   * Whether the worker's metrics (collected by Managed Service for Prometheus) are watched.
   * @default false
   */
  readonly worker?: boolean;
  /**
   * Whether the worker writes BigQuery itself (ingestion mode `direct`): its sink metrics are watched
   * (rows refused, failed or retried requests). Needs `worker`.
   * @default false
   */
  readonly directSink?: boolean;
  /**
   * Identities that write metrics (the worker's Prometheus collector): each gets `roles/monitoring.metricWriter`, nothing more.
   * @default []
   */
  readonly metricWriters?: IGrantable[];
  /**
   * The ELT's scheduled queries (failed runs).
   * @default []
   */
  readonly eltQueries?: MonitoredScheduledQuery[];
  /**
   * SQL-sourced signals (`SqlHealthCheck`s); each check's id must be an alert id of the catalogue
   * (`elt-freshness`, `quality-late-events`, `quality-staging-duplicates`, `cdc-staleness`).
   * @default []
   */
  readonly healthChecks?: SqlHealthCheck[];
  /**
   * The BACKGROUND reservation (slot usage at its maximum).
   * @default - no reservation alert
   */
  readonly reservation?: MonitoredReservation;
  /**
   * Per-alert overrides, by alert id.
   * @default {}
   */
  readonly alerts?: Partial<Record<AlertId, AlertSettings>>;
  /**
   * Whether to create the dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
}

/** One PromQL condition (the worker's metrics): the threshold is part of the query. */
interface PromqlConditionSpec {
  readonly name: string;
  /** The query; every metric it names must be one of the catalogue's worker metrics. */
  readonly promql: string;
  /** @default the alert's duration */
  readonly durationSeconds?: number;
}

/** One condition of a policy. */
interface ConditionSpec {
  readonly name: string;
  readonly filter: MetricFilterSpec;
  readonly aligner: string;
  readonly alignmentSeconds?: number;
  readonly reducer?: string;
  readonly comparison: "COMPARISON_GT" | "COMPARISON_GE" | "COMPARISON_LT";
  /** @default the alert's threshold */
  readonly threshold?: number;
  /** @default the alert's duration */
  readonly durationSeconds?: number;
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const CHANNEL_ID = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/notificationChannels\/[0-9]+$/;
const MIN_AUTO_CLOSE = Duration.minutes(30);
const MAX_AUTO_CLOSE = Duration.days(7);
const MAX_DURATION = Duration.days(1);
/** The policy documentation's limit (AlertPolicy.Documentation.content). */
const MAX_DOCUMENTATION = 8192;
/** Window of the counter alerts (worker reconnects, ELT failures, check breaches). */
const COUNT_WINDOW_SECONDS = 600;

/** Every resource a construct (or its `resource`) stands for, for `dependsOn`. */
function dependablesOf(constructs: readonly IConstruct[]): ITerraformDependable[] {
  const out: ITerraformDependable[] = [];
  for (const c of constructs) {
    const own = (c as { resource?: unknown }).resource;
    if (own instanceof TerraformResource) out.push(own);
    else out.push(...c.node.findAll().filter((n): n is TerraformResource => n instanceof TerraformResource));
  }
  return out;
}

/**
 * Monitoring as code for the pipeline: alert policies on backlog age and size, dead letters,
 * BigQuery-subscription write failures, Dataflow lag and failure, the worker's progress, failed
 * ELT runs, SQL-sourced freshness, quality and CDC staleness checks, and the BACKGROUND
 * reservation; e-mail notification channels; one dashboard with the same signals.
 *
 * Every policy carries a runbook (what it means, the first three things to check), a severity,
 * the given user labels, an auto-close, and the notification channels. Every metric filter is
 * checked against the metric catalogue (`constructs/monitoring/metric-catalog.ts`): metric type,
 * monitored resource and label names. Policies on a resource of the stack depend on it.
 *
 * @example
 * new PipelineMonitoring(this, "monitoring", {
 *   project: "my-project",
 *   notificationEmails: ["oncall@example.com"],
 *   ingestionSubscriptions: [subscription],
 *   deadLetterSubscriptions: [topic.deadLetterSubscription],
 * });
 */
export class PipelineMonitoring extends Construct {
  /** The alert policies, by alert id. */
  public readonly alertPolicies: Partial<Record<AlertId, MonitoringAlertPolicy>> = {};
  /** The e-mail notification channels created. */
  public readonly emailChannels: MonitoringNotificationChannel[] = [];
  /** Every channel the policies notify (ids, or references to the channels created). */
  public readonly notificationChannels: string[];
  /** The dashboard (unless `dashboard` is false). */
  public readonly dashboard?: MonitoringDashboard;

  private readonly props: PipelineMonitoringProps;
  private readonly prefix: string;
  private readonly autoClose: Duration;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.props = props;
    const path = this.node.path;
    this.prefix = props.displayNamePrefix ?? "fresh-streams";
    this.autoClose = validateDuration(path, "autoClose", props.autoClose ?? Duration.hours(1), {
      min: MIN_AUTO_CLOSE,
      max: MAX_AUTO_CLOSE,
      wholeUnit: "seconds",
      rule: "Cloud Monitoring closes incidents after",
    });
    validateLabels(path, props.userLabels ?? {});
    for (const [alertId, settings] of Object.entries(props.alerts ?? {})) {
      if (!ALERT_IDS.includes(alertId as AlertId)) {
        fail(path, `alerts has an unknown alert id "${alertId}"; use one of ${ALERT_IDS.join(", ")}`);
      }
      this.settingsOf(alertId as AlertId, settings);
    }
    if (props.directSink && !props.worker) {
      fail(path, "directSink is true but worker is not: the sink metrics are the worker's; set worker to true");
    }
    for (const check of props.healthChecks ?? []) {
      if (!ALERT_IDS.includes(check.checkId as AlertId)) {
        fail(
          path,
          `health check "${check.checkId}" is not an alert id of the catalogue; use one of ${ALERT_IDS.join(", ")}`,
        );
      }
    }

    for (const email of props.notificationEmails ?? []) {
      if (!Token.isUnresolved(email) && !EMAIL.test(email)) {
        fail(path, `notification e-mail "${email}" is not an e-mail address`);
      }
    }
    for (const channel of props.notificationChannelIds ?? []) {
      if (!Token.isUnresolved(channel) && !CHANNEL_ID.test(channel)) {
        fail(
          path,
          `notification channel "${channel}" is not a channel id; expected projects/<project>/notificationChannels/<number>`,
        );
      }
    }
    const alerting = props.alerting ?? true;
    if (alerting) {
      for (const email of new Set(props.notificationEmails ?? [])) {
        this.emailChannels.push(
          new MonitoringNotificationChannel(this, `email-${email.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`, {
            project: props.project,
            type: "email",
            displayName: `${this.prefix}: ${email}`,
            labels: { email_address: email },
            userLabels: props.userLabels,
          }),
        );
      }
    }
    this.notificationChannels = [...this.emailChannels.map((c) => c.name), ...(props.notificationChannelIds ?? [])];

    for (const writer of props.metricWriters ?? []) {
      grantOnce(
        this,
        "roles/monitoring.metricWriter",
        writer,
        (grantId, member) =>
          new ProjectIamMember(this, grantId, {
            project: props.project,
            role: "roles/monitoring.metricWriter",
            member,
          }),
      );
    }

    if (alerting) this.createAlerts();
    if (props.dashboard ?? true) this.dashboard = this.createDashboard();
  }

  /** The effective settings of an alert: defaults, overrides, checked. */
  private settingsOf(
    alertId: AlertId,
    override?: AlertSettings,
  ): { enabled: boolean; threshold: number; durationSeconds: number } {
    const path = this.node.path;
    const definition = alertDefinition(alertId);
    const settings = override ?? this.props.alerts?.[alertId] ?? {};
    let threshold = settings.threshold ?? definition.threshold;
    if (alertId === "reservation-at-max" && settings.threshold === undefined && this.props.reservation) {
      threshold = this.props.reservation.maxSlots;
    }
    if (!Token.isUnresolved(threshold)) {
      const computed = alertId === "reservation-at-max" && settings.threshold === undefined && !this.props.reservation;
      if (
        !Number.isFinite(threshold) ||
        threshold < 0 ||
        (definition.positiveThreshold && threshold === 0 && !computed)
      ) {
        fail(
          path,
          `alert ${alertId}: threshold ${threshold} is invalid; it counts ${definition.unit} and must be ${definition.positiveThreshold ? "greater than 0" : "0 or more"}`,
        );
      }
    }
    let durationSeconds = definition.durationSeconds;
    if (settings.duration !== undefined) {
      const duration = validateDuration(path, `alert ${alertId}: duration`, settings.duration, {
        min: Duration.seconds(0),
        max: MAX_DURATION,
        rule: "Cloud Monitoring accepts",
      });
      if (!duration.isUnresolved()) {
        if (duration.toSeconds() % 60 !== 0) {
          fail(
            path,
            `alert ${alertId}: duration is ${duration.toHumanString()}; Cloud Monitoring accepts only whole minutes (a multiple of 60 seconds)`,
          );
        }
        durationSeconds = duration.toSeconds();
      }
    }
    return { enabled: settings.enabled ?? true, threshold, durationSeconds };
  }

  private createAlerts(): void {
    const p = this.props;
    const subscriptionIds = (subs: readonly ISubscription[]) => ({ oneOf: subs.map((s) => s.subscriptionName) });
    const ingestion = p.ingestionSubscriptions ?? [];
    if (ingestion.length > 0) {
      this.policy("pubsub-backlog-age", ingestion, [
        {
          name: "oldest unacked message age",
          filter: {
            metric: "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
            resourceLabels: { subscription_id: subscriptionIds(ingestion) },
          },
          aligner: "ALIGN_MAX",
          comparison: "COMPARISON_GT",
        },
      ]);
      this.policy("pubsub-undelivered-messages", ingestion, [
        {
          name: "undelivered messages",
          filter: {
            metric: "pubsub.googleapis.com/subscription/num_undelivered_messages",
            resourceLabels: { subscription_id: subscriptionIds(ingestion) },
          },
          aligner: "ALIGN_MAX",
          comparison: "COMPARISON_GT",
        },
      ]);
    }
    const deadLetters = p.deadLetterSubscriptions ?? [];
    if (deadLetters.length > 0) {
      this.policy("dead-letters", deadLetters, [
        {
          name: "messages in the dead-letter subscription",
          filter: {
            metric: "pubsub.googleapis.com/subscription/num_undelivered_messages",
            resourceLabels: { subscription_id: subscriptionIds(deadLetters) },
          },
          aligner: "ALIGN_MAX",
          comparison: "COMPARISON_GT",
        },
      ]);
    }
    const bigQuery = p.bigQuerySubscriptions ?? [];
    if (bigQuery.length > 0) {
      this.policy("bigquery-subscription-rejections", bigQuery, [
        {
          name: "messages dead-lettered by the BigQuery subscription",
          filter: {
            metric: "pubsub.googleapis.com/subscription/dead_letter_message_count",
            resourceLabels: { subscription_id: subscriptionIds(bigQuery) },
          },
          aligner: "ALIGN_SUM",
          alignmentSeconds: COUNT_WINDOW_SECONDS,
          reducer: "REDUCE_SUM",
          comparison: "COMPARISON_GT",
        },
      ]);
      this.policy("bigquery-subscription-state", bigQuery, [
        {
          name: "subscription state other than ACTIVE",
          filter: {
            metric: "pubsub.googleapis.com/subscription/export_push_subscription_details",
            resourceLabels: { subscription_id: subscriptionIds(bigQuery) },
            metricLabels: { subscription_state: { notRegex: "(?i)active" } },
          },
          aligner: "ALIGN_MAX",
          comparison: "COMPARISON_GT",
        },
      ]);
    }
    const jobs = p.dataflowJobs ?? [];
    if (jobs.length > 0) {
      const jobNames = { job_name: { oneOf: jobs.map((j) => j.jobName) } };
      const gauge = (alertId: AlertId, name: string, metric: string) =>
        this.policy(alertId, jobs, [
          { name, filter: { metric, resourceLabels: jobNames }, aligner: "ALIGN_MAX", comparison: "COMPARISON_GT" },
        ]);
      gauge("dataflow-system-lag", "system lag", "dataflow.googleapis.com/job/system_lag");
      gauge("dataflow-watermark-age", "data watermark age", "dataflow.googleapis.com/job/data_watermark_age");
      gauge("dataflow-job-failed", "job failed", "dataflow.googleapis.com/job/is_failed");
    }
    if (p.worker) {
      // PromQL with metric validation off: Managed Service for Prometheus creates the worker's metric types
      // on their first sample, so a filter condition on them would be refused until the worker has run.
      const stalled = this.settingsOf("worker-stalled");
      const window = `${(stalled.durationSeconds || COUNT_WINDOW_SECONDS) / 60}m`;
      this.promqlPolicy("worker-stalled", [
        {
          name: "events received but none published in the window",
          promql: `sum(increase(${promName(WORKER_METRICS.eventsReceived)}[${window}])) > 0 and sum(increase(${promName(WORKER_METRICS.eventsPublished)}[${window}])) <= ${stalled.threshold}`,
          durationSeconds: 0,
        },
      ]);
      const lag = this.settingsOf("worker-event-lag");
      this.promqlPolicy("worker-event-lag", [
        { name: "event lag", promql: `max(${promName(WORKER_METRICS.eventLag)}) > ${lag.threshold}` },
      ]);
      const checkpoint = this.settingsOf("worker-checkpoint-age");
      this.promqlPolicy("worker-checkpoint-age", [
        { name: "checkpoint age", promql: `max(${promName(WORKER_METRICS.checkpointAge)}) > ${checkpoint.threshold}` },
      ]);
      const reconnects = this.settingsOf("worker-reconnect-storm");
      this.promqlPolicy("worker-reconnect-storm", [
        {
          name: "SSE reconnects in 10 minutes",
          promql: `sum(increase(${promName(WORKER_METRICS.sseReconnects)}[10m])) > ${reconnects.threshold}`,
        },
      ]);
      const deadLetters = this.settingsOf("worker-dead-letters");
      this.promqlPolicy("worker-dead-letters", [
        {
          name: "events dead-lettered in 10 minutes",
          promql: `sum(increase(${promName(WORKER_METRICS.eventsDeadLettered)}[10m])) > ${deadLetters.threshold}`,
        },
      ]);
    }
    if (p.worker && p.directSink) {
      const refused = this.settingsOf("worker-sink-refused");
      this.promqlPolicy("worker-sink-refused", [
        {
          name: "rows refused by BigQuery in 10 minutes",
          promql: `sum(increase(${promName(WORKER_METRICS.sinkRowsRefused)}[10m])) > ${refused.threshold}`,
        },
      ]);
      const errors = this.settingsOf("worker-sink-errors");
      this.promqlPolicy("worker-sink-errors", [
        {
          name: "failed or retried write requests in 10 minutes",
          promql: `sum(increase(${promName(WORKER_METRICS.sinkRequests)}{outcome=~"failed|retried"}[10m])) > ${errors.threshold}`,
        },
      ]);
    }
    const elt = p.eltQueries ?? [];
    if (elt.length > 0) {
      this.policy("elt-run-failed", elt, [
        {
          name: "failed scheduled-query runs",
          filter: {
            metric: "bigquerydatatransfer.googleapis.com/transfer_config/completed_runs",
            resourceLabels: { config_id: { oneOf: elt.map((q) => configIdOf(q)) } },
            metricLabels: { completion_state: "FAILED" },
          },
          aligner: "ALIGN_SUM",
          alignmentSeconds: COUNT_WINDOW_SECONDS,
          reducer: "REDUCE_SUM",
          comparison: "COMPARISON_GT",
        },
      ]);
    }
    for (const check of p.healthChecks ?? []) {
      this.policy(
        check.checkId as AlertId,
        [check],
        [
          {
            name: `breaches of the ${check.checkId} check (threshold ${check.threshold})`,
            filter: { metric: check.metricType },
            aligner: "ALIGN_SUM",
            alignmentSeconds: 2 * COUNT_WINDOW_SECONDS,
            reducer: "REDUCE_SUM",
            comparison: "COMPARISON_GT",
            // The check compares with the threshold itself: every breach counts.
            threshold: 0,
          },
        ],
        "OR",
        check.threshold,
      );
    }
    if (p.reservation) {
      const r = p.reservation;
      this.policy(
        "reservation-at-max",
        [],
        [
          {
            name: "slots used by the reservation",
            filter: {
              metric: "bigquery.googleapis.com/slots/total_allocated_for_reservation",
              resourceLabels: { project_id: p.project },
              metricLabels: { reservation: r.reservationName },
            },
            aligner: "ALIGN_MEAN",
            reducer: "REDUCE_SUM",
            comparison: "COMPARISON_GE",
          },
        ],
        "OR",
        undefined,
        r.dependsOn,
      );
    }
  }

  private promqlPolicy(alertId: AlertId, conditions: PromqlConditionSpec[]): MonitoringAlertPolicy | undefined {
    const settings = this.settingsOf(alertId);
    if (!settings.enabled) return undefined;
    const definition = alertDefinition(alertId);
    const path = `${this.node.path}/${alertId}`;
    const built = conditions.map((c) => {
      for (const problem of promqlProblems(c.promql)) fail(path, problem);
      return {
        displayName: `${definition.title}: ${c.name}`.slice(0, 512),
        conditionPrometheusQueryLanguage: {
          query: c.promql,
          duration: `${c.durationSeconds ?? settings.durationSeconds}s`,
          evaluationInterval: "60s",
          disableMetricValidation: true,
        },
      };
    });
    return this.createPolicy(
      alertId,
      definition,
      settings,
      built,
      "OR",
      conditions.map((c) => c.promql),
      [],
      [],
    );
  }

  private policy(
    alertId: AlertId,
    watched: readonly IConstruct[],
    conditions: ConditionSpec[],
    combiner: "OR" | "AND" = "OR",
    shownThreshold?: number,
    extraDependsOn: ITerraformDependable[] = [],
  ): MonitoringAlertPolicy | undefined {
    const settings = this.settingsOf(alertId);
    if (!settings.enabled) return undefined;
    const definition = alertDefinition(alertId);
    const path = `${this.node.path}/${alertId}`;
    const built = conditions.map((c) => {
      const filter = hclSafeString(metricFilter(path, c.filter));
      return {
        displayName: `${definition.title}: ${c.name}`.slice(0, 512),
        conditionThreshold: {
          filter,
          comparison: c.comparison,
          thresholdValue: c.threshold ?? settings.threshold,
          duration: `${c.durationSeconds ?? settings.durationSeconds}s`,
          aggregations: [
            {
              alignmentPeriod: `${c.alignmentSeconds ?? 60}s`,
              perSeriesAligner: c.aligner,
              ...(c.reducer ? { crossSeriesReducer: c.reducer } : {}),
            },
          ],
          trigger: { count: 1 },
        },
      };
    });
    const metrics = conditions.map((c) =>
      Token.isUnresolved(c.filter.metric) ? "logging.googleapis.com/user/…" : c.filter.metric,
    );
    return this.createPolicy(
      alertId,
      definition,
      { ...settings, threshold: shownThreshold ?? settings.threshold },
      built,
      combiner,
      metrics,
      watched,
      extraDependsOn,
    );
  }

  private createPolicy(
    alertId: AlertId,
    definition: AlertDefinition,
    settings: { threshold: number; durationSeconds: number },
    conditions: MonitoringAlertPolicyConfig["conditions"],
    combiner: "OR" | "AND",
    metrics: string[],
    watched: readonly IConstruct[],
    extraDependsOn: ITerraformDependable[],
  ): MonitoringAlertPolicy {
    const policy = new MonitoringAlertPolicy(this, alertId, {
      project: this.props.project,
      displayName: `${this.prefix}: ${definition.title}`,
      combiner,
      severity: definition.severity,
      conditions,
      notificationChannels: this.notificationChannels,
      userLabels: { ...(this.props.userLabels ?? {}), alert: alertId },
      alertStrategy: { autoClose: `${this.autoClose.toSeconds()}s` },
      documentation: {
        mimeType: "text/markdown",
        subject: `[${definition.severity}] ${this.prefix}: ${definition.title}`.slice(0, 255),
        content: runbook(definition, settings.threshold, settings.durationSeconds, metrics),
      },
      dependsOn: [...dependablesOf(watched), ...extraDependsOn, ...this.emailChannels],
    });
    this.alertPolicies[alertId] = policy;
    return policy;
  }

  private createDashboard(): MonitoringDashboard {
    const p = this.props;
    const path = `${this.node.path}/dashboard`;
    const tiles: { title: string; filter: MetricFilterSpec; aligner: string; reducer?: string; groupBy?: string[] }[] =
      [];
    const subs = (list: readonly ISubscription[] | undefined) => ({
      subscription_id: { oneOf: (list ?? []).map((s) => s.subscriptionName) },
    });
    if (p.worker) {
      tiles.push({
        title: "Ingestion rate: events published by the worker (per second)",
        filter: { metric: WORKER_METRICS.eventsPublished },
        aligner: "ALIGN_RATE",
        reducer: "REDUCE_SUM",
      });
    }
    if (p.ingestionSubscriptions?.length) {
      tiles.push({
        title: "Backlog age: oldest unacked message (s)",
        filter: {
          metric: "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
          resourceLabels: subs(p.ingestionSubscriptions),
        },
        aligner: "ALIGN_MAX",
        groupBy: ["resource.labels.subscription_id"],
        reducer: "REDUCE_MAX",
      });
    }
    if (p.worker) {
      tiles.push({
        title: "Worker event lag (s)",
        filter: { metric: WORKER_METRICS.eventLag },
        aligner: "ALIGN_MAX",
        reducer: "REDUCE_MAX",
      });
      tiles.push({
        title: "Worker checkpoint age (s)",
        filter: { metric: WORKER_METRICS.checkpointAge },
        aligner: "ALIGN_MAX",
        reducer: "REDUCE_MAX",
      });
    }
    if (p.worker && p.directSink) {
      tiles.push({
        title: "Worker BigQuery writes by outcome (requests per second)",
        filter: { metric: WORKER_METRICS.sinkRequests },
        aligner: "ALIGN_RATE",
        groupBy: ["metric.labels.outcome"],
        reducer: "REDUCE_SUM",
      });
      tiles.push({
        title: "Rows refused by BigQuery, to the error table (per second)",
        filter: { metric: WORKER_METRICS.sinkRowsRefused },
        aligner: "ALIGN_RATE",
        groupBy: ["metric.labels.reason"],
        reducer: "REDUCE_SUM",
      });
    }
    if (p.eltQueries?.length) {
      tiles.push({
        title: "ELT runs by completion state",
        filter: {
          metric: "bigquerydatatransfer.googleapis.com/transfer_config/completed_runs",
          resourceLabels: { config_id: { oneOf: p.eltQueries.map((q) => configIdOf(q)) } },
        },
        aligner: "ALIGN_SUM",
        groupBy: ["metric.labels.completion_state"],
        reducer: "REDUCE_SUM",
      });
    }
    for (const check of p.healthChecks ?? []) {
      tiles.push({
        title: `${alertDefinition(check.checkId as AlertId).title}: check breaches (threshold ${check.threshold})`,
        filter: { metric: check.metricType },
        aligner: "ALIGN_SUM",
        reducer: "REDUCE_SUM",
      });
    }
    if (p.deadLetterSubscriptions?.length) {
      tiles.push({
        title: "Dead letters: messages in dead-letter subscriptions",
        filter: {
          metric: "pubsub.googleapis.com/subscription/num_undelivered_messages",
          resourceLabels: subs(p.deadLetterSubscriptions),
        },
        aligner: "ALIGN_MAX",
        groupBy: ["resource.labels.subscription_id"],
        reducer: "REDUCE_MAX",
      });
    }
    if (p.dataflowJobs?.length) {
      tiles.push({
        title: "Dataflow system lag (s)",
        filter: {
          metric: "dataflow.googleapis.com/job/system_lag",
          resourceLabels: { job_name: { oneOf: p.dataflowJobs.map((j) => j.jobName) } },
        },
        aligner: "ALIGN_MAX",
        reducer: "REDUCE_MAX",
      });
    }
    if (p.reservation) {
      tiles.push({
        title: `BACKGROUND reservation slots (maximum ${p.reservation.maxSlots})`,
        filter: {
          metric: "bigquery.googleapis.com/slots/total_allocated_for_reservation",
          resourceLabels: { project_id: p.project },
          metricLabels: { reservation: p.reservation.reservationName },
        },
        aligner: "ALIGN_MEAN",
        reducer: "REDUCE_SUM",
      });
    }
    const width = 6;
    const height = 4;
    const dashboard = {
      displayName: `${this.prefix}: pipeline health`,
      mosaicLayout: {
        columns: 12,
        tiles: tiles.map((t, i) => ({
          xPos: (i % 2) * width,
          yPos: Math.floor(i / 2) * height,
          width,
          height,
          widget: {
            title: t.title,
            xyChart: {
              dataSets: [
                {
                  plotType: "LINE",
                  timeSeriesQuery: {
                    timeSeriesFilter: {
                      filter: metricFilter(path, t.filter),
                      aggregation: {
                        alignmentPeriod: "60s",
                        perSeriesAligner: t.aligner,
                        ...(t.reducer ? { crossSeriesReducer: t.reducer } : {}),
                        ...(t.groupBy ? { groupByFields: t.groupBy } : {}),
                      },
                    },
                  },
                },
              ],
            },
          },
        })),
      },
    };
    const watched: IConstruct[] = [...(p.healthChecks ?? []), ...(p.eltQueries ?? [])];
    return new MonitoringDashboard(this, "dashboard", {
      project: p.project,
      // Multi-line on purpose: `cdktf synth --hcl` writes it as a heredoc, which keeps the JSON's
      // escaped quotes; a one-line string with `\"` is mangled by cdktf's HCL renderer.
      dashboardJson: JSON.stringify(dashboard, null, 2),
      dependsOn: [...dependablesOf(watched), ...(p.reservation?.dependsOn ?? [])],
    });
  }
}

/** A scheduled query's transfer config id (a reference to its `name`). */
function configIdOf(query: MonitoredScheduledQuery): string {
  // projects/<number>/locations/<location>/transferConfigs/<config id>: the last part. basename() needs no
  // quoted argument, so the reference can sit inside a quoted filter and inside the dashboard's JSON.
  return Fn.basename(query.resource.name);
}

/** The policy's documentation: a short runbook. */
function runbook(
  definition: AlertDefinition,
  threshold: number,
  durationSeconds: number,
  metrics: readonly string[],
): string {
  const held = durationSeconds > 0 ? ` for ${durationSeconds / 60} min` : "";
  const text = [
    `**What it means.** ${definition.meaning}`,
    "",
    `**Threshold.** ${threshold} ${definition.unit}${held}. Severity ${severityWord(definition.severity)}.`,
    "",
    "**First three things to check.**",
    ...definition.firstChecks.map((check, i) => `${i + 1}. ${check}`),
    "",
    `Alert \`${definition.id}\` (docs/alerts.md); ${metrics.length > 1 ? "sources" : "source"}: ${metrics.map((m) => `\`${m}\``).join(", ")}.`,
  ].join("\n");
  if (text.length > MAX_DOCUMENTATION)
    throw new Error(`alert ${definition.id}: documentation exceeds ${MAX_DOCUMENTATION} characters`);
  return text;
}

function severityWord(severity: AlertSeverity): string {
  return severity.toLowerCase();
}
