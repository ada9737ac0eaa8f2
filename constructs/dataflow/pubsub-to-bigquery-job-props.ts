/**
 * The props of {@link PubSubToBigQueryJob} and the same props with every default filled in
 * ({@link PubSubToBigQueryJobSettings}): what the rules of `validate-pubsub-to-bigquery-job-props.ts`
 * check and the construction steps read.
 */
import { Token } from "cdktf";
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { Duration } from "../core/duration";
import { ISubscription, ITable } from "../core/references";
import { serviceAccountIdFor } from "../core/validation";

/**
 * The template's dead-letter table: the raw error table's shape (`schemas/ingestion-errors.ts`). It is
 * the error table schema of Google's "Pub/Sub Subscription to BigQuery" template (its
 * `streaming_source_deadletter_table_schema.json`): one row per message it could not write.
 */
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

/** Props that stay unset when left out (the provider's or Dataflow's default applies). */
type UnsetByDefault = "kmsKeyName" | "network" | "subnetwork" | "ipConfiguration";

/** {@link PubSubToBigQueryJobProps} with every default filled in. */
export type PubSubToBigQueryJobSettings = Required<Omit<PubSubToBigQueryJobProps, UnsetByDefault>> &
  Pick<PubSubToBigQueryJobProps, UnsetByDefault> & {
    /** Whether `serviceAccountId` was given (the default is derived from `jobName`). */
    readonly serviceAccountIdGiven: boolean;
  };

/** The props with their defaults (documented on {@link PubSubToBigQueryJobProps}). */
export function resolveSettings(props: PubSubToBigQueryJobProps): PubSubToBigQueryJobSettings {
  return {
    ...props,
    errorTableId: props.errorTableId ?? `${props.outputTable.tableId}_errors`,
    machineType: props.machineType ?? DEFAULT_DATAFLOW_MACHINE_TYPE,
    maxWorkers: props.maxWorkers ?? 3,
    enableStreamingEngine: props.enableStreamingEngine ?? true,
    templateVersion: props.templateVersion ?? "latest",
    tempBucketName: props.tempBucketName ?? defaultBucketName(props.project, props.jobName),
    tempObjectRetention: props.tempObjectRetention ?? Duration.days(7),
    forceDestroyBucket: props.forceDestroyBucket ?? false,
    serviceAccountId:
      props.serviceAccountId ?? serviceAccountIdFor(`${props.jobName.replace(/-to-bigquery$/, "")}-df-worker`),
    serviceAccountIdGiven: props.serviceAccountId !== undefined,
    deletionProtection: props.deletionProtection ?? true,
    labels: { ...(props.labels ?? {}) },
  };
}

/** `${project}-${jobName}-temp`, shortened to 63 characters. */
function defaultBucketName(project: string, jobName: string): string {
  if (Token.isUnresolved(project) || Token.isUnresolved(jobName)) return `${project}-${jobName}-temp`;
  const name = `${project}-${jobName}-temp`;
  return name.length <= 63 ? name : `${name.slice(0, 58).replace(/[-._]+$/, "")}-temp`;
}
