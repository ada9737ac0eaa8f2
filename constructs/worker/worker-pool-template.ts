/**
 * The revision template of the worker's Cloud Run worker pool: the worker's container and the metrics
 * sidecar, built from the same parts as the service's (`worker-template.ts`). Pure data. Private to the library.
 */
import {
  CloudRunV2WorkerPoolTemplate,
  CloudRunV2WorkerPoolTemplateContainers,
} from "@cdktf/provider-google/lib/cloud-run-v2-worker-pool";
import { SsePublisherSettings } from "./sse-publisher-props";
import { metricsCollectorBase, TemplateParts, workerContainerBase, workerVolumes } from "./worker-template";

/**
 * A worker pool's revision: no ingress, no request timeout or concurrency (it serves no requests), CPU always
 * allocated (a worker pool has no other mode), the second-generation execution environment (its only one, which
 * the Cloud Storage volume of the checkpoint needs). No startup or liveness probe: hashicorp/google 6.50.0, which
 * `@cdktf/provider-google` 16.12 wraps, has no probe blocks on worker pool containers (they came with 7.5.0).
 */
export function workerPoolTemplate(settings: SsePublisherSettings, parts: TemplateParts): CloudRunV2WorkerPoolTemplate {
  const sidecar = parts.metricsConfigSecret !== undefined;
  return {
    serviceAccount: parts.serviceAccountEmail,
    encryptionKey: settings.kmsKeyName,
    labels: settings.labels,
    containers: [workerContainer(settings, parts), ...(sidecar ? [metricsCollectorContainer(settings)] : [])],
    volumes: workerVolumes(parts),
  };
}

/** The worker: the checkpoint bucket mounted, CPU and memory as set. */
function workerContainer(settings: SsePublisherSettings, parts: TemplateParts): CloudRunV2WorkerPoolTemplateContainers {
  const { limits, ...container } = workerContainerBase(settings, parts);
  return { ...container, resources: { limits } };
}

/** The Managed Service for Prometheus sidecar, sending the worker's `/metrics` to Cloud Monitoring. */
function metricsCollectorContainer(settings: SsePublisherSettings): CloudRunV2WorkerPoolTemplateContainers {
  const { limits, ...container } = metricsCollectorBase(settings);
  return { ...container, resources: { limits } };
}
