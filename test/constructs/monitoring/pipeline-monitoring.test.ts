import { MonitoringAlertPolicy } from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { ScheduledQuery } from "../../../constructs/bigquery/scheduled-query";
import { Duration } from "../../../constructs/core/duration";
import { Principal } from "../../../constructs/core/principal";
import { ALERT_CATALOGUE } from "../../../constructs/monitoring/alert-catalogue";
import {
  MonitoredWorker,
  PipelineMonitoring,
  PipelineMonitoringProps,
} from "../../../constructs/monitoring/pipeline-monitoring";
import { SqlHealthCheck } from "../../../constructs/monitoring/sql-health-check";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import { asTemplate, newStack, PROJECT, PROJECT_NUMBER, resources, synth, synthStack } from "../../support";

/** A worker publishing to Pub/Sub, and one writing BigQuery itself (what `PipelineMonitoring` reads of a worker). */
const PUBLISHING_WORKER: MonitoredWorker = { sink: "pubsub" };
const DIRECT_WORKER: MonitoredWorker = { sink: "storage-write" };

function monitoring(props: Partial<PipelineMonitoringProps> = {}) {
  const stack = newStack();
  const topic = new StreamTopic(stack, "events", {
    project: PROJECT,
    projectNumber: PROJECT_NUMBER,
    topicName: "events",
  });
  const subscription = topic.addSubscription("events-pull", { maxDeliveryAttempts: 5 });
  const m = new PipelineMonitoring(stack, "monitoring", {
    project: PROJECT,
    displayNamePrefix: "fresh-streams test",
    userLabels: { env: "test", app: "fresh-streams" },
    notificationEmails: ["oncall@example.com"],
    ingestionSubscriptions: [subscription],
    deadLetterSubscriptions: [topic.deadLetterSubscription],
    ...props,
  });
  return { stack, topic, subscription, monitoring: m };
}

/** The policy of an alert id, from synthesized JSON. */
function policy(json: any, alertId: string): any {
  const found = resources(json, "google_monitoring_alert_policy").find((p) => p.user_labels?.alert === alertId);
  if (!found) throw new Error(`no policy for ${alertId}`);
  return found;
}

