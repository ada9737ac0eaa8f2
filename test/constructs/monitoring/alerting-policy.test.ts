import { Aspects } from "cdktf";
import { MonitoringAlertPolicy } from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { AlertingAspect, applyWarehousePolicies, PolicySuppressions } from "../../../constructs/policy";
import { PipelineMonitoring } from "../../../constructs/monitoring/pipeline-monitoring";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import { newStack, PROJECT, PROJECT_NUMBER, synthAnnotations } from "../../support";

/** The error annotations of a stack after synthesis. */
const policyErrors = (stack: ReturnType<typeof newStack>) => synthAnnotations(stack);

function stackWith(props: { emails?: string[]; production: boolean }) {
  const stack = newStack();
  const topic = new StreamTopic(stack, "events", {
    project: PROJECT,
    projectNumber: PROJECT_NUMBER,
    topicName: "events",
  });
  new PipelineMonitoring(stack, "monitoring", {
    project: PROJECT,
    notificationEmails: props.emails,
    deadLetterSubscriptions: [topic.deadLetterSubscription],
  });
  Aspects.of(stack).add(new AlertingAspect({ production: props.production }));
  return stack;
}

describe("AlertingAspect", () => {
  test("FS-ALERT-1: in production, an alert policy without a notification channel fails synthesis", () => {
    expect(policyErrors(stackWith({ production: true }))).toEqual([
      expect.stringMatching(
        /^\[FS-ALERT-1 alerting\] google_monitoring_alert_policy test\/monitoring\/dead-letters: the alert policy notifies no channel in a production environment/,
      ),
    ]);
  });

  test("FS-ALERT-1: with a channel, or outside production, it passes", () => {
    expect(policyErrors(stackWith({ production: true, emails: ["oncall@example.com"] }))).toEqual([]);
    expect(policyErrors(stackWith({ production: false }))).toEqual([]);
  });

  test("FS-ALERT-2: a hand-written policy without runbook, severity or auto-close fails", () => {
    const stack = newStack();
    new MonitoringAlertPolicy(stack, "bare", {
      project: PROJECT,
      displayName: "bare",
      combiner: "OR",
      conditions: [{ displayName: "c", conditionAbsent: { filter: 'metric.type="x"', duration: "300s" } }],
    });
    Aspects.of(stack).add(new AlertingAspect());
    expect(policyErrors(stack)).toEqual([
      "[FS-ALERT-2 alerting] google_monitoring_alert_policy test/bare: the alert policy has no documentation.content (a runbook), severity, alert_strategy.auto_close",
    ]);
  });

  test("applyWarehousePolicies checks alert policies; a suppression with a reason silences FS-ALERT-1", () => {
    const stack = newStack();
    const topic = new StreamTopic(stack, "events", {
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      topicName: "events",
    });
    const m = new PipelineMonitoring(stack, "monitoring", {
      project: PROJECT,
      deadLetterSubscriptions: [topic.deadLetterSubscription],
    });
    applyWarehousePolicies(stack, { labels: {}, production: true });
    expect(policyErrors(stack).filter((e) => e.includes("FS-ALERT-1"))).toHaveLength(1);

    const quiet = newStack("quiet");
    const t2 = new StreamTopic(quiet, "events", {
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      topicName: "events",
    });
    const m2 = new PipelineMonitoring(quiet, "monitoring", {
      project: PROJECT,
      deadLetterSubscriptions: [t2.deadLetterSubscription],
    });
    PolicySuppressions.of(m2).add({
      id: "FS-ALERT-1",
      reason: "Watched on the team's wall screen; nobody is paged for this stack.",
    });
    applyWarehousePolicies(quiet, { labels: {}, production: true });
    expect(policyErrors(quiet).filter((e) => e.includes("FS-ALERT"))).toEqual([]);
    expect(m).toBeDefined();
  });
});
