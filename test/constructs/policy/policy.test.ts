import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Construct } from "constructs";
import { AnnotationMetadataEntryType, App, Aspects, TerraformStack, Testing } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { BigqueryDataset } from "@cdktf/provider-google/lib/bigquery-dataset";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { BigqueryDataTransferConfig } from "@cdktf/provider-google/lib/bigquery-data-transfer-config";
import { DataflowJob } from "@cdktf/provider-google/lib/dataflow-job";
import { DataGoogleIamPolicy } from "@cdktf/provider-google/lib/data-google-iam-policy";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { CloudRunV2ServiceIamMember } from "@cdktf/provider-google/lib/cloud-run-v2-service-iam-member";
import { ProjectIamCustomRole } from "@cdktf/provider-google/lib/project-iam-custom-role";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamBinding } from "@cdktf/provider-google/lib/pubsub-topic-iam-binding";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import {
  AlertingAspect,
  applyWarehousePolicies,
  CmekAspect,
  IdleCostAspect,
  LeastPrivilegeIamAspect,
  markStreamingTable,
  MIN_SUPPRESSION_REASON_LENGTH,
  POLICY_RULES,
  PolicyAspect,
  PolicyFinding,
  PolicyResource,
  PolicySuppressions,
  ProductionSafetyAspect,
  RequiredLabelsAspect,
  StreamingTablesAspect,
  WarehousePolicyProps,
} from "../../../constructs/policy";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../../constructs/bigquery/table-options";
import { STREAMING_EVENTS_SCHEMA } from "../../../schemas";
import * as policyApi from "../../../constructs/policy";
import { environmentConfig, ROOT, synthAnnotations } from "../../support";
import { StreamingAnalyticsStack } from "../../../stacks/streaming-analytics-stack";

const LABELS = { env: "dev", app: "fresh-streams", team: "data-platform" };
const KEY = "projects/p/locations/europe/keyRings/r/cryptoKeys/k";
const SCHEMA = JSON.stringify([
  { name: "event_time", type: "TIMESTAMP" },
  { name: "user", type: "STRING" },
]);

/** A stack with a google provider whose default labels are `defaultLabels`, and the given policies. */
function policyStack(
  policies: Partial<WarehousePolicyProps> = {},
  defaultLabels: Record<string, string> | null = LABELS,
) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  const provider = new GoogleProvider(stack, "google", { project: "fresh-streams-test" });
  if (defaultLabels) provider.addOverride("default_labels", defaultLabels);
  applyWarehousePolicies(stack, { labels: LABELS, ...policies });
  return { app, stack };
}

/** The error annotations the aspects leave, after running them as synth does. */
function policyErrors(stack: TerraformStack): string[] {
  return synthAnnotations(stack, AnnotationMetadataEntryType.ERROR);
}

/** The warning annotations the aspects leave, after running them as synth does. */
function policyWarnings(stack: TerraformStack): string[] {
  return synthAnnotations(stack, AnnotationMetadataEntryType.WARN);
}

/** The stack's `cdk.tf.json` as the real synthesizer writes it (with cdktf's `//` metadata). */
function synthesizedJson(stack: TerraformStack): any {
  const outdir = Testing.fullSynth(stack);
  try {
    return JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack.node.id, "cdk.tf.json"), "utf8"));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function dataset(
  stack: TerraformStack,
  id = "raw",
  extra: Partial<ConstructorParameters<typeof BigqueryDataset>[2]> = {},
) {
  return new BigqueryDataset(stack, id, { datasetId: id, location: "EU", ...extra });
}

function table(
  scope: Construct,
  id: string,
  ds: BigqueryDataset,
  extra: Partial<ConstructorParameters<typeof BigqueryTable>[2]> = {},
) {
  return new BigqueryTable(scope, id, { datasetId: ds.datasetId, tableId: id, schema: SCHEMA, ...extra });
}

