import { ALERT_CATALOGUE } from "../../constructs";
import { HEALTH_CHECK_MARKER } from "../../constructs/monitoring/sql-health-check";
import { annotationsOf, resources, synthEnvironment } from "../support";

const alertIds = (json: any) =>
  resources(json, "google_monitoring_alert_policy")
    .map((p) => p.user_labels.alert)
    .sort();

const COMMON = [
  "cdc-staleness",
  "dead-letters",
  "elt-freshness",
  "elt-run-failed",
  "pubsub-backlog-age",
  "pubsub-undelivered-messages",
  "quality-late-events",
  "quality-staging-duplicates",
  "reservation-at-max",
  "worker-checkpoint-age",
  "worker-dead-letters",
  "worker-event-lag",
  "worker-metrics-absent",
  "worker-page-change-dead-letters",
  "worker-reconnect-storm",
  "worker-stalled",
];

describe("the monitoring layer of the environments", () => {
  test.each(["dev", "prod"])(
    "%s (Dataflow): an alert for every signal of its mode, each with channels and a runbook, and one dashboard",
    (env) => {
      const { json } = synthEnvironment(env);
      expect(alertIds(json)).toEqual(
        [...COMMON, "dataflow-job-failed", "dataflow-system-lag", "dataflow-watermark-age"].sort(),
      );
      for (const p of resources(json, "google_monitoring_alert_policy")) {
        expect(p.notification_channels.length).toBeGreaterThan(0);
        expect(p.documentation.content).toMatch(/First three things to check/);
        expect(p.user_labels).toMatchObject({ env, app: "fresh-streams", team: "data-platform" });
        expect(p.display_name).toMatch(new RegExp(`^fresh-streams ${env}: `));
      }
      expect(resources(json, "google_monitoring_dashboard")).toHaveLength(1);
      expect(resources(json, "google_monitoring_notification_channel")).toEqual([
        expect.objectContaining({ type: "email", labels: { email_address: "data-platform-oncall@example.com" } }),
      ]);
    },
  );

  test("dev in BigQuery-subscription mode: the subscription's write failures instead of Dataflow's alerts", () => {
    const { json } = synthEnvironment("dev", (c) => ({
      ...c,
      ingestion: { ...c.ingestion, mode: "bigquery-subscription" },
    }));
    expect(alertIds(json)).toEqual(
      [...COMMON, "bigquery-subscription-rejections", "bigquery-subscription-state"].sort(),
    );
  });

  test("local turns alerting off: no policy, no channel; the health checks and the dashboard stay", () => {
    const { json } = synthEnvironment("local");
    expect(resources(json, "google_monitoring_alert_policy")).toEqual([]);
    expect(resources(json, "google_monitoring_notification_channel")).toEqual([]);
    expect(resources(json, "google_monitoring_dashboard")).toHaveLength(1);
    expect(resources(json, "google_logging_metric")).toHaveLength(4);
  });

  test("the prod override of the backlog-age threshold reaches the policy", () => {
    const { json } = synthEnvironment("prod");
    const p = resources(json, "google_monitoring_alert_policy").find(
      (x) => x.user_labels.alert === "pubsub-backlog-age",
    );
    expect(p.conditions[0].condition_threshold.threshold_value).toBe(300);
  });

  test("the CDC check compares the apply watermark with the CDC table's max_staleness (10 minutes) and counts breaches from the run logs", () => {
    const { stack, json } = synthEnvironment("dev");
    const check = stack.monitoring!.checks["cdc-staleness"]!;
    const transfer = json.resource.google_bigquery_data_transfer_config[check.query.resource.friendlyUniqueId];
    expect(transfer.params.query).toContain("IF(value > 600, ERROR(");
    expect(transfer.params.query).toContain("INFORMATION_SCHEMA.TABLES");
    expect(transfer.params).toMatchObject({
      destination_table_name_template: "health_checks",
      write_disposition: "WRITE_APPEND",
    });
    expect(transfer.destination_dataset_id).toMatch(
      /^\$\{google_bigquery_dataset\.monitoring_dataset_[0-9A-F]+\.dataset_id\}$/,
    );
    const metric = json.resource.google_logging_metric[check.logMetric.friendlyUniqueId];
    // The filter is a literal with its quotes, formatted with the transfer config's id (a token):
    // written this way, the HCL export stays parsable.
    const literal = `resource.type="bigquery_dts_config" AND resource.labels.config_id="%s" AND severity>=ERROR AND "${HEALTH_CHECK_MARKER} cdc-staleness"`;
    expect(metric.filter).toBe(
      `\${format(${JSON.stringify(literal)}, basename(google_bigquery_data_transfer_config.${check.query.resource.friendlyUniqueId}.name))}`,
    );
  });

  test("the worker's service account may write metrics, and nothing more is granted on the project for monitoring", () => {
    const { json } = synthEnvironment("dev");
    const writers = resources(json, "google_project_iam_member").filter(
      (b) => b.role === "roles/monitoring.metricWriter",
    );
    expect(writers).toEqual([
      expect.objectContaining({
        member: expect.stringMatching(
          /^\$\{google_service_account\.worker_sse-publisher_service-account_[0-9A-F]+\.member\}$/,
        ),
      }),
    ]);
  });

  test("a disabled SQL alert also drops its check", () => {
    const { json } = synthEnvironment("dev", (c) => ({
      ...c,
      monitoring: { ...c.monitoring, alerts: { "quality-late-events": { enabled: false } } },
    }));
    expect(alertIds(json)).not.toContain("quality-late-events");
    expect(resources(json, "google_logging_metric")).toHaveLength(3);
  });

  test("every alert of the catalogue is created by some environment mode", () => {
    const all = new Set([
      ...alertIds(synthEnvironment("dev").json),
      ...alertIds(
        synthEnvironment("dev", (c) => ({ ...c, ingestion: { ...c.ingestion, mode: "bigquery-subscription" } })).json,
      ),
      ...alertIds(synthEnvironment("dev", (c) => ({ ...c, ingestion: { ...c.ingestion, mode: "direct" } })).json),
    ]);
    expect(ALERT_CATALOGUE.map((a) => a.id).filter((id) => !all.has(id))).toEqual([]);
  });

  test("the worker is watched by passing it: the direct environment's worker writes BigQuery, so its sink alerts come with it", () => {
    expect(alertIds(synthEnvironment("direct").json)).toEqual(
      expect.arrayContaining(["worker-sink-errors", "worker-sink-refused", "worker-stalled"]),
    );
    expect(alertIds(synthEnvironment("dev").json)).not.toContain("worker-sink-refused");
  });

  test("the runbooks name the application's own tables, files and settings, which the stack gives", () => {
    const content = (json: any, alertId: string) =>
      resources(json, "google_monitoring_alert_policy").find((p) => p.user_labels.alert === alertId).documentation
        .content;
    const dev = synthEnvironment("dev").json;
    expect(content(dev, "quality-staging-duplicates")).toContain(
      "wiki_staged holds more than one row for some event_id (sql/quality/staging_duplicates.sql)",
    );
    expect(content(dev, "quality-late-events")).toContain("Query the reporting view wiki_changes_late_arrivals");
    expect(content(dev, "dataflow-system-lag")).toContain("Raise ingestion.dataflow.maxWorkers.");
    expect(content(synthEnvironment("direct").json, "worker-sink-refused")).toContain(
      "the worker wrote them to the raw error table (wiki_changes_errors) instead of the raw table.",
    );
  });

  test("prod without a notification channel fails synthesis with FS-ALERT-1 on every policy", () => {
    const { stack } = synthEnvironment("prod", (c) => ({
      ...c,
      monitoring: { ...c.monitoring, notificationEmails: [], notificationChannelIds: [] },
    }));
    const errors = annotationsOf(stack);
    // One per policy prod deploys: its common signals and Dataflow's three.
    expect(errors).toHaveLength(COMMON.length + 3);
    expect(
      errors.every((e) =>
        e.startsWith("[FS-ALERT-1 alerting] google_monitoring_alert_policy prod/monitoring/pipeline/"),
      ),
    ).toBe(true);
  });
});

