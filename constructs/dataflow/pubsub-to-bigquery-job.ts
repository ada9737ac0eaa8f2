import { Construct } from "constructs";
import { Fn, ITerraformDependable, Token } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { DataflowJob } from "@cdktf/provider-google/lib/dataflow-job";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { Duration } from "../core/duration";
import { BUCKET_NAME } from "../../schemas/naming";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import { ISubscription, ITable } from "../core/references";
import {
  fail,
  isKnown,
  refuseToken,
  serviceAccountIdFor,
  validateLabels,
  validateRegion,
  validateServiceAccountId,
} from "../core/validation";
import { validateKeyLocation } from "../core/key-location";
import { checkPhysicalNames } from "../core/physical-names";

/**
 * The error table schema of Google's "Pub/Sub Subscription to BigQuery" template
 * (its `streaming_source_deadletter_table_schema.json`): one row per message it could not write.
 */
/** The template's dead-letter table: the raw error table's shape (`schemas/ingestion-errors.ts`). */
export const DATAFLOW_DEADLETTER_SCHEMA = INGESTION_ERRORS_SCHEMA;

/** The worker machine type a {@link PubSubToBigQueryJob} uses unless told otherwise. */
export const DEFAULT_DATAFLOW_MACHINE_TYPE = "n2-standard-2";

