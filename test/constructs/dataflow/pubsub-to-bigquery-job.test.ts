import { TerraformVariable, Testing, TerraformStack, Token } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { DataflowJob } from "@cdktf/provider-google/lib/dataflow-job";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { Duration } from "../../../constructs/core/duration";
import {
  DATAFLOW_DEADLETTER_SCHEMA,
  DEFAULT_DATAFLOW_MACHINE_TYPE,
  PubSubToBigQueryJob,
  PubSubToBigQueryJobProps,
} from "../../../constructs/dataflow/pubsub-to-bigquery-job";
import { StreamSubscription } from "../../../constructs/pubsub/stream-subscription";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import { PROJECT, newStack, newTable, newTopic, resources, synthStack } from "../../support";

function newJob(stack: TerraformStack, props: Partial<PubSubToBigQueryJobProps> = {}): PubSubToBigQueryJob {
  const topic = newTopic(stack);
  const subscription = topic.addSubscription("events-dataflow");
  return new PubSubToBigQueryJob(stack, "job", {
    jobName: "events-to-bigquery",
    project: PROJECT,
    region: "europe-west1",
    subscription,
    outputTable: props.outputTable ?? newTable(stack),
    ...props,
  });
}

const WORKER = /^serviceAccount:\$\{google_service_account\.job_worker_[0-9A-F]+\.email\}$/;

