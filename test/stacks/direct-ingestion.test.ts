import { TerraformStack, Testing } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { EnvironmentConfig } from "../../config/schema";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { TableReference } from "../../constructs/bigquery/table-reference";
import { expectApplyOrder } from "../../constructs/testing/apply-order";
import { INGESTION_ERRORS_SCHEMA, WIKI_CHANGES_SCHEMA } from "../../schemas";
import { Ingestion, INGESTION_NAMES } from "../../stacks/ingestion";
import { annotationsOf, environmentConfig, resources, synthEnvironment } from "../support";

/**
 * Ingestion mode `direct`: the worker writes the raw table itself. The dev and prod environments,
 * switched to it, synthesize without a Pub/Sub ingestion path, with the error table, table-level
 * grants on exactly the two tables, and the worker's BigQuery sink environment.
 */

type Api = EnvironmentConfig["ingestion"]["direct"]["api"];

function direct(environment: string, api: Api) {
  return synthEnvironment(environment, (c) => ({
    ...c,
    ingestion: { ...c.ingestion, mode: "direct", direct: { api } },
    worker: { ...c.worker, enabled: true },
  }));
}

/** The error annotations the policy aspects left on the synthesized stack's constructs. */
const policyErrors = (stack: TerraformStack) => annotationsOf(stack);

const WORKER_SA = /google_service_account\.worker_sse-publisher_service-account_[0-9A-F]+/;
const INGESTION_PUBSUB = Object.values(INGESTION_NAMES);

