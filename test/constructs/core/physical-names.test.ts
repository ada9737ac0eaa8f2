/**
 * Physical names unique where Google Cloud looks them up (constructs/core/physical-names.ts): two
 * constructs whose defaults give the same name in one project fail synthesis naming both paths.
 */
import { Construct } from "constructs";
import { Testing } from "cdktf";
import { BigqueryJob } from "@cdktf/provider-google/lib/bigquery-job";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { ScheduledQuery } from "../../../constructs/bigquery/scheduled-query";
import { PubSubToBigQueryJob } from "../../../constructs/dataflow/pubsub-to-bigquery-job";
import { SsePublisherService } from "../../../constructs/worker/sse-publisher-service";
import { newStack, newTable, newTopic, PROJECT, PROJECT_NUMBER } from "../../support";

const query = { project: PROJECT, projectNumber: PROJECT_NUMBER, location: "US", query: "SELECT 1" };

describe("physical names", () => {
  // https://cloud.google.com/iam/docs/service-accounts-create: a service account id is unique in its project.
  test("two workers with the default service account id in one project", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    new SsePublisherService(stack, "worker-a", { project: PROJECT, region: "us-central1", topic });
    new SsePublisherService(stack, "worker-b", {
      project: PROJECT,
      region: "us-central1",
      topic,
      serviceName: "other-publisher",
      repositoryId: "other-repo",
      checkpointBucketName: "other-checkpoints",
    });
    expect(() => Testing.synth(stack)).toThrow(
      'test/worker-b/service-account: service account id "wiki-sse-publisher" (project "test-project") is already used by test/worker-a/service-account; service account ids are unique within a project: give one of them another name',
    );
  });

  test("two scheduled queries whose construct ids derive the same service account id", () => {
    const stack = newStack();
    new ScheduledQuery(new Construct(stack, "staging"), "load", query);
    new ScheduledQuery(new Construct(stack, "reporting"), "load", query);
    expect(() => Testing.synth(stack)).toThrow(
      /test\/reporting\/load\/ServiceAccount: service account id "sq-load" \(project "test-project"\) is already used by test\/staging\/load\/ServiceAccount/,
    );
  });

  // https://cloud.google.com/storage/docs/buckets#naming: one namespace for every project.
  test("two Dataflow jobs of one name: their default temp bucket (and account and job name) clash", () => {
    const stack = newStack();
    const table = newTable(stack);
    const topic = newTopic(stack);
    const job = (scope: Construct, subscription: string, serviceAccountId?: string) =>
      new PubSubToBigQueryJob(scope, "job", {
        jobName: "events-to-bigquery",
        project: PROJECT,
        region: "us-central1",
        subscription: topic.addSubscription(subscription),
        outputTable: table,
        errorTableId: `${subscription.replace(/-/g, "_")}_errors`,
        serviceAccountId,
      });
    job(new Construct(stack, "a"), "events-a");
    job(new Construct(stack, "b"), "events-b", "other-worker");
    expect(() => Testing.synth(stack)).toThrow(
      'test/b/job/temp-bucket: bucket name "test-project-events-to-bigquery-temp" is already used by test/a/job/temp-bucket; bucket names are globally unique across every project',
    );
  });

  // https://cloud.google.com/bigquery/docs/datasets#dataset-naming and Pub/Sub resource names.
  test("datasets, tables and topics: one name per project (per dataset for tables)", () => {
    const datasets = newStack();
    new LayeredDataset(datasets, "raw", { datasetId: "raw", layer: "raw", location: "US", project: PROJECT });
    new LayeredDataset(datasets, "raw-again", { datasetId: "raw", layer: "raw", location: "US", project: PROJECT });
    expect(() => Testing.synth(datasets)).toThrow(
      'test/raw-again/dataset: dataset id "raw" (project "test-project") is already used by test/raw/dataset',
    );
    const topics = newStack();
    newTopic(topics, {}, "a");
    newTopic(topics, { deadLetterTopicName: "other-dl", deadLetterSubscriptionName: "other-dl-sub" }, "b");
    expect(() => Testing.synth(topics)).toThrow(
      'test/b/topic: topic name "events" (project "test-project") is already used by test/a/topic; topic names are unique within a project',
    );
    const tables = newStack();
    newTable(tables, { tableId: "events" });
    const t = newTable(tables, { tableId: "events", project: "other-project" });
    expect(t.tableId).toBe("events");
    expect(() => Testing.synth(tables)).not.toThrow();
  });

  test("the same names in different projects, and a hand-written account, are fine; a hand-written clash is not", () => {
    const stack = newStack();
    new ScheduledQuery(new Construct(stack, "a"), "load", query);
    new ScheduledQuery(new Construct(stack, "b"), "load", { ...query, project: "other-project" });
    expect(() => Testing.synth(stack)).not.toThrow();
    new ServiceAccount(stack, "by-hand", { project: PROJECT, accountId: "wiki-sse-publisher" });
    expect(() => Testing.synth(stack)).not.toThrow();
    new ServiceAccount(stack, "by-hand-2", { project: PROJECT, accountId: "wiki-sse-publisher" });
    expect(() => Testing.synth(stack)).toThrow(
      'test/by-hand-2: service account id "wiki-sse-publisher" (project "test-project") is already used by test/by-hand',
    );
  });

  // https://cloud.google.com/bigquery/docs/running-jobs#generate-jobid: job ids are unique in a project.
  test("two BigQuery jobs with one job id", () => {
    const stack = newStack();
    new LayeredDataset(stack, "ds", { datasetId: "raw", layer: "raw", location: "US", project: PROJECT });
    const job = (id: string) =>
      new BigqueryJob(stack, id, { project: PROJECT, jobId: "backfill_1", query: { query: "SELECT 1" } });
    job("a");
    job("b");
    expect(() => Testing.synth(stack)).toThrow(
      'test/b: BigQuery job id "backfill_1" (project "test-project") is already used by test/a; job ids are unique within a project (and single-use)',
    );
  });
});
