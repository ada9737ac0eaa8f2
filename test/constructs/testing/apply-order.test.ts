import { TerraformStack, Testing } from "cdktf";
import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { ScheduledQuery } from "../../../constructs/bigquery/scheduled-query";
import { renderSql } from "../../../constructs/bigquery/sql-template";
import { View } from "../../../constructs/bigquery/view";
import {
  describeUnorderedReference,
  expectApplyOrder,
  findUnorderedReferences,
  UnorderedReference,
} from "../../../constructs/testing/apply-order";
import { ENVIRONMENTS, newDataset, newStack, newTable, PROJECT, synthEnvironment } from "../../support";

/** `address: attribute -> kind "named"` for each finding, short enough to compare whole. */
function summary(found: UnorderedReference[]): string[] {
  return found.map((r) => `${r.address.split(".")[0]}: ${r.attribute} -> ${r.kind} "${r.named}"`);
}

describe("every environment is created in a safe order", () => {
  test.each([...ENVIRONMENTS])("%s: no resource names an object of the stack before it exists", (name) => {
    const { stack } = synthEnvironment(name);
    expect(findUnorderedReferences(stack).map(describeUnorderedReference)).toEqual([]);
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });

  test("without the staging load's table dependencies, the dev stack fails the check", () => {
    const { stack } = synthEnvironment("dev");
    const json = JSON.parse(JSON.stringify(synthEnvironment("dev").json));
    const [name, load] = Object.entries<any>(json.resource.google_bigquery_data_transfer_config).find(([, c]) =>
      c.display_name.includes("staging load"),
    )!;
    load.depends_on = load.depends_on.filter((d: string) => !d.startsWith("google_bigquery_table."));
    const found = findUnorderedReferences(json);
    expect(summary(found)).toEqual([
      `google_bigquery_data_transfer_config: params.query -> table "fresh-streams-dev.dev_raw.wiki_changes"`,
      `google_bigquery_data_transfer_config: params.query -> table "fresh-streams-dev.dev_staging.wiki_staged"`,
      `google_bigquery_data_transfer_config: params.query -> table "fresh-streams-dev.dev_staging.wiki_staged_watermark"`,
    ]);
    expect(found[0].address).toBe(`google_bigquery_data_transfer_config.${name}`);
    expect(stack.node.id).toBe("dev");
  });
});

