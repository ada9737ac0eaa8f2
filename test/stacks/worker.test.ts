import { parseEnvironment } from "../../config/load";
import { INGESTION_NAMES } from "../../stacks/ingestion";
import { environmentConfig, synthEnvironment as synth } from "../support";

/** The Cloud Run resources running the worker: worker pools (the default host) and services. */
const runServices = (json: any): any[] => [
  ...Object.values(json.resource.google_cloud_run_v2_worker_pool ?? {}),
  ...Object.values(json.resource.google_cloud_run_v2_service ?? {}),
];

describe("worker layer in the stack", () => {
  test("dev: the worker runs the configured image, publishes to the ingestion topic, labelled layer=worker", () => {
    const { stack, config, json } = synth("dev");
    expect(stack.worker).toBeDefined();
    const [service] = runServices(json);
    const container = service.template.containers[0];
    expect(container.image).toBe(config.worker.image);
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: "TOPIC", value: INGESTION_NAMES.topic },
        { name: "PROJECT", value: config.projectId },
      ]),
    );
    expect(service.labels).toMatchObject({ layer: "worker", env: "dev", app: "fresh-streams" });
    expect(json.output.worker_image_repository.value).toBe(
      "us-central1-docker.pkg.dev/fresh-streams-dev/fresh-streams",
    );
    const publishers = Object.values(json.resource.google_pubsub_topic_iam_member).filter(
      (m: any) => m.role === "roles/pubsub.publisher" && /worker/.test(m.member),
    );
    // The ingestion topic and the page-state CDC topic (CDC_TOPIC); the worker starts after both grants.
    expect(publishers.map((m: any) => m.topic)).toEqual([
      expect.stringMatching(/^\$\{google_pubsub_topic\.ingestion_wiki-changes_topic_/),
      expect.stringMatching(/^\$\{google_pubsub_topic\.page-state_wiki-pages-cdc_topic_/),
    ]);
    expect(service.template.containers[0].env).toEqual(
      expect.arrayContaining([{ name: "CDC_TOPIC", value: "wiki-pages-cdc" }]),
    );
    expect(service.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^google_pubsub_topic_iam_member\.page-state_wiki-pages-cdc_grant-publisher/),
      ]),
    );
  });

  test("prod: deletion protection, bucket kept on destroy, the worker's regional key (not the multi-regional warehouse key)", () => {
    const { config, json } = synth("prod");
    const [service] = runServices(json);
    expect(service.deletion_protection).toBe(true);
    // Cloud Run, Cloud Storage and Artifact Registry need a key in the resources' region.
    expect(config.worker.kmsKeyName).toMatch(/\/locations\/europe-west1\//);
    expect(config.worker.kmsKeyName).not.toBe(config.kmsKeyName);
    expect(service.template.encryption_key).toBe(config.worker.kmsKeyName);
    const [repository]: any[] = Object.values(json.resource.google_artifact_registry_repository);
    expect(repository.kms_key_name).toBe(config.worker.kmsKeyName);
    const bucket: any = Object.values(json.resource.google_storage_bucket).find(
      (b: any) => b.name === "fresh-streams-prod-worker-checkpoints",
    );
    expect(bucket.force_destroy).toBe(false);
    expect(bucket.encryption.default_kms_key_name).toBe(config.worker.kmsKeyName);
    // The metrics-config secret too: one replica in the worker's region, under the worker's key.
    const [secret]: any[] = Object.values(json.resource.google_secret_manager_secret);
    expect(secret.replication).toEqual({
      user_managed: {
        replicas: [
          { location: config.region, customer_managed_encryption: { kms_key_name: config.worker.kmsKeyName } },
        ],
      },
    });
  });

  test("prod without worker.kmsKeyName: the multi-regional warehouse key is refused for the regional worker", () => {
    expect(() => synth("prod", (c) => ({ ...c, worker: { ...c.worker, kmsKeyName: undefined } }))).toThrow(
      /prod\/worker\/sse-publisher: kmsKeyName ".*locations\/europe\/.*" is in location "europe" but the resource is in "europe-west1", which needs a key in "europe-west1"; Artifact Registry/,
    );
  });

  test("prod runs the worker image by digest; a mutable tag in a production environment fails the synth", () => {
    const { config, json } = synth("prod");
    expect(runServices(json)[0].template.containers[0].image).toBe(config.worker.image);
    expect(config.worker.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    const tagged = "europe-west1-docker.pkg.dev/fresh-streams-prod/fresh-streams/app-worker:1.0.0";
    expect(() => synth("prod", (c) => ({ ...c, worker: { ...c.worker, image: tagged } }))).toThrow(
      `image "${tagged}" is named by a mutable tag; requireImageDigest (production) needs IMAGE@sha256:<64 hex digits>`,
    );
    // dev may run a tag.
    expect(() => synth("dev", (c) => ({ ...c, worker: { ...c.worker, image: tagged } }))).not.toThrow();
  });

  test("worker.environment cannot override what the construct manages, nor hold a value the worker refuses", () => {
    expect(() =>
      synth("dev", (c) => ({ ...c, worker: { ...c.worker, environment: { SSE_URL: "https://example.org/s" } } })),
    ).toThrow(
      /environment variable SSE_URL="https:\/\/example.org\/s" is refused: SSE_URL is managed by the construct/,
    );
    expect(() =>
      synth("dev", (c) => ({ ...c, worker: { ...c.worker, environment: { IDLE_TIMEOUT_MS: "soon" } } })),
    ).toThrow(/the worker would refuse its environment:\n  IDLE_TIMEOUT_MS: "soon" is not an integer/);
  });

  test("worker.cpu and worker.memory (strings in the file) reach Cloud Run as written; too little memory fails the synth", () => {
    const limits = (cpu: "1" | "2" | "4", memory: string) =>
      runServices(synth("dev", (c) => ({ ...c, worker: { ...c.worker, cpu, memory } })).json)[0].template.containers[0]
        .resources.limits;
    expect(limits("2", "1Gi")).toEqual({ cpu: "2", memory: "1Gi" });
    expect(limits("4", "2048Mi")).toEqual({ cpu: "4", memory: "2048Mi" });
    expect(() => limits("1", "256Mi")).toThrow(
      'dev/worker/sse-publisher: memory "256Mi" is too small: the second-generation execution environment',
    );
  });

  test("worker.kmsKeyName overrides the environment's key for the worker's regional resources", () => {
    const key = "projects/fresh-streams-prod/locations/europe-west1/keyRings/r/cryptoKeys/worker";
    const { json } = synth("prod", (c) => ({ ...c, worker: { ...c.worker, kmsKeyName: key } }));
    expect(runServices(json)[0].template.encryption_key).toBe(key);
  });

  test('worker.host: a worker pool by default (no Cloud Run service); "service" still deploys the service with its probes', () => {
    const { json } = synth("dev");
    expect(Object.keys(json.resource.google_cloud_run_v2_worker_pool)).toHaveLength(1);
    expect(json.resource.google_cloud_run_v2_service).toBeUndefined();
    expect(json.output.worker_pool_name.value).toBe("wiki-sse-publisher");
    const service = synth("dev", (c) => ({ ...c, worker: { ...c.worker, host: "service" } })).json;
    expect(service.resource.google_cloud_run_v2_worker_pool).toBeUndefined();
    const [run]: any[] = Object.values(service.resource.google_cloud_run_v2_service);
    expect(run.template.containers[0].liveness_probe.http_get.path).toBe("/healthz");
    expect(run.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^google_pubsub_topic_iam_member\.page-state_wiki-pages-cdc/)]),
    );
    expect(service.output.worker_service_name.value).toBe("wiki-sse-publisher");
  });

  test("worker.enabled = false (local): no worker resources", () => {
    const { stack, json } = synth("local");
    expect(stack.worker).toBeUndefined();
    expect(runServices(json)).toHaveLength(0);
    expect(json.resource.google_artifact_registry_repository).toBeUndefined();
  });

  test("worker settings are validated with the rest of the config", () => {
    const config = environmentConfig("dev");
    const raw = {
      ...JSON.parse(JSON.stringify(config)),
      worker: { ...config.worker, cpu: "3", memory: "lots", environment: { "BAD-NAME": "1" } },
    };
    expect(parseEnvironment("dev.json", raw).problems).toEqual([
      "dev.json: worker.cpu: Invalid enum value. Expected '1' | '2' | '4', received '3'",
      "dev.json: worker.memory: a size such as 512Mi or 1Gi",
      "dev.json: worker.environment.BAD-NAME: environment variable names use letters, digits and _",
    ]);
  });
});