describe("policy aspects: a violation fails synthesis with a message naming the resource", () => {
  test("app synth throws on a policy error, naming the construct path", () => {
    const { stack } = policyStack({ production: true });
    table(stack, "wiki_changes", dataset(stack), { deletionProtection: false });
    expect(() => Testing.fullSynth(stack)).toThrow(
      /google_bigquery_table test\/wiki_changes: deletion_protection is false in a production environment/,
    );
  });

  test("the real App refuses to synthesize a breaking stack", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-"));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, "broken");
      new GoogleProvider(stack, "google", { project: "fresh-streams-test" });
      applyWarehousePolicies(stack, { labels: LABELS });
      new ProjectIamMember(stack, "owner", {
        project: "fresh-streams-test",
        role: "roles/owner",
        member: "user:a@example.com",
      });
      expect(() => app.synth()).toThrow(
        /\[FS-IAM-1 least-privilege-iam\] google_project_iam_member broken\/owner: grants the primitive role roles\/owner/,
      );
      expect(fs.existsSync(path.join(outdir, "stacks", "broken", "cdk.tf.json"))).toBe(false);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("a compliant stack has no policy errors, and each problem is reported once even if aspects run twice", () => {
    const { stack } = policyStack({ production: true, requireCmek: true, kmsKeyName: KEY });
    const ds = dataset(stack, "raw", { defaultEncryptionConfiguration: { kmsKeyName: KEY } });
    table(stack, "wiki_changes", ds, { timePartitioning: { type: "DAY" } });
    expect(policyErrors(stack)).toEqual([]);

    const { stack: broken } = policyStack({ production: true });
    table(broken, "t", dataset(broken), { deletionProtection: false });
    Testing.synth(broken);
    expect(policyErrors(broken)).toHaveLength(1);
  });
});

describe("required labels", () => {
  test("resources inherit the labels from the provider's default_labels", () => {
    const { stack } = policyStack();
    new PubsubTopic(stack, "topic", { name: "wiki-changes" });
    expect(policyErrors(stack)).toEqual([]);
  });

  test("without provider default labels, a labelled resource missing them is an error naming the keys", () => {
    const { stack } = policyStack({}, null);
    new PubsubTopic(stack, "topic", { name: "wiki-changes", labels: { env: "dev" } });
    expect(policyErrors(stack)).toEqual([
      "[FS-LABELS-1 required-labels] google_pubsub_topic test/topic: missing required labels app, team (set them on the resource or in the provider's default_labels)",
    ]);
  });

  test("a resource overriding a required label with another value is an error", () => {
    const { stack } = policyStack();
    new StorageBucket(stack, "bucket", { name: "b-fresh-streams", location: "EU", labels: { env: "prod" } });
    expect(policyErrors(stack)).toEqual([
      "[FS-LABELS-1 required-labels] google_storage_bucket test/bucket: labels with the wrong value: env=prod (expected dev); set the expected values on the resource or in the provider's default_labels",
    ]);
  });

  test("resources whose `labels` are not resource labels (no effective_labels) are not checked", () => {
    const { stack } = policyStack({}, null);
    new MonitoringNotificationChannel(stack, "email", { type: "email", labels: { email_address: "a@example.com" } });
    expect(policyErrors(stack)).toEqual([]);
  });

  test("a resource on an aliased provider gets that provider's default labels, not the default provider's", () => {
    const { stack } = policyStack();
    const other = new GoogleProvider(stack, "google-other", { alias: "other", project: "p-123456" });
    other.addOverride("default_labels", { env: "dev" });
    new PubsubTopic(stack, "topic", { name: "t-1", provider: other });
    expect(policyErrors(stack)).toEqual([
      "[FS-LABELS-1 required-labels] google_pubsub_topic test/topic: missing required labels app, team (set them on the resource or in the provider's default_labels)",
    ]);
  });

  test("RequiredLabelsAspect can ignore provider default labels", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "test");
    new GoogleProvider(stack, "google", { project: "p-123456" }).addOverride("default_labels", LABELS);
    Aspects.of(stack).add(new RequiredLabelsAspect({ labels: { env: "dev" }, includeProviderDefaultLabels: false }));
    new PubsubTopic(stack, "topic", { name: "t-1" });
    expect(policyErrors(stack)[0]).toMatch(/google_pubsub_topic test\/topic: missing required labels env/);
  });
});

describe("production safety (production environments only)", () => {
  test("a table without deletion protection", () => {
    const { stack } = policyStack({ production: true });
    table(stack, "t", dataset(stack), { deletionProtection: false });
    expect(policyErrors(stack)).toEqual([
      "[FS-PROD-1 production-safety] google_bigquery_table test/t: deletion_protection is false in a production environment; leave it true",
    ]);
  });

  test("a dataset that deletes its contents on destroy", () => {
    const { stack } = policyStack({ production: true });
    dataset(stack, "raw", { deleteContentsOnDestroy: true });
    expect(policyErrors(stack)).toEqual([
      "[FS-PROD-2 production-safety] google_bigquery_dataset test/raw: delete_contents_on_destroy is true in a production environment: a destroy would delete every table; leave it false",
    ]);
  });

  test("a bucket with force_destroy", () => {
    const { stack } = policyStack({ production: true });
    new StorageBucket(stack, "bucket", { name: "b-fresh-streams", location: "EU", forceDestroy: true });
    expect(policyErrors(stack)).toEqual([
      "[FS-PROD-3 production-safety] google_storage_bucket test/bucket: force_destroy is true in a production environment: a destroy would delete every object; leave it false",
    ]);
  });

  test("Dataflow jobs: public worker IPs (FS-PROD-4) and the moving latest template (FS-PROD-5)", () => {
    const { stack } = policyStack({ production: true });
    const job = (id: string, props: { ipConfiguration?: string; version: string }) =>
      new DataflowJob(stack, id, {
        name: id,
        region: "europe-west1",
        tempGcsLocation: "gs://b-fresh-streams/tmp",
        templateGcsPath: `gs://dataflow-templates-europe-west1/${props.version}/PubSub_Subscription_to_BigQuery`,
        ipConfiguration: props.ipConfiguration,
      });
    job("pinned-private", { ipConfiguration: "WORKER_IP_PRIVATE", version: "2025-01-07-00_RC00" });
    job("public", { ipConfiguration: "WORKER_IP_PUBLIC", version: "2025-01-07-00_RC00" });
    job("default-ip-latest", { version: "latest" });
    job("by-override", { ipConfiguration: "WORKER_IP_PRIVATE", version: "2025-01-07-00_RC00" }).addOverride(
      "ip_configuration",
      "WORKER_IP_PUBLIC",
    );
    expect(policyErrors(stack)).toEqual([
      "[FS-PROD-4 production-safety] google_dataflow_job test/public: ip_configuration is WORKER_IP_PUBLIC in a production environment; set WORKER_IP_PRIVATE on a subnetwork with Private Google Access",
      "[FS-PROD-4 production-safety] google_dataflow_job test/default-ip-latest: ip_configuration is unset (public worker IPs) in a production environment; set WORKER_IP_PRIVATE on a subnetwork with Private Google Access",
      '[FS-PROD-5 production-safety] google_dataflow_job test/default-ip-latest: template_gcs_path "gs://dataflow-templates-europe-west1/latest/PubSub_Subscription_to_BigQuery" uses the moving "latest" template in a production environment; pin a release folder such as 2025-01-07-00_RC00',
      "[FS-PROD-4 production-safety] google_dataflow_job test/by-override: ip_configuration is WORKER_IP_PUBLIC in a production environment; set WORKER_IP_PRIVATE on a subnetwork with Private Google Access",
    ]);
    const { stack: dev } = policyStack({ production: false });
    new DataflowJob(dev, "job", {
      name: "job",
      tempGcsLocation: "gs://b/tmp",
      templateGcsPath: "gs://dataflow-templates-europe-west1/latest/PubSub_Subscription_to_BigQuery",
    });
    expect(policyErrors(dev)).toEqual([]);
  });

  test("the provider default (deletion_protection unset = true) and views are accepted; the rule is off outside production", () => {
    const { stack } = policyStack({ production: true });
    const ds = dataset(stack);
    table(stack, "t", ds);
    table(stack, "v", ds, {
      schema: undefined,
      view: { query: "SELECT 1 AS x", useLegacySql: false },
      deletionProtection: false,
    });
    expect(policyErrors(stack)).toEqual([]);

    const { stack: dev } = policyStack({ production: false });
    table(dev, "t", dataset(dev), { deletionProtection: false });
    new StorageBucket(dev, "bucket", { name: "b-fresh-streams", location: "EU", forceDestroy: true });
    expect(policyErrors(dev)).toEqual([]);
  });

  test("an escape-hatch override is seen too", () => {
    const { stack } = policyStack({ production: true });
    table(stack, "t", dataset(stack)).addOverride("deletion_protection", false);
    expect(policyErrors(stack)).toHaveLength(1);
  });
});