describe("each kind of naming, unordered then ordered", () => {
  test("a literal id in a field: a table naming its dataset by dataset_id", () => {
    const stack = newStack();
    const dataset = newDataset(stack);
    new BigqueryTable(stack, "literal", {
      project: PROJECT,
      datasetId: "raw",
      tableId: "t",
      deletionProtection: false,
    });
    expect(summary(findUnorderedReferences(stack))).toEqual([`google_bigquery_table: dataset_id -> dataset "raw"`]);

    const fixed = newStack();
    const ds = newDataset(fixed);
    new BigqueryTable(fixed, "ref", {
      project: PROJECT,
      datasetId: ds.datasetIdRef,
      tableId: "t",
      deletionProtection: false,
    });
    expect(findUnorderedReferences(fixed)).toEqual([]);
    expect(dataset.datasetId).toBe("raw");
  });

  test("an id-style path: projects/p/datasets/d and projects/p/topics/t", () => {
    const stack = newStack();
    newDataset(stack);
    new BigqueryDatasetIamMember(stack, "grant", {
      datasetId: `projects/${PROJECT}/datasets/raw`,
      role: "roles/bigquery.dataViewer",
      member: "group:readers@example.com",
    });
    const topic = new PubsubTopic(stack, "topic", {
      project: PROJECT,
      name: "events",
    });
    new PubsubSubscription(stack, "sub", {
      project: PROJECT,
      name: "events-sub",
      topic: `projects/${PROJECT}/topics/events`,
    });
    expect(summary(findUnorderedReferences(stack))).toEqual([
      `google_bigquery_dataset_iam_member: dataset_id -> dataset "projects/test-project/datasets/raw"`,
      `google_pubsub_subscription: topic -> topic "projects/test-project/topics/events"`,
    ]);

    const fixed = newStack();
    const t = new PubsubTopic(fixed, "topic", {
      project: PROJECT,
      name: "events",
    });
    new PubsubSubscription(fixed, "sub", { project: PROJECT, name: "events-sub", topic: t.id });
    expect(findUnorderedReferences(fixed)).toEqual([]);
    expect(topic.name).toBeDefined();
  });

  test("SQL text: a view and a scheduled query naming project.dataset.table", () => {
    const stack = newStack();
    const table = newTable(stack);
    const query = renderSql("SELECT COUNT(*) AS n FROM {{events}}", { events: table });
    expect(query).toContain("`test-project`.`raw`.`events`");
    new View(stack, "count", { dataset: table.dataset, tableId: "event_count", query });
    new ScheduledQuery(stack, "rollup", {
      project: PROJECT,
      projectNumber: "123456789012",
      location: "US",
      query: `INSERT INTO raw.rollup SELECT * FROM \`${PROJECT}.raw.events\``,
      readDatasets: [table.dataset],
    });
    expect(summary(findUnorderedReferences(stack))).toEqual([
      `google_bigquery_data_transfer_config: params.query -> table "test-project.raw.events"`,
      `google_bigquery_table: view.query -> table "test-project.raw.events"`,
    ]);

    const fixed = newStack();
    const events = newTable(fixed);
    new View(fixed, "count", { dataset: events.dataset, tableId: "event_count", query, dependsOn: [events.resource] });
    new ScheduledQuery(fixed, "rollup", {
      project: PROJECT,
      projectNumber: "123456789012",
      location: "US",
      query: `INSERT INTO raw.rollup SELECT * FROM \`${PROJECT}.raw.events\``,
      readDatasets: [events.dataset],
      dependsOn: [events.resource],
    });
    expect(findUnorderedReferences(fixed)).toEqual([]);
  });

  test("SQL text without a project: dataset.table and dataset.INFORMATION_SCHEMA", () => {
    const stack = newStack();
    newTable(stack);
    new BigqueryTable(stack, "v", {
      project: PROJECT,
      datasetId: "other",
      tableId: "v",
      deletionProtection: false,
      view: {
        query: "SELECT * FROM raw.events JOIN raw.INFORMATION_SCHEMA.TABLES USING (x)",
        useLegacySql: false,
      },
    });
    const found = summary(findUnorderedReferences(stack));
    expect(found).toContain(`google_bigquery_table: view.query -> table "raw.events"`);
    expect(found).toContain(`google_bigquery_table: view.query -> dataset "raw."`);
  });

  test("a service account by email, a bucket by gs:// URL, an image in a repository, a topic by its bare name", () => {
    const stack = newStack();
    new ServiceAccount(stack, "sa", { project: PROJECT, accountId: "runner" });
    new StorageBucket(stack, "bucket", { name: "test-project-data", location: "US" });
    new ArtifactRegistryRepository(stack, "repo", {
      project: PROJECT,
      location: "us-central1",
      repositoryId: "images",
      format: "DOCKER",
    });
    new PubsubTopic(stack, "topic", {
      project: PROJECT,
      name: "events",
    });
    new CloudRunV2Service(stack, "service", {
      project: PROJECT,
      location: "us-central1",
      name: "runner",
      deletionProtection: false,
      template: {
        serviceAccount: `runner@${PROJECT}.iam.gserviceaccount.com`,
        containers: [
          {
            image: `us-central1-docker.pkg.dev/${PROJECT}/images/app:1`,
            env: [
              { name: "TOPIC", value: "events" },
              { name: "DATA", value: "gs://test-project-data/in" },
            ],
          },
        ],
      },
    });
    expect(summary(findUnorderedReferences(stack))).toEqual([
      `google_cloud_run_v2_service: template.containers[0].env[0].value -> topic "events"`,
      `google_cloud_run_v2_service: template.containers[0].env[1].value -> bucket "gs://test-project-data"`,
      `google_cloud_run_v2_service: template.containers[0].image -> repository "us-central1-docker.pkg.dev/test-project/images"`,
      `google_cloud_run_v2_service: template.service_account -> service account "runner@test-project.iam.gserviceaccount.com"`,
    ]);
  });

  test("a crypto key by its full name, where only the key ring is a reference", () => {
    const stack = newStack();
    const ring = new KmsKeyRing(stack, "ring", { project: PROJECT, location: "us", name: "warehouse" });
    new KmsCryptoKey(stack, "key", { keyRing: ring.id, name: "bq" });
    const keyName = `projects/${PROJECT}/locations/us/keyRings/warehouse/cryptoKeys/bq`;
    new LayeredDataset(stack, "raw", {
      datasetId: "raw",
      layer: "raw",
      location: "US",
      project: PROJECT,
      kmsKeyName: keyName,
    });
    // The key ring's id is computed: the key's name is not known, so only the ring is found.
    expect(summary(findUnorderedReferences(stack))).toEqual([
      `google_bigquery_dataset: default_encryption_configuration.kms_key_name -> key ring "projects/test-project/locations/us/keyRings/warehouse"`,
    ]);
  });
});