describe("PubSubToBigQueryJob", () => {
  test("runs the regional classic template from the subscription into the table, draining on delete", () => {
    const stack = newStack();
    const job = newJob(stack, { machineType: "n2-standard-4", maxWorkers: 5, labels: { team: "data" } });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(DataflowJob, {
      name: "events-to-bigquery",
      project: PROJECT,
      region: "europe-west1",
      template_gcs_path: "gs://dataflow-templates-europe-west1/latest/PubSub_Subscription_to_BigQuery",
      temp_gcs_location: expect.stringMatching(
        /^gs:\/\/\$\{google_storage_bucket\.job_temp-bucket_[0-9A-F]+\.name\}\/tmp$/,
      ),
      parameters: {
        inputSubscription: expect.stringMatching(
          /^\$\{google_pubsub_subscription\.events_subscription-events-dataflow_subscription_[0-9A-F]+\.id\}$/,
        ),
        // The table id as a reference: the job starts after the output table exists.
        outputTableSpec: expect.stringMatching(
          /^test-project:raw\.\$\{google_bigquery_table\.table-events-test-project_table_[0-9A-F]+\.table_id\}$/,
        ),
        outputDeadletterTable: `${PROJECT}:raw.events_errors`,
      },
      service_account_email: expect.stringMatching(/^\$\{google_service_account\.job_worker_[0-9A-F]+\.email\}$/),
      machine_type: "n2-standard-4",
      max_workers: 5,
      enable_streaming_engine: true,
      labels: { team: "data" },
      on_delete: "drain",
    });
    expect(job.outputTableSpec).toBe("test-project:raw.events");
    expect(job.errorTableSpec).toBe("test-project:raw.events_errors");
    expect(job.grantPrincipal.iamMember).toBe(`serviceAccount:${job.serviceAccountEmail}`);
  });

  test("defaults: n2-standard-2, 3 workers, streaming engine", () => {
    const stack = newStack();
    newJob(stack);
    const [job] = resources(synthStack(stack), "google_dataflow_job");
    expect(job).toMatchObject({ machine_type: "n2-standard-2", max_workers: 3, enable_streaming_engine: true });
    expect(DEFAULT_DATAFLOW_MACHINE_TYPE).toBe("n2-standard-2");
    expect(job.kms_key_name).toBeUndefined();
  });

  test("temp bucket: uniform access, public access prevention enforced, temp objects expire, kept on destroy by default", () => {
    const stack = newStack();
    const job = newJob(stack);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(StorageBucket, {
      name: "test-project-events-to-bigquery-temp",
      project: PROJECT,
      location: "EUROPE-WEST1",
      uniform_bucket_level_access: true,
      public_access_prevention: "enforced",
      force_destroy: false,
      lifecycle_rule: [{ action: { type: "Delete" }, condition: { age: 7, matches_prefix: ["tmp/"] } }],
    });
    expect(job.tempBucketName).toBe("test-project-events-to-bigquery-temp");
  });

  test("forceDestroyBucket and CMEK reach the bucket and the job", () => {
    const stack = newStack();
    const key = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k";
    newJob(stack, { forceDestroyBucket: true, kmsKeyName: key, tempObjectRetention: Duration.days(2) });
    const json = synthStack(stack);
    const [bucket] = resources(json, "google_storage_bucket");
    expect(bucket).toMatchObject({ force_destroy: true, encryption: { default_kms_key_name: key } });
    expect(bucket.lifecycle_rule[0].condition.age).toBe(2);
    expect(resources(json, "google_dataflow_job")[0].kms_key_name).toBe(key);
  });

  test("creates the error table in the output table's dataset with the template's dead-letter schema", () => {
    const stack = newStack();
    newJob(stack, { deletionProtection: false });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(BigqueryTable, {
      project: PROJECT,
      // A reference to the output table's dataset: the error table is created after it.
      dataset_id: expect.stringMatching(
        /^\$\{google_bigquery_dataset\.raw-test-project_dataset_[0-9A-F]+\.dataset_id\}$/,
      ),
      table_id: "events_errors",
      schema: DATAFLOW_DEADLETTER_SCHEMA.toJsonString(),
      time_partitioning: { type: "DAY", field: "timestamp" },
      deletion_protection: false,
    });
    expect(DATAFLOW_DEADLETTER_SCHEMA.fieldNames).toEqual([
      "timestamp",
      "payloadString",
      "payloadBytes",
      "attributes",
      "errorMessage",
      "stacktrace",
    ]);
  });

  test("worker service account: exactly roles/dataflow.worker at project level, narrow grants elsewhere", () => {
    const stack = newStack();
    newJob(stack);
    const json = synthStack(stack);
    expect(resources(json, "google_service_account")).toEqual([
      expect.objectContaining({ account_id: "events-df-worker", project: PROJECT }),
    ]);
    const projectGrants = resources(json, "google_project_iam_member");
    expect(projectGrants).toEqual([
      expect.objectContaining({
        role: "roles/dataflow.worker",
        project: PROJECT,
        member: expect.stringMatching(WORKER),
      }),
    ]);
    const worker = (g: any) => WORKER.test(g.member);
    expect(resources(json, "google_pubsub_subscription_iam_member").filter(worker)).toEqual([
      expect.objectContaining({
        role: "roles/pubsub.subscriber",
        subscription: expect.stringMatching(/events_subscription-events-dataflow_subscription_/),
      }),
    ]);
    expect(resources(json, "google_pubsub_topic_iam_member").filter(worker)).toEqual([
      expect.objectContaining({
        role: "roles/pubsub.viewer",
        topic: expect.stringMatching(/google_pubsub_topic\.events_topic_/),
      }),
    ]);
    expect(resources(json, "google_bigquery_dataset_iam_member").filter(worker)).toEqual([
      expect.objectContaining({
        role: "roles/bigquery.dataEditor",
        dataset_id: expect.stringMatching(/google_bigquery_dataset\.raw-test-project_dataset_/),
      }),
    ]);
    expect(resources(json, "google_storage_bucket_iam_member").filter(worker)).toEqual([
      expect.objectContaining({
        role: "roles/storage.objectAdmin",
        bucket: expect.stringMatching(/google_storage_bucket\.job_temp-bucket_/),
      }),
    ]);
    expect(resources(json, "google_bigquery_table_iam_member").filter(worker)).toHaveLength(0);
  });

  test("the job starts only after its grants, its error table and its output table exist", () => {
    const stack = newStack();
    newJob(stack);
    const [job] = resources(synthStack(stack), "google_dataflow_job");
    for (const prefix of [
      "google_bigquery_table.job_error-table_",
      "google_project_iam_member.job_dataflow-worker_",
      "google_pubsub_subscription_iam_member.",
      "google_pubsub_topic_iam_member.",
      "google_bigquery_dataset_iam_member.",
      "google_storage_bucket_iam_member.",
    ]) {
      expect(job.depends_on.some((d: string) => d.startsWith(prefix))).toBe(true);
    }
    // The output table: through the reference in outputTableSpec.
    expect(job.parameters.outputTableSpec).toMatch(/google_bigquery_table\.table-events-test-project_table_/);
  });

  test("its grants go through the other constructs' grant methods, once each", () => {
    const stack = newStack();
    const table = newTable(stack);
    const subscription = newTopic(stack).addSubscription("events-dataflow");
    const job = new PubSubToBigQueryJob(stack, "job", {
      jobName: "events-to-bigquery",
      project: PROJECT,
      region: "europe-west1",
      subscription,
      outputTable: table,
    });
    const before = synthStack(stack);
    expect(subscription.grantSubscribe(job)).toBeDefined();
    expect(subscription.topic.grantView(job)).toBeDefined();
    expect(table.dataset.grantWrite(job)).toBeDefined();
    const after = synthStack(stack);
    for (const type of [
      "google_pubsub_subscription_iam_member",
      "google_pubsub_topic_iam_member",
      "google_bigquery_dataset_iam_member",
    ]) {
      expect(Object.keys(after.resource[type])).toEqual(Object.keys(before.resource[type]));
    }
  });

  test("on an imported subscription, topic and table: bindings and parameters with literal ids", () => {
    const stack = newStack();
    const topic = StreamTopic.fromTopicAttributes(stack, "shared-topic", {
      project: PROJECT,
      topicName: "shared-events",
    });
    const subscription = StreamSubscription.fromSubscriptionAttributes(stack, "shared-sub", {
      project: PROJECT,
      subscriptionName: "shared-events-dataflow",
      topic,
    });
    expect(subscription.subscriptionId).toBe("projects/test-project/subscriptions/shared-events-dataflow");
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "shared", {
      project: PROJECT,
      datasetId: "shared",
      location: "EU",
    });
    const outputTable = TableReference.fromTableAttributes(stack, "events", { dataset, tableId: "events" });
    new PubSubToBigQueryJob(stack, "job", {
      jobName: "events-to-bigquery",
      project: PROJECT,
      region: "europe-west1",
      subscription,
      outputTable,
    });
    const json = synthStack(stack);
    const worker = (g: any) => WORKER.test(g.member);
    expect(resources(json, "google_pubsub_subscription_iam_member").filter(worker)).toEqual([
      expect.objectContaining({
        subscription: "shared-events-dataflow",
        role: "roles/pubsub.subscriber",
        project: PROJECT,
      }),
    ]);
    expect(resources(json, "google_pubsub_topic_iam_member").filter(worker)).toEqual([
      expect.objectContaining({ topic: "shared-events", role: "roles/pubsub.viewer", project: PROJECT }),
    ]);
    expect(resources(json, "google_bigquery_dataset_iam_member").filter(worker)).toEqual([
      expect.objectContaining({ dataset_id: "shared", role: "roles/bigquery.dataEditor" }),
    ]);
    const [job] = resources(json, "google_dataflow_job");
    expect(job.parameters).toEqual({
      inputSubscription: "projects/test-project/subscriptions/shared-events-dataflow",
      outputTableSpec: "test-project:shared.events",
      outputDeadletterTable: "test-project:shared.events_errors",
    });
    expect(resources(json, "google_bigquery_table")[0].dataset_id).toBe("shared");
  });

  test("tempObjectRetention from a Terraform variable synthesizes an expression", () => {
    const stack = newStack();
    const days = Token.asNumber(new TerraformVariable(stack, "temp_days", { type: "number" }).value);
    newJob(stack, { tempObjectRetention: Duration.days(days) });
    const [bucket] = resources(synthStack(stack), "google_storage_bucket");
    expect(bucket.lifecycle_rule[0].condition.age).toBe("${var.temp_days}");
  });

  // https://cloud.google.com/dataflow/docs/guides/specifying-networks
  test("network, subnetwork, private worker IPs and a pinned template release reach the job", () => {
    const stack = newStack();
    newJob(stack, {
      network: "projects/host-project/global/networks/shared",
      subnetwork:
        "https://www.googleapis.com/compute/v1/projects/host-project/regions/europe-west1/subnetworks/dataflow",
      ipConfiguration: "WORKER_IP_PRIVATE",
      templateVersion: "2025-01-07-00_RC00",
    });
    expect(resources(synthStack(stack), "google_dataflow_job")[0]).toMatchObject({
      network: "projects/host-project/global/networks/shared",
      subnetwork:
        "https://www.googleapis.com/compute/v1/projects/host-project/regions/europe-west1/subnetworks/dataflow",
      ip_configuration: "WORKER_IP_PRIVATE",
      template_gcs_path: "gs://dataflow-templates-europe-west1/2025-01-07-00_RC00/PubSub_Subscription_to_BigQuery",
    });
  });

  test.each<[string, Partial<PubSubToBigQueryJobProps>, string]>([
    [
      "a network path",
      { network: "global/networks/shared" },
      'test/job: network "global/networks/shared" is not a network name or projects/P/global/networks/N',
    ],
    [
      "a subnetwork without its region",
      { subnetwork: "subnetworks/dataflow" },
      'test/job: subnetwork "subnetworks/dataflow" is not regions/R/subnetworks/S, projects/P/regions/R/subnetworks/S or its URL',
    ],
    [
      "a subnetwork of another region",
      { subnetwork: "regions/us-central1/subnetworks/dataflow" },
      'test/job: subnetwork "regions/us-central1/subnetworks/dataflow" is in region "us-central1" but the job runs in "europe-west1"; Dataflow workers use a subnetwork of the job\'s region',
    ],
    [
      "an IP configuration Dataflow does not know",
      { ipConfiguration: "PRIVATE" as "WORKER_IP_PRIVATE" },
      'test/job: ipConfiguration "PRIVATE" is invalid; expected WORKER_IP_PUBLIC or WORKER_IP_PRIVATE',
    ],
    [
      "a template version that is no release folder",
      { templateVersion: "v2025.01" },
      'test/job: templateVersion "v2025.01" is not a template release folder such as 2025-01-07-00_RC00 (or latest)',
    ],
  ])("refuses %s, naming the value and the rule", (_what, props, message) => {
    expect(() => newJob(newStack(), props)).toThrow(message);
  });

  describe("validation", () => {
    test("an output table in another project fails with the construct path and the rule", () => {
      const stack = newStack();
      const other = newTable(stack, { project: "other-project" });
      expect(() => newJob(stack, { outputTable: other })).toThrow(
        'test/job: output table other-project.raw.events is in project "other-project", not in the job\'s project "test-project"; the job and its output table must share a project',
      );
    });

    test("a BigQuery subscription cannot feed the job", () => {
      const stack = newStack();
      const table = newTable(stack);
      const bq = newTopic(stack).addBigQuerySubscription(table);
      expect(
        () =>
          new PubSubToBigQueryJob(stack, "job", {
            jobName: "events-to-bigquery",
            project: PROJECT,
            region: "us-central1",
            subscription: bq,
            outputTable: table,
          }),
      ).toThrow(
        'test/job: subscription "events-bq-events" delivers its messages itself (push or BigQuery subscription); the job needs a pull subscription',
      );
    });

    test("job name, region, workers, bucket and error table id", () => {
      expect(() => newJob(newStack(), { jobName: "Events" })).toThrow(/job name "Events" is not valid/);
      expect(() => newJob(newStack(), { region: "europe" })).toThrow(/region "europe" is not a region name/);
      expect(() => newJob(newStack(), { maxWorkers: 0 })).toThrow(/maxWorkers is 0; Dataflow allows 1 to 1000/);
      expect(() => newJob(newStack(), { tempBucketName: "goog-temp" })).toThrow(
        /temp bucket name "goog-temp" is not valid/,
      );
      expect(() => newJob(newStack(), { errorTableId: "bad-id" })).toThrow(/error table id "bad-id"/);
      expect(() => newJob(newStack(), { tempObjectRetention: Duration.hours(36) })).toThrow(
        "test/job: tempObjectRetention is 1 day 12 hours; Cloud Storage lifecycle rules count whole days, at least 1 day",
      );
      expect(() => newJob(newStack(), { tempObjectRetention: Duration.days(0) })).toThrow(
        "test/job: tempObjectRetention is 0 seconds; Cloud Storage lifecycle rules count whole days, at least 1 day",
      );
      expect(() => newJob(newStack(), { serviceAccountId: "sa" })).toThrow(
        'test/job: serviceAccountId "sa" is not valid; use 6-30 lowercase letters, digits and hyphens',
      );
      expect(() => newJob(newStack(), { kmsKeyName: "projects/p/locations/europe/keyRings/r/cryptoKeys/k" })).toThrow(
        'test/job: kmsKeyName "projects/p/locations/europe/keyRings/r/cryptoKeys/k" is in location "europe" but the resource is in "europe-west1", which needs a key in "europe-west1"; Dataflow',
      );
    });
  });
});
