import { Construct } from "constructs";
import { CloudRunV2WorkerPool } from "@cdktf/provider-google/lib/cloud-run-v2-worker-pool";
import { SsePublisherBase } from "./sse-publisher-base";
import { SsePublisherWorkerPoolProps } from "./sse-publisher-props";
import { workerPoolTemplate } from "./worker-pool-template";

export type { SsePublisherWorkerPoolProps } from "./sse-publisher-props";

/**
 * The SSE → Pub/Sub (or → BigQuery) worker (`app-worker/`) as a Cloud Run worker pool: the same image, settings
 * contract, identity and grants, checkpoint volume, metrics sidecar and apply order as
 * {@link SsePublisherService}, on the Cloud Run resource built for pull workloads that serve no requests.
 *
 * - exactly one instance (manual scaling, `manual_instance_count` 1), CPU always allocated, no ingress and no URL;
 * - a dedicated service account (the worker pool is {@link IGrantable}) with the grants of the service: publish on
 *   the topic (or append rows to the raw and error tables), `roles/storage.objectUser` on its checkpoint bucket,
 *   and, for the sidecar, read access to its config secret and `roles/monitoring.metricWriter`;
 * - the checkpoint bucket mounted at `/checkpoint`, the Artifact Registry repository, the Managed Service for
 *   Prometheus sidecar (its RunMonitoring config labels series with the revision and instance: a worker pool has no
 *   service or configuration).
 *
 * What it gives up against the service: Cloud Run's startup and liveness probes on `/healthz`. The Cloud Run API
 * has them for worker pools, but hashicorp/google 6.50.0 (what `@cdktf/provider-google` 16.12 wraps) cannot write
 * them (they came with 7.5.0). A worker that fails exits (exit codes 1-3) and Cloud Run starts it again; a worker
 * that stalls without exiting is not restarted, and the worker alerts (`worker-stalled`, `worker-checkpoint-age`)
 * page instead.
 *
 * @example
 * const worker = new SsePublisherWorkerPool(this, "worker", {
 *   project: "my-project", region: "europe-west1", topic: ingestion.topic,
 *   image: "europe-west1-docker.pkg.dev/my-project/fresh-streams/app-worker:1.0.0",
 * });
 */
export class SsePublisherWorkerPool extends SsePublisherBase {
  /** The Cloud Run worker pool. */
  public readonly workerPool: CloudRunV2WorkerPool;
  /** Name of the Cloud Run worker pool. */
  public readonly workerPoolName: string;

  constructor(scope: Construct, id: string, props: SsePublisherWorkerPoolProps) {
    super(scope, id, props, "worker pool", props?.workerPoolName);
    const { settings } = this;
    this.workerPoolName = settings.name;
    this.workerPool = new CloudRunV2WorkerPool(this, "worker-pool", {
      project: settings.project,
      location: settings.region,
      name: this.workerPoolName,
      description: this.describe(),
      // The provider's default is true: the construct's is the service's, false unless asked.
      deletionProtection: settings.deletionProtection,
      labels: settings.labels,
      scaling: { scalingMode: "MANUAL", manualInstanceCount: 1 },
      template: workerPoolTemplate(settings, {
        serviceAccountEmail: this.serviceAccountEmail,
        image: this.image,
        environment: this.environment,
        checkpointBucket: this.checkpointBucket.name,
        metricsConfigSecret: this.metricsConfigSecret,
      }),
      instanceSplits: [{ type: "INSTANCE_SPLIT_ALLOCATION_TYPE_LATEST", percent: 100 }],
      dependsOn: this.startsAfter,
    });
  }

  /** The Cloud Run worker pool. */
  public get hostResource(): CloudRunV2WorkerPool {
    return this.workerPool;
  }
}