describe("dependency paths", () => {
  const json = (extra: Record<string, unknown>) => ({
    provider: { google: [{ project: "p" }] },
    resource: {
      google_bigquery_dataset: { raw: { dataset_id: "raw" } },
      google_bigquery_table: {
        events: { dataset_id: "${google_bigquery_dataset.raw.dataset_id}", table_id: "events" },
        view: { dataset_id: "raw", table_id: "v", view: { query: "SELECT * FROM `p.raw.events`" }, ...extra },
      },
    },
  });

  test("a direct depends_on, a reference or a path through other resources, data sources, modules and locals orders", () => {
    expect(summary(findUnorderedReferences(json({})))).toEqual([
      `google_bigquery_table: dataset_id -> dataset "raw"`,
      `google_bigquery_table: view.query -> dataset "p.raw"`,
      `google_bigquery_table: view.query -> table "p.raw.events"`,
    ]);
    expect(findUnorderedReferences(json({ depends_on: ["google_bigquery_table.events"] }))).toEqual([]);
    expect(findUnorderedReferences(json({ friendly_name: "${google_bigquery_table.events.id}" }))).toEqual([]);
    const through = (extra: Record<string, unknown>, more: Record<string, unknown>) => {
      const j: any = json(extra);
      Object.assign(j, more);
      return findUnorderedReferences(j);
    };
    expect(
      through(
        { depends_on: ["data.google_client_config.c"] },
        {
          data: { google_client_config: { c: { depends_on: ["google_bigquery_table.events"] } } },
        },
      ),
    ).toEqual([]);
    expect(
      through(
        { depends_on: ["module.m"] },
        { module: { m: { source: "./m", table: "${google_bigquery_table.events.id}" } } },
      ),
    ).toEqual([]);
    expect(
      through(
        { labels: { t: "${local.tables}" } },
        { locals: { tables: ["${google_bigquery_table.events.table_id}"] } },
      ),
    ).toEqual([]);
  });

  test("free text, other projects and longer names are not references", () => {
    const j: any = {
      provider: { google: [{ project: "p" }] },
      resource: {
        google_bigquery_dataset: { raw: { dataset_id: "raw" } },
        google_pubsub_subscription: { s: { name: "events-sub", topic: "projects/q/topics/t" } },
        google_service_account: { sa: { account_id: "events-sub", description: "reads raw and p.raw.events" } },
        google_bigquery_table: {
          other: { project: "q", dataset_id: "raw", table_id: "x" },
          view: {
            dataset_id: "${google_bigquery_dataset.raw.dataset_id}",
            table_id: "v",
            description: "from p.raw",
            view: { query: "SELECT * FROM `q.raw.y` JOIN raw_archive.y USING (id) JOIN draw.z USING (id)" },
          },
          spec: {
            dataset_id: "${google_bigquery_dataset.raw.dataset_id}",
            table_id: "spec",
            // The legacy table spec of another project's table of the same dataset and table ids.
            external_data_configuration: { source_uris: ["q:raw.v"] },
          },
        },
      },
    };
    expect(findUnorderedReferences(j)).toEqual([]);
  });
});

describe("expectApplyOrder", () => {
  test("names the construct path, the attribute, the object and its creator", () => {
    const stack = new TerraformStack(Testing.app(), "composed");
    new GoogleProvider(stack, "google", { project: PROJECT });
    newDataset(stack);
    new BigqueryTable(stack, "literal", {
      project: PROJECT,
      datasetId: "raw",
      tableId: "t",
      deletionProtection: false,
    });
    expect(() => expectApplyOrder(stack)).toThrow(
      /1 unordered reference\(s\) of stack "composed"[\s\S]*composed\/literal \(google_bigquery_table\.literal\): dataset_id names dataset "raw", created by composed\/raw\/dataset \(google_bigquery_dataset\.raw_dataset_[0-9A-F]+\)/,
    );
  });

  test("a composed stack's scheduled query is created after its destination dataset", () => {
    const stack = newStack();
    const reporting = newDataset(stack, { datasetId: "reporting", layer: "reporting" });
    new ScheduledQuery(stack, "snapshot", {
      project: PROJECT,
      projectNumber: "123456789012",
      location: "US",
      query: "SELECT CURRENT_TIMESTAMP() AS at",
      destination: { dataset: reporting, tableNameTemplate: "snapshot_{run_date}" },
    });
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });
});