describe("least-privilege IAM", () => {
  test.each(["roles/owner", "roles/editor", "roles/viewer"])("no primitive role %s", (role) => {
    const { stack } = policyStack();
    new PubsubTopicIamBinding(stack, "b", {
      topic: "t",
      role,
      members: ["serviceAccount:w@p.iam.gserviceaccount.com"],
    });
    expect(policyErrors(stack)).toEqual([
      `[FS-IAM-1 least-privilege-iam] google_pubsub_topic_iam_binding test/b: grants the primitive role ${role}; use a predefined or custom role with only the permissions needed`,
    ]);
  });

  test.each(["allUsers", "allAuthenticatedUsers"])("no %s member", (member) => {
    const { stack } = policyStack();
    new CloudRunV2ServiceIamMember(stack, "invoker", {
      name: "worker",
      location: "europe-west1",
      role: "roles/run.invoker",
      member,
    });
    expect(policyErrors(stack)).toEqual([
      `[FS-IAM-2 least-privilege-iam] google_cloud_run_v2_service_iam_member test/invoker: grants roles/run.invoker to ${member}: the resource would be public; grant it to specific principals instead`,
    ]);
  });

  test("no public access block on a dataset", () => {
    const { stack } = policyStack();
    dataset(stack, "raw", { access: [{ role: "READER", specialGroup: "allAuthenticatedUsers" }] });
    expect(policyErrors(stack)[0]).toMatch(
      /google_bigquery_dataset test\/raw: dataset access grants READER to allAuthenticatedUsers/,
    );
  });

  test("no project-level roles/bigquery.dataEditor; the dataset-level grant is fine", () => {
    const { stack } = policyStack();
    new ProjectIamMember(stack, "editor", {
      project: "p-123456",
      role: "roles/bigquery.dataEditor",
      member: "serviceAccount:w@p.iam.gserviceaccount.com",
    });
    new BigqueryDatasetIamMember(stack, "ds-editor", {
      datasetId: "raw",
      role: "roles/bigquery.dataEditor",
      member: "serviceAccount:w@p.iam.gserviceaccount.com",
    });
    expect(policyErrors(stack)).toEqual([
      "[FS-IAM-3 least-privilege-iam] google_project_iam_member test/editor: grants roles/bigquery.dataEditor on the whole project; grant it on the dataset instead (dataset-level IAM)",
    ]);
  });

  test("an IAM policy document (data google_iam_policy) is held to the same rules", () => {
    const { stack } = policyStack();
    new DataGoogleIamPolicy(stack, "policy", {
      binding: [
        { role: "roles/editor", members: ["serviceAccount:w@p.iam.gserviceaccount.com"] },
        { role: "roles/pubsub.subscriber", members: ["allUsers"] },
      ],
    });
    expect(policyErrors(stack)).toEqual([
      "[FS-IAM-1 least-privilege-iam] data.google_iam_policy test/policy: binds the primitive role roles/editor; use a predefined or custom role with only the permissions needed",
      "[FS-IAM-2 least-privilege-iam] data.google_iam_policy test/policy: binds roles/pubsub.subscriber to allUsers: the resource would be public; grant it to specific principals instead",
    ]);
  });

  test("a custom role is accepted, on a table or named through the role's reference; primitive roles are still refused", () => {
    const { stack } = policyStack();
    const role = new ProjectIamCustomRole(stack, "row-writer", {
      project: "p-123456",
      roleId: "freshStreams_storageWriteAppender_test",
      title: "row writer",
      permissions: ["bigquery.tables.updateData"],
    });
    const member = "serviceAccount:w@p.iam.gserviceaccount.com";
    const on = (id: string, r: string) =>
      new BigqueryTableIamMember(stack, id, { datasetId: "raw", tableId: "t", role: r, member });
    on("literal", "projects/p-123456/roles/freshStreams_storageWriteAppender_test");
    on("reference", role.name);
    on("editor", "roles/editor");
    expect(policyErrors(stack)).toEqual([
      "[FS-IAM-1 least-privilege-iam] google_bigquery_table_iam_member test/editor: grants the primitive role roles/editor; use a predefined or custom role with only the permissions needed",
    ]);
  });

  test("LeastPrivilegeIamAspect alone", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "s");
    new GoogleProvider(stack, "google", {});
    Aspects.of(stack).add(new LeastPrivilegeIamAspect());
    new ProjectIamMember(stack, "ok", {
      project: "p-123456",
      role: "roles/pubsub.publisher",
      member: "serviceAccount:w@p.iam.gserviceaccount.com",
    });
    expect(policyErrors(stack)).toEqual([]);
  });
});

