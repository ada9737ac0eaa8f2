/**
 * Adding an alert is adding one catalogue entry: here an entry (and a PromQL one) is added to the catalogue,
 * test-locally, and nothing else is written; the policy, its chart and its rows in docs/alerts.md follow.
 */
import { ALERT_CATALOGUE, AlertDefinition, GCP_METRICS, MetricSignal } from "../../../constructs";
import { PipelineMonitoring } from "../../../constructs/monitoring/pipeline-monitoring";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import { renderAlertTable, renderRunbooks } from "../../../tools/docs/sections/alerts";
import { newStack, PROJECT, PROJECT_NUMBER, resources, synthStack } from "../../support";

const BACKLOG_GROWING: AlertDefinition = {
  id: "pubsub-backlog-growing",
  title: "Pub/Sub backlog keeps growing",
  severity: "WARNING",
  unit: "messages",
  threshold: 5000,
  positiveThreshold: true,
  durationSeconds: 900,
  meaning: "The mean backlog of {{consumer}} stayed above the threshold for the whole duration.",
  firstChecks: [
    "Compare the publish rate with the ack rate on the dashboard.",
    "Check the consumer's errors and its dead-letter subscription.",
    "Raise the consumer's capacity if it is at its maximum.",
  ],
  words: { consumer: "an ingestion subscription" },
  signal: {
    watches: "ingestionSubscriptions",
    condition: "mean undelivered messages",
    metric: GCP_METRICS.numUndeliveredMessages,
    aligner: "ALIGN_MEAN",
    alignmentSeconds: 300,
    reducer: "REDUCE_SUM",
    comparison: "COMPARISON_GT",
  },
  tile: {
    title: "Backlog size: undelivered messages",
    position: 25,
    aligner: "ALIGN_MAX",
    reducer: "REDUCE_SUM",
    groupBy: ["resource.labels.subscription_id"],
  },
};

const CHECKPOINT_FAILURES: AlertDefinition = {
  id: "worker-checkpoint-failures",
  title: "Worker cannot save its checkpoint",
  severity: "ERROR",
  unit: "failures",
  threshold: 3,
  positiveThreshold: false,
  durationSeconds: 0,
  meaning: "The worker failed to write its checkpoint more often than the threshold within 10 minutes.",
  firstChecks: ["Read the worker's logs.", "Check the bucket.", "Check the service account's roles on it."],
  signal: {
    watches: "worker",
    condition: "checkpoint failures in 10 minutes",
    promql: "sum(increase({{checkpointFailures}}[10m])) > {{threshold}}",
  },
};

const CATALOGUE = [...ALERT_CATALOGUE, BACKLOG_GROWING, CHECKPOINT_FAILURES];

function synthesize(catalogue: readonly AlertDefinition[]) {
  const stack = newStack();
  const topic = new StreamTopic(stack, "events", {
    project: PROJECT,
    projectNumber: PROJECT_NUMBER,
    topicName: "events",
  });
  new PipelineMonitoring(stack, "monitoring", {
    project: PROJECT,
    notificationEmails: ["oncall@example.com"],
    ingestionSubscriptions: [topic.addSubscription("events-pull", { maxDeliveryAttempts: 5 })],
    deadLetterSubscriptions: [topic.deadLetterSubscription],
    worker: { sink: "pubsub" },
    catalogue,
    runbookWords: catalogue.includes(BACKLOG_GROWING) ? { consumer: "the clicks loader" } : {},
  });
  return synthStack(stack);
}

const policyOf = (json: any, alertId: string) =>
  resources(json, "google_monitoring_alert_policy").find((p) => p.user_labels.alert === alertId);
const chartTitles = (json: any) =>
  JSON.parse(resources(json, "google_monitoring_dashboard")[0].dashboard_json).mosaicLayout.tiles.map(
    (t: any) => t.widget.title,
  );

describe("adding an alert: one catalogue entry", () => {
  const json = synthesize(CATALOGUE);

  test("its policy: the metric filtered to what it watches, aligned, reduced and compared as the entry says", () => {
    const p = policyOf(json, "pubsub-backlog-growing");
    expect(p.display_name).toBe("fresh-streams: Pub/Sub backlog keeps growing");
    expect(p.severity).toBe("WARNING");
    expect(p.conditions[0].condition_threshold).toMatchObject({
      filter:
        'metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages" AND resource.type="pubsub_subscription" AND resource.labels.subscription_id=one_of("events-pull")',
      comparison: "COMPARISON_GT",
      threshold_value: 5000,
      duration: "900s",
      aggregations: [
        { alignment_period: "300s", per_series_aligner: "ALIGN_MEAN", cross_series_reducer: "REDUCE_SUM" },
      ],
    });
    expect(p.documentation.content).toContain(
      "**What it means.** The mean backlog of the clicks loader stayed above the threshold for the whole duration.",
    );
    expect(p.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^google_pubsub_subscription\./)]));
  });

  test("a PromQL entry on the worker's metrics gets its policy too", () => {
    expect(
      policyOf(json, "worker-checkpoint-failures").conditions[0].condition_prometheus_query_language,
    ).toMatchObject({
      query: "sum(increase(fresh_streams_worker_checkpoint_failures_total[10m])) > 3",
      disable_metric_validation: true,
    });
  });

  test("its chart, at its position among the others", () => {
    const titles = chartTitles(json);
    expect(titles.indexOf("Backlog size: undelivered messages")).toBe(
      titles.indexOf("Backlog age: oldest unacked message (s)") + 1,
    );
    expect(chartTitles(synthesize(ALERT_CATALOGUE))).not.toContain("Backlog size: undelivered messages");
  });

  test("its row and runbook in docs/alerts.md's generated sections", () => {
    const row = renderAlertTable(CATALOGUE)
      .split("\n")
      .find((line) => line.startsWith("| `pubsub-backlog-growing`"));
    expect(row).toMatch(/\| WARNING +\| `ingestionSubscriptions` +\| Backlog size: undelivered messages +\|$/);
    expect(renderRunbooks(CATALOGUE)).toContain(
      "### `pubsub-backlog-growing`: Pub/Sub backlog keeps growing\n\nThe mean backlog of an ingestion subscription stayed",
    );
  });

  test("an entry that cannot work with what it watches fails naming the path, the entry and the rule", () => {
    const noMetric: AlertDefinition = {
      ...BACKLOG_GROWING,
      id: "no-metric",
      signal: { ...(BACKLOG_GROWING.signal as MetricSignal), metric: undefined },
    };
    expect(() => synthesize([...ALERT_CATALOGUE, noMetric])).toThrow(
      "test/monitoring: catalogue entry no-metric: signal.metric is missing, and what it watches (ingestionSubscriptions) has no metric of its own",
    );
    const noLevel: AlertDefinition = {
      ...BACKLOG_GROWING,
      id: "no-level",
      signal: { ...(BACKLOG_GROWING.signal as MetricSignal), threshold: "watched" },
    };
    expect(() => synthesize([...ALERT_CATALOGUE, noLevel])).toThrow(
      'test/monitoring: catalogue entry no-level: its threshold comes from what it watches (ingestionSubscriptions), which sets no level; use "settings"',
    );
  });
});
