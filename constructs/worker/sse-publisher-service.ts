import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { CloudRunV2Service } from "@cdktf/provider-google/lib/cloud-run-v2-service";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { SecretManagerSecret, SecretManagerSecretReplication } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { grantOnce } from "../core/grants";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import { DirectSinkApi, resolveSettings, SsePublisherServiceProps, SsePublisherSettings } from "./sse-publisher-props";
import { validateSsePublisherProps } from "./validate-sse-publisher-props";
import { serviceTemplate } from "./worker-template";
import { workerEnvironment } from "./worker-environment";
import { requireProps } from "../core/validation";

export { DEFAULT_METRICS_COLLECTOR_IMAGE } from "./sse-publisher-props";
export type { DirectSinkApi, SsePublisherServiceProps, WorkerDirectSink } from "./sse-publisher-props";

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
    requireProps(this.node.path, "SsePublisherService", props, [
      "project",
      "region",
      "directSink.errorTable",
      "directSink.table",
    ]);
    const settings = resolveSettings(props);
    validateSsePublisherProps(this.node.path, settings);
    this.serviceName = settings.serviceName;
    this.checkpointBucketName = settings.checkpointBucketName;
    this.checkpointUri = `gs://${settings.checkpointBucketName}/${settings.checkpointObject}`;
    this.sink = settings.sink;
    this.repositoryUrl = settings.repositoryUrl;
    this.image = settings.imageToRun;
    this.environment = workerEnvironment(settings);

    this.repository = this.createRepository(settings);
    this.serviceAccount = this.createServiceAccount(settings);
    this.serviceAccountEmail = this.serviceAccount.email;
    this.grantPrincipal = Principal.fromMember(this.serviceAccount.member);
    const sinkGrants = this.grantSink(settings);
    this.checkpointBucket = this.createCheckpointBucket(settings);
    // Read-write volume mounts need object get/list/create/delete on the bucket: roles/storage.objectUser
    // (narrower than objectAdmin, which also manages object ACLs and IAM).
    const checkpointGrant = new StorageBucketIamMember(this, "checkpoint-object-user", {
      bucket: this.checkpointBucket.name,
      role: "roles/storage.objectUser",
      member: this.grantPrincipal.iamMember,
    });
    const metrics = settings.collectMetrics ? this.createMetricsConfig(settings) : undefined;

    this.service = new CloudRunV2Service(this, "service", {
      project: settings.project,
      location: settings.region,
      name: this.serviceName,
      description: `fresh-streams worker: Wikimedia recentchange SSE → ${settings.directSink ? `BigQuery (${this.sink})` : "Pub/Sub"}`,
      ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
      deletionProtection: settings.deletionProtection,
      labels: settings.labels,
      template: serviceTemplate(settings, {
        serviceAccountEmail: this.serviceAccountEmail,
        image: this.image,
        environment: this.environment,
        checkpointBucket: this.checkpointBucket.name,
        metricsConfigSecret: metrics?.secret.secretId,
      }),
      traffic: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
      // The worker writes and checkpoints from its first second: the topic (named by TOPIC, a literal)
      // or the tables (TABLE, ERROR_TABLE, literals) and the grants must exist before the first
      // revision starts; the image is pulled from the repository (named by a literal URL in the image reference).
      dependsOn: [...sinkGrants, checkpointGrant, ...(metrics?.dependables ?? []), this.repository],
    });
  }

  /** The Docker repository for the worker image, keeping the most recent versions. */
  private createRepository(settings: SsePublisherSettings): ArtifactRegistryRepository {
    return new ArtifactRegistryRepository(this, "repository", {
      project: settings.project,
      location: settings.region,
      repositoryId: settings.repositoryId,
      format: "DOCKER",
      description: "Images of the fresh-streams SSE publisher worker",
      kmsKeyName: settings.kmsKeyName,
      cleanupPolicyDryRun: false,
      cleanupPolicies: [
        { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: settings.keepImageVersions } },
        { id: "delete-old", action: "DELETE", condition: { tagState: "ANY", olderThan: "2592000s" } },
      ],
      labels: settings.labels,
    });
  }

  /** The worker's dedicated service account, described by what it does. */
  private createServiceAccount(settings: SsePublisherSettings): ServiceAccount {
    const { directSink, topic } = settings;
    const writes = directSink
      ? `writes ${directSink.table.fqn} and ${directSink.errorTable.tableId}`
      : `publishes to ${topic!.topicName}`;
    return new ServiceAccount(this, "service-account", {
      project: settings.project,
      accountId: settings.serviceAccountId,
      displayName: "fresh-streams SSE publisher worker",
      description:
        `Runs the Cloud Run service ${this.serviceName}: ${writes}, keeps its checkpoint in ${this.checkpointBucketName}`.slice(
          0,
          256,
        ),
    });
  }

  /** Publish on the topic, or append rows to exactly the raw table and the error table. */
  private grantSink({ directSink, topic, sink }: SsePublisherSettings): ITerraformDependable[] {
    // The worker parses untrusted internet input: it gets what appending rows needs and nothing more.
    // Table level only, no project-level BigQuery role and no jobUser (the worker runs no job), and not
    // roles/bigquery.dataEditor (which also updates and deletes the table and reads its rows): a custom
    // role per API (`grantWriteRows`). BigQuery's rule: the Storage Write API needs
    // bigquery.tables.updateData ("Introduction to the BigQuery Storage Write API", Required permissions);
    // insertAll ("Use the legacy streaming API", Required permissions) bigquery.tables.updateData and
    // bigquery.tables.get (and bigquery.datasets.get, a dataset permission the worker never uses).
    if (!directSink) return [topic!.grantPublish(this)];
    const api = sink as DirectSinkApi;
    return [directSink.table.grantWriteRows(this, api), directSink.errorTable.grantWriteRows(this, api)];
  }

  /** The private bucket holding the checkpoint object. */
  private createCheckpointBucket(settings: SsePublisherSettings): StorageBucket {
    return new StorageBucket(this, "checkpoints", {
      project: settings.project,
      name: this.checkpointBucketName,
      location: settings.region,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      // One small object rewritten every few seconds: versions would pile up. Soft delete keeps
      // every deleted or overwritten object for 7 days, so an accidental delete can be undone.
      versioning: { enabled: false },
      softDeletePolicy: { retentionDurationSeconds: 7 * 24 * 3600 },
      forceDestroy: settings.forceDestroyBucket,
      encryption: settings.kmsKeyName ? { defaultKmsKeyName: settings.kmsKeyName } : undefined,
      labels: settings.labels,
    });
  }

  /**
   * The metrics sidecar's RunMonitoring config in a secret (the default config scrapes port 8080),
   * with what the service needs before it starts: the secret's version, read access to it, and
   * `roles/monitoring.metricWriter` on the project.
   */
  private createMetricsConfig(settings: SsePublisherSettings): {
    secret: SecretManagerSecret;
    dependables: ITerraformDependable[];
  } {
    const { project } = settings;
    const secret = new SecretManagerSecret(this, "metrics-config", {
      project,
      secretId: `${this.serviceName}-metrics-config`,
      replication: metricsConfigReplication(settings),
      labels: settings.labels,
    });
    const version = new SecretManagerSecretVersion(this, "metrics-config-version", {
      secret: secret.id,
      secretData: runMonitoringConfig(this.serviceName, settings),
    });
    const accessor = "roles/secretmanager.secretAccessor";
    const read = grantOnce(
      secret,
      accessor,
      this,
      (id, member) =>
        new SecretManagerSecretIamMember(secret, id, { project, secretId: secret.secretId, role: accessor, member }),
    );
    const writer = "roles/monitoring.metricWriter";
    const write = grantOnce(
      this,
      writer,
      this,
      (id, member) => new ProjectIamMember(this, id, { project, role: writer, member }),
    );
    return { secret, dependables: [version, read, write] };
  }
}

