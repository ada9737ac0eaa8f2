import { Testing, TerraformStack } from "cdktf";
import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../../constructs/bigquery/table-options";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { Duration } from "../../../constructs/core/duration";
import { ITable, ITopic } from "../../../constructs/core/references";
import { Size } from "../../../constructs/core/size";
import { expectApplyOrder } from "../../../constructs/testing/apply-order";
import { INGESTION_ERRORS_SCHEMA } from "../../../schemas/ingestion-errors";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import { SsePublisherService, SsePublisherServiceProps } from "../../../constructs/worker/sse-publisher-service";
import { DEFAULT_METRICS_PORT, WORKER_ENV_VARIABLES } from "../../../schemas/worker-contract";
import { newDataset, newStack, newTable, PROJECT, resources, synth, synthStack } from "../../support";

const IMAGE = "us-central1-docker.pkg.dev/test-project/fresh-streams/app-worker:1.2.3";

function build(props: Partial<SsePublisherServiceProps> = {}, makeTopic?: (stack: TerraformStack) => ITopic) {
  const stack = newStack();
  const topic =
    makeTopic?.(stack) ??
    new StreamTopic(stack, "topic", {
      topicName: "wiki-changes",
      project: PROJECT,
      projectNumber: "123456789012",
    });
  const service = new SsePublisherService(stack, "worker", {
    project: PROJECT,
    region: "us-central1",
    topic,
    image: IMAGE,
    ...props,
  });
  const synthesized = synth(stack);
  return { stack, topic, service, synth: synthesized, json: JSON.parse(synthesized) };
}

const resourcesOf = resources;