describe("streaming tables", () => {
  test("a BigQuery subscription's target table must be partitioned", () => {
    const { stack } = policyStack();
    const t = table(stack, "wiki_changes", dataset(stack));
    const topic = new PubsubTopic(stack, "topic", { name: "wiki-changes" });
    new PubsubSubscription(stack, "to-bq", {
      name: "to-bq",
      topic: topic.name,
      bigqueryConfig: { table: `${t.project}.${t.datasetId}.${t.tableId}`, useTableSchema: true },
    });
    expect(policyErrors(stack)).toEqual([
      "[FS-STREAM-1 streaming-tables] google_bigquery_table test/wiki_changes: is written by streaming (BigQuery subscription test/to-bq) but is not partitioned: add time_partitioning (ingestion time or a timestamp column) or range_partitioning",
    ]);
  });

  test("a table marked as streaming must be partitioned; a partitioned one passes", () => {
    const { stack } = policyStack();
    const ds = dataset(stack);
    markStreamingTable(table(stack, "events", ds));
    markStreamingTable(table(stack, "ok", ds, { timePartitioning: { type: "DAY", field: "event_time" } }));
    const errors = policyErrors(stack);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /google_bigquery_table test\/events: is written by streaming \(declared as a streaming table\) but is not partitioned/,
    );
  });

  test("a StreamingTable built without partitioning is caught", () => {
    const { stack } = policyStack();
    const raw = new LayeredDataset(stack, "raw", { datasetId: "raw", layer: "raw", location: "EU" });
    new StreamingTable(stack, "events", {
      dataset: raw,
      tableId: "events",
      schema: STREAMING_EVENTS_SCHEMA,
      partitioning: Partitioning.none(),
    });
    new StreamingTable(stack, "ok", { dataset: raw, tableId: "ok", schema: STREAMING_EVENTS_SCHEMA });
    const errors = policyErrors(stack);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^\[FS-STREAM-1 streaming-tables\] google_bigquery_table test\/events\/\S+: is written by streaming \(declared as a streaming table\) but is not partitioned/,
    );
  });

  test("require_partition_filter belongs at table level, not in the deprecated time_partitioning block", () => {
    const { stack } = policyStack();
    table(stack, "t", dataset(stack), { timePartitioning: { type: "DAY", requirePartitionFilter: true } });
    expect(policyErrors(stack)).toEqual([
      "[FS-STREAM-2 streaming-tables] google_bigquery_table test/t: sets time_partitioning.require_partition_filter, which is deprecated: set the table-level require_partition_filter instead",
    ]);
  });

  test("a table requiring a partition filter must not be written by a scheduled MERGE that never filters on the partition column", () => {
    const { stack } = policyStack();
    const ds = dataset(stack, "staging");
    const staged = table(stack, "wiki_staged", ds, {
      timePartitioning: { type: "DAY", field: "event_time" },
      requirePartitionFilter: true,
    });
    const merge = (id: string, filter: string) =>
      new BigqueryDataTransferConfig(stack, id, {
        displayName: id,
        dataSourceId: "scheduled_query",
        schedule: "every 15 minutes",
        params: {
          query: `MERGE \`${staged.project}.${staged.datasetId}.${staged.tableId}\` AS t USING (SELECT 1 AS user) AS s ON t.user = s.user ${filter} WHEN NOT MATCHED THEN INSERT ROW`,
        },
      });
    merge("load-bad", "");
    merge("load-good", "AND t.event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 48 HOUR)");
    expect(policyErrors(stack)).toEqual([
      "[FS-STREAM-3 streaming-tables] google_bigquery_table test/wiki_staged: requires a partition filter, and scheduled query test/load-bad writes it by DML without naming its partition column event_time: BigQuery would reject every run; filter the target on event_time or drop require_partition_filter",
    ]);
  });

  test("literal table names count too: a Dataflow job's outputTableSpec, a backticked MERGE target; SQL comments do not name the column", () => {
    const { stack } = policyStack();
    const ds = dataset(stack, "dev_raw");
    table(stack, "wiki_changes", ds);
    new DataflowJob(stack, "job", {
      name: "pubsub-to-bq",
      templateGcsPath: "gs://dataflow-templates/latest/PubSub_to_BigQuery",
      tempGcsLocation: "gs://b/tmp",
      parameters: { inputTopic: "projects/p/topics/t", outputTableSpec: "fresh-streams-dev:dev_raw.wiki_changes" },
    });
    const staging = dataset(stack, "dev_staging");
    table(stack, "wiki_staged", staging, {
      timePartitioning: { type: "DAY", field: "event_time" },
      requirePartitionFilter: true,
    });
    table(stack, "wiki_staged_copy", staging, {
      timePartitioning: { type: "DAY", field: "event_time" },
      requirePartitionFilter: true,
    });
    new BigqueryDataTransferConfig(stack, "load", {
      displayName: "load",
      dataSourceId: "scheduled_query",
      params: {
        query:
          "-- keeps event_time partitions small\nMERGE `fresh-streams-dev`.`dev_staging`.`wiki_staged` AS t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT ROW",
      },
    });
    expect(policyErrors(stack)).toEqual([
      "[FS-STREAM-1 streaming-tables] google_bigquery_table test/wiki_changes: is written by streaming (Dataflow job test/job) but is not partitioned: add time_partitioning (ingestion time or a timestamp column) or range_partitioning",
      "[FS-STREAM-3 streaming-tables] google_bigquery_table test/wiki_staged: requires a partition filter, and scheduled query test/load writes it by DML without naming its partition column event_time: BigQuery would reject every run; filter the target on event_time or drop require_partition_filter",
    ]);
  });

  test("StreamingTablesAspect alone accepts streaming writers of a table that requires a partition filter", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "s");
    new GoogleProvider(stack, "google", {});
    Aspects.of(stack).add(new StreamingTablesAspect());
    const t = table(stack, "wiki_changes", dataset(stack), {
      timePartitioning: { type: "DAY" },
      requirePartitionFilter: true,
    });
    new PubsubSubscription(stack, "to-bq", {
      name: "to-bq",
      topic: "t",
      bigqueryConfig: { table: `${t.project}.${t.datasetId}.${t.tableId}` },
    });
    expect(policyErrors(stack)).toEqual([]);
  });
});

