/**
 * The revision template of the worker's Cloud Run service: the worker's container, the metrics
 * sidecar and their volumes; and the parts of it a worker pool's template shares (`worker-pool-template.ts`).
 * Pure data built from the settings. Private to the library.
 */
import { Token } from "cdktf";
import {
  CloudRunV2ServiceTemplate,
  CloudRunV2ServiceTemplateContainers,
  CloudRunV2ServiceTemplateVolumes,
} from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { SsePublisherSettings } from "./sse-publisher-props";
import { CHECKPOINT_MOUNT } from "./worker-environment";

/** Where the sidecar reads its RunMonitoring config. */
const METRICS_CONFIG_MOUNT = "/etc/rungmp";
/** The volume of the checkpoint bucket, and the sidecar's config volume. */
const CHECKPOINT_VOLUME = "checkpoint";
const METRICS_CONFIG_VOLUME = "metrics-config";

/** What the template names that the construct created. */
export interface TemplateParts {
  /** The worker's service account. */
  readonly serviceAccountEmail: string;
  /** The image the worker's container runs. */
  readonly image: string;
  /** The worker's environment as deployed. */
  readonly environment: Readonly<Record<string, string>>;
  /** Name of the checkpoint bucket, mounted at `/checkpoint`. */
  readonly checkpointBucket: string;
  /** Secret id of the sidecar's RunMonitoring config; undefined: no sidecar. */
  readonly metricsConfigSecret?: string;
}

/**
 * One always-on instance (CPU always allocated) in the second-generation execution environment,
 * which the Cloud Storage volume of the checkpoint needs.
 */
export function serviceTemplate(settings: SsePublisherSettings, parts: TemplateParts): CloudRunV2ServiceTemplate {
  const sidecar = parts.metricsConfigSecret !== undefined;
  return {
    serviceAccount: parts.serviceAccountEmail,
    executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2",
    encryptionKey: settings.kmsKeyName,
    scaling: { minInstanceCount: 1, maxInstanceCount: 1 },
    // Requests are only probes and metric scrapes.
    maxInstanceRequestConcurrency: 10,
    timeout: "30s",
    labels: settings.labels,
    containers: [workerContainer(settings, parts), ...(sidecar ? [metricsCollectorContainer(settings)] : [])],
    volumes: workerVolumes(parts),
  };
}

/** The checkpoint bucket (read-write), and the sidecar's config when there is a sidecar. */
export function workerVolumes(parts: TemplateParts): CloudRunV2ServiceTemplateVolumes[] {
  return [
    { name: CHECKPOINT_VOLUME, gcs: { bucket: parts.checkpointBucket, readOnly: false } },
    ...(parts.metricsConfigSecret !== undefined ? [metricsConfigVolume(parts.metricsConfigSecret)] : []),
  ];
}

/** The parts of the worker's container that do not depend on its host: image, environment, limits, mount. */
export function workerContainerBase(settings: SsePublisherSettings, parts: TemplateParts) {
  const { cpu, memory } = settings;
  return {
    name: "worker",
    image: parts.image,
    env: Object.entries(parts.environment).map(([name, value]) => ({ name, value })),
    // A number token printed with String() is a garbage number; Token.asString keeps it a token.
    limits: { cpu: Token.isUnresolved(cpu) ? Token.asString(cpu) : String(cpu), memory: memory.toQuantityString() },
    volumeMounts: [{ name: CHECKPOINT_VOLUME, mountPath: CHECKPOINT_MOUNT }],
  };
}

/** The Managed Service for Prometheus sidecar's container, whatever its host. */
export function metricsCollectorBase(settings: SsePublisherSettings) {
  return {
    name: "metrics-collector",
    image: settings.metricsCollectorImage,
    // Starts once the worker started (a service: once its startup probe passed), so its first scrape finds /metrics.
    dependsOn: ["worker"],
    // The instance's CPU must add up to whole vCPUs with CPU always allocated.
    limits: { cpu: "1", memory: "512Mi" },
    volumeMounts: [{ name: METRICS_CONFIG_VOLUME, mountPath: METRICS_CONFIG_MOUNT }],
  };
}

/** The worker: probes on `/healthz`, the checkpoint bucket mounted, CPU and memory as set. */
function workerContainer(settings: SsePublisherSettings, parts: TemplateParts): CloudRunV2ServiceTemplateContainers {
  const { port } = settings;
  const { name, image, env, limits, volumeMounts } = workerContainerBase(settings, parts);
  return {
    name,
    image,
    ports: { containerPort: port, name: "http1" },
    env,
    resources: { cpuIdle: false, startupCpuBoost: true, limits },
    startupProbe: {
      httpGet: { path: "/healthz", port },
      periodSeconds: 2,
      timeoutSeconds: 1,
      failureThreshold: 30,
    },
    livenessProbe: {
      httpGet: { path: "/healthz", port },
      periodSeconds: 30,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    volumeMounts,
  };
}

/** The Managed Service for Prometheus sidecar, sending the worker's `/metrics` to Cloud Monitoring. */
function metricsCollectorContainer(settings: SsePublisherSettings): CloudRunV2ServiceTemplateContainers {
  const { limits, ...container } = metricsCollectorBase(settings);
  return { ...container, resources: { cpuIdle: false, limits } };
}

/** The sidecar's config file, the latest version of the secret, at `/etc/rungmp/config.yaml`. */
function metricsConfigVolume(secret: string): CloudRunV2ServiceTemplateVolumes {
  return { name: METRICS_CONFIG_VOLUME, secret: { secret, items: [{ version: "latest", path: "config.yaml" }] } };
}