describe("PipelineMonitoring", () => {
  test("backlog age: the ingestion subscription's oldest unacked message, over 600 s for 5 minutes, notifying the e-mail channel", () => {
    const { stack } = monitoring();
    const json = synthStack(stack);
    const p = policy(json, "pubsub-backlog-age");
    const condition = p.conditions[0].condition_threshold;
    expect(condition.filter).toBe(
      'metric.type="pubsub.googleapis.com/subscription/oldest_unacked_message_age" AND resource.type="pubsub_subscription" AND resource.labels.subscription_id=one_of("events-pull")',
    );
    expect(condition).toMatchObject({
      comparison: "COMPARISON_GT",
      threshold_value: 600,
      duration: "300s",
      aggregations: [{ alignment_period: "60s", per_series_aligner: "ALIGN_MAX" }],
    });
    expect(p.notification_channels).toEqual([
      expect.stringMatching(
        /^\$\{google_monitoring_notification_channel\.monitoring_email-oncall-example-com_[0-9A-F]+\.name\}$/,
      ),
    ]);
    expect(p.severity).toBe("ERROR");
    expect(p.alert_strategy).toEqual({ auto_close: "3600s" });
    expect(p.user_labels).toEqual({ env: "test", app: "fresh-streams", alert: "pubsub-backlog-age" });
    expect(p.documentation.mime_type).toBe("text/markdown");
    expect(p.documentation.content).toMatch(/\*\*What it means\.\*\*/);
    expect(p.documentation.content.match(/^[123]\. /gm)).toHaveLength(3);
    // Created after the subscription it names.
    expect(p.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^google_pubsub_subscription\./)]));
    expect(synth(stack)).toHaveResourceWithProperties(MonitoringNotificationChannel, {
      type: "email",
      labels: { email_address: "oncall@example.com" },
    });
  });

  test("dead letters: any message in the dead-letter subscription, at once", () => {
    const json = synthStack(monitoring().stack);
    const condition = policy(json, "dead-letters").conditions[0].condition_threshold;
    expect(condition.filter).toContain('resource.labels.subscription_id=one_of("events-dead-letter-sub")');
    expect(condition.filter).toContain("subscription/num_undelivered_messages");
    expect(condition).toMatchObject({ comparison: "COMPARISON_GT", threshold_value: 0, duration: "0s" });
  });

  test("thresholds and durations are overridden per alert, and an alert can be turned off", () => {
    const { stack } = monitoring({
      alerts: {
        "pubsub-backlog-age": { threshold: 120, duration: Duration.minutes(2) },
        "pubsub-undelivered-messages": { enabled: false },
      },
    });
    const json = synthStack(stack);
    expect(policy(json, "pubsub-backlog-age").conditions[0].condition_threshold).toMatchObject({
      threshold_value: 120,
      duration: "120s",
    });
    expect(() => policy(json, "pubsub-undelivered-messages")).toThrow(/no policy/);
  });

  test("worker: PromQL on the Prometheus metrics (metric validation off: the types exist only after the first sample)", () => {
    const { stack } = monitoring({ worker: PUBLISHING_WORKER });
    const json = synthStack(stack);
    const promql = (alertId: string) => policy(json, alertId).conditions[0].condition_prometheus_query_language;
    expect(promql("worker-stalled")).toEqual({
      query:
        "sum(increase(fresh_streams_worker_events_received_total[10m])) > 0 and sum(increase(fresh_streams_worker_events_published_total[10m])) <= 0",
      duration: "0s",
      evaluation_interval: "60s",
      disable_metric_validation: true,
    });
    expect(promql("worker-event-lag")).toMatchObject({
      query: "max(fresh_streams_worker_event_lag_seconds) > 300",
      duration: "300s",
    });
    expect(promql("worker-checkpoint-age")).toMatchObject({
      query: "max(fresh_streams_worker_checkpoint_age_seconds) > 900",
      duration: "300s",
    });
    expect(promql("worker-reconnect-storm").query).toBe(
      "sum(increase(fresh_streams_worker_sse_reconnects_total[10m])) > 10",
    );
    // Any poison pill or oversize frame the worker set aside is data missing from the warehouse.
    expect(promql("worker-dead-letters").query).toBe(
      "sum(increase(fresh_streams_worker_events_dead_lettered_total[10m])) > 0",
    );
  });

  test("worker-stalled's window and the other thresholds follow the overrides", () => {
    const { stack } = monitoring({
      worker: PUBLISHING_WORKER,
      alerts: { "worker-stalled": { duration: Duration.minutes(15) }, "worker-checkpoint-age": { threshold: 1800 } },
    });
    const json = synthStack(stack);
    expect(policy(json, "worker-stalled").conditions[0].condition_prometheus_query_language.query).toContain(
      "fresh_streams_worker_events_published_total[15m]",
    );
    expect(policy(json, "worker-checkpoint-age").conditions[0].condition_prometheus_query_language.query).toBe(
      "max(fresh_streams_worker_checkpoint_age_seconds) > 1800",
    );
  });

  test("metric writers get roles/monitoring.metricWriter on the project, once, and nothing else", () => {
    const writer = Principal.serviceAccount("worker@test-project.iam.gserviceaccount.com");
    const { stack } = monitoring({ metricWriters: [writer, writer] });
    const bindings = resources(synthStack(stack), "google_project_iam_member");
    expect(bindings).toEqual([
      expect.objectContaining({
        role: "roles/monitoring.metricWriter",
        member: "serviceAccount:worker@test-project.iam.gserviceaccount.com",
      }),
    ]);
    expect(synth(stack)).toHaveResourceWithProperties(ProjectIamMember, { role: "roles/monitoring.metricWriter" });
  });

  test("BigQuery subscription: dead-lettered messages and a state other than ACTIVE", () => {
    const stack = newStack();
    const topic = new StreamTopic(stack, "events", {
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      topicName: "events",
    });
    const sub = topic.addSubscription("events-bq", { maxDeliveryAttempts: 5 });
    new PipelineMonitoring(stack, "monitoring", {
      project: PROJECT,
      notificationEmails: ["oncall@example.com"],
      bigQuerySubscriptions: [sub],
    });
    const json = synthStack(stack);
    expect(policy(json, "bigquery-subscription-rejections").conditions[0].condition_threshold.filter).toContain(
      "subscription/dead_letter_message_count",
    );
    const state = policy(json, "bigquery-subscription-state");
    expect(state.severity).toBe("CRITICAL");
    expect(state.conditions[0].condition_threshold.filter).toContain(
      'NOT metric.labels.subscription_state=monitoring.regex.full_match("(?i)active")',
    );
  });

  test("Dataflow, ELT runs, health checks and the reservation", () => {
    const stack = newStack();
    const monitoringDataset = new LayeredDataset(stack, "mon", {
      datasetId: "mon",
      layer: "monitoring",
      location: "US",
      project: PROJECT,
    });
    const staging = new ScheduledQuery(stack, "staging-load", {
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      query: "SELECT 1",
    });
    const check = new SqlHealthCheck(stack, "cdc", {
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      checkId: "cdc-staleness",
      measureSql: "SELECT 5 AS staleness_seconds",
      valueExpression: "MAX(staleness_seconds)",
      threshold: 600,
      resultsDataset: monitoringDataset,
      readDatasets: [],
    });
    new PipelineMonitoring(stack, "monitoring", {
      project: PROJECT,
      notificationChannelIds: ["projects/test-project/notificationChannels/123"],
      dataflowJobs: [{ jobName: "events-to-bq", node: stack.node, dependables: [] }],
      eltQueries: [staging],
      healthChecks: [check],
      reservation: { reservationName: "cdc-background", maxSlots: 150 },
    });
    const json = synthStack(stack);
    expect(policy(json, "dataflow-job-failed").conditions[0].condition_threshold.filter).toBe(
      'metric.type="dataflow.googleapis.com/job/is_failed" AND resource.type="dataflow_job" AND resource.labels.job_name=one_of("events-to-bq")',
    );
    const elt = policy(json, "elt-run-failed").conditions[0].condition_threshold;
    // References in a filter with quotes are written as format(): the template it renders is this.
    expect(asTemplate(elt.filter)).toMatch(
      /^metric\.type="bigquerydatatransfer\.googleapis\.com\/transfer_config\/completed_runs" AND resource\.type="bigquery_dts_config" AND resource\.labels\.config_id=one_of\("\$\{basename\(google_bigquery_data_transfer_config\.staging-load_[0-9A-F]+\.name\)\}"\) AND metric\.labels\.completion_state="FAILED"$/,
    );
    const cdc = policy(json, "cdc-staleness");
    expect(asTemplate(cdc.conditions[0].condition_threshold.filter)).toMatch(
      /^metric\.type="logging\.googleapis\.com\/user\/\$\{google_logging_metric\.cdc_metric_[0-9A-F]+\.name\}" AND resource\.type="bigquery_dts_config"$/,
    );
    expect(cdc.documentation.content).toContain("**Threshold.** 600 seconds");
    const reservation = policy(json, "reservation-at-max").conditions[0].condition_threshold;
    expect(reservation).toMatchObject({ comparison: "COMPARISON_GE", threshold_value: 150, duration: "900s" });
    expect(reservation.filter).toContain('metric.labels.reservation="cdc-background"');
    expect(policy(json, "elt-run-failed").notification_channels).toEqual([
      "projects/test-project/notificationChannels/123",
    ]);
  });

  test("every policy of a full configuration has a runbook, a severity, labels, auto-close and a channel (snapshot)", () => {
    const { stack } = monitoring({ worker: PUBLISHING_WORKER, autoClose: Duration.hours(2) });
    const json = synthStack(stack);
    const policies = resources(json, "google_monitoring_alert_policy");
    expect(policies.map((p: any) => p.user_labels.alert).sort()).toEqual([
      "dead-letters",
      "pubsub-backlog-age",
      "pubsub-undelivered-messages",
      "worker-checkpoint-age",
      "worker-dead-letters",
      "worker-event-lag",
      "worker-metrics-absent",
      "worker-page-change-dead-letters",
      "worker-reconnect-storm",
      "worker-stalled",
    ]);
    for (const p of policies) {
      expect(p.documentation.content.length).toBeGreaterThan(100);
      expect(["CRITICAL", "ERROR", "WARNING"]).toContain(p.severity);
      expect(p.alert_strategy.auto_close).toBe("7200s");
      expect(p.notification_channels.length).toBe(1);
      expect(p.user_labels.env).toBe("test");
    }
    expect(json.resource.google_monitoring_alert_policy).toMatchSnapshot();
  });

  test("alerting off: no channel and no policy, the dashboard stays", () => {
    const { stack } = monitoring({ alerting: false });
    const json = synthStack(stack);
    expect(resources(json, "google_monitoring_alert_policy")).toEqual([]);
    expect(resources(json, "google_monitoring_notification_channel")).toEqual([]);
    expect(resources(json, "google_monitoring_dashboard")).toHaveLength(1);
  });

  test("the dashboard charts backlog age and dead letters from the same metrics", () => {
    const json = synthStack(monitoring({ worker: PUBLISHING_WORKER }).stack);
    const dashboard = JSON.parse(resources(json, "google_monitoring_dashboard")[0].dashboard_json);
    const titles = dashboard.mosaicLayout.tiles.map((t: any) => t.widget.title);
    expect(titles).toEqual([
      "Ingestion rate: events published by the worker (per second)",
      "Backlog age: oldest unacked message (s)",
      "Worker event lag (s)",
      "Worker checkpoint age (s)",
      "Dead letters: messages in dead-letter subscriptions",
    ]);
  });

  test.each<[string, Partial<PipelineMonitoringProps>, RegExp]>([
    [
      "a threshold of 0 where it must be positive",
      { alerts: { "pubsub-backlog-age": { threshold: 0 } } },
      /^test\/monitoring: alert pubsub-backlog-age: threshold 0 is invalid; it counts seconds and must be greater than 0$/,
    ],
    [
      "a negative threshold",
      { alerts: { "dead-letters": { threshold: -1 } } },
      /^test\/monitoring: alert dead-letters: threshold -1 is invalid; it counts messages and must be 0 or more$/,
    ],
    [
      "a duration that is not whole minutes",
      { alerts: { "pubsub-backlog-age": { duration: Duration.seconds(90) } } },
      /^test\/monitoring: alert pubsub-backlog-age: duration is 1 minute 30 seconds; Cloud Monitoring accepts only whole minutes \(a multiple of 60 seconds\)$/,
    ],
    [
      "an invalid e-mail",
      { notificationEmails: ["oncall-at-example.com"] },
      /^test\/monitoring: notification e-mail "oncall-at-example.com" is not an e-mail address$/,
    ],
    [
      "a channel that is not a channel id",
      { notificationChannelIds: ["123"] },
      /^test\/monitoring: notification channel "123" is not a channel id; expected projects\/<project>\/notificationChannels\/<number>$/,
    ],
    [
      "an unknown alert id",
      { alerts: { "no-such-alert": {} } as any },
      /^test\/monitoring: alerts has an unknown alert id "no-such-alert"/,
    ],
    [
      "an auto-close below 30 minutes",
      { autoClose: Duration.minutes(5) },
      /^test\/monitoring: autoClose is 5 minutes; Cloud Monitoring closes incidents after 30 minutes to 7 days$/,
    ],
    ["an invalid user label", { userLabels: { Env: "dev" } }, /^test\/monitoring: label key "Env" is invalid/],
  ])("invalid props fail synthesis naming the path, the value and the rule: %s", (_name, props, message) => {
    expect(() => monitoring(props)).toThrow(message);
  });

  test("the catalogue has a runbook of three checks for every alert", () => {
    for (const a of ALERT_CATALOGUE) {
      expect(a.firstChecks).toHaveLength(3);
      expect(a.durationSeconds % 60).toBe(0);
    }
  });
});

