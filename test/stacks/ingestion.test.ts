import { TerraformStack, Testing } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { loadEnvironments } from "../../config/load";
import { INGESTION_NAMES, Ingestion } from "../../stacks/ingestion";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { TableReference } from "../../constructs/bigquery/table-reference";
import { WIKI_CHANGES_SCHEMA } from "../../schemas";
import { environmentConfig, resources, synthEnvironment, synthStack } from "../support";

const byName = (json: any, type: string, name: string) => resources(json, type).find((r) => r.name === name);

describe("ingestion layer in the dev stack (Dataflow)", () => {
  const { stack, json } = synthEnvironment("dev");
  const agent = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com";

  test("exposes the layer and predictable names", () => {
    expect(stack.ingestion.topicName).toBe("wiki-changes");
    expect(stack.ingestion.deadLetterTopicName).toBe("wiki-changes-dead-letter");
    expect(stack.ingestion.deadLetterSubscriptionName).toBe("wiki-changes-dead-letter-sub");
    expect(stack.ingestion.subscriptionName).toBe("wiki-changes-dataflow");
    expect(stack.ingestion.mode).toBe("dataflow");
    expect(stack.ingestion.table).toBe(stack.warehouse.wikiChanges);
    expect(json.output.ingestion_topic_name.value).toBe("wiki-changes");
    expect(json.output.ingestion_subscription_name.value).toBe("wiki-changes-dataflow");
    // The job's error table, the same output as in mode direct.
    expect(json.output.ingestion_error_table.value).toBe("fresh-streams-dev.dev_raw.wiki_changes_errors");
    expect(stack.ingestion.errorTable).toBeUndefined();
  });

  test("topic and dead-letter topic: 7-day retention, persisted in the environment's region", () => {
    for (const name of ["wiki-changes", "wiki-changes-dead-letter"]) {
      expect(byName(json, "google_pubsub_topic", name)).toMatchObject({
        project: "fresh-streams-dev",
        message_retention_duration: "604800s",
        message_storage_policy: { allowed_persistence_regions: ["us-central1"] },
        labels: expect.objectContaining({ env: "dev", app: "fresh-streams", layer: "ingestion" }),
      });
    }
  });

  test("the Dataflow subscription has no dead-letter or retry policy: the job's error table is the error path", () => {
    const subscription = byName(json, "google_pubsub_subscription", "wiki-changes-dataflow");
    expect(subscription).toMatchObject({ expiration_policy: { ttl: "" } });
    expect(subscription.dead_letter_policy).toBeUndefined();
    expect(subscription.retry_policy).toBeUndefined();
    expect(stack.ingestion.subscription?.forDataflow).toBe(true);
    expect(byName(json, "google_dataflow_job", "wiki-changes-to-bigquery").parameters.outputDeadletterTable).toMatch(
      /wiki_changes_errors$/,
    );
    // The one BigQuery subscription in Dataflow mode is the page-state CDC one (the template does not apply CDC).
    expect(
      resources(json, "google_pubsub_subscription")
        .filter((s) => s.bigquery_config)
        .map((s) => s.name),
    ).toEqual(["wiki-pages-cdc-bigquery"]);
  });

  test("the service agent may publish to the topic's dead-letter topic, but forwards nothing from the Dataflow subscription", () => {
    // The ingestion layer's (the page-state layer has its own pair).
    const ingestion = (g: any) => !JSON.stringify(g).includes("page-state_");
    const topicGrants = resources(json, "google_pubsub_topic_iam_member").filter(
      (g) => g.member === agent && ingestion(g),
    );
    const subGrants = resources(json, "google_pubsub_subscription_iam_member").filter(
      (g) => g.member === agent && ingestion(g),
    );
    expect(topicGrants).toEqual([
      expect.objectContaining({ role: "roles/pubsub.publisher", topic: expect.stringMatching(/dead-letter-topic/) }),
    ]);
    expect(subGrants).toEqual([]);
  });

  test("the Dataflow job with its bucket, error table and service account", () => {
    expect(byName(json, "google_dataflow_job", "wiki-changes-to-bigquery")).toMatchObject({
      region: "us-central1",
      // The release pinned in config/dev.json, private workers on the configured subnetwork.
      template_gcs_path: "gs://dataflow-templates-us-central1/2025-01-07-00_RC00/PubSub_Subscription_to_BigQuery",
      subnetwork: "regions/us-central1/subnetworks/dataflow",
      ip_configuration: "WORKER_IP_PRIVATE",
      parameters: {
        // The table id as a reference: the job starts after the raw table exists.
        outputTableSpec: expect.stringMatching(
          /^fresh-streams-dev:dev_raw\.\$\{google_bigquery_table\.warehouse_wiki_changes_table_[0-9A-F]+\.table_id\}$/,
        ),
        outputDeadletterTable: "fresh-streams-dev:dev_raw.wiki_changes_errors",
      },
      machine_type: "n2-standard-2",
      max_workers: 2,
      enable_streaming_engine: true,
      on_delete: "drain",
    });
    expect(byName(json, "google_storage_bucket", "fresh-streams-dev-wiki-changes-to-bigquery-temp")).toMatchObject({
      uniform_bucket_level_access: true,
      public_access_prevention: "enforced",
      force_destroy: true,
    });
    const errors = resources(json, "google_bigquery_table").find((t) => t.table_id === "wiki_changes_errors");
    expect(errors).toMatchObject({ deletion_protection: false });
    // In the raw dataset, by reference: the error table is created after it.
    const [, dataset] = /^\$\{google_bigquery_dataset\.([^.]+)\.dataset_id\}$/.exec(errors.dataset_id) ?? [];
    expect(json.resource.google_bigquery_dataset[dataset].dataset_id).toBe("dev_raw");
    expect(
      resources(json, "google_service_account").find((s) => s.account_id === "wiki-changes-df-worker"),
    ).toBeDefined();
  });

  test("project services, and every resource waits for them", () => {
    const services = resources(json, "google_project_service");
    expect(services.length).toBeGreaterThanOrEqual(10);
    for (const s of services) expect(s.disable_on_destroy).toBe(false);
    const [ready] = Object.keys(json.resource.terraform_data).filter((n) => n.startsWith("services_ready"));
    for (const type of [
      "google_pubsub_topic",
      "google_pubsub_subscription",
      "google_dataflow_job",
      "google_storage_bucket",
      "google_bigquery_dataset",
    ]) {
      for (const r of resources(json, type)) expect(r.depends_on).toContain(`terraform_data.${ready}`);
    }
  });
});

