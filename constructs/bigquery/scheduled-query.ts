import { Construct } from "constructs";
import { TerraformResource, Token } from "cdktf";
import { BigqueryDataTransferConfig } from "@cdktf/provider-google/lib/bigquery-data-transfer-config";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";

/** A dataset the scheduled query reads or writes (a `LayeredDataset` fits). */
export interface ScheduledQueryDatasetRef {
  /** Dataset id. */
  readonly datasetId: string;
  /** Project of the dataset. */
  readonly project: string;
}

/** A Pub/Sub topic run notifications go to (a `StreamTopic` fits through `topicId`/`topicName`). */
export interface ScheduledQueryTopicRef {
  /** `projects/<project>/topics/<name>`. */
  readonly topicId: string;
  /** The topic's short name. */
  readonly topicName: string;
  /** Project of the topic. */
  readonly project?: string;
}

/** Where a SELECT's result goes; DML and DDL statements have no destination. */
export interface ScheduledQueryDestination {
  /** Dataset of the destination table (the query's service account gets write access to it). */
  readonly dataset: ScheduledQueryDatasetRef;
  /** Table name, may use the run-time templates such as `{run_date}`. */
  readonly tableNameTemplate: string;
  /**
   * How the result is written.
   * @default "WRITE_TRUNCATE"
   */
  readonly writeDisposition?: "WRITE_TRUNCATE" | "WRITE_APPEND";
  /**
   * Partitioning column of the destination table, when it is partitioned by a column.
   * @default - none
   */
  readonly partitioningField?: string;
}

/** Props of {@link ScheduledQuery}. */
export interface ScheduledQueryProps {
  /** The GoogleSQL statement, placeholders resolved. It may use `@run_time` and `@run_date`. */
  readonly query: string;
  /** Project the transfer config, its service account and its jobs live in. */
  readonly project: string;
  /** The project's number, to name the Data Transfer service agent (`service-<number>@gcp-sa-bigquerydatatransfer...`). */
  readonly projectNumber: string;
  /** BigQuery location of the datasets the query uses, e.g. `US` or `europe-west1`. */
  readonly location: string;
  /**
   * Schedule in the Data Transfer Service's syntax. "every N minutes|hours" is checked against
   * the service's minimum of 10 minutes; other forms ("every day 02:00", "every monday 09:00") are passed on.
   * @default "every 1 hours"
   */
  readonly schedule?: string;
  /**
   * Name shown in the console.
   * @default - the construct path
   */
  readonly displayName?: string;
  /**
   * Datasets the query only reads: the service account gets BigQuery Data Viewer on each.
   * @default - none
   */
  readonly readDatasets?: ScheduledQueryDatasetRef[];
  /**
   * Datasets the query writes (MERGE, INSERT...): the service account gets BigQuery Data Editor on each.
   * @default - none
   */
  readonly writeDatasets?: ScheduledQueryDatasetRef[];
  /**
   * Destination of a SELECT query's result.
   * @default - none: the statement writes by itself (DML)
   */
  readonly destination?: ScheduledQueryDestination;
  /**
   * Account id (6-30 characters) of the dedicated service account the query runs as.
   * @default - derived from the construct id, e.g. "sq-staging-load"
   */
  readonly serviceAccountId?: string;
  /**
   * Topic that receives a message after every run (SUCCEEDED, FAILED or CANCELLED).
   * @default - no run notifications
   */
  readonly notificationTopic?: ScheduledQueryTopicRef;
  /**
   * Whether the schedule is paused.
   * @default false
   */
  readonly disabled?: boolean;
}

const SERVICE_ACCOUNT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const EVERY = /^every\s+(\d+)\s+(minutes?|mins?|hours?)\b/i;
/** The Data Transfer Service runs scheduled queries at most every 10 minutes. */
export const MIN_SCHEDULE_MINUTES = 10;
/** The default schedule. */
export const DEFAULT_SCHEDULE = "every 1 hours";

