import { CloudRunV2WorkerPool } from "@cdktf/provider-google/lib/cloud-run-v2-worker-pool";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { expectApplyOrder } from "../../../constructs/testing/apply-order";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import { DEFAULT_METRICS_COLLECTOR_IMAGE } from "../../../constructs/worker/sse-publisher-service";
import {
  SsePublisherWorkerPool,
  SsePublisherWorkerPoolProps,
} from "../../../constructs/worker/sse-publisher-worker-pool";
import { DEFAULT_METRICS_PORT } from "../../../schemas/worker-contract";
import { newStack, PROJECT, resources, synth } from "../../support";

const IMAGE = "us-central1-docker.pkg.dev/test-project/fresh-streams/app-worker:1.2.3";

function build(props: Partial<SsePublisherWorkerPoolProps> = {}) {
  const stack = newStack();
  const topic = new StreamTopic(stack, "topic", {
    topicName: "wiki-changes",
    project: PROJECT,
    projectNumber: "123456789012",
  });
  const worker = new SsePublisherWorkerPool(stack, "worker", {
    project: PROJECT,
    region: "us-central1",
    topic,
    image: IMAGE,
    ...props,
  });
  const synthesized = synth(stack);
  return { stack, worker, synth: synthesized, json: JSON.parse(synthesized) };
}

describe("SsePublisherWorkerPool", () => {
  test("one manually scaled instance running the image as the worker's own service account; no Cloud Run service", () => {
    const { synth, json, worker } = build();
    expect(synth).toHaveResourceWithProperties(CloudRunV2WorkerPool, {
      name: "wiki-sse-publisher",
      location: "us-central1",
      deletion_protection: false,
      scaling: { scaling_mode: "MANUAL", manual_instance_count: 1 },
      instance_splits: [{ type: "INSTANCE_SPLIT_ALLOCATION_TYPE_LATEST", percent: 100 }],
    });
    const [pool] = resources(json, "google_cloud_run_v2_worker_pool");
    const [account] = Object.keys(json.resource.google_service_account);
    expect(pool.template.service_account).toBe(`\${google_service_account.${account}.email}`);
    expect(pool.template.containers[0]).toMatchObject({ name: "worker", image: IMAGE });
    expect(json.resource.google_cloud_run_v2_service).toBeUndefined();
    expect(worker.workerPoolName).toBe("wiki-sse-publisher");
    expect(worker.host).toBe("worker pool");
    expect(synth).toHaveResourceWithProperties(ServiceAccount, { account_id: "wiki-sse-publisher" });
  });

  test("the checkpoint bucket is mounted read-write at /checkpoint, and the worker's environment names it", () => {
    const { json } = build();
    const [pool] = resources(json, "google_cloud_run_v2_worker_pool");
    const [bucket] = Object.keys(json.resource.google_storage_bucket);
    expect(pool.template.volumes).toContainEqual({
      name: "checkpoint",
      gcs: { bucket: `\${google_storage_bucket.${bucket}.name}`, read_only: false },
    });
    const worker = pool.template.containers[0];
    expect(worker.volume_mounts).toEqual([{ name: "checkpoint", mount_path: "/checkpoint" }]);
    expect(worker.env).toContainEqual({ name: "CHECKPOINT_PATH", value: "/checkpoint/recentchange.json" });
    expect(worker.env).toContainEqual({ name: "METRICS_PORT", value: String(DEFAULT_METRICS_PORT) });
    expect(worker.resources).toEqual({ limits: { cpu: "1", memory: "512Mi" } });
  });

  test("the metrics sidecar scrapes /metrics, labelled by revision and instance (a worker pool has no service)", () => {
    const { json } = build();
    const [pool] = resources(json, "google_cloud_run_v2_worker_pool");
    expect(pool.template.containers[1]).toMatchObject({
      name: "metrics-collector",
      image: DEFAULT_METRICS_COLLECTOR_IMAGE,
      depends_on: ["worker"],
      volume_mounts: [{ name: "metrics-config", mount_path: "/etc/rungmp" }],
    });
    const [version] = resources(json, "google_secret_manager_secret_version");
    expect(version.secret_data).toContain(`port: "${DEFAULT_METRICS_PORT}"`);
    expect(version.secret_data).toContain("metadata: [revision, instance]");
    const [secret] = resources(json, "google_secret_manager_secret");
    expect(secret.secret_id).toBe("wiki-sse-publisher-metrics-config");
  });

  test("without metrics collection: one container, no config secret", () => {
    const { json } = build({ collectMetrics: false });
    const [pool] = resources(json, "google_cloud_run_v2_worker_pool");
    expect(pool.template.containers.map((c: any) => c.name)).toEqual(["worker"]);
    expect(json.resource.google_secret_manager_secret).toBeUndefined();
  });

  test("the worker pool starts after its grants and its repository, and the first apply cannot race", () => {
    const { json, stack, synth } = build();
    const [pool] = resources(json, "google_cloud_run_v2_worker_pool");
    const types = (pool.depends_on as string[]).map((d) => d.split(".")[0]).sort();
    expect(types).toEqual([
      "google_artifact_registry_repository",
      "google_project_iam_member",
      "google_pubsub_topic_iam_member",
      "google_secret_manager_secret_iam_member",
      "google_secret_manager_secret_version",
      "google_storage_bucket_iam_member",
    ]);
    expect(synth).toHaveResourceWithProperties(StorageBucketIamMember, { role: "roles/storage.objectUser" });
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });

  test("startAfter adds to what the worker pool waits for", () => {
    const stack = newStack();
    const topic = new StreamTopic(stack, "topic", {
      topicName: "wiki-changes",
      project: PROJECT,
      projectNumber: "123456789012",
    });
    const other = new StreamTopic(stack, "cdc", {
      topicName: "page-changes",
      project: PROJECT,
      projectNumber: "123456789012",
    });
    const worker = new SsePublisherWorkerPool(stack, "worker", { project: PROJECT, region: "us-central1", topic });
    worker.startAfter(other.grantPublish(worker));
    const [pool] = resources(JSON.parse(synth(stack)), "google_cloud_run_v2_worker_pool");
    expect((pool.depends_on as string[]).filter((d) => d.startsWith("google_pubsub_topic_iam_member"))).toHaveLength(2);
  });

  test.each([
    [
      "a worker pool name",
      { workerPoolName: "Wiki_Pool" },
      'test/worker: worker pool name "Wiki_Pool" is invalid: Cloud Run worker pool names are 1-49 lowercase letters',
    ],
    [
      "6 vCPUs (a service takes them, a worker pool does not)",
      { cpu: 6 },
      "test/worker: cpu 6 is invalid: with CPU always allocated a Cloud Run worker pool takes whole vCPUs: 1, 2, 4, 8",
    ],
    [
      "a worker pool's reserved variable",
      { environment: { CLOUD_RUN_WORKER_POOL: "x" } },
      "test/worker: environment variable CLOUD_RUN_WORKER_POOL is reserved by Cloud Run",
    ],
  ])("refused: %s", (_name, props, message) => {
    expect(() => build(props as Partial<SsePublisherWorkerPoolProps>)).toThrow(message);
  });
});