describe("ingestion layer in the local stack (BigQuery subscription)", () => {
  const { stack, json } = synthEnvironment("local");

  test("no Dataflow: a BigQuery subscription writes into wiki_changes with the table's schema", () => {
    expect(stack.ingestion.mode).toBe("bigquery-subscription");
    expect(stack.ingestion.dataflowJob).toBeUndefined();
    expect(resources(json, "google_dataflow_job")).toHaveLength(0);
    expect(resources(json, "google_storage_bucket").filter((b) => /dataflow|temp/.test(b.name))).toHaveLength(0);
    // No error table in this mode: dead letters stay in Pub/Sub.
    expect(json.output.ingestion_error_table).toBeUndefined();
    expect(byName(json, "google_pubsub_subscription", INGESTION_NAMES.bigQuerySubscription)).toMatchObject({
      bigquery_config: {
        // References to the raw table (wiki_changes in local_raw): the subscription is created after it.
        table: expect.stringMatching(
          /^\$\{google_bigquery_table\.warehouse_wiki_changes_table_([0-9A-F]+)\.project\}\.\$\{google_bigquery_table\.warehouse_wiki_changes_table_\1\.dataset_id\}\.\$\{google_bigquery_table\.warehouse_wiki_changes_table_\1\.table_id\}$/,
        ),
        use_table_schema: true,
        use_topic_schema: false,
        drop_unknown_fields: true,
        write_metadata: false,
        service_account_email: expect.stringMatching(/google_service_account\./),
      },
      dead_letter_policy: expect.objectContaining({ max_delivery_attempts: 10 }),
    });
    const writer = resources(json, "google_bigquery_dataset_iam_member").filter((g) =>
      /bigquery-subscription-wiki-changes-bigquery_writer/.test(g.member),
    );
    expect(writer).toEqual([expect.objectContaining({ role: "roles/bigquery.dataEditor" })]);
  });
});

describe("ingestion layer in the prod stack", () => {
  const { json } = synthEnvironment("prod");

  test("regional CMEK (ingestion.kmsKeyName) on topics, bucket and job; the bucket survives destroy; the error table is protected", () => {
    const key = "projects/fresh-streams-prod/locations/europe-west1/keyRings/fresh-streams/cryptoKeys/ingestion";
    for (const t of resources(json, "google_pubsub_topic")) expect(t.kms_key_name).toBe(key);
    const bucket = byName(json, "google_storage_bucket", "fresh-streams-prod-wiki-changes-to-bigquery-temp");
    expect(bucket).toMatchObject({
      force_destroy: false,
      encryption: { default_kms_key_name: key },
      location: "EUROPE-WEST1",
    });
    expect(byName(json, "google_dataflow_job", "wiki-changes-to-bigquery")).toMatchObject({
      kms_key_name: key,
      max_workers: 10,
      machine_type: "n2-standard-4",
    });
    expect(
      resources(json, "google_bigquery_table").find((t) => t.table_id === "wiki_changes_errors").deletion_protection,
    ).toBe(true);
  });
});

