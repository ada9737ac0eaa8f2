/**
 * The props of the worker's hosts ({@link SsePublisherService}, {@link SsePublisherWorkerPool}) and the same
 * props with every default filled in ({@link SsePublisherSettings}): what the rules of
 * `validate-sse-publisher-props.ts` check and the construction steps read.
 */
import { DEFAULT_METRICS_PORT, DirectSink } from "../../schemas/worker-contract";
import { Duration } from "../core/duration";
import { ITable, ITopic } from "../core/references";
import { Size } from "../core/size";

/** The BigQuery APIs the worker can write the raw table with (its `SINK` besides `pubsub`). */
export type DirectSinkApi = DirectSink;

/** Where a worker with a BigQuery sink writes: {@link SsePublisherProps.directSink}. */
export interface WorkerDirectSink {
  /** The raw table the worker appends events to (`TABLE`). */
  readonly table: ITable;
  /** The table of rows BigQuery refused for good (`ERROR_TABLE`), with the `INGESTION_ERRORS_SCHEMA` shape. */
  readonly errorTable: ITable;
  /**
   * The API (`SINK`): `storage-write`, the Storage Write API's default stream (Google's current
   * recommendation, cheapest per GB, at-least-once), or `insert-all`, the legacy `tabledata.insertAll`
   * (per-row `insertId` best-effort de-duplication).
   * @default "storage-write"
   */
  readonly api?: DirectSinkApi;
}

/**
 * The worker's contract, whatever runs it: what {@link SsePublisherService} and {@link SsePublisherWorkerPool}
 * both take (the settings, the sink, the image, the checkpoint, the metrics collection, the identity).
 */