/**
 * Where the metrics config is kept, and under which key. Without `kmsKeyName`: automatic replication,
 * Google-managed encryption. With it: one replica in the service's region, encrypted with the key. Secret
 * Manager's rule (`CustomerManagedEncryption.kms_key_name`): with automatic replication the key must be in
 * `global`; with user-managed replication each replica's key must be in the replica's location. The
 * worker's key is in its region (Cloud Run's own rule), so the secret is replicated there.
 * Day two: `replication` cannot change in place (the provider replaces the secret), so adding a key to an
 * existing service replaces this secret, its version and its accessor grant. It holds only this config,
 * written again from code in the same apply: nothing is lost.
 */
function metricsConfigReplication(settings: SsePublisherSettings): SecretManagerSecretReplication {
  const { kmsKeyName, region } = settings;
  if (kmsKeyName === undefined) return { auto: {} };
  return { userManaged: { replicas: [{ location: region, customerManagedEncryption: { kmsKeyName } }] } };
}

/** The sidecar's RunMonitoring config: scrape the worker's `/metrics` every `metricsScrapeInterval`. */
function runMonitoringConfig(serviceName: string, settings: SsePublisherSettings): string {
  return [
    "apiVersion: monitoring.googleapis.com/v1beta",
    "kind: RunMonitoring",
    "metadata:",
    `  name: ${serviceName}`,
    "spec:",
    "  endpoints:",
    `    - port: ${JSON.stringify(String(settings.port))}`,
    "      path: /metrics",
    `      interval: ${settings.metricsScrapeInterval.toPubsubString()}`,
    "  targetLabels:",
    "    metadata: [service, revision, configuration, instance]",
    "",
  ].join("\n");
}