describe("ingestion.kmsKeyName", () => {
  test("defaults to the top-level key", () => {
    const key = "projects/fresh-streams-dev/locations/us-central1/keyRings/r/cryptoKeys/k";
    // A regional key: the datasets move to its region too (BigQuery needs the key where the dataset is).
    const { json } = synthEnvironment("dev", (c) => ({ ...c, location: "us-central1", kmsKeyName: key }));
    for (const t of resources(json, "google_pubsub_topic")) expect(t.kms_key_name).toBe(key);
    expect(resources(json, "google_dataflow_job")[0].kms_key_name).toBe(key);
  });

  test("a multi-regional key cannot encrypt the regional temp bucket", () => {
    expect(() =>
      synthEnvironment("prod", (c) => ({ ...c, ingestion: { ...c.ingestion, kmsKeyName: undefined } })),
    ).toThrow(
      /prod\/ingestion\/dataflow: kmsKeyName ".*\/locations\/europe\/.*" is in location "europe" but the resource is in "europe-west1", which needs a key in "europe-west1"; Dataflow needs the key in the job's region/,
    );
  });
});

describe("ingestion.messageRetentionDuration", () => {
  test("the config's seconds become the topics' and the subscriptions' retention", () => {
    const { json } = synthEnvironment("dev", (c) => ({
      ...c,
      ingestion: { ...c.ingestion, messageRetentionDuration: "86400s" },
    }));
    for (const name of ["wiki-changes", "wiki-changes-dead-letter"]) {
      expect(byName(json, "google_pubsub_topic", name).message_retention_duration).toBe("86400s");
    }
    expect(byName(json, "google_pubsub_subscription", "wiki-changes-dataflow").message_retention_duration).toBe(
      "86400s",
    );
    // The dead-letter subscription keeps its own default.
    expect(byName(json, "google_pubsub_subscription", "wiki-changes-dead-letter-sub").message_retention_duration).toBe(
      "604800s",
    );
  });
});

describe("the ingestion layer on an imported table", () => {
  function build(schema = WIKI_CHANGES_SCHEMA, topicSchema = false) {
    const config = environmentConfig("local");
    const stack = new TerraformStack(Testing.app(), "shared");
    new GoogleProvider(stack, "google", { project: config.projectId, region: config.region });
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "raw", {
      project: config.projectId,
      datasetId: "shared_raw",
      location: "US",
    });
    const table = TableReference.fromTableAttributes(stack, "wiki-changes", {
      dataset,
      tableId: "wiki_changes",
      schema,
    });
    new Ingestion(stack, "ingestion", {
      config: { ...config, ingestion: { ...config.ingestion, topicSchema } },
      table,
    });
    return synthStack(stack);
  }

  test("a BigQuery subscription into a table imported with its schema: literal ids", () => {
    const json = build();
    expect(byName(json, "google_pubsub_subscription", INGESTION_NAMES.bigQuerySubscription).bigquery_config.table).toBe(
      "fresh-streams-local.shared_raw.wiki_changes",
    );
    expect(resources(json, "google_bigquery_dataset_iam_member")).toEqual([
      expect.objectContaining({ dataset_id: "shared_raw", role: "roles/bigquery.dataEditor" }),
    ]);
  });

  test("topicSchema needs the table's schema", () => {
    // With the schema, the topic gets the Avro schema generated from it.
    expect(resources(build(WIKI_CHANGES_SCHEMA, true), "google_pubsub_schema")).toHaveLength(1);
    const config = environmentConfig("local");
    const stack = new TerraformStack(Testing.app(), "shared");
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "raw", {
      project: config.projectId,
      datasetId: "shared_raw",
      location: "US",
    });
    const table = TableReference.fromTableAttributes(stack, "wiki-changes", { dataset, tableId: "wiki_changes" });
    expect(
      () =>
        new Ingestion(stack, "ingestion", {
          config: { ...config, ingestion: { ...config.ingestion, topicSchema: true } },
          table,
        }),
    ).toThrow(
      "shared/ingestion: ingestion.topicSchema is true but table fresh-streams-local.shared_raw.wiki_changes has no known schema",
    );
  });
});

describe("topicSchema", () => {
  test("attaches an Avro schema generated from wiki_changes, and the BigQuery subscription then uses it", () => {
    const { json } = synthEnvironment("local", (c) => ({ ...c, ingestion: { ...c.ingestion, topicSchema: true } }));
    const [schema] = resources(json, "google_pubsub_schema");
    expect(schema).toMatchObject({ name: "wiki-changes-schema", type: "AVRO" });
    expect(JSON.parse(schema.definition).fields.map((f: any) => f.name)).toContain("event_time");
    expect(byName(json, "google_pubsub_topic", "wiki-changes").schema_settings).toMatchObject({ encoding: "JSON" });
    expect(byName(json, "google_pubsub_subscription", "wiki-changes-bigquery").bigquery_config).toMatchObject({
      use_topic_schema: true,
      use_table_schema: false,
    });
  });
});