/** Props of {@link PubSubToBigQueryJob}. */
export interface PubSubToBigQueryJobProps {
  /** Name of the Dataflow job: lowercase letters, digits and hyphens, starting with a letter, at most 63 characters. */
  readonly jobName: string;
  /** Project running the job; the output table must be in this project. */
  readonly project: string;
  /** Region of the job, its template bucket and its temp bucket, e.g. `us-central1`. */
  readonly region: string;
  /** The pull subscription the job reads (not a push or BigQuery subscription). */
  readonly subscription: ISubscription;
  /** The table the job writes into (`outputTableSpec`). */
  readonly outputTable: ITable;
  /**
   * Id of the error table created next to the output table (`outputDeadletterTable`).
   * @default `${outputTable.tableId}_errors`
   */
  readonly errorTableId?: string;
  /**
   * Worker machine type.
   * @default DEFAULT_DATAFLOW_MACHINE_TYPE ("n2-standard-2")
   */
  readonly machineType?: string;
  /**
   * Most workers autoscaling may use, 1 to 1000.
   * @default 3
   */
  readonly maxWorkers?: number;
  /**
   * Run the streaming shuffle and state in Dataflow's Streaming Engine rather than on the workers.
   * @default true
   */
  readonly enableStreamingEngine?: boolean;
  /**
   * Version folder of the Google-provided templates: a release such as `2025-01-07-00_RC00`, or
   * `latest`. Pin a release in production (the policy rule FS-PROD-5 refuses `latest` there): with
   * `latest`, a template release Google publishes changes the running pipeline at the next update.
   * @default "latest"
   */
  readonly templateVersion?: string;
  /**
   * Name of the temp bucket (globally unique).
   * @default `${project}-${jobName}-temp`, shortened to 63 characters
   */
  readonly tempBucketName?: string;
  /**
   * How long the job's temporary objects (under `tmp/`) are kept: whole days, at least 1
   * (a Cloud Storage lifecycle rule counts object age in days).
   * @default Duration.days(7)
   */
  readonly tempObjectRetention?: Duration;
  /**
   * Let `terraform destroy` delete the temp bucket with objects still in it. Keep false in production.
   * @default false
   */
  readonly forceDestroyBucket?: boolean;
  /**
   * Account id of the worker service account (6-30 characters).
   * @default - derived from the job name, e.g. `wiki-changes-df-worker`
   */
  readonly serviceAccountId?: string;
  /**
   * Deletion protection of the error table.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Customer-managed key for the job's state and the temp bucket, in the job's region. The Dataflow,
   * Compute Engine and Cloud Storage service agents need `roles/cloudkms.cryptoKeyEncrypterDecrypter` on it.
   * @default - Google-managed encryption
   */
  readonly kmsKeyName?: string;
  /**
   * VPC network of the workers: a network name, or `projects/P/global/networks/N` (a full URL also works).
   * @default - the project's `default` network (or the subnetwork's network)
   */
  readonly network?: string;
  /**
   * Subnetwork of the workers, in the job's region: `regions/R/subnetworks/S`,
   * `projects/P/regions/R/subnetworks/S` or a full URL.
   * @default - chosen by Dataflow in the network
   */
  readonly subnetwork?: string;
  /**
   * `WORKER_IP_PRIVATE` keeps workers off the internet (the subnetwork needs Private Google Access);
   * the policy rule FS-PROD-4 requires it in production.
   * @default - public worker IPs (Dataflow's default)
   */
  readonly ipConfiguration?: "WORKER_IP_PUBLIC" | "WORKER_IP_PRIVATE";
  /**
   * Labels of the job, the bucket and the error table.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

const JOB_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Release folders of the Google-provided templates, e.g. `2025-01-07-00_RC00`, or `latest`. */
const TEMPLATE_VERSION = /^(latest|\d{4}-\d{2}-\d{2}-\d{2}_RC\d{2})$/;
const NAME = "[a-z]([-a-z0-9]{0,61}[a-z0-9])?";
const COMPUTE_URL = "(https://www\\.googleapis\\.com/compute/v1/)?";
/** A network: its name, `projects/P/global/networks/N`, or the full URL of that. */
const NETWORK = new RegExp(`^(${NAME}|${COMPUTE_URL}projects/[^/]+/global/networks/${NAME})$`);
/** A subnetwork: `regions/R/subnetworks/S`, `projects/P/regions/R/subnetworks/S`, or the full URL of that. */
const SUBNETWORK = new RegExp(`^${COMPUTE_URL}(projects/[^/]+/)?regions/([a-z0-9-]+)/subnetworks/${NAME}$`);
const IP_CONFIGURATIONS: readonly string[] = ["WORKER_IP_PUBLIC", "WORKER_IP_PRIVATE"];
const TABLE_ID = /^[A-Za-z0-9_]{1,1024}$/;

/**
 * A streaming Dataflow job running Google's classic "Pub/Sub Subscription to BigQuery" template,
 * with everything it needs and nothing more:
 *
 * - an error table (the template's dead-letter schema) in the output table's dataset, partitioned by day;
 * - a temp bucket: uniform bucket-level access, public access prevention enforced, temp objects
 *   deleted after `tempObjectRetention`;
 * - a dedicated worker service account (the job is {@link IGrantable}) with `roles/dataflow.worker`
 *   on the project, object admin on its bucket, and through the other constructs' grant methods:
 *   subscriber on the subscription, viewer on its topic, write on the output table's dataset.
 *
 * Deleting the job drains it (`on_delete = "drain"`), so in-flight messages are written first.
 */
export class PubSubToBigQueryJob extends Construct implements IGrantable {
  /** The Dataflow job resource. */
  public readonly job: DataflowJob;
  /** Name of the job. */
  public readonly jobName: string;
  /** The job's worker service account. */
  public readonly serviceAccount: ServiceAccount;
  /** Email of the worker service account. */
  public readonly serviceAccountEmail: string;
  /** The worker service account, for `grant*` methods. */
  public readonly grantPrincipal: IPrincipal;
  /** The temp bucket. */
  public readonly tempBucket: StorageBucket;
  /** Name of the temp bucket. */
  public readonly tempBucketName: string;
  /** The error table resource. */
  public readonly errorTable: BigqueryTable;
  /** Id of the error table. */
  public readonly errorTableId: string;
  /** The template the job runs. */
  public readonly templateGcsPath: string;
  /** `project:dataset.table` of the output table, as the template takes it (literal ids). */
  public readonly outputTableSpec: string;
  /** `project:dataset.table` of the error table (literal ids). */
  public readonly errorTableSpec: string;