describe("the monitoring layer watches the worker where it runs", () => {
  const policy = (json: any, alert: string) =>
    resources(json, "google_monitoring_alert_policy").find((p) => p.user_labels.alert === alert);

  test("a worker pool: the runbooks read its logs on cloud_run_worker_pool; no metrics at all is an alert", () => {
    const { json } = synthEnvironment("dev");
    expect(policy(json, "worker-stalled").documentation.content).toContain(
      'resource.type="cloud_run_worker_pool" resource.labels.worker_pool_name="wiki-sse-publisher"',
    );
    expect(policy(json, "worker-event-lag").documentation.content).toContain(
      'run.googleapis.com/container/cpu/utilizations on resource.type="cloud_run_worker_pool"',
    );
    const absent = policy(json, "worker-metrics-absent");
    expect(absent.conditions[0].condition_prometheus_query_language.query).toBe(
      "absent_over_time(fresh_streams_worker_checkpoint_age_seconds[10m])",
    );
  });

  test("a service: the same runbooks read its logs on cloud_run_revision", () => {
    const { json } = synthEnvironment("dev", (c) => ({ ...c, worker: { ...c.worker, host: "service" } }));
    expect(policy(json, "worker-stalled").documentation.content).toContain(
      'resource.type="cloud_run_revision" resource.labels.service_name="wiki-sse-publisher"',
    );
  });

  test("the reservation's sizing query names the environment's reservation, project and region", () => {
    const { json, config } = synthEnvironment("dev");
    const sql: string = json.output.reservation_sizing_query.value;
    expect(sql).toContain(`\`${config.projectId}\`.\`region-us\`.INFORMATION_SCHEMA.JOBS_TIMELINE_BY_PROJECT`);
    const [reservation] = resources(json, "google_bigquery_reservation");
    expect(sql).toContain(`reservation_id = '${config.projectId}:US.${reservation.name}'`);
    expect(policy(json, "reservation-at-max").documentation.content).toContain("sql/cdc/reservation_sizing.sql");
    expect(synthEnvironment("direct").json.output?.reservation_sizing_query).toBeUndefined();
  });
});