describe("no primitive roles in any synthesized stack", () => {
  const PRIMITIVE = new Set(["roles/owner", "roles/editor", "roles/viewer"]);

  function primitiveRoles(value: unknown, where: string, found: string[]): void {
    if (typeof value === "string") {
      if (PRIMITIVE.has(value)) found.push(`${where} = ${value}`);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => primitiveRoles(v, `${where}[${i}]`, found));
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) primitiveRoles(v, `${where}.${k}`, found);
    }
  }

  test.each(loadEnvironments().map((e) => e.name))("%s", (name) => {
    const { json } = synthEnvironment(name);
    const found: string[] = [];
    primitiveRoles(json.resource, "resource", found);
    primitiveRoles(json.data ?? {}, "data", found);
    expect(found).toEqual([]);
    // And the scan does look at roles: the stack has IAM members.
    const roles = Object.entries(json.resource as Record<string, Record<string, any>>)
      .filter(([type]) => type.includes("_iam_"))
      .flatMap(([, rs]) => Object.values(rs).map((r) => r.role));
    expect(roles.length).toBeGreaterThan(3);
  });
});

/** The error annotations policy aspects left on the synthesized stack's constructs. */
const policyErrors = (stack: { node: { findAll(): { node: { metadata: { type: string; data: unknown }[] } }[] } }) =>
  stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === "@cdktf/error")
    .map((m) => String(m.data));

describe("production Dataflow hardening (FS-PROD-4, FS-PROD-5)", () => {
  test("prod: private worker IPs on the configured subnetwork, a pinned template release", () => {
    const { json } = synthEnvironment("prod");
    expect(resources(json, "google_dataflow_job")[0]).toMatchObject({
      ip_configuration: "WORKER_IP_PRIVATE",
      subnetwork: "regions/europe-west1/subnetworks/dataflow",
      template_gcs_path: "gs://dataflow-templates-europe-west1/2025-01-07-00_RC00/PubSub_Subscription_to_BigQuery",
    });
  });

  test("prod with public worker IPs fails synthesis with FS-PROD-4", () => {
    const edit = (ipConfiguration: "WORKER_IP_PUBLIC" | undefined) =>
      policyErrors(
        synthEnvironment("prod", (c) => ({
          ...c,
          ingestion: { ...c.ingestion, dataflow: { ...c.ingestion.dataflow, ipConfiguration } },
        })).stack,
      );
    expect(policyErrors(synthEnvironment("prod").stack)).toEqual([]);
    expect(edit(undefined)).toEqual([
      "[FS-PROD-4 production-safety] google_dataflow_job prod/ingestion/dataflow/job: ip_configuration is unset (public worker IPs) in a production environment; set WORKER_IP_PRIVATE on a subnetwork with Private Google Access",
    ]);
    expect(edit("WORKER_IP_PUBLIC")).toEqual([
      expect.stringMatching(/^\[FS-PROD-4 .*ip_configuration is WORKER_IP_PUBLIC/),
    ]);
  });

  test("prod on the latest template fails synthesis with FS-PROD-5; dev may use it", () => {
    const latest = (c: any) => ({
      ...c,
      ingestion: { ...c.ingestion, dataflow: { ...c.ingestion.dataflow, templateVersion: undefined } },
    });
    expect(policyErrors(synthEnvironment("prod", latest).stack)).toEqual([
      '[FS-PROD-5 production-safety] google_dataflow_job prod/ingestion/dataflow/job: template_gcs_path "gs://dataflow-templates-europe-west1/latest/PubSub_Subscription_to_BigQuery" uses the moving "latest" template in a production environment; pin a release folder such as 2025-01-07-00_RC00',
    ]);
    expect(resources(synthEnvironment("dev", latest).json, "google_dataflow_job")[0].template_gcs_path).toContain(
      "/latest/",
    );
  });

  test("a subnetwork outside the job's region is refused with the construct path, the value and the rule", () => {
    expect(() =>
      synthEnvironment("prod", (c) => ({
        ...c,
        ingestion: {
          ...c.ingestion,
          dataflow: { ...c.ingestion.dataflow, subnetwork: "regions/us-central1/subnetworks/dataflow" },
        },
      })),
    ).toThrow(
      'prod/ingestion/dataflow: subnetwork "regions/us-central1/subnetworks/dataflow" is in region "us-central1" but the job runs in "europe-west1"; Dataflow workers use a subnetwork of the job\'s region',
    );
  });
});
