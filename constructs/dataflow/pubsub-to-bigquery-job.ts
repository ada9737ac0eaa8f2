import { Construct } from "constructs";
import { Fn, ITerraformDependable, Token } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { DataflowJob } from "@cdktf/provider-google/lib/dataflow-job";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import { checkPhysicalNames } from "../core/physical-names";
import { IResource, resourcesUnder } from "../core/references";
import {
  DATAFLOW_DEADLETTER_SCHEMA,
  PubSubToBigQueryJobProps,
  PubSubToBigQueryJobSettings,
  resolveSettings,
} from "./pubsub-to-bigquery-job-props";
import { validatePubSubToBigQueryJobProps } from "./validate-pubsub-to-bigquery-job-props";
import { requireProps } from "../core/validation";

export { DATAFLOW_DEADLETTER_SCHEMA, DEFAULT_DATAFLOW_MACHINE_TYPE } from "./pubsub-to-bigquery-job-props";
export type { PubSubToBigQueryJobProps } from "./pubsub-to-bigquery-job-props";

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
export class PubSubToBigQueryJob extends Construct implements IGrantable, IResource {
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

  /** Everything the job construct creates (job, account, bucket, grants, error table): what an alert on it waits for. */
  public get dependables(): readonly ITerraformDependable[] {
    return resourcesUnder(this);
  }
  /** The template the job runs. */
  public readonly templateGcsPath: string;
  /** `project:dataset.table` of the output table, as the template takes it (literal ids). */
  public readonly outputTableSpec: string;
  /** `project:dataset.table` of the error table (literal ids). */
  public readonly errorTableSpec: string;

  constructor(scope: Construct, id: string, props: PubSubToBigQueryJobProps) {
    super(scope, id);
    requireProps(this.node.path, "PubSubToBigQueryJob", props, [
      "jobName",
      "outputTable",
      "project",
      "region",
      "subscription",
    ]);
    checkPhysicalNames(this);
    const settings = resolveSettings(props);
    validatePubSubToBigQueryJobProps(this.node.path, settings);
    const { project, region, subscription, outputTable } = settings;
    this.jobName = settings.jobName;
    this.errorTableId = settings.errorTableId;
    this.tempBucketName = settings.tempBucketName;
    this.templateGcsPath = `gs://dataflow-templates-${region}/${settings.templateVersion}/PubSub_Subscription_to_BigQuery`;
    this.outputTableSpec = `${outputTable.project}:${outputTable.datasetId}.${outputTable.tableId}`;
    this.errorTableSpec = `${outputTable.project}:${outputTable.datasetId}.${this.errorTableId}`;

    this.serviceAccount = new ServiceAccount(this, "worker", {
      project,
      accountId: settings.serviceAccountId,
      displayName: `Dataflow ${this.jobName} worker`,
      description: `Runs the workers of Dataflow job ${this.jobName}`,
    });
    this.serviceAccountEmail = this.serviceAccount.email;
    this.grantPrincipal = Principal.serviceAccount(this.serviceAccountEmail);
    this.tempBucket = this.createTempBucket(settings);
    this.errorTable = this.createErrorTable(settings);
    const grants = this.grantWorkers(settings);

    this.job = new DataflowJob(this, "job", {
      project,
      region,
      name: this.jobName,
      templateGcsPath: this.templateGcsPath,
      tempGcsLocation: `gs://${this.tempBucket.name}/tmp`,
      parameters: {
        inputSubscription: subscription.subscriptionId,
        // The table id as a reference: the job starts after the output table exists.
        outputTableSpec: `${outputTable.project}:${outputTable.datasetId}.${outputTable.tableIdRef}`,
        outputDeadletterTable: this.errorTableSpec,
      },
      serviceAccountEmail: this.serviceAccountEmail,
      machineType: settings.machineType,
      maxWorkers: settings.maxWorkers,
      enableStreamingEngine: settings.enableStreamingEngine,
      kmsKeyName: settings.kmsKeyName,
      network: settings.network,
      subnetwork: settings.subnetwork,
      ipConfiguration: settings.ipConfiguration,
      labels: settings.labels,
      onDelete: "drain",
      dependsOn: [this.errorTable, ...grants],
    });
  }

  /** The temp bucket: private, its temporary objects deleted after `tempObjectRetention`. */
  private createTempBucket(settings: PubSubToBigQueryJobSettings): StorageBucket {
    const { region } = settings;
    return new StorageBucket(this, "temp-bucket", {
      project: settings.project,
      name: this.tempBucketName,
      // Upper-cased by Terraform when the region is a token (upper-casing a token's text breaks it).
      location: Token.isUnresolved(region) ? Fn.upper(region) : region.toUpperCase(),
      labels: settings.labels,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      forceDestroy: settings.forceDestroyBucket,
      // Temporary files are rewritten constantly; keeping deleted ones would only cost money.
      softDeletePolicy: { retentionDurationSeconds: 0 },
      lifecycleRule: [
        {
          action: { type: "Delete" },
          condition: { age: settings.tempObjectRetention.toDays(), matchesPrefix: ["tmp/"] },
        },
      ],
      encryption: settings.kmsKeyName ? { defaultKmsKeyName: settings.kmsKeyName } : undefined,
    });
  }

  /** The template's dead-letter table, next to the output table, partitioned by day. */
  private createErrorTable(settings: PubSubToBigQueryJobSettings): BigqueryTable {
    const { outputTable } = settings;
    return new BigqueryTable(this, "error-table", {
      project: outputTable.project,
      // A reference: the error table is created after the dataset.
      datasetId: outputTable.dataset.datasetIdRef,
      tableId: this.errorTableId,
      description: `Messages of ${settings.subscription.subscriptionName} that Dataflow job ${this.jobName} could not write to ${outputTable.tableId}`,
      schema: DATAFLOW_DEADLETTER_SCHEMA.toJsonString(),
      timePartitioning: { type: "DAY", field: "timestamp" },
      deletionProtection: settings.deletionProtection,
      labels: settings.labels,
    });
  }

  /** Exactly what the workers need, each at the narrowest level. */
  private grantWorkers({ project, subscription, outputTable }: PubSubToBigQueryJobSettings): ITerraformDependable[] {
    const member = this.grantPrincipal.iamMember;
    return [
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
  }
}