test("policies are MonitoringAlertPolicy resources", () => {
  expect(synth(monitoring().stack)).toHaveResourceWithProperties(MonitoringAlertPolicy, { combiner: "OR" });
});

describe("PipelineMonitoring of a worker writing BigQuery directly", () => {
  test("a worker writing BigQuery itself adds the sink alerts and charts; one publishing to Pub/Sub does not", () => {
    const { stack } = monitoring({
      worker: DIRECT_WORKER,
      ingestionSubscriptions: [],
      deadLetterSubscriptions: [],
    });
    const json = synthStack(stack);
    expect(policy(json, "worker-sink-refused")).toMatchObject({
      severity: "ERROR",
      conditions: [
        {
          condition_prometheus_query_language: expect.objectContaining({
            query: "sum(increase(fresh_streams_worker_sink_rows_refused_total[10m])) > 0",
            duration: "0s",
          }),
        },
      ],
    });
    expect(policy(json, "worker-sink-errors").conditions[0].condition_prometheus_query_language).toMatchObject({
      query: 'sum(increase(fresh_streams_worker_sink_requests_total{outcome=~"failed|retried"}[10m])) > 10',
      duration: "600s",
    });
    const dashboard = resources(json, "google_monitoring_dashboard")[0].dashboard_json;
    expect(dashboard).toContain("fresh_streams_worker_sink_rows_refused_total");
    const { stack: plain } = monitoring({ worker: PUBLISHING_WORKER });
    expect(() => policy(synthStack(plain), "worker-sink-refused")).toThrow("no policy for worker-sink-refused");
  });

  test("a threshold override reaches the query", () => {
    const { stack } = monitoring({
      worker: DIRECT_WORKER,
      alerts: { "worker-sink-errors": { threshold: 3 } },
    });
    expect(
      policy(synthStack(stack), "worker-sink-errors").conditions[0].condition_prometheus_query_language.query,
    ).toMatch(/\) > 3$/);
  });

  test("the sink runbook speaks of the worker's error table generically, or in the words the application gives", () => {
    const content = (props: Partial<PipelineMonitoringProps>) =>
      policy(synthStack(monitoring({ worker: DIRECT_WORKER, ...props }).stack), "worker-sink-refused").documentation
        .content;
    expect(content({})).toContain("the worker wrote them to its error table instead of the raw table.");
    expect(content({ runbookWords: { errorTable: "the table clicks_errors" } })).toContain(
      "the worker wrote them to the table clicks_errors instead of the raw table.",
    );
  });

  test("a runbook word no entry uses fails naming the path, the word and the words there are", () => {
    expect(() => monitoring({ runbookWords: { errorTabel: "x" } })).toThrow(
      /^test\/monitoring: runbookWords has "errorTabel", which no runbook uses; the runbooks' words are .*errorTable/,
    );
  });
});