describe("CMEK where the environment requires it", () => {
  test("datasets, topics and buckets without a key are errors", () => {
    const { stack } = policyStack({ requireCmek: true, kmsKeyName: KEY });
    dataset(stack);
    new PubsubTopic(stack, "topic", { name: "wiki-changes" });
    new StorageBucket(stack, "bucket", { name: "b-fresh-streams", location: "EU" });
    expect(policyErrors(stack).sort()).toEqual([
      "[FS-CMEK-1 cmek] google_bigquery_dataset test/raw: no customer-managed key (default_encryption_configuration.kms_key_name) although the environment requires CMEK; set it to a Cloud KMS key",
      "[FS-CMEK-1 cmek] google_pubsub_topic test/topic: no customer-managed key (kms_key_name) although the environment requires CMEK; set it to a Cloud KMS key",
      "[FS-CMEK-1 cmek] google_storage_bucket test/bucket: no customer-managed key (encryption.default_kms_key_name) although the environment requires CMEK; set it to a Cloud KMS key",
    ]);
  });

  test("Secret Manager secrets and Cloud Run services without a key are errors; keyed ones pass", () => {
    const { stack } = policyStack({ requireCmek: true, kmsKeyName: KEY });
    const regional = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/worker";
    const global = "projects/p/locations/global/keyRings/r/cryptoKeys/secrets";
    new SecretManagerSecret(stack, "plain", { secretId: "plain", replication: { auto: {} } });
    new SecretManagerSecret(stack, "auto-keyed", {
      secretId: "auto-keyed",
      replication: { auto: { customerManagedEncryption: { kmsKeyName: global } } },
    });
    new SecretManagerSecret(stack, "one-replica-unkeyed", {
      secretId: "one-replica-unkeyed",
      replication: {
        userManaged: {
          replicas: [
            { location: "europe-west1", customerManagedEncryption: { kmsKeyName: regional } },
            { location: "europe-west4" },
          ],
        },
      },
    });
    new SecretManagerSecret(stack, "replicas-keyed", {
      secretId: "replicas-keyed",
      replication: {
        userManaged: { replicas: [{ location: "europe-west1", customerManagedEncryption: { kmsKeyName: regional } }] },
      },
    });
    const container = { image: "europe-west1-docker.pkg.dev/p/r/worker:1" };
    new CloudRunV2Service(stack, "service", {
      name: "w",
      location: "europe-west1",
      template: { containers: [container] },
    });
    new CloudRunV2Service(stack, "keyed-service", {
      name: "k",
      location: "europe-west1",
      template: { containers: [container], encryptionKey: regional },
    });
    expect(policyErrors(stack).sort()).toEqual([
      "[FS-CMEK-1 cmek] google_cloud_run_v2_service test/service: no customer-managed key (template.encryption_key) although the environment requires CMEK; set it to a Cloud KMS key",
      "[FS-CMEK-1 cmek] google_secret_manager_secret test/one-replica-unkeyed: no customer-managed key (replication.user_managed.replicas[1].customer_managed_encryption.kms_key_name) although the environment requires CMEK; set it to a Cloud KMS key",
      "[FS-CMEK-1 cmek] google_secret_manager_secret test/plain: no customer-managed key (replication.auto.customer_managed_encryption.kms_key_name) although the environment requires CMEK; set it to a Cloud KMS key",
    ]);
  });

  test("a dataset or table naming another key than the environment's is an error; keyed resources pass", () => {
    const { stack } = policyStack({ requireCmek: true, kmsKeyName: KEY });
    const ds = dataset(stack, "raw", { defaultEncryptionConfiguration: { kmsKeyName: KEY } });
    table(stack, "t", ds, { encryptionConfiguration: { kmsKeyName: `${KEY}-other` } });
    new PubsubTopic(stack, "topic", {
      name: "wiki-changes",
      kmsKeyName: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/topics",
    });
    expect(policyErrors(stack)).toEqual([
      `[FS-CMEK-2 cmek] google_bigquery_table test/t: encryption_configuration.kms_key_name is ${KEY}-other, not the environment's key ${KEY}; use the environment's key`,
    ]);
  });

  test("without requireCmek nothing is checked; CmekAspect works alone", () => {
    const { stack } = policyStack({ requireCmek: false });
    dataset(stack);
    expect(policyErrors(stack)).toEqual([]);

    const app = Testing.app();
    const s = new TerraformStack(app, "s");
    new GoogleProvider(s, "google", {});
    Aspects.of(s).add(new CmekAspect());
    new PubsubTopic(s, "topic", { name: "t-1" });
    expect(policyErrors(s)).toHaveLength(1);
    Aspects.of(s).add(new ProductionSafetyAspect());
  });
});