export interface SsePublisherProps {
  /** Project of every resource, and the worker's `PROJECT`. */
  readonly project: string;
  /** Region of the Cloud Run service or worker pool, the Artifact Registry repository and the checkpoint bucket. */
  readonly region: string;
  /**
   * The topic the worker publishes to (`TOPIC`); its `grantPublish` gives the service account
   * `roles/pubsub.publisher` on it, and nothing else. Give exactly one of `topic` and `directSink`.
   * @default - none: the worker writes BigQuery directly (`directSink`)
   */
  readonly topic?: ITopic;
  /**
   * Write the raw table directly instead of publishing (`SINK`, `TABLE`, `ERROR_TABLE`; no `TOPIC`):
   * the service account gets, on exactly the raw table and the error table, a custom role that only
   * appends rows with the sink's API (`ITable.grantWriteRows`), and no project-level BigQuery role.
   * Give exactly one of `topic` and `directSink`.
   * @default - none: the worker publishes to `topic`
   */
  readonly directSink?: WorkerDirectSink;
  /**
   * Container image of the worker (built from `app-worker/Dockerfile`).
   * @default - `app-worker:latest` in the repository this construct creates (push it before the service is created)
   */
  readonly image?: string;
  /**
   * Refuse an `image` named by a mutable tag: production runs exactly the image that was tested,
   * `REPOSITORY/app-worker@sha256:<64 hex digits>` (a tag may precede the digest).
   * @default false
   */
  readonly requireImageDigest?: boolean;
  /**
   * Collect the worker's `/metrics` into Cloud Monitoring with the Managed Service for Prometheus
   * sidecar (its RunMonitoring config in a Secret Manager secret; the service account gets
   * `roles/monitoring.metricWriter` on the project and `roles/secretmanager.secretAccessor` on that secret).
   * @default true
   */
  readonly collectMetrics?: boolean;
  /**
   * Image of the Managed Service for Prometheus sidecar.
   * @default DEFAULT_METRICS_COLLECTOR_IMAGE
   */
  readonly metricsCollectorImage?: string;
  /**
   * How often the sidecar scrapes `/metrics`: whole seconds, at least 1 (Cloud Monitoring keeps one
   * point per series per 5 s at most).
   * @default Duration.seconds(30)
   */
  readonly metricsScrapeInterval?: Duration;
  /**
   * Account id of the dedicated service account (6-30 characters).
   * @default "wiki-sse-publisher"
   */
  readonly serviceAccountId?: string;
  /**
   * Id of the Artifact Registry (Docker) repository for the image.
   * @default "fresh-streams"
   */
  readonly repositoryId?: string;
  /**
   * How many tagged/untagged image versions the repository keeps (older ones are cleaned up).
   * @default 10
   */
  readonly keepImageVersions?: number;
  /**
   * Name of the bucket holding the checkpoint object (globally unique).
   * @default `${project}-worker-checkpoints`
   */
  readonly checkpointBucketName?: string;
  /**
   * Object name of the checkpoint inside the bucket (the worker sees it at `/checkpoint/<object>`).
   * @default "recentchange.json"
   */
  readonly checkpointObject?: string;
  /**
   * The event stream (`SSE_URL`).
   * @default - unset: the worker's default, `DEFAULT_SSE_URL` (the Wikimedia recentchange stream)
   */
  readonly sseUrl?: string;
  /**
   * `USER_AGENT`: Wikimedia refuses requests without a descriptive one.
   * @default - unset: the worker's default, `DEFAULT_USER_AGENT` (naming the project and a contact URL)
   */
  readonly userAgent?: string;
  /**
   * Port of /healthz and /metrics (`METRICS_PORT`): the container port Cloud Run probes, and the sidecar scrapes.
   * @default DEFAULT_METRICS_PORT (9464)
   */
  readonly port?: number;
  /**
   * CPU limit of the container in vCPUs: 1, 2, 4, 6 or 8 (CPU stays allocated between requests,
   * so Cloud Run takes whole vCPUs only).
   * @default 1
   */
  readonly cpu?: number;
  /**
   * Memory limit of the container: whole mebibytes or gibibytes, at least 512 MiB (the
   * second-generation execution environment's minimum).
   * @default Size.mebibytes(512)
   */
  readonly memory?: Size;
  /**
   * `LOG_LEVEL` of the worker.
   * @default "info"
   */
  readonly logLevel?: string;
  /**
   * Further environment variables of the worker (e.g. `MAX_IN_FLIGHT_MESSAGES`, `START`), checked
   * at synth by the worker's own settings parser. The variables this construct sets (`PROJECT`,
   * `SINK`, `TOPIC`, `TABLE`, `ERROR_TABLE`, `SSE_URL`, `USER_AGENT`, `CHECKPOINT_PATH`,
   * `DEAD_LETTER_PATH`, `METRICS_PORT`, `METRICS_HOST`, `SHUTDOWN_DEADLINE_MS`, `LOG_LEVEL`), the
   * emulator switches (`PUBSUB_EMULATOR_HOST`, `BIGQUERY_EMULATOR_HOST`, `BIGQUERY_STORAGE_EMULATOR_HOST`)
   * and Cloud Run's reserved names (`PORT`, `K_*`) cannot be set here.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * Customer-managed key for the repository, the bucket, the container image of the service or worker pool and the
   * metrics-config secret (then replicated in `region` only). It must be in `region`, and the services'
   * agents (Artifact Registry, Cloud Storage, Cloud Run, Secret Manager) need encrypt/decrypt on it.
   * @default - Google-managed encryption
   */
  readonly kmsKeyName?: string;
  /**
   * Deletion protection of the Cloud Run service or worker pool.
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * Whether `terraform destroy` may delete the checkpoint bucket with its object.
   * @default false
   */
  readonly forceDestroyBucket?: boolean;
  /**
   * Labels of the service or worker pool, repository and bucket (the provider's default labels apply as well).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/** Props of {@link SsePublisherService}. */
export interface SsePublisherServiceProps extends SsePublisherProps {
  /**
   * Name of the Cloud Run service.
   * @default "wiki-sse-publisher"
   */
  readonly serviceName?: string;
}

/** Props of {@link SsePublisherWorkerPool}. */
export interface SsePublisherWorkerPoolProps extends SsePublisherProps {
  /**
   * Name of the Cloud Run worker pool.
   * @default "wiki-sse-publisher"
   */
  readonly workerPoolName?: string;
}

/** What runs the worker: a Cloud Run service or a Cloud Run worker pool. */
export type WorkerHostKind = "service" | "worker pool";

/** The Managed Service for Prometheus sidecar for Cloud Run. */
export const DEFAULT_METRICS_COLLECTOR_IMAGE =
  "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.2.0";

/** Props that stay unset when left out (the worker's or the provider's default applies). */
type UnsetByDefault = "topic" | "directSink" | "image" | "sseUrl" | "userAgent" | "kmsKeyName";

/** {@link SsePublisherProps} with every default filled in, and what follows from them. */
export type SsePublisherSettings = Required<Omit<SsePublisherProps, UnsetByDefault>> &
  Pick<SsePublisherProps, UnsetByDefault> & {
    /** What runs the worker. */
    readonly host: WorkerHostKind;
    /** Name of the Cloud Run service or worker pool (`serviceName`, `workerPoolName`). */
    readonly name: string;
    /** `REGION-docker.pkg.dev/PROJECT/REPOSITORY`: where images are pushed. */
    readonly repositoryUrl: string;
    /** The image the worker runs: `image`, or `app-worker:latest` in the construct's repository. */
    readonly imageToRun: string;
    /** Where the worker writes (`SINK`): `pubsub` with a topic, the direct sink's API otherwise. */
    readonly sink: "pubsub" | DirectSinkApi;
  };

/** The props with their defaults (documented on {@link SsePublisherProps}), for a host and its resource's name. */
export function resolveSettings(
  props: SsePublisherProps,
  host: WorkerHostKind,
  name: string | undefined,
): SsePublisherSettings {
  const repositoryId = props.repositoryId ?? "fresh-streams";
  const repositoryUrl = `${props.region}-docker.pkg.dev/${props.project}/${repositoryId}`;
  return {
    ...props,
    requireImageDigest: props.requireImageDigest ?? false,
    collectMetrics: props.collectMetrics ?? true,
    metricsCollectorImage: props.metricsCollectorImage ?? DEFAULT_METRICS_COLLECTOR_IMAGE,
    metricsScrapeInterval: props.metricsScrapeInterval ?? Duration.seconds(30),
    host,
    name: name ?? "wiki-sse-publisher",
    serviceAccountId: props.serviceAccountId ?? "wiki-sse-publisher",
    repositoryId,
    keepImageVersions: props.keepImageVersions ?? 10,
    checkpointBucketName: props.checkpointBucketName ?? `${props.project}-worker-checkpoints`,
    checkpointObject: props.checkpointObject ?? "recentchange.json",
    port: props.port ?? DEFAULT_METRICS_PORT,
    cpu: props.cpu ?? 1,
    memory: props.memory ?? Size.mebibytes(512),
    logLevel: props.logLevel ?? "info",
    environment: props.environment ?? {},
    deletionProtection: props.deletionProtection ?? false,
    forceDestroyBucket: props.forceDestroyBucket ?? false,
    labels: props.labels ?? {},
    repositoryUrl,
    imageToRun: props.image ?? `${repositoryUrl}/app-worker:latest`,
    sink: props.directSink ? (props.directSink.api ?? "storage-write") : "pubsub",
  };
}