describe("SsePublisherService", () => {
  test("the service starts only after its publish and checkpoint grants and its image repository exist (first apply cannot race)", () => {
    const { json } = build();
    const [service] = resourcesOf(json, "google_cloud_run_v2_service");
    const [publish] = Object.entries(json.resource.google_pubsub_topic_iam_member)
      .filter(([, binding]: [string, any]) => /google_service_account\.worker_/.test(binding.member))
      .map(([id]) => id);
    const [checkpoint] = Object.keys(json.resource.google_storage_bucket_iam_member);
    const [configVersion] = Object.keys(json.resource.google_secret_manager_secret_version);
    const [configAccess] = Object.keys(json.resource.google_secret_manager_secret_iam_member);
    const [repository] = Object.keys(json.resource.google_artifact_registry_repository);
    const [metricWriter] = Object.keys(json.resource.google_project_iam_member);
    expect(service.depends_on).toEqual([
      `google_pubsub_topic_iam_member.${publish}`,
      `google_storage_bucket_iam_member.${checkpoint}`,
      `google_secret_manager_secret_version.${configVersion}`,
      `google_secret_manager_secret_iam_member.${configAccess}`,
      `google_project_iam_member.${metricWriter}`,
      // The image reference names the repository by a literal URL.
      `google_artifact_registry_repository.${repository}`,
    ]);
    // The publish grant names the topic by reference, so the topic comes first of all.
    expect(json.resource.google_pubsub_topic_iam_member[publish].topic).toMatch(/^\$\{google_pubsub_topic\./);
  });

  test("one always-on instance, CPU always allocated, internal ingress, probes on /healthz", () => {
    const { synth } = build();
    expect(synth).toHaveResourceWithProperties(CloudRunV2Service, {
      name: "wiki-sse-publisher",
      location: "us-central1",
      ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
      template: expect.objectContaining({
        execution_environment: "EXECUTION_ENVIRONMENT_GEN2",
        scaling: { min_instance_count: 1, max_instance_count: 1 },
        containers: [
          expect.objectContaining({
            name: "worker",
            image: IMAGE,
            ports: { container_port: 9464, name: "http1" },
            resources: { cpu_idle: false, startup_cpu_boost: true, limits: { cpu: "1", memory: "512Mi" } },
            startup_probe: expect.objectContaining({ http_get: { path: "/healthz", port: 9464 } }),
            liveness_probe: expect.objectContaining({ http_get: { path: "/healthz", port: 9464 } }),
            volume_mounts: [{ name: "checkpoint", mount_path: "/checkpoint" }],
          }),
          expect.objectContaining({ name: "metrics-collector" }),
        ],
      }),
    });
  });

  test("the worker's environment comes from the props; the checkpoint is an object on a mounted bucket", () => {
    const { json, service } = build({
      sseUrl: "https://example.org/stream",
      userAgent: "me (https://example.org)",
      environment: { MAX_IN_FLIGHT_MESSAGES: "2000" },
    });
    const run = resourcesOf(json, "google_cloud_run_v2_service")[0];
    const env = Object.fromEntries(
      run.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toEqual({
      PROJECT,
      TOPIC: "wiki-changes",
      CHECKPOINT_PATH: "/checkpoint/recentchange.json",
      DEAD_LETTER_PATH: "/checkpoint/dead-letter",
      METRICS_PORT: "9464",
      METRICS_HOST: "0.0.0.0",
      SHUTDOWN_DEADLINE_MS: "8000",
      LOG_LEVEL: "info",
      SSE_URL: "https://example.org/stream",
      USER_AGENT: "me (https://example.org)",
      MAX_IN_FLIGHT_MESSAGES: "2000",
    });
    expect(run.template.volumes).toEqual([
      {
        name: "checkpoint",
        gcs: { bucket: expect.stringContaining("google_storage_bucket.worker_checkpoints"), read_only: false },
      },
      expect.objectContaining({ name: "metrics-config" }),
    ]);
    expect(service.checkpointUri).toBe("gs://test-project-worker-checkpoints/recentchange.json");
    // Every variable the construct sets is one the worker reads (or one the user added).
    for (const name of Object.keys(service.environment)) {
      if (name !== "MAX_IN_FLIGHT_MESSAGES") expect(WORKER_ENV_VARIABLES).toContain(name);
    }
    expect(env.METRICS_PORT).toBe(String(DEFAULT_METRICS_PORT));
  });

  test("without sseUrl and userAgent the worker's own defaults apply (the variables are not set)", () => {
    const { json } = build();
    const run = resourcesOf(json, "google_cloud_run_v2_service")[0];
    const names = run.template.containers[0].env.map((e: { name: string }) => e.name);
    expect(names).not.toContain("SSE_URL");
    expect(names).not.toContain("USER_AGENT");
  });

  test("a dedicated service account: publisher on its topic, object access on its bucket, its metrics config and metric writing", () => {
    const { json, synth } = build();
    expect(synth).toHaveResourceWithProperties(ServiceAccount, { account_id: "wiki-sse-publisher", project: PROJECT });
    const iam = Object.entries(json.resource)
      .filter(([type]) => type.endsWith("_iam_member") || type.endsWith("_iam_binding") || type.endsWith("_iam_policy"))
      .flatMap(([type, byId]) =>
        Object.values(byId as object).map((r: any) => ({ type, role: r.role, member: r.member })),
      )
      .filter((grant) => /google_service_account\.worker_/.test(grant.member));
    // Every grant the worker's identity gets, anywhere (by resource type):
    expect(iam).toEqual([
      {
        type: "google_project_iam_member",
        role: "roles/monitoring.metricWriter",
        member: expect.stringMatching(/^\$\{google_service_account\.worker_service-account_[0-9A-F]+\.member\}$/),
      },
      {
        type: "google_pubsub_topic_iam_member",
        role: "roles/pubsub.publisher",
        member: expect.stringMatching(/^\$\{google_service_account\.worker_service-account_[0-9A-F]+\.member\}$/),
      },
      {
        type: "google_secret_manager_secret_iam_member",
        role: "roles/secretmanager.secretAccessor",
        member: expect.stringMatching(/^\$\{google_service_account\.worker_service-account_[0-9A-F]+\.member\}$/),
      },
      {
        type: "google_storage_bucket_iam_member",
        role: "roles/storage.objectUser",
        member: expect.stringMatching(/^\$\{google_service_account\.worker_service-account_[0-9A-F]+\.member\}$/),
      },
    ]);
    expect(synth).toHaveResourceWithProperties(PubsubTopicIamMember, {
      role: "roles/pubsub.publisher",
      topic: expect.stringContaining("google_pubsub_topic.topic"),
    });
    expect(synth).toHaveResourceWithProperties(StorageBucketIamMember, {
      role: "roles/storage.objectUser",
      bucket: expect.stringContaining("google_storage_bucket.worker_checkpoints"),
    });
    const run = resourcesOf(json, "google_cloud_run_v2_service")[0];
    expect(run.template.service_account).toMatch(/google_service_account\.worker_service-account_[0-9A-F]+\.email/);
  });

  test("is grantable: other constructs' grant methods take it, once per grantee", () => {
    const { stack, topic, service } = build();
    // Asking the topic again for the worker's publisher grant returns the binding the service made.
    const before = Object.keys(JSON.parse(Testing.synth(stack)).resource.google_pubsub_topic_iam_member);
    topic.grantPublish(service);
    const raw = new LayeredDataset(stack, "raw", { datasetId: "raw", layer: "raw", location: "US", project: PROJECT });
    raw.grantRead(service);
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.resource.google_pubsub_topic_iam_member)).toEqual(before);
    expect(resourcesOf(json, "google_bigquery_dataset_iam_member")).toEqual([
      expect.objectContaining({
        role: "roles/bigquery.dataViewer",
        // The service account's own `member` attribute (`serviceAccount:<email>`).
        member: expect.stringMatching(/^\$\{google_service_account\.worker_service-account_[0-9A-F]+\.member\}$/),
      }),
    ]);
  });

  test("publishes to an imported topic: the publisher binding names it literally", () => {
    const { json } = build({}, (stack) =>
      StreamTopic.fromTopicAttributes(stack, "shared", { project: "other-project", topicName: "shared-changes" }),
    );
    expect(resourcesOf(json, "google_pubsub_topic_iam_member")).toEqual([
      {
        project: "other-project",
        topic: "shared-changes",
        role: "roles/pubsub.publisher",
        member: expect.stringMatching(/^\$\{google_service_account\.worker_service-account_[0-9A-F]+\.member\}$/),
      },
    ]);
    const run = resourcesOf(json, "google_cloud_run_v2_service")[0];
    expect(run.template.containers[0].env).toEqual(
      expect.arrayContaining([{ name: "TOPIC", value: "shared-changes" }]),
    );
  });

  test("a private checkpoint bucket kept on destroy, without versions, deleted or overwritten objects kept 7 days", () => {
    const { synth } = build();
    expect(synth).toHaveResourceWithProperties(StorageBucket, {
      name: "test-project-worker-checkpoints",
      location: "us-central1",
      uniform_bucket_level_access: true,
      public_access_prevention: "enforced",
      force_destroy: false,
      versioning: { enabled: false },
      soft_delete_policy: { retention_duration_seconds: 604800 },
    });
  });

  test("an Artifact Registry Docker repository; without an image the service runs app-worker:latest from it", () => {
    const { synth, service } = build({ image: undefined });
    expect(synth).toHaveResourceWithProperties(ArtifactRegistryRepository, {
      repository_id: "fresh-streams",
      format: "DOCKER",
      location: "us-central1",
    });
    expect(service.repositoryUrl).toBe("us-central1-docker.pkg.dev/test-project/fresh-streams");
    expect(service.image).toBe("us-central1-docker.pkg.dev/test-project/fresh-streams/app-worker:latest");
  });

  test("a customer-managed key reaches the repository, the bucket and the service", () => {
    const key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k";
    const { synth } = build({ kmsKeyName: key });
    expect(synth).toHaveResourceWithProperties(ArtifactRegistryRepository, { kms_key_name: key });
    expect(synth).toHaveResourceWithProperties(StorageBucket, { encryption: { default_kms_key_name: key } });
    expect(synth).toHaveResourceWithProperties(CloudRunV2Service, {
      template: expect.objectContaining({ encryption_key: key }),
    });
  });

  test("the metrics-config secret: kept in the service's region and encrypted with the key when one is given", () => {
    const key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k";
    const secretOf = (json: any) => resourcesOf(json, "google_secret_manager_secret")[0];
    // Secret Manager: "For secrets using the UserManaged replication policy type, Cloud KMS CryptoKeys must
    // reside in the same location as the replica location"; automatic replication needs a global key.
    expect(secretOf(build({ kmsKeyName: key }).json).replication).toEqual({
      user_managed: { replicas: [{ location: "us-central1", customer_managed_encryption: { kms_key_name: key } }] },
    });
    expect(secretOf(build().json).replication).toEqual({ auto: {} });
  });

  test("an image by digest passes requireImageDigest", () => {
    const image = `${IMAGE}@sha256:${"ab".repeat(32)}`;
    expect(build({ image, requireImageDigest: true }).service.image).toBe(image);
  });

  test("/metrics reaches Cloud Monitoring: the Managed Service for Prometheus sidecar, after the worker, with its RunMonitoring config", () => {
    const { json } = build();
    const run = resourcesOf(json, "google_cloud_run_v2_service")[0];
    expect(run.template.containers[1]).toEqual({
      name: "metrics-collector",
      image: "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.2.0",
      depends_on: ["worker"],
      resources: { cpu_idle: false, limits: { cpu: "1", memory: "512Mi" } },
      volume_mounts: [{ name: "metrics-config", mount_path: "/etc/rungmp" }],
    });
    expect(run.template.volumes[1]).toEqual({
      name: "metrics-config",
      secret: {
        secret: expect.stringContaining("google_secret_manager_secret.worker_metrics-config"),
        items: [{ version: "latest", path: "config.yaml" }],
      },
    });
    const [version] = resourcesOf(json, "google_secret_manager_secret_version");
    expect(version.secret_data).toBe(
      [
        "apiVersion: monitoring.googleapis.com/v1beta",
        "kind: RunMonitoring",
        "metadata:",
        "  name: wiki-sse-publisher",
        "spec:",
        "  endpoints:",
        '    - port: "9464"',
        "      path: /metrics",
        "      interval: 30s",
        "  targetLabels:",
        "    metadata: [service, revision, configuration, instance]",
        "",
      ].join("\n"),
    );
    // Only the worker's container has a port (Cloud Run's ingress container).
    expect(run.template.containers[1].ports).toBeUndefined();
  });

  test("typed CPU, memory and scrape interval reach Cloud Run and the sidecar in their own forms", () => {
    const { json } = build({ cpu: 2, memory: Size.gibibytes(1), metricsScrapeInterval: Duration.minutes(1) });
    const run = resourcesOf(json, "google_cloud_run_v2_service")[0];
    expect(run.template.containers[0].resources.limits).toEqual({ cpu: "2", memory: "1Gi" });
    const [version] = resourcesOf(json, "google_secret_manager_secret_version");
    expect(version.secret_data).toContain("      interval: 60s\n");
  });

  test("collectMetrics: false deploys no sidecar, secret or metric writer grant", () => {
    const { json } = build({ collectMetrics: false });
    const run = resourcesOf(json, "google_cloud_run_v2_service")[0];
    expect(run.template.containers.map((c: { name: string }) => c.name)).toEqual(["worker"]);
    expect(json.resource.google_secret_manager_secret).toBeUndefined();
    expect(json.resource.google_project_iam_member).toBeUndefined();
  });

  test("snapshot", () => {
    expect(build().synth).toMatchSnapshot();
  });

  describe("validation", () => {
    const cases: [string, Partial<SsePublisherServiceProps>, string][] = [
      [
        "service name",
        { serviceName: "Wiki_Publisher" },
        'test/worker: service name "Wiki_Publisher" is invalid: Cloud Run service names are 1-49 lowercase letters',
      ],
      [
        "service account id",
        { serviceAccountId: "sa" },
        'test/worker: serviceAccountId "sa" is not valid; use 6-30 lowercase letters',
      ],
      ["repository id", { repositoryId: "Fresh" }, 'repository id "Fresh" is invalid'],
      ["bucket name", { checkpointBucketName: "google-bucket" }, 'checkpoint bucket name "google-bucket" is invalid'],
      ["checkpoint object", { checkpointObject: "a/b.json" }, 'checkpoint object "a/b.json" is invalid: a file name'],
      ["port", { port: 70000 }, "port 70000 is invalid: an integer from 1 to 65535"],
      ["cpu", { cpu: 0.5 }, "cpu 0.5 is invalid: with CPU always allocated a Cloud Run service takes whole vCPUs: 1, 2, 4, 6, 8"],
      ["memory format", { memory: Size.gibibytes(1.5) }, 'memory "1.5Gi" is invalid: a size such as 512Mi or 1Gi'],
      [
        "memory size",
        { memory: Size.mebibytes(256) },
        'memory "256Mi" is too small: the second-generation execution environment',
      ],
      [
        "memory given as a string (JavaScript callers)",
        { memory: "1Gi" as unknown as Size },
        'memory must be a Size (e.g. Size.mebibytes(512)), got "1Gi"',
      ],
      ["image", { image: "not an image" }, 'image "not an image" is not an image reference'],
      [
        "managed env",
        { environment: { TOPIC: "other" } },
        'test/worker: environment variable TOPIC="other" is refused: TOPIC is managed by the construct (set from the topic prop)',
      ],
      [
        "emulator in the deployed environment",
        { environment: { PUBSUB_EMULATOR_HOST: "127.0.0.1:8085" } },
        'environment variable PUBSUB_EMULATOR_HOST="127.0.0.1:8085" is refused: PUBSUB_EMULATOR_HOST is managed by the construct (the deployed worker publishes to Pub/Sub, never to an emulator)',
      ],
      [
        "shutdown deadline",
        { environment: { SHUTDOWN_DEADLINE_MS: "60000" } },
        'environment variable SHUTDOWN_DEADLINE_MS="60000" is refused: SHUTDOWN_DEADLINE_MS is managed by the construct',
      ],
      [
        "a value the worker refuses, by the worker's own parser",
        { environment: { MAX_IN_FLIGHT_MESSAGES: "lots", START: "yesterday" } },
        'test/worker: the worker would refuse its environment:\n  START: "yesterday" must be live, fail or since:<time>',
      ],
      [
        "mutable tag in production",
        { requireImageDigest: true },
        `test/worker: image "${IMAGE}" is named by a mutable tag; requireImageDigest (production) needs IMAGE@sha256:<64 hex digits>`,
      ],
      [
        "default image in production",
        { requireImageDigest: true, image: undefined },
        'image "us-central1-docker.pkg.dev/test-project/fresh-streams/app-worker:latest" is named by a mutable tag',
      ],
      [
        "scrape interval",
        { metricsScrapeInterval: Duration.millis(1500) },
        'metricsScrapeInterval "1.5s" is invalid: whole seconds such as "30s"',
      ],
      [
        "zero scrape interval",
        { metricsScrapeInterval: Duration.seconds(0) },
        'metricsScrapeInterval "0s" is invalid: whole seconds such as "30s"',
      ],
      [
        "scrape interval given as a string (JavaScript callers)",
        { metricsScrapeInterval: "30s" as unknown as Duration },
        'metricsScrapeInterval must be a Duration (e.g. Duration.seconds(30)), got "30s"',
      ],
      ["reserved env", { environment: { PORT: "8080" } }, "environment variable PORT is reserved by Cloud Run"],
      ["env name", { environment: { "BAD-NAME": "x" } }, 'environment variable name "BAD-NAME" is invalid'],
      ["user agent on two lines", { userAgent: "a\nb" }, 'userAgent "a\\nb" contains "\\n" (U+000A) at position 1'],
      [
        "non-Latin-1 user agent",
        { userAgent: "fresh-streams \u2013 demo" },
        'userAgent "fresh-streams \u2013 demo" contains "\u2013" (U+2013) at position 14: HTTP header values must be printable ASCII',
      ],
      ["image versions", { keepImageVersions: 0 }, "keepImageVersions 0 is invalid: at least 1"],
      ["kms key", { kmsKeyName: "key" }, 'test/worker: kmsKeyName "key" is invalid; expected projects/P/locations/L'],
      ["labels", { labels: { Team: "x" } }, 'test/worker: label key "Team" is invalid'],
    ];
    test.each(cases)("%s", (_name, props, message) => {
      expect(() => build(props)).toThrow(message);
    });
  });
});