describe("the environment stacks comply with every policy", () => {
  test.each(["local", "dev", "prod", "direct"])("%s synthesizes without policy errors", (name) => {
    const config = environmentConfig(name);
    const stack = new StreamingAnalyticsStack(Testing.app(), name, { environment: name, config });
    expect(policyErrors(stack)).toEqual([]);
  });

  test("prod carries the production and CMEK policies, dev does not", () => {
    const aspectsOf = (name: string) => {
      const config = environmentConfig(name);
      const stack = new StreamingAnalyticsStack(Testing.app(), name, { environment: name, config });
      const ours = [
        RequiredLabelsAspect,
        LeastPrivilegeIamAspect,
        StreamingTablesAspect,
        ProductionSafetyAspect,
        CmekAspect,
      ];
      return Aspects.of(stack)
        .all.filter((a) => ours.some((cls) => a instanceof cls))
        .map((a) => a.constructor.name)
        .sort();
    };
    expect(aspectsOf("prod")).toEqual([
      "CmekAspect",
      "LeastPrivilegeIamAspect",
      "ProductionSafetyAspect",
      "RequiredLabelsAspect",
      "StreamingTablesAspect",
    ]);
    expect(aspectsOf("dev")).toEqual(["LeastPrivilegeIamAspect", "RequiredLabelsAspect", "StreamingTablesAspect"]);
  });
});