/** The interval of an "every N minutes|hours" schedule, in minutes; undefined for other forms. */
export function scheduleIntervalMinutes(schedule: string): number | undefined {
  const match = EVERY.exec(schedule.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  return /^h/i.test(match[2]) ? n * 60 : n;
}

/**
 * A BigQuery scheduled query (`google_bigquery_data_transfer_config`, data source
 * `scheduled_query`) that runs as its own service account with dataset-level access only.
 *
 * Creates: the service account; `roles/bigquery.jobUser` on the project (to run query jobs);
 * BigQuery Data Viewer / Data Editor on exactly the datasets given; the Data Transfer service
 * agent's `roles/iam.serviceAccountTokenCreator` on that account (so the service can act as
 * it); and, with `notificationTopic`, the service agent's publisher role on that topic.
 */
export class ScheduledQuery extends Construct {
  /** The transfer config. */
  public readonly resource: BigqueryDataTransferConfig;
  /** The service account the query runs as. */
  public readonly serviceAccount: ServiceAccount;
  /** `serviceAccount:<email>` of that account. */
  public readonly serviceAccountMember: string;
  /** The Data Transfer service agent of the project. */
  public readonly serviceAgentMember: string;
  /** The schedule in effect. */
  public readonly schedule: string;

  constructor(scope: Construct, id: string, props: ScheduledQueryProps) {
    super(scope, id);
    const path = this.node.path;
    const schedule = props.schedule ?? DEFAULT_SCHEDULE;
    if (!Token.isUnresolved(schedule)) {
      const minutes = scheduleIntervalMinutes(schedule);
      if (schedule.trim() === "") throw new Error(`${path}: schedule is empty`);
      if (minutes !== undefined && minutes < MIN_SCHEDULE_MINUTES) {
        throw new Error(
          `${path}: schedule "${schedule}" runs every ${minutes} minutes; scheduled queries run at most every ${MIN_SCHEDULE_MINUTES} minutes`,
        );
      }
    }
    if (!Token.isUnresolved(props.query) && props.query.trim() === "") throw new Error(`${path}: the query is empty`);
    if (!Token.isUnresolved(props.query) && /\{\{\s*[A-Za-z_][A-Za-z0-9_.-]*\s*\}\}/.test(props.query)) {
      throw new Error(`${path}: the query still contains a {{placeholder}}; render it with renderSqlFile first`);
    }
    if (!Token.isUnresolved(props.projectNumber) && !/^[1-9][0-9]{5,18}$/.test(props.projectNumber)) {
      throw new Error(`${path}: projectNumber "${props.projectNumber}" is not a project number (digits only)`);
    }
    const accountId = props.serviceAccountId ?? defaultAccountId(id);
    if (!Token.isUnresolved(accountId) && !SERVICE_ACCOUNT_ID.test(accountId)) {
      throw new Error(
        `${path}: service account id "${accountId}" is not valid; use 6-30 lowercase letters, digits and hyphens, starting with a letter`,
      );
    }
    this.schedule = schedule;

    this.serviceAccount = new ServiceAccount(this, "ServiceAccount", {
      project: props.project,
      accountId,
      displayName: `Scheduled query ${props.displayName ?? id}`.slice(0, 100),
      description: `Runs the BigQuery scheduled query ${path}`.slice(0, 256),
    });
    this.serviceAccountMember = `serviceAccount:${this.serviceAccount.email}`;
    this.serviceAgentMember = `serviceAccount:service-${props.projectNumber}@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com`;

    const grants: TerraformResource[] = [];
    grants.push(
      new ProjectIamMember(this, "JobUser", {
        project: props.project,
        role: "roles/bigquery.jobUser",
        member: this.serviceAccountMember,
      }),
    );
    const writes = [...(props.writeDatasets ?? [])];
    if (props.destination) writes.push(props.destination.dataset);
    const seen = new Set<string>();
    for (const dataset of writes) {
      const key = `${dataset.project}/${dataset.datasetId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      grants.push(
        datasetGrant(this, `Write${seen.size}`, dataset, "roles/bigquery.dataEditor", this.serviceAccountMember),
      );
    }
    for (const dataset of props.readDatasets ?? []) {
      const key = `${dataset.project}/${dataset.datasetId}`;
      if (seen.has(key)) continue; // write access includes read
      seen.add(key);
      grants.push(
        datasetGrant(this, `Read${seen.size}`, dataset, "roles/bigquery.dataViewer", this.serviceAccountMember),
      );
    }
    grants.push(
      new ServiceAccountIamMember(this, "ServiceAgentTokenCreator", {
        serviceAccountId: this.serviceAccount.name,
        role: "roles/iam.serviceAccountTokenCreator",
        member: this.serviceAgentMember,
      }),
    );
    if (props.notificationTopic) {
      grants.push(
        new PubsubTopicIamMember(this, "NotificationPublisher", {
          project: props.notificationTopic.project,
          topic: props.notificationTopic.topicName,
          role: "roles/pubsub.publisher",
          member: this.serviceAgentMember,
        }),
      );
    }

    const params: Record<string, string> = { query: props.query };
    if (props.destination) {
      params.destination_table_name_template = props.destination.tableNameTemplate;
      params.write_disposition = props.destination.writeDisposition ?? "WRITE_TRUNCATE";
      if (props.destination.partitioningField) params.partitioning_field = props.destination.partitioningField;
    }
    this.resource = new BigqueryDataTransferConfig(this, "Resource", {
      project: props.project,
      displayName: props.displayName ?? path,
      location: props.location,
      dataSourceId: "scheduled_query",
      schedule,
      destinationDatasetId: props.destination?.dataset.datasetId,
      serviceAccountName: this.serviceAccount.email,
      notificationPubsubTopic: props.notificationTopic?.topicId,
      disabled: props.disabled,
      params,
      dependsOn: grants,
    });
  }
}

function datasetGrant(
  scope: Construct,
  id: string,
  dataset: ScheduledQueryDatasetRef,
  role: string,
  member: string,
): BigqueryDatasetIamMember {
  return new BigqueryDatasetIamMember(scope, id, {
    project: dataset.project,
    datasetId: dataset.datasetId,
    role,
    member,
  });
}

/** "StagingLoad" → "sq-staging-load" (padded to 6, cut to 30 characters). */
export function defaultAccountId(id: string): string {
  const kebab = id
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  let accountId = `sq-${kebab}`.slice(0, 30).replace(/-+$/, "");
  while (accountId.length < 6) accountId += "0";
  return accountId;
}