describe.each([
  ["dev", "storage-write"],
  ["dev", "insert-all"],
  ["prod", "storage-write"],
] as const)("%s in ingestion mode direct (%s)", (environment, api) => {
  const { stack, config, json } = direct(environment, api);
  const env = (): Record<string, string> => {
    const [service] = resources(json, "google_cloud_run_v2_worker_pool");
    return Object.fromEntries(service.template.containers[0].env.map((e: any) => [e.name, e.value]));
  };
  const raw = `projects/${config.projectId}/datasets/${config.datasetPrefix}raw/tables`;

  test("no ingestion topic, dead-letter pair, subscription or Dataflow job; the CDC topic stays", () => {
    const names = [
      ...resources(json, "google_pubsub_topic").map((t) => t.name),
      ...resources(json, "google_pubsub_subscription").map((s) => s.name),
    ];
    expect(names.filter((n) => INGESTION_PUBSUB.includes(n))).toEqual([]);
    expect(names.filter((n) => n.startsWith("wiki-changes"))).toEqual([]);
    expect(resources(json, "google_pubsub_subscription").every((s) => !/ingestion_wiki-changes/.test(s.topic))).toBe(
      true,
    );
    expect(json.resource.google_dataflow_job).toBeUndefined();
    expect(names).toContain("wiki-pages-cdc");
    expect(stack.ingestion.topic).toBeUndefined();
    expect(stack.ingestion.subscription).toBeUndefined();
    expect(stack.ingestion.dataflowJob).toBeUndefined();
    expect(stack.ingestion.mode).toBe("direct");
    expect(stack.ingestion.directApi).toBe(api);
  });

  test("the raw error table: the template's dead-letter shape beside wiki_changes, partitioned, protected as configured", () => {
    const table = resources(json, "google_bigquery_table").find((t) => t.table_id === "wiki_changes_errors");
    expect(table).toMatchObject({
      project: config.projectId,
      dataset_id: expect.stringMatching(/^\$\{google_bigquery_dataset\.warehouse_raw_/),
      time_partitioning: { type: "DAY", field: "timestamp" },
      deletion_protection: config.deletionProtection,
      labels: expect.objectContaining({ layer: "ingestion", env: environment }),
    });
    expect(JSON.parse(table.schema).map((f: any) => f.name)).toEqual(INGESTION_ERRORS_SCHEMA.fieldNames);
    expect(stack.ingestion.errorTable?.fqn).toBe(`${config.projectId}.${config.datasetPrefix}raw.wiki_changes_errors`);
  });

  test("outputs: the error table, no topic or subscription", () => {
    expect(json.output.ingestion_error_table.value).toBe(stack.ingestion.errorTable!.fqn);
    for (const name of ["ingestion_topic_name", "ingestion_dead_letter_topic_name", "ingestion_subscription_name"]) {
      expect(json.output[name]).toBeUndefined();
    }
  });

  test("the worker's identity: a row-writing custom role on exactly the raw and error tables, no Data Editor, no project-level BigQuery role", () => {
    const ofWorker = (type: string) => resources(json, type).filter((g) => WORKER_SA.test(g.member));
    const tableGrants = ofWorker("google_bigquery_table_iam_member");
    const [role, ...others] = resources(json, "google_project_iam_custom_role");
    expect(others).toEqual([]);
    expect(role).toMatchObject({
      project: config.projectId,
      permissions:
        api === "storage-write"
          ? ["bigquery.tables.updateData"]
          : ["bigquery.tables.get", "bigquery.tables.updateData"],
    });
    const roleName = `projects/${config.projectId}/roles/${role.role_id}`;
    expect(tableGrants.map((g) => g.role)).toEqual([roleName, roleName]);
    expect(tableGrants.map((g) => g.table_id).sort()).toEqual([
      expect.stringMatching(/^\$\{google_bigquery_table\.ingestion_wiki_changes_errors_table_[0-9A-F]+\.table_id\}$/),
      expect.stringMatching(/^\$\{google_bigquery_table\.warehouse_wiki_changes_table_[0-9A-F]+\.table_id\}$/),
    ]);
    expect(ofWorker("google_bigquery_dataset_iam_member")).toEqual([]);
    expect(ofWorker("google_project_iam_member").map((g) => g.role)).toEqual(["roles/monitoring.metricWriter"]);
    // Publishing: the CDC topic only.
    expect(ofWorker("google_pubsub_topic_iam_member")).toEqual([
      expect.objectContaining({
        role: "roles/pubsub.publisher",
        topic: expect.stringMatching(/page-state_wiki-pages-cdc_topic/),
      }),
    ]);
  });

  test("the worker's environment: SINK, TABLE and ERROR_TABLE in full form, no TOPIC; CDC_TOPIC as before", () => {
    expect(env()).toMatchObject({
      SINK: api,
      TABLE: `${raw}/wiki_changes`,
      ERROR_TABLE: `${raw}/wiki_changes_errors`,
      CDC_TOPIC: "wiki-pages-cdc",
    });
    expect(env().TOPIC).toBeUndefined();
    expect(stack.worker!.publisher.sink).toBe(api);
  });

  test("the worker pool starts after both table grants (TABLE and ERROR_TABLE name the tables literally)", () => {
    const [service] = resources(json, "google_cloud_run_v2_worker_pool");
    const grants = Object.entries<any>(json.resource.google_bigquery_table_iam_member)
      .filter(([, g]) => WORKER_SA.test(g.member))
      .map(([id]) => `google_bigquery_table_iam_member.${id}`);
    expect(grants).toHaveLength(2);
    expect(service.depends_on).toEqual(expect.arrayContaining(grants));
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });

  test("the metrics-config secret is encrypted with the worker's key where one is configured", () => {
    const [secret] = resources(json, "google_secret_manager_secret");
    expect(secret.replication).toEqual(
      config.worker.kmsKeyName
        ? {
            user_managed: {
              replicas: [
                { location: config.region, customer_managed_encryption: { kms_key_name: config.worker.kmsKeyName } },
              ],
            },
          }
        : { auto: {} },
    );
  });

  test("the policy aspects pass", () => {
    expect(policyErrors(stack)).toEqual([]);
  });

  test("monitoring: sink alerts instead of the Pub/Sub, BigQuery-subscription and Dataflow ones", () => {
    const ids = resources(json, "google_monitoring_alert_policy").map((p) => p.user_labels.alert);
    expect(ids).toEqual(expect.arrayContaining(["worker-sink-refused", "worker-sink-errors", "worker-stalled"]));
    expect(ids.filter((id: string) => /^(pubsub-|dead-letters|bigquery-subscription-|dataflow-)/.test(id))).toEqual([]);
    const query = (id: string) =>
      resources(json, "google_monitoring_alert_policy").find((p) => p.user_labels.alert === id).conditions[0]
        .condition_prometheus_query_language.query;
    expect(query("worker-sink-refused")).toBe("sum(increase(fresh_streams_worker_sink_rows_refused_total[10m])) > 0");
    expect(query("worker-sink-errors")).toBe(
      'sum(increase(fresh_streams_worker_sink_requests_total{outcome=~"failed|retried"}[10m])) > 10',
    );
  });
});

describe("ingestion mode direct elsewhere", () => {
  test("config/direct.json: the example environment writes with the Storage Write API", () => {
    const config = environmentConfig("direct");
    expect(config.ingestion).toMatchObject({ mode: "direct", direct: { api: "storage-write" } });
    expect(config.worker.enabled).toBe(true);
    const { stack } = synthEnvironment("direct");
    expect(stack.ingestion.errorTable).toBeDefined();
    expect(stack.worker?.publisher.sink).toBe("storage-write");
    expect(policyErrors(stack)).toEqual([]);
  });

  test("a worker-less direct environment still gets its error table, and no sink alerts", () => {
    const { json } = synthEnvironment("dev", (c) => ({
      ...c,
      ingestion: { ...c.ingestion, mode: "direct" },
      worker: { ...c.worker, enabled: false },
    }));
    expect(resources(json, "google_bigquery_table").map((t) => t.table_id)).toContain("wiki_changes_errors");
    const ids = resources(json, "google_monitoring_alert_policy").map((p) => p.user_labels.alert);
    expect(ids.filter((id: string) => id.startsWith("worker-"))).toEqual([]);
  });

  test("a config built in code with topicSchema in mode direct fails synthesis naming the path and the rule", () => {
    const stack = new TerraformStack(Testing.app(), "shared");
    new GoogleProvider(stack, "google", { project: "fresh-streams-dev" });
    const config = environmentConfig("dev");
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "raw", {
      project: "fresh-streams-dev",
      datasetId: "dev_raw",
      location: "US",
    });
    const table = TableReference.fromTableAttributes(stack, "wiki_changes", {
      dataset,
      tableId: "wiki_changes",
      schema: WIKI_CHANGES_SCHEMA,
    });
    expect(
      () =>
        new Ingestion(stack, "ingestion", {
          config: { ...config, ingestion: { ...config.ingestion, mode: "direct", topicSchema: true } },
          table,
        }),
    ).toThrow(
      'shared/ingestion: ingestion.topicSchema is true but ingestion.mode is "direct": there is no ingestion topic to attach a schema to',
    );
  });
});