describe("suppressions: a deliberate exception to one rule, with a written reason", () => {
  const REASON = "Backfill scratch table, recreated by every backfill run; its data is disposable.";

  /**
   * A prod stack with a scope `events` holding a table (breaking FS-PROD-1 and FS-STREAM-1) and a bucket
   * (breaking FS-PROD-3), and a table `other` outside it breaking FS-PROD-1.
   */
  function prodStackWithScope() {
    const { stack } = policyStack({ production: true });
    const ds = dataset(stack);
    const events = new Construct(stack, "events");
    markStreamingTable(table(events, "scratch", ds, { deletionProtection: false }));
    new StorageBucket(events, "bucket", { name: "b-fresh-streams", location: "EU", forceDestroy: true });
    table(stack, "other", ds, { deletionProtection: false });
    return { stack, events };
  }

  test("a suppression silences exactly its rule, on its construct and everything below it, and nothing else", () => {
    const { stack, events } = prodStackWithScope();
    PolicySuppressions.of(events).add({ id: "FS-PROD-1", reason: REASON });
    expect(PolicySuppressions.of(events).all).toEqual([{ id: "FS-PROD-1", reason: REASON }]);
    expect(policyErrors(stack)).toEqual([
      "[FS-STREAM-1 streaming-tables] google_bigquery_table test/events/scratch: is written by streaming (declared as a streaming table) but is not partitioned: add time_partitioning (ingestion time or a timestamp column) or range_partitioning",
      "[FS-PROD-3 production-safety] google_storage_bucket test/events/bucket: force_destroy is true in a production environment: a destroy would delete every object; leave it false",
      "[FS-PROD-1 production-safety] google_bigquery_table test/other: deletion_protection is false in a production environment; leave it true",
    ]);
    expect(policyWarnings(stack)).toEqual([]);
  });

  test("a suppression on a L3 construct covers its resources; several rules at once", () => {
    /** A prod stack with an unpartitioned StreamingTable without deletion protection. */
    const build = () => {
      const { stack } = policyStack({ production: true });
      const raw = new LayeredDataset(stack, "raw", { datasetId: "raw", layer: "raw", location: "EU" });
      const events = new StreamingTable(stack, "events", {
        dataset: raw,
        tableId: "events",
        schema: STREAMING_EVENTS_SCHEMA,
        partitioning: Partitioning.none(),
        deletionProtection: false,
      });
      return { stack, events };
    };
    const { stack } = build();
    expect(policyErrors(stack).map((e) => e.slice(0, e.indexOf("]") + 1))).toEqual([
      "[FS-STREAM-1 streaming-tables]",
      "[FS-PROD-1 production-safety]",
    ]);

    const { stack: suppressed, events } = build();
    PolicySuppressions.of(events).add(
      { id: "FS-STREAM-1", reason: "A few hundred rows a day for a year: a full scan costs less than partitions." },
      { id: "FS-PROD-1", reason: REASON },
    );
    expect(policyErrors(suppressed)).toEqual([]);
    expect(policyWarnings(suppressed)).toEqual([]);
  });

  test("each applied suppression is written into the synthesized JSON with its reason, on the resource and on the stack", () => {
    const build = (suppress: boolean) => {
      const { stack } = policyStack({ production: true });
      const ds = dataset(stack);
      const events = new Construct(stack, "events");
      const scratch = table(events, "scratch", ds, { deletionProtection: false });
      table(stack, "kept", ds);
      new DataGoogleIamPolicy(stack, "policy", {
        binding: [{ role: "roles/viewer", members: ["group:auditors@example.com"] }],
      });
      if (suppress) {
        PolicySuppressions.of(events).add({ id: "FS-PROD-1", reason: REASON });
        PolicySuppressions.of(stack).add({ id: "FS-IAM-1", reason: "Auditors read every resource of the project." });
      }
      return { stack, scratch };
    };
    const { stack, scratch } = build(true);
    Testing.synth(stack); // aspects run twice: nothing is recorded twice
    const json = synthesizedJson(stack);

    const onScratch = json.resource.google_bigquery_table[scratch.friendlyUniqueId]["//"];
    expect(onScratch.policySuppressions).toEqual([{ id: "FS-PROD-1", reason: REASON, declaredOn: "test/events" }]);
    expect(onScratch.metadata.path).toBe("test/events/scratch"); // cdktf's own metadata is kept
    const kept = Object.values(json.resource.google_bigquery_table).find((t: any) => t.table_id === "kept") as any;
    expect(kept["//"].policySuppressions).toBeUndefined();
    // Every suppressed resource, data sources included (cdktf rewrites a data source's own `//`).
    expect(json["//"].policySuppressions).toEqual([
      {
        type: "google_bigquery_table",
        path: "test/events/scratch",
        id: "FS-PROD-1",
        reason: REASON,
        declaredOn: "test/events",
      },
      {
        type: "data.google_iam_policy",
        path: "test/policy",
        id: "FS-IAM-1",
        reason: "Auditors read every resource of the project.",
        declaredOn: "test",
      },
    ]);
    // Only `//` comments are added: the Terraform configuration itself is the same as without suppressions.
    expect(Testing.synth(stack)).toEqual(Testing.synth(build(false).stack));
  });

  test("without suppressions nothing is added to the synthesized JSON", () => {
    const { stack } = policyStack({ production: true });
    table(stack, "t", dataset(stack));
    const json = synthesizedJson(stack);
    expect(json["//"].policySuppressions).toBeUndefined();
    expect(JSON.stringify(json)).not.toMatch(/policySuppressions/);
  });

  test.each([
    ["a short reason", "tbd", '"tbd" is too short (3 characters)'],
    ["an empty reason", "", '"" is too short (0 characters)'],
    ["a blank reason", "          ", '"" is too short (0 characters)'],
    ["a missing reason", undefined, '"" is too short (0 characters)'],
  ])("%s fails synthesis, naming the construct and the rule id", (_, reason, detail) => {
    const { stack } = policyStack({ production: true });
    const t = table(stack, "t", dataset(stack), { deletionProtection: false });
    PolicySuppressions.of(t).add({ id: "FS-PROD-1", reason: reason as string });
    const message = `[FS-PROD-1 suppression] test/t: the suppression's reason ${detail}; write at least ${MIN_SUPPRESSION_REASON_LENGTH} saying why the rule does not apply here`;
    expect(policyErrors(stack)).toEqual([message]);
    expect(() => Testing.fullSynth(stack)).toThrow(message);
  });

  test("an unknown rule id fails synthesis, listing the known ids", () => {
    const { stack } = policyStack({ production: true });
    const t = table(stack, "t", dataset(stack), { deletionProtection: false });
    PolicySuppressions.of(t).add({ id: "FS-PROD-9", reason: REASON });
    const errors = policyErrors(stack);
    expect(errors).toEqual([
      `[FS-PROD-9 suppression] test/t: FS-PROD-9 is not a policy rule id; use one of ${POLICY_RULES.map((r) => r.id).join(", ")} (docs/policy.md)`,
      "[FS-PROD-1 production-safety] google_bigquery_table test/t: deletion_protection is false in a production environment; leave it true",
    ]);
    expect(() => Testing.fullSynth(stack)).toThrow(
      /\[test\/t\] \[FS-PROD-9 suppression\] test\/t: FS-PROD-9 is not a policy rule id/,
    );
  });

  test("the same rule suppressed twice on one construct fails synthesis", () => {
    const { stack } = policyStack({ production: true });
    const t = table(stack, "t", dataset(stack), { deletionProtection: false });
    PolicySuppressions.of(t).add({ id: "FS-PROD-1", reason: REASON });
    PolicySuppressions.of(t).add({ id: "FS-PROD-1", reason: `${REASON} Again.` });
    expect(policyErrors(stack)).toEqual([
      "[FS-PROD-1 suppression] test/t: FS-PROD-1 is suppressed twice on this construct; keep one suppression with one reason",
    ]);
  });

  test("a suppression that silences nothing is a stale-suppression warning; synthesis still succeeds", () => {
    const { stack } = policyStack({ production: true });
    const t = table(stack, "t", dataset(stack)); // deletion protection on: nothing to suppress
    PolicySuppressions.of(t).add({ id: "FS-PROD-1", reason: REASON });
    Testing.synth(stack);
    expect(policyErrors(stack)).toEqual([]);
    expect(policyWarnings(stack)).toEqual([
      "[FS-PROD-1 suppression] test/t: stale suppression: FS-PROD-1 finds nothing to suppress on test/t or below; remove the suppression",
    ]);
    expect(() => Testing.fullSynth(stack)).not.toThrow();
  });

  test("a suppression of a rule that is not checked here (production rules in dev) is stale too", () => {
    const { stack } = policyStack({ production: false });
    const t = table(stack, "t", dataset(stack), { deletionProtection: false });
    PolicySuppressions.of(t).add({ id: "FS-PROD-1", reason: REASON });
    expect(policyErrors(stack)).toEqual([]);
    expect(policyWarnings(stack)).toEqual([
      "[FS-PROD-1 suppression] test/t: stale suppression: FS-PROD-1 is not checked here (no ProductionSafetyAspect is applied to test/t); remove the suppression",
    ]);
  });

  test("a rule of your own: a PolicyAspect subclass with its own ids, suppressible like the built-in ones", () => {
    class NoScratchTablesAspect extends PolicyAspect {
      public readonly name = "no-scratch-tables";
      public readonly rules = [
        {
          id: "ACME-1",
          aspect: "NoScratchTablesAspect",
          summary: "No table named scratch.",
          explanation: "Scratch tables are forgotten.",
        },
      ];
      protected check({ type, attributes }: PolicyResource): PolicyFinding[] {
        return type === "google_bigquery_table" && attributes.table_id === "scratch"
          ? [{ rule: "ACME-1", message: "table_id is scratch; name the table after its content" }]
          : [];
      }
    }
    const { stack } = policyStack();
    Aspects.of(stack).add(new NoScratchTablesAspect());
    const ds = dataset(stack);
    table(stack, "scratch", ds);
    const allowed = new Construct(stack, "allowed");
    table(allowed, "scratch", ds);
    PolicySuppressions.of(allowed).add({ id: "ACME-1", reason: "The backfill tool requires this exact name." });
    expect(policyErrors(stack)).toEqual([
      "[ACME-1 no-scratch-tables] google_bigquery_table test/scratch: table_id is scratch; name the table after its content",
    ]);
  });

  test("an aspect reporting a rule it does not declare is a programming error", () => {
    class Sloppy extends PolicyAspect {
      public readonly name = "sloppy";
      public readonly rules = [];
      protected check(): PolicyFinding[] {
        return [{ rule: "FS-PROD-1", message: "anything" }];
      }
    }
    const { stack } = policyStack();
    Aspects.of(stack).add(new Sloppy());
    dataset(stack);
    expect(() => Testing.synth(stack)).toThrow(
      /Sloppy reported a finding of rule FS-PROD-1, which is not one of its rules/,
    );
  });
});