  constructor(scope: Construct, id: string, props: PubSubToBigQueryJobProps) {
    super(scope, id);
    checkPhysicalNames(this);
    const path = this.node.path;
    const { project, region, subscription, outputTable } = props;
    if (isKnown(props.jobName) && !JOB_NAME.test(props.jobName)) {
      fail(
        path,
        `job name "${props.jobName}" is not valid; use at most 63 lowercase letters, digits and hyphens, starting with a letter`,
      );
    }
    validateRegion(path, region);
    if (isKnown(project) && isKnown(outputTable.project) && outputTable.project !== project) {
      fail(
        path,
        `output table ${outputTable.fqn} is in project "${outputTable.project}", not in the job's project "${project}"; the job and its output table must share a project`,
      );
    }
    if (subscription.isPushOrExport) {
      fail(
        path,
        `subscription "${subscription.subscriptionName}" delivers its messages itself (push or BigQuery subscription); the job needs a pull subscription`,
      );
    }
    const maxWorkers = props.maxWorkers ?? 3;
    if (!Token.isUnresolved(maxWorkers) && (!Number.isInteger(maxWorkers) || maxWorkers < 1 || maxWorkers > 1000)) {
      fail(path, `maxWorkers is ${maxWorkers}; Dataflow allows 1 to 1000`);
    }
    const retention = props.tempObjectRetention ?? Duration.days(7);
    if (!Duration.isDuration(retention)) {
      fail(path, `tempObjectRetention must be a Duration (e.g. Duration.days(7)), got ${JSON.stringify(retention)}`);
    }
    if (!retention.isUnresolved() && (!retention.isWhole("days") || retention.toDays() < 1)) {
      fail(
        path,
        `tempObjectRetention is ${retention.toHumanString()}; Cloud Storage lifecycle rules count whole days, at least 1 day`,
      );
    }
    const errorTableId = props.errorTableId ?? `${outputTable.tableId}_errors`;
    if (isKnown(errorTableId) && !TABLE_ID.test(errorTableId)) {
      fail(path, `error table id "${errorTableId}" may use only letters, digits and underscores`);
    }
    const bucketName = props.tempBucketName ?? defaultBucketName(project, props.jobName);
    if (
      isKnown(bucketName) &&
      (!BUCKET_NAME.test(bucketName) || bucketName.startsWith("goog") || bucketName.includes("google"))
    ) {
      fail(
        path,
        `temp bucket name "${bucketName}" is not valid; use 3-63 lowercase letters, digits, - _ . without "goog"`,
      );
    }
    if (props.serviceAccountId === undefined) {
      refuseToken(
        path,
        "jobName",
        props.jobName,
        "the default serviceAccountId is derived from it; set serviceAccountId",
      );
    }
    const accountId =
      props.serviceAccountId ?? serviceAccountIdFor(`${props.jobName.replace(/-to-bigquery$/, "")}-df-worker`);
    validateServiceAccountId(path, accountId);
    // The key protects the job's state and its temp bucket, both in the job's region.
    validateKeyLocation(path, "dataflow", props.kmsKeyName, region);
    validateKeyLocation(path, "storage", props.kmsKeyName, region);
    validateNetworking(path, region, props);
    const templateVersion = props.templateVersion ?? "latest";
    if (isKnown(templateVersion) && !TEMPLATE_VERSION.test(templateVersion)) {
      fail(
        path,
        `templateVersion "${templateVersion}" is not a template release folder such as 2025-01-07-00_RC00 (or latest); see gs://dataflow-templates-REGION/`,
      );
    }
    const labels = { ...(props.labels ?? {}) };
    validateLabels(path, labels);

    this.jobName = props.jobName;
    this.errorTableId = errorTableId;
    this.tempBucketName = bucketName;
    this.templateGcsPath = `gs://dataflow-templates-${region}/${templateVersion}/PubSub_Subscription_to_BigQuery`;
    this.outputTableSpec = `${outputTable.project}:${outputTable.datasetId}.${outputTable.tableId}`;
    this.errorTableSpec = `${outputTable.project}:${outputTable.datasetId}.${errorTableId}`;

    this.serviceAccount = new ServiceAccount(this, "worker", {
      project,
      accountId,
      displayName: `Dataflow ${props.jobName} worker`,
      description: `Runs the workers of Dataflow job ${props.jobName}`,
    });
    this.serviceAccountEmail = this.serviceAccount.email;
    this.grantPrincipal = Principal.serviceAccount(this.serviceAccountEmail);
    const member = this.grantPrincipal.iamMember;

    this.tempBucket = new StorageBucket(this, "temp-bucket", {
      project,
      name: bucketName,
      // Upper-cased by Terraform when the region is a token (upper-casing a token's text breaks it).
      location: Token.isUnresolved(region) ? Fn.upper(region) : region.toUpperCase(),
      labels,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      forceDestroy: props.forceDestroyBucket ?? false,
      // Temporary files are rewritten constantly; keeping deleted ones would only cost money.
      softDeletePolicy: { retentionDurationSeconds: 0 },
      lifecycleRule: [{ action: { type: "Delete" }, condition: { age: retention.toDays(), matchesPrefix: ["tmp/"] } }],
      encryption: props.kmsKeyName ? { defaultKmsKeyName: props.kmsKeyName } : undefined,
    });

    this.errorTable = new BigqueryTable(this, "error-table", {
      project: outputTable.project,
      // A reference: the error table is created after the dataset.
      datasetId: outputTable.dataset.datasetIdRef,
      tableId: errorTableId,
      description: `Messages of ${subscription.subscriptionName} that Dataflow job ${props.jobName} could not write to ${outputTable.tableId}`,
      schema: DATAFLOW_DEADLETTER_SCHEMA.toJsonString(),
      timePartitioning: { type: "DAY", field: "timestamp" },
      deletionProtection: props.deletionProtection ?? true,
      labels,
    });

    // Exactly what the workers need, each at the narrowest level.
    const grants: ITerraformDependable[] = [
      new ProjectIamMember(this, "dataflow-worker", { project, role: "roles/dataflow.worker", member }),
      subscription.grantSubscribe(this),
      subscription.topic.grantView(this),
      outputTable.dataset.grantWrite(this),
      new StorageBucketIamMember(this, "bucket-object-admin", {
        bucket: this.tempBucket.name,
        role: "roles/storage.objectAdmin",
        member,
      }),
    ];

    this.job = new DataflowJob(this, "job", {
      project,
      region,
      name: props.jobName,
      templateGcsPath: this.templateGcsPath,
      tempGcsLocation: `gs://${this.tempBucket.name}/tmp`,
      parameters: {
        inputSubscription: subscription.subscriptionId,
        // The table id as a reference: the job starts after the output table exists.
        outputTableSpec: `${outputTable.project}:${outputTable.datasetId}.${outputTable.tableIdRef}`,
        outputDeadletterTable: this.errorTableSpec,
      },
      serviceAccountEmail: this.serviceAccountEmail,
      machineType: props.machineType ?? DEFAULT_DATAFLOW_MACHINE_TYPE,
      maxWorkers,
      enableStreamingEngine: props.enableStreamingEngine ?? true,
      kmsKeyName: props.kmsKeyName,
      network: props.network,
      subnetwork: props.subnetwork,
      ipConfiguration: props.ipConfiguration,
      labels,
      onDelete: "drain",
      dependsOn: [this.errorTable, ...grants],
    });
  }
}

/**
 * Network settings, per https://cloud.google.com/dataflow/docs/guides/specifying-networks: the
 * subnetwork is in the job's region, names are the forms Dataflow takes, and the IP configuration
 * is one of the API's two values.
 */
function validateNetworking(path: string, region: string, props: PubSubToBigQueryJobProps): void {
  const { network, subnetwork, ipConfiguration } = props;
  if (isKnown(network) && !NETWORK.test(network)) {
    fail(path, `network "${network}" is not a network name or projects/P/global/networks/N`);
  }
  if (isKnown(subnetwork)) {
    const match = SUBNETWORK.exec(subnetwork);
    if (!match) {
      fail(
        path,
        `subnetwork "${subnetwork}" is not regions/R/subnetworks/S, projects/P/regions/R/subnetworks/S or its URL`,
      );
    }
    const subnetRegion = match[3];
    if (isKnown(region) && subnetRegion !== region) {
      fail(
        path,
        `subnetwork "${subnetwork}" is in region "${subnetRegion}" but the job runs in "${region}"; Dataflow workers use a subnetwork of the job's region`,
      );
    }
  }
  if (isKnown(ipConfiguration) && !IP_CONFIGURATIONS.includes(ipConfiguration)) {
    fail(path, `ipConfiguration "${ipConfiguration}" is invalid; expected WORKER_IP_PUBLIC or WORKER_IP_PRIVATE`);
  }
}

function defaultBucketName(project: string, jobName: string): string {
  if (Token.isUnresolved(project) || Token.isUnresolved(jobName)) return `${project}-${jobName}-temp`;
  const name = `${project}-${jobName}-temp`;
  return name.length <= 63 ? name : `${name.slice(0, 58).replace(/[-._]+$/, "")}-temp`;
}
