import { Construct } from "constructs";
import { Token } from "cdktf";
import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { DEFAULT_METRICS_PORT, DIRECT_SINKS, DirectSink, WorkerEnvVariable } from "../../schemas/worker-contract";
import { grantTableWrite } from "../bigquery/table-grants";
import { headerValueProblem, parseWorkerSettings } from "../../schemas/worker-settings";
import { BUCKET_NAME } from "../../schemas/naming";
import { grantOnce } from "../core/grants";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import { ITable, ITopic } from "../core/references";
import { validateKeyLocation } from "../core/key-location";
import { fail, isKnown, validateLabels, validateServiceAccountId } from "../core/validation";

/** The BigQuery APIs the worker can write the raw table with (its `SINK` besides `pubsub`). */
export type DirectSinkApi = DirectSink;

/** Where a worker with a BigQuery sink writes: {@link SsePublisherServiceProps.directSink}. */
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

/** Props of {@link SsePublisherService}. */
export interface SsePublisherServiceProps {
  /** Project of every resource, and the worker's `PROJECT`. */
  readonly project: string;
  /** Region of the Cloud Run service, the Artifact Registry repository and the checkpoint bucket. */
  readonly region: string;
  /**
   * The topic the worker publishes to (`TOPIC`); its `grantPublish` gives the service account
   * `roles/pubsub.publisher` on it, and nothing else. Give exactly one of `topic` and `directSink`.
   * @default - none: the worker writes BigQuery directly (`directSink`)
   */
  readonly topic?: ITopic;
  /**
   * Write the raw table directly instead of publishing (`SINK`, `TABLE`, `ERROR_TABLE`; no `TOPIC`):
   * the service account gets table-level `roles/bigquery.dataEditor` on exactly the raw table and the
   * error table, and no project-level BigQuery role. Give exactly one of `topic` and `directSink`.
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
   * How often the sidecar scrapes `/metrics` (Cloud Monitoring keeps one point per series per 5 s at most).
   * @default "30s"
   */
  readonly metricsScrapeInterval?: string;
  /**
   * Name of the Cloud Run service.
   * @default "wiki-sse-publisher"
   */
  readonly serviceName?: string;
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
   * Port of /healthz and /metrics (`METRICS_PORT`), also the container port Cloud Run probes.
   * @default DEFAULT_METRICS_PORT (9464)
   */
  readonly port?: number;
  /**
   * CPU limit of the container (whole vCPUs; CPU stays allocated between requests).
   * @default "1"
   */
  readonly cpu?: string;
  /**
   * Memory limit of the container.
   * @default "512Mi"
   */
  readonly memory?: string;
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
   * Customer-managed key for the repository, the bucket and the service's container image
   * (it must be in `region`, and the services' agents need encrypt/decrypt on it).
   * @default - Google-managed encryption
   */
  readonly kmsKeyName?: string;
  /**
   * Deletion protection of the Cloud Run service.
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * Whether `terraform destroy` may delete the checkpoint bucket with its object.
   * @default false
   */
  readonly forceDestroyBucket?: boolean;
  /**
   * Labels of the service, repository and bucket (the provider's default labels apply as well).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/** The worker's variables this construct sets itself, or that must never be set in Cloud Run: `environment` may not override them. */
const MANAGED_ENV: ReadonlyMap<WorkerEnvVariable, string> = new Map<WorkerEnvVariable, string>([
  ["PROJECT", "set from the project prop"],
  ["SINK", "set from the topic or directSink prop"],
  ["TOPIC", "set from the topic prop"],
  ["TABLE", "set from the directSink prop"],
  ["ERROR_TABLE", "set from the directSink prop"],
  ["SSE_URL", "set from the sseUrl prop"],
  ["USER_AGENT", "set from the userAgent prop"],
  ["CHECKPOINT_PATH", "the checkpoint is the bucket mounted by the construct (checkpointObject prop)"],
  ["DEAD_LETTER_PATH", "dead-letter records go to the mounted checkpoint bucket"],
  ["METRICS_PORT", "set from the port prop (Cloud Run probes it)"],
  ["METRICS_HOST", "Cloud Run reaches the probes on all interfaces"],
  ["SHUTDOWN_DEADLINE_MS", "set to fit Cloud Run's 10 s between SIGTERM and SIGKILL"],
  ["LOG_LEVEL", "set from the logLevel prop"],
  ["PUBSUB_EMULATOR_HOST", "the deployed worker publishes to Pub/Sub, never to an emulator"],
  ["BIGQUERY_EMULATOR_HOST", "the deployed worker writes BigQuery, never an emulator"],
  ["BIGQUERY_STORAGE_EMULATOR_HOST", "the deployed worker writes BigQuery, never an emulator"],
]);

/** The Managed Service for Prometheus sidecar for Cloud Run. */
export const DEFAULT_METRICS_COLLECTOR_IMAGE =
  "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.2.0";
/** Where the sidecar reads its RunMonitoring config. */
const METRICS_CONFIG_MOUNT = "/etc/rungmp";
const DIGEST = /@sha256:[a-f0-9]{64}$/;
const SCRAPE_INTERVAL = /^[1-9][0-9]*s$/;
const CLOUD_RUN_RESERVED_ENV =
  /^(PORT|K_SERVICE|K_REVISION|K_CONFIGURATION|CLOUD_RUN_JOB|CLOUD_RUN_EXECUTION|CLOUD_RUN_TASK_INDEX|CLOUD_RUN_TASK_ATTEMPT|CLOUD_RUN_TASK_COUNT)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;
const REPOSITORY_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const CPU_VALUES = ["1", "2", "4", "6", "8"];
const MEMORY = /^[0-9]+(Mi|Gi)$/;
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const CHECKPOINT_MOUNT = "/checkpoint";

/**
 * The SSE → Pub/Sub (or → BigQuery) worker (`app-worker/`) as an always-on Cloud Run v2 service.
 *
 * - exactly one instance (min = max = 1) with CPU always allocated, internal ingress only, and
 *   startup/liveness probes on `/healthz`;
 * - a dedicated service account (the service is {@link IGrantable}) whose only grants are
 *   `roles/pubsub.publisher` on the topic (through the topic's `grantPublish`) — or, with a
 *   `directSink`, table-level `roles/bigquery.dataEditor` on the raw table and on the error table —
 *   and `roles/storage.objectUser` on its own checkpoint bucket;
 * - the checkpoint is an object in a private bucket, mounted into the container as a Cloud Storage
 *   volume at `/checkpoint` (second-generation execution environment), so a restarted or replaced
 *   instance resumes where the last one acknowledged;
 * - an Artifact Registry Docker repository for the image, with a cleanup policy;
 * - unless `collectMetrics` is false, the Managed Service for Prometheus sidecar, which sends the
 *   worker's `/metrics` to Cloud Monitoring (`prometheus.googleapis.com/<name>/<kind>` on
 *   `prometheus_target`), with `roles/monitoring.metricWriter` for the service account.
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
export class SsePublisherService extends Construct implements IGrantable {
  /** The Cloud Run service. */
  public readonly service: CloudRunV2Service;
  /** Name of the Cloud Run service. */
  public readonly serviceName: string;
  /** The worker's service account. */
  public readonly serviceAccount: ServiceAccount;
  /** Email of the service account. */
  public readonly serviceAccountEmail: string;
  /** The worker's service account, for `grant*` methods (e.g. read access to a dataset). */
  public readonly grantPrincipal: IPrincipal;
  /** The Docker repository for the worker image. */
  public readonly repository: ArtifactRegistryRepository;
  /** `REGION-docker.pkg.dev/PROJECT/REPOSITORY`: where to push images. */
  public readonly repositoryUrl: string;
  /** The image the service runs. */
  public readonly image: string;
  /** The bucket holding the checkpoint. */
  public readonly checkpointBucket: StorageBucket;
  /** Name of the checkpoint bucket. */
  public readonly checkpointBucketName: string;
  /** `gs://bucket/object` of the checkpoint. */
  public readonly checkpointUri: string;
  /** The worker's environment variables as deployed. */
  public readonly environment: Readonly<Record<string, string>>;
  /** Where the worker writes accepted events (`SINK`): `pubsub`, `storage-write` or `insert-all`. */
  public readonly sink: "pubsub" | DirectSinkApi;

  constructor(scope: Construct, id: string, props: SsePublisherServiceProps) {
    super(scope, id);
    const path = this.node.path;

    this.serviceName = props.serviceName ?? "wiki-sse-publisher";
    const accountId = props.serviceAccountId ?? "wiki-sse-publisher";
    const repositoryId = props.repositoryId ?? "fresh-streams";
    this.checkpointBucketName = props.checkpointBucketName ?? `${props.project}-worker-checkpoints`;
    const checkpointObject = props.checkpointObject ?? "recentchange.json";
    const port = props.port ?? DEFAULT_METRICS_PORT;
    const cpu = props.cpu ?? "1";
    const memory = props.memory ?? "512Mi";
    const keep = props.keepImageVersions ?? 10;

    if (isKnown(this.serviceName) && !SERVICE_NAME.test(this.serviceName)) {
      fail(
        path,
        `service name "${this.serviceName}" is invalid: Cloud Run service names are 1-49 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
      );
    }
    validateServiceAccountId(path, accountId);
    if (isKnown(repositoryId) && !REPOSITORY_ID.test(repositoryId)) {
      fail(
        path,
        `repository id "${repositoryId}" is invalid: 1-63 lowercase letters, digits and hyphens, starting with a letter`,
      );
    }
    if (
      isKnown(this.checkpointBucketName) &&
      (!BUCKET_NAME.test(this.checkpointBucketName) ||
        this.checkpointBucketName.includes("..") ||
        this.checkpointBucketName.startsWith("goog"))
    ) {
      fail(
        path,
        `checkpoint bucket name "${this.checkpointBucketName}" is invalid: 3-63 lowercase letters, digits, dots, hyphens and underscores, starting and ending with a letter or digit, not starting with "goog"`,
      );
    }
    if (isKnown(checkpointObject) && !OBJECT_NAME.test(checkpointObject)) {
      fail(
        path,
        `checkpoint object "${checkpointObject}" is invalid: a file name (letters, digits, ".", "_", "-"), no folders`,
      );
    }
    if (!Token.isUnresolved(port) && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      fail(path, `port ${port} is invalid: an integer from 1 to 65535`);
    }
    if (isKnown(cpu) && !CPU_VALUES.includes(cpu)) {
      fail(
        path,
        `cpu "${cpu}" is invalid: with CPU always allocated Cloud Run takes whole vCPUs: ${CPU_VALUES.join(", ")}`,
      );
    }
    if (isKnown(memory) && !MEMORY.test(memory))
      fail(path, `memory "${memory}" is invalid: a size such as 512Mi or 1Gi`);
    if (isKnown(memory) && MEMORY.test(memory)) {
      const mib = Number(memory.slice(0, -2)) * (memory.endsWith("Gi") ? 1024 : 1);
      if (mib < 512)
        fail(
          path,
          `memory "${memory}" is too small: the second-generation execution environment (needed for the checkpoint volume) requires at least 512Mi`,
        );
    }
    if (!Token.isUnresolved(keep) && (!Number.isInteger(keep) || keep < 1))
      fail(path, `keepImageVersions ${keep} is invalid: at least 1`);
    if (isKnown(props.userAgent) && props.userAgent) {
      const problem = headerValueProblem(props.userAgent);
      if (problem) fail(path, `userAgent ${JSON.stringify(props.userAgent)} ${problem}`);
    }
    if (isKnown(props.image) && !IMAGE.test(props.image)) {
      fail(
        path,
        `image "${props.image}" is not an image reference such as REGION-docker.pkg.dev/PROJECT/REPOSITORY/app-worker:TAG`,
      );
    }
    const imageToRun =
      props.image ?? `${props.region}-docker.pkg.dev/${props.project}/${repositoryId}/app-worker:latest`;
    if (props.requireImageDigest && isKnown(imageToRun) && !DIGEST.test(imageToRun)) {
      fail(
        path,
        `image "${imageToRun}" is named by a mutable tag; requireImageDigest (production) needs IMAGE@sha256:<64 hex digits>, the digest docker push prints`,
      );
    }
    const scrapeInterval = props.metricsScrapeInterval ?? "30s";
    if (isKnown(scrapeInterval) && !SCRAPE_INTERVAL.test(scrapeInterval))
      fail(path, `metricsScrapeInterval "${scrapeInterval}" is invalid: whole seconds such as "30s"`);
    for (const [name, value] of Object.entries(props.environment ?? {})) {
      if (!ENV_NAME.test(name))
        fail(
          path,
          `environment variable name "${name}" is invalid: letters, digits and underscores, not starting with a digit`,
        );
      const managed = MANAGED_ENV.get(name as WorkerEnvVariable);
      if (managed)
        fail(
          path,
          `environment variable ${name}=${JSON.stringify(value)} is refused: ${name} is managed by the construct (${managed})`,
        );
      if (CLOUD_RUN_RESERVED_ENV.test(name)) fail(path, `environment variable ${name} is reserved by Cloud Run`);
    }
    // One key for the repository, the bucket and the service, all in `region`.
    for (const service of ["artifact-registry", "storage", "cloud-run"] as const) {
      validateKeyLocation(path, service, props.kmsKeyName, props.region);
    }
    const labels = props.labels ?? {};
    validateLabels(path, labels);
    const { topic, directSink } = props;
    if ((topic === undefined) === (directSink === undefined)) {
      fail(
        path,
        `${topic ? "both topic and directSink are given" : "neither topic nor directSink is given"}: the worker writes to exactly one sink (a topic to publish to, or the raw table to write directly)`,
      );
    }
    if (directSink) validateDirectSink(path, directSink);
    this.sink = directSink ? (directSink.api ?? "storage-write") : "pubsub";

    this.repository = new ArtifactRegistryRepository(this, "repository", {
      project: props.project,
      location: props.region,
      repositoryId,
      format: "DOCKER",
      description: "Images of the fresh-streams SSE publisher worker",
      kmsKeyName: props.kmsKeyName,
      cleanupPolicyDryRun: false,
      cleanupPolicies: [
        { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: keep } },
        { id: "delete-old", action: "DELETE", condition: { tagState: "ANY", olderThan: "2592000s" } },
      ],
      labels,
    });
    this.repositoryUrl = `${props.region}-docker.pkg.dev/${props.project}/${repositoryId}`;
    this.image = props.image ?? `${this.repositoryUrl}/app-worker:latest`;

    this.serviceAccount = new ServiceAccount(this, "service-account", {
      project: props.project,
      accountId,
      displayName: "fresh-streams SSE publisher worker",
      description:
        `Runs the Cloud Run service ${this.serviceName}: ${directSink ? `writes ${directSink.table.fqn} and ${directSink.errorTable.tableId}` : `publishes to ${topic!.topicName}`}, keeps its checkpoint in ${this.checkpointBucketName}`.slice(
          0,
          256,
        ),
    });
    this.serviceAccountEmail = this.serviceAccount.email;
    this.grantPrincipal = Principal.fromMember(this.serviceAccount.member);
    // Table level only, no project-level BigQuery role and no jobUser (the worker runs no job). BigQuery's
    // rule: the Storage Write API needs bigquery.tables.updateData on the table ("Introduction to the
    // Storage Write API", Required permissions); insertAll ("Streaming data into BigQuery", Required
    // permissions) needs bigquery.tables.updateData and bigquery.tables.get on the table. The table-level
    // roles/bigquery.dataEditor holds both (the streaming page also lists bigquery.datasets.get, for
    // dataset metadata the worker never reads).
    const sinkGrants = directSink
      ? [grantTableWrite(this, directSink.table, this), grantTableWrite(this, directSink.errorTable, this)]
      : [topic!.grantPublish(this)];

    this.checkpointBucket = new StorageBucket(this, "checkpoints", {
      project: props.project,
      name: this.checkpointBucketName,
      location: props.region,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      // One small object rewritten every few seconds: versions would pile up. Soft delete keeps
      // every deleted or overwritten object for 7 days, so an accidental delete can be undone.
      versioning: { enabled: false },
      softDeletePolicy: { retentionDurationSeconds: 7 * 24 * 3600 },
      forceDestroy: props.forceDestroyBucket ?? false,
      encryption: props.kmsKeyName ? { defaultKmsKeyName: props.kmsKeyName } : undefined,
      labels,
    });
    // Read-write volume mounts need object get/list/create/delete on the bucket: roles/storage.objectUser
    // (narrower than objectAdmin, which also manages object ACLs and IAM).
    const checkpointGrant = new StorageBucketIamMember(this, "checkpoint-object-user", {
      bucket: this.checkpointBucket.name,
      role: "roles/storage.objectUser",
      member: this.grantPrincipal.iamMember,
    });
    this.checkpointUri = `gs://${this.checkpointBucketName}/${checkpointObject}`;

    // Keyed by the worker's contract: a name the worker does not read fails compilation.
    const fromProps: { readonly [name in WorkerEnvVariable]?: string } = {
      PROJECT: props.project,
      // SINK is left to the worker's default (pubsub) with a topic.
      SINK: directSink ? this.sink : undefined,
      TOPIC: topic?.topicName,
      // Literal names (the worker's full form): the service depends on the grants, which reference the tables.
      TABLE: directSink ? tableResourceName(directSink.table) : undefined,
      ERROR_TABLE: directSink ? tableResourceName(directSink.errorTable) : undefined,
      CHECKPOINT_PATH: `${CHECKPOINT_MOUNT}/${checkpointObject}`,
      DEAD_LETTER_PATH: `${CHECKPOINT_MOUNT}/dead-letter`,
      // A number token printed with String() is a garbage number; Token.asString keeps it a token.
      METRICS_PORT: Token.isUnresolved(port) ? Token.asString(port) : String(port),
      METRICS_HOST: "0.0.0.0",
      // Cloud Run allows 10 s between SIGTERM and SIGKILL.
      SHUTDOWN_DEADLINE_MS: "8000",
      LOG_LEVEL: props.logLevel ?? "info",
      // Unset: the worker's defaults (DEFAULT_SSE_URL, DEFAULT_USER_AGENT).
      SSE_URL: props.sseUrl || undefined,
      USER_AGENT: props.userAgent || undefined,
    };
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(fromProps)) if (value !== undefined) environment[name] = value;
    this.environment = { ...environment, ...(props.environment ?? {}) };
    // The worker's own parser: a value it would refuse at startup is refused here, at synth.
    const unresolved = new Set(Object.keys(this.environment).filter((name) => !isKnown(this.environment[name])));
    const settings = parseWorkerSettings(this.environment, [], { skip: unresolved });
    if (!settings.settings) fail(path, `the worker would refuse its environment:\n  ${settings.problems.join("\n  ")}`);

    const collectMetrics = props.collectMetrics ?? true;
    const metricsGrants = [];
    let metricsConfig: SecretManagerSecret | undefined;
    if (collectMetrics) {
      // The sidecar's RunMonitoring config: scrape the worker's /metrics (the default config scrapes port 8080).
      metricsConfig = new SecretManagerSecret(this, "metrics-config", {
        project: props.project,
        secretId: `${this.serviceName}-metrics-config`,
        replication: { auto: {} },
        labels,
      });
      const runMonitoring = [
        "apiVersion: monitoring.googleapis.com/v1beta",
        "kind: RunMonitoring",
        "metadata:",
        `  name: ${this.serviceName}`,
        "spec:",
        "  endpoints:",
        `    - port: ${JSON.stringify(String(port))}`,
        "      path: /metrics",
        `      interval: ${scrapeInterval}`,
        "  targetLabels:",
        "    metadata: [service, revision, configuration, instance]",
        "",
      ].join("\n");
      const version = new SecretManagerSecretVersion(this, "metrics-config-version", {
        secret: metricsConfig.id,
        secretData: runMonitoring,
      });
      metricsGrants.push(
        version,
        grantOnce(
          metricsConfig,
          "roles/secretmanager.secretAccessor",
          this,
          (id, member) =>
            new SecretManagerSecretIamMember(metricsConfig!, id, {
              project: props.project,
              secretId: metricsConfig!.secretId,
              role: "roles/secretmanager.secretAccessor",
              member,
            }),
        ),
        grantOnce(
          this,
          "roles/monitoring.metricWriter",
          this,
          (id, member) =>
            new ProjectIamMember(this, id, { project: props.project, role: "roles/monitoring.metricWriter", member }),
        ),
      );
    }

    this.service = new CloudRunV2Service(this, "service", {
      project: props.project,
      location: props.region,
      name: this.serviceName,
      description: `fresh-streams worker: Wikimedia recentchange SSE → ${directSink ? `BigQuery (${this.sink})` : "Pub/Sub"}`,
      ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
      deletionProtection: props.deletionProtection ?? false,
      labels,
      template: {
        serviceAccount: this.serviceAccountEmail,
        executionEnvironment: "EXECUTION_ENVIRONMENT_GEN2",
        encryptionKey: props.kmsKeyName,
        scaling: { minInstanceCount: 1, maxInstanceCount: 1 },
        // Requests are only probes and metric scrapes.
        maxInstanceRequestConcurrency: 10,
        timeout: "30s",
        labels,
        containers: [
          {
            name: "worker",
            image: this.image,
            ports: { containerPort: port, name: "http1" },
            env: Object.entries(this.environment).map(([name, value]) => ({ name, value })),
            resources: { cpuIdle: false, startupCpuBoost: true, limits: { cpu, memory } },
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
            volumeMounts: [{ name: "checkpoint", mountPath: CHECKPOINT_MOUNT }],
          },
          ...(metricsConfig
            ? [
                {
                  name: "metrics-collector",
                  image: props.metricsCollectorImage ?? DEFAULT_METRICS_COLLECTOR_IMAGE,
                  // Starts once the worker's startup probe passed, so its first scrape finds /metrics.
                  dependsOn: ["worker"],
                  // The instance's CPU must add up to whole vCPUs with CPU always allocated.
                  resources: { cpuIdle: false, limits: { cpu: "1", memory: "512Mi" } },
                  volumeMounts: [{ name: "metrics-config", mountPath: METRICS_CONFIG_MOUNT }],
                },
              ]
            : []),
        ],
        volumes: [
          { name: "checkpoint", gcs: { bucket: this.checkpointBucket.name, readOnly: false } },
          ...(metricsConfig
            ? [
                {
                  name: "metrics-config",
                  secret: { secret: metricsConfig.secretId, items: [{ version: "latest", path: "config.yaml" }] },
                },
              ]
            : []),
        ],
      },
      traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
      // The worker writes and checkpoints from its first second: the topic (named by TOPIC, a literal)
      // or the tables (TABLE, ERROR_TABLE, literals) and the grants must exist before the first
      // revision starts; the image is pulled from the repository (named by a literal URL in the image reference).
      dependsOn: [...sinkGrants, checkpointGrant, ...metricsGrants, this.repository],
    });
  }
}

/** `projects/P/datasets/D/tables/T`: the worker's full form of a table name. */
function tableResourceName(table: ITable): string {
  return `projects/${table.project}/datasets/${table.datasetId}/tables/${table.tableId}`;
}

/** A direct sink names two different tables, and an API the worker has. */
function validateDirectSink(path: string, sink: WorkerDirectSink): void {
  const api = sink.api ?? "storage-write";
  if (isKnown(api) && !(DIRECT_SINKS as readonly string[]).includes(api)) {
    fail(path, `directSink.api "${api}" is invalid: one of ${DIRECT_SINKS.join(", ")}`);
  }
  const { table, errorTable } = sink;
  if (isKnown(table.fqn) && isKnown(errorTable.fqn) && table.fqn === errorTable.fqn) {
    fail(
      path,
      `directSink.errorTable is the raw table ${table.fqn}: rows BigQuery refuses need a table of their own (e.g. ${table.tableId}_errors)`,
    );
  }
}