describe("the rule catalogue", () => {
  test("every rule has a unique id of the form FS-<AREA>-<n>, an aspect of this module, a summary and an explanation", () => {
    const ids = POLICY_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of POLICY_RULES) {
      expect(rule.id).toMatch(/^FS-[A-Z]+-\d+$/);
      expect(Object.keys(policyApi)).toContain(rule.aspect);
      expect(rule.summary.length).toBeGreaterThan(20);
      expect(rule.explanation.length).toBeGreaterThan(20);
    }
    const aspects = [
      new RequiredLabelsAspect({ labels: LABELS }),
      new ProductionSafetyAspect(),
      new StreamingTablesAspect(),
      new LeastPrivilegeIamAspect(),
      new AlertingAspect(),
      new CmekAspect(),
      new IdleCostAspect(),
    ];
    expect(aspects.flatMap((a) => a.rules)).toEqual(POLICY_RULES);
    for (const a of aspects) expect(a.rules.every((r) => r.aspect === a.constructor.name)).toBe(true);
  });

  test("docs/policy.md lists exactly the rules of POLICY_RULES, in order", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs/policy.md"), "utf8");
    const cells = (line: string) =>
      line
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((c) => c.trim());
    const rows = doc
      .split("\n")
      .filter((line) => line.trim().startsWith("|"))
      .map(cells)
      .filter((row) => /^`?[A-Z]+-[A-Z]+-\d+`?$/.test(row[0]))
      .map(([id, aspect, summary, explanation]) => ({
        id: id.replace(/`/g, ""),
        aspect: aspect.replace(/`/g, ""),
        summary,
        explanation,
      }));
    expect(rows).toEqual(
      POLICY_RULES.map(({ id, aspect, summary, explanation }) => ({ id, aspect, summary, explanation })),
    );
  });

  test("the module's public surface is an explicit list: no internal helpers", () => {
    expect(Object.keys(policyApi).sort()).toEqual([
      "AlertingAspect",
      "CmekAspect",
      "IdleCostAspect",
      "LeastPrivilegeIamAspect",
      "MIN_SUPPRESSION_REASON_LENGTH",
      "POLICY_RULES",
      "PolicyAspect",
      "PolicySuppressions",
      "ProductionSafetyAspect",
      "RequiredLabelsAspect",
      "StreamingTablesAspect",
      "applyWarehousePolicies",
      "markStreamingTable",
    ]);
  });
});
