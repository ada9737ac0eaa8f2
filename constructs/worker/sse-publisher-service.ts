import { Construct } from "constructs";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { SsePublisherBase } from "./sse-publisher-base";
import { SsePublisherServiceProps } from "./sse-publisher-props";
import { serviceTemplate } from "./worker-template";

export { DEFAULT_METRICS_COLLECTOR_IMAGE } from "./sse-publisher-props";
export type {
  DirectSinkApi,
  SsePublisherProps,
  SsePublisherServiceProps,
  WorkerDirectSink,
} from "./sse-publisher-props";

/**
 * The SSE → Pub/Sub (or → BigQuery) worker (`app-worker/`) as an always-on Cloud Run v2 service.
 *
 * - exactly one instance (min = max = 1) with CPU always allocated, internal ingress only, and
 *   startup/liveness probes on `/healthz`;
 * - a dedicated service account (the service is {@link IGrantable}) whose only grants are
 *   `roles/pubsub.publisher` on the topic (through the topic's `grantPublish`) — or, with a
 *   `directSink`, a custom role that only appends rows (`bigquery.tables.updateData`; insertAll also
 *   `bigquery.tables.get`) on the raw table and on the error table (`grantWriteRows`) —
 *   and `roles/storage.objectUser` on its own checkpoint bucket;
 * - the checkpoint is an object in a private bucket, mounted into the container as a Cloud Storage
 *   volume at `/checkpoint` (second-generation execution environment), so a restarted or replaced
 *   instance resumes where the last one acknowledged;
 * - an Artifact Registry Docker repository for the image, with a cleanup policy;
 * - unless `collectMetrics` is false, the Managed Service for Prometheus sidecar, which sends the
 *   worker's `/metrics` to Cloud Monitoring (`prometheus.googleapis.com/<name>/<kind>` on
 *   `prometheus_target`), with `roles/monitoring.metricWriter` for the service account; its config is
 *   a Secret Manager secret, kept in `region` under `kmsKeyName` when a key is given.
 *
 * {@link SsePublisherWorkerPool} runs the same worker with the same contract as a Cloud Run worker pool,
 * billed for less (no request handling, no ingress).
 *
 * Trade-off: during a deployment Cloud Run briefly runs the old and the new revision together, so
 * both may publish the same events; consumers de-duplicate on the `event_id` attribute.
 *
 * @example
 * const worker = new SsePublisherService(this, "worker", {
 *   project: "my-project", region: "europe-west1", topic: ingestion.topic,
 *   image: "europe-west1-docker.pkg.dev/my-project/fresh-streams/app-worker:1.0.0",
 * });
 * // Or writing the raw table itself (Storage Write API default stream):
 * // directSink: { table: warehouse.wikiChanges, errorTable: ingestion.errorTable, api: "storage-write" }
 */
export class SsePublisherService extends SsePublisherBase {
  /** The Cloud Run service. */
  public readonly service: CloudRunV2Service;
  /** Name of the Cloud Run service. */
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: SsePublisherServiceProps) {
    super(scope, id, props, "service", props?.serviceName);
    const { settings } = this;
    this.serviceName = settings.name;
    this.service = new CloudRunV2Service(this, "service", {
      project: settings.project,
      location: settings.region,
      name: this.serviceName,
      description: this.describe(),
      ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
      deletionProtection: settings.deletionProtection,
      labels: settings.labels,
      template: serviceTemplate(settings, {
        serviceAccountEmail: this.serviceAccountEmail,
        image: this.image,
        environment: this.environment,
        checkpointBucket: this.checkpointBucket.name,
        metricsConfigSecret: this.metricsConfigSecret,
      }),
      traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
      dependsOn: this.startsAfter,
    });
  }

  /** The Cloud Run service. */
  public get hostResource(): CloudRunV2Service {
    return this.service;
  }
}