describe("SsePublisherService with a direct sink (the worker writes BigQuery itself)", () => {
  function buildDirect(props: Partial<SsePublisherServiceProps> = {}) {
    const stack = newStack();
    const table = newTable(stack, { tableId: "wiki_changes" });
    const errorTable = new StreamingTable(stack, "errors", {
      dataset: table.dataset,
      tableId: "wiki_changes_errors",
      schema: INGESTION_ERRORS_SCHEMA,
      partitioning: Partitioning.column("timestamp", "DAY"),
    });
    const service = new SsePublisherService(stack, "worker", {
      project: PROJECT,
      region: "us-central1",
      directSink: { table, errorTable },
      image: IMAGE,
      ...props,
    });
    return { stack, table, errorTable, service, json: JSON.parse(synth(stack)) };
  }
  const envOf = (json: any): Record<string, string> =>
    Object.fromEntries(
      resourcesOf(json, "google_cloud_run_v2_service")[0].template.containers[0].env.map((e: any) => [e.name, e.value]),
    );

  test("SINK defaults to storage-write; TABLE and ERROR_TABLE in full form; no TOPIC", () => {
    const { json, service } = buildDirect();
    expect(service.sink).toBe("storage-write");
    expect(envOf(json)).toMatchObject({
      SINK: "storage-write",
      TABLE: "projects/test-project/datasets/raw/tables/wiki_changes",
      ERROR_TABLE: "projects/test-project/datasets/raw/tables/wiki_changes_errors",
    });
    expect(envOf(json).TOPIC).toBeUndefined();
    expect(resourcesOf(json, "google_cloud_run_v2_service")[0].description).toBe(
      "fresh-streams worker: Wikimedia recentchange SSE → BigQuery (storage-write)",
    );
  });

  // The worker parses untrusted internet input: table-level roles/bigquery.dataEditor would let it delete and
  // update the table and read its rows. Writing rows needs far less:
  // "To use the Storage Write API, you must have bigquery.tables.updateData permissions" (BigQuery,
  // "Introduction to the BigQuery Storage Write API", Required permissions).
  test("a custom role holding only bigquery.tables.updateData, on exactly the two tables, before the service; no Data Editor, no project role", () => {
    const { json, stack } = buildDirect({ collectMetrics: false });
    const roles = resourcesOf(json, "google_project_iam_custom_role");
    expect(roles).toHaveLength(1);
    const [role] = roles;
    expect(role.permissions).toEqual(["bigquery.tables.updateData"]);
    expect(role.project).toBe(PROJECT);
    // IAM's rule for a role id: letters, digits, underscores and periods, 3 to 64 characters.
    expect(role.role_id).toMatch(/^[A-Za-z0-9_.]{3,64}$/);
    const [roleId] = Object.keys(json.resource.google_project_iam_custom_role);
    const grants = Object.entries<any>(json.resource.google_bigquery_table_iam_member);
    expect(grants.map(([, g]) => [g.role, g.table_id.replace(/_[0-9A-F]+\.table_id\}$/, "}")]).sort()).toEqual([
      [`projects/${PROJECT}/roles/${role.role_id}`, "${google_bigquery_table.errors_table}"],
      [`projects/${PROJECT}/roles/${role.role_id}`, "${google_bigquery_table.table-wiki_changes-test-project_table}"],
    ]);
    // Each binding waits for the role it names literally; the service waits for both bindings.
    for (const [, g] of grants) expect(g.depends_on).toEqual([`google_project_iam_custom_role.${roleId}`]);
    const service = resourcesOf(json, "google_cloud_run_v2_service")[0];
    expect(service.depends_on).toEqual(
      expect.arrayContaining(grants.map(([id]) => `google_bigquery_table_iam_member.${id}`)),
    );
    expect(JSON.stringify(json)).not.toContain("roles/bigquery.dataEditor");
    expect(json.resource.google_project_iam_member).toBeUndefined();
    expect(json.resource.google_bigquery_dataset_iam_member).toBeUndefined();
    expect(json.resource.google_pubsub_topic_iam_member).toBeUndefined();
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });

  test("insert-all, and an imported table granted by a binding naming it", () => {
    const stack = newStack();
    const dataset = newDataset(stack);
    const table = TableReference.fromTableAttributes(stack, "raw-table", { dataset, tableId: "wiki_changes" });
    const errorTable = TableReference.fromTableAttributes(stack, "error-table", {
      dataset,
      tableId: "wiki_changes_errors",
    });
    const service = new SsePublisherService(stack, "worker", {
      project: PROJECT,
      region: "us-central1",
      directSink: { table, errorTable, api: "insert-all" },
      image: IMAGE,
      collectMetrics: false,
    });
    const json = JSON.parse(synth(stack));
    expect(service.environment.SINK).toBe("insert-all");
    expect(
      resourcesOf(json, "google_bigquery_table_iam_member")
        .map((g) => g.table_id)
        .sort(),
    ).toEqual(["wiki_changes", "wiki_changes_errors"]);
    // insertAll ("Use the legacy streaming API", Required permissions): bigquery.tables.updateData and
    // bigquery.tables.get (table metadata, not its rows); bigquery.datasets.get is a dataset permission.
    const [role] = resourcesOf(json, "google_project_iam_custom_role");
    expect(role.permissions).toEqual(["bigquery.tables.get", "bigquery.tables.updateData"]);
    expect(resourcesOf(json, "google_bigquery_table_iam_member").map((g) => g.role)).toEqual([
      `projects/${PROJECT}/roles/${role.role_id}`,
      `projects/${PROJECT}/roles/${role.role_id}`,
    ]);
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });

  test("grants are idempotent: granting the same tables twice adds no binding and no role", () => {
    const { stack, table, errorTable, service } = buildDirect({ collectMetrics: false });
    table.grantWriteRows(service);
    errorTable.grantWriteRows(service, "storage-write");
    const json = synthStack(stack);
    expect(resourcesOf(json, "google_bigquery_table_iam_member")).toHaveLength(2);
    expect(resourcesOf(json, "google_project_iam_custom_role")).toHaveLength(1);
  });

  const refused: [string, (t: { table: ITable; errorTable: ITable }) => Partial<SsePublisherServiceProps>, string][] = [
    [
      "the raw table as its own error table",
      ({ table }) => ({ directSink: { table, errorTable: table } }),
      "test/worker: directSink.errorTable is the raw table test-project.raw.wiki_changes: rows BigQuery refuses need a table of their own",
    ],
    [
      "an unknown api",
      ({ table, errorTable }) => ({ directSink: { table, errorTable, api: "streaming" as never } }),
      'test/worker: directSink.api "streaming" is invalid: one of storage-write, insert-all',
    ],
    [
      "TABLE in environment",
      () => ({ environment: { TABLE: "raw.other" } }),
      'test/worker: environment variable TABLE="raw.other" is refused: TABLE is managed by the construct (set from the directSink prop)',
    ],
    [
      "SINK in environment",
      () => ({ environment: { SINK: "pubsub" } }),
      'test/worker: environment variable SINK="pubsub" is refused: SINK is managed by the construct',
    ],
    [
      "an emulator in environment",
      () => ({ environment: { BIGQUERY_EMULATOR_HOST: "http://127.0.0.1:9050" } }),
      "BIGQUERY_EMULATOR_HOST is managed by the construct (the deployed worker writes BigQuery, never an emulator)",
    ],
  ];
  test.each(refused)("refused: %s", (_name, props, message) => {
    const stack = newStack();
    const table = newTable(stack, { tableId: "wiki_changes" });
    const errorTable = TableReference.fromTableAttributes(stack, "errors", {
      dataset: table.dataset,
      tableId: "wiki_changes_errors",
    });
    expect(
      () =>
        new SsePublisherService(stack, "worker", {
          project: PROJECT,
          region: "us-central1",
          directSink: { table, errorTable },
          image: IMAGE,
          ...props({ table, errorTable }),
        }),
    ).toThrow(message);
  });

  test("refused: both a topic and a direct sink, or neither", () => {
    const stack = newStack();
    const table = newTable(stack, { tableId: "wiki_changes" });
    const topic = new StreamTopic(stack, "topic", {
      topicName: "wiki-changes",
      project: PROJECT,
      projectNumber: "123456789012",
    });
    const base = { project: PROJECT, region: "us-central1", image: IMAGE };
    expect(
      () => new SsePublisherService(stack, "both", { ...base, topic, directSink: { table, errorTable: table } }),
    ).toThrow("test/both: both topic and directSink are given: the worker writes to exactly one sink");
    expect(() => new SsePublisherService(stack, "neither", base)).toThrow(
      "test/neither: neither topic nor directSink is given: the worker writes to exactly one sink",
    );
  });
});
