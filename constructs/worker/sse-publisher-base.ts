/**
 * What every host of the worker shares ({@link SsePublisherService}, {@link SsePublisherWorkerPool}): the
 * settings contract and its validation, the image repository, the dedicated service account and its grants
 * (the sink, the checkpoint bucket, the metrics sidecar's config and metric writes), and what the host's
 * resource must be created after. A host subclasses it and creates its one Cloud Run resource.
 */
import { Construct } from "constructs";
import { dependable, ITerraformDependable, TerraformResource } from "cdktf";
import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { SecretManagerSecret, SecretManagerSecretReplication } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { SecretManagerSecretVersion } from "@cdktf/provider-google/lib/secret-manager-secret-version";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { grantOnce } from "../core/grants";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import {
  DirectSinkApi,
  resolveSettings,
  SsePublisherProps,
  SsePublisherSettings,
  WorkerHostKind,
} from "./sse-publisher-props";
import { validateSsePublisherProps } from "./validate-sse-publisher-props";
import { workerEnvironment } from "./worker-environment";

/**
 * The worker's parts that do not depend on what runs it. Abstract: use {@link SsePublisherWorkerPool} or
 * {@link SsePublisherService}.
 */
export abstract class SsePublisherBase extends Construct implements IGrantable {
  /** What runs the worker: `service` or `worker pool`. */
  public readonly host: WorkerHostKind;
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
  /** The image the worker runs. */
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
  /** The props with their defaults, for the host's resource. */
  protected readonly settings: SsePublisherSettings;
  /** Secret id of the metrics sidecar's config; undefined: no sidecar. */
  protected readonly metricsConfigSecret?: string;
  /**
   * What the host's resource is created after: the worker writes and checkpoints from its first second, so the
   * topic (named by TOPIC, a literal) or the tables (TABLE, ERROR_TABLE, literals) and the grants must exist
   * before it starts; the image is pulled from the repository (named by a literal URL in the image reference).
   */
  protected readonly startsAfter: ITerraformDependable[];

  protected constructor(scope: Construct, id: string, props: SsePublisherProps, host: WorkerHostKind, name?: string) {
    super(scope, id);
    const settings = resolveSettings(props, host, name);
    validateSsePublisherProps(this.node.path, settings);
    this.settings = settings;
    this.host = host;
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
    this.metricsConfigSecret = metrics?.secret.secretId;
    this.startsAfter = [...sinkGrants, checkpointGrant, ...(metrics?.dependables ?? []), this.repository];
  }

  /** The Cloud Run resource running the worker (the service or the worker pool). */
  public abstract get hostResource(): TerraformResource;

  /**
   * Makes the worker start only after `dependables` exist: what its environment names literally (a grant on a
   * topic given in `environment`, such as `CDC_TOPIC`).
   */
  public startAfter(...dependables: ITerraformDependable[]): void {
    const resource = this.hostResource;
    resource.dependsOn = [...(resource.dependsOn ?? []), ...dependables.map((d) => dependable(d))];
  }

  /** A description of the worker for its Cloud Run resource. */
  protected describe(): string {
    const { directSink } = this.settings;
    return `fresh-streams worker: Wikimedia recentchange SSE → ${directSink ? `BigQuery (${this.sink})` : "Pub/Sub"}`;
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
    const { directSink, topic, host, name } = settings;
    const writes = directSink
      ? `writes ${directSink.table.fqn} and ${directSink.errorTable.tableId}`
      : `publishes to ${topic!.topicName}`;
    return new ServiceAccount(this, "service-account", {
      project: settings.project,
      accountId: settings.serviceAccountId,
      displayName: "fresh-streams SSE publisher worker",
      description:
        `Runs the Cloud Run ${host} ${name}: ${writes}, keeps its checkpoint in ${this.checkpointBucketName}`.slice(
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
   * with what the host needs before it starts: the secret's version, read access to it, and
   * `roles/monitoring.metricWriter` on the project.
   */
  private createMetricsConfig(settings: SsePublisherSettings): {
    secret: SecretManagerSecret;
    dependables: ITerraformDependable[];
  } {
    const { project, name } = settings;
    const secret = new SecretManagerSecret(this, "metrics-config", {
      project,
      secretId: `${name}-metrics-config`,
      replication: metricsConfigReplication(settings),
      labels: settings.labels,
    });
    const version = new SecretManagerSecretVersion(this, "metrics-config-version", {
      secret: secret.id,
      secretData: runMonitoringConfig(settings),
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
 * Google-managed encryption. With it: one replica in the worker's region, encrypted with the key. Secret
 * Manager's rule (`CustomerManagedEncryption.kms_key_name`): with automatic replication the key must be in
 * `global`; with user-managed replication each replica's key must be in the replica's location. The
 * worker's key is in its region (Cloud Run's own rule), so the secret is replicated there.
 * Day two: `replication` cannot change in place (the provider replaces the secret), so adding a key to an
 * existing worker replaces this secret, its version and its accessor grant. It holds only this config,
 * written again from code in the same apply: nothing is lost.
 */
function metricsConfigReplication(settings: SsePublisherSettings): SecretManagerSecretReplication {
  const { kmsKeyName, region } = settings;
  if (kmsKeyName === undefined) return { auto: {} };
  return { userManaged: { replicas: [{ location: region, customerManagedEncryption: { kmsKeyName } }] } };
}

/**
 * What the sidecar adds to each series, by host: a service's name, revision and configuration; a worker pool
 * has no service or configuration (the sidecar's RunMonitoring `targetLabels.metadata`), only its revision.
 */
const TARGET_METADATA: Readonly<Record<WorkerHostKind, string>> = {
  service: "[service, revision, configuration, instance]",
  "worker pool": "[revision, instance]",
};

/** The sidecar's RunMonitoring config: scrape the worker's `/metrics` every `metricsScrapeInterval`. */
function runMonitoringConfig(settings: SsePublisherSettings): string {
  return [
    "apiVersion: monitoring.googleapis.com/v1beta",
    "kind: RunMonitoring",
    "metadata:",
    `  name: ${settings.name}`,
    "spec:",
    "  endpoints:",
    `    - port: ${JSON.stringify(String(settings.port))}`,
    "      path: /metrics",
    `      interval: ${settings.metricsScrapeInterval.toPubsubString()}`,
    "  targetLabels:",
    `    metadata: ${TARGET_METADATA[settings.host]}`,
    "",
  ].join("\n");
}
