import { Construct } from "constructs";
import { Fn, ITerraformDependable, Token } from "cdktf";
import { BigqueryDataTransferConfig } from "@cdktf/provider-google/lib/bigquery-data-transfer-config";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import { IDataset, IResource, ITopic } from "../core/references";
import {
  fail,
  requireProps,
  serviceAccountIdFor,
  validateProjectNumber,
  validateServiceAccountId,
} from "../core/validation";
import { BIGQUERY_LOCATION } from "../../schemas/naming";
import { placeholdersOf } from "./sql-template";
import { checkPhysicalNames } from "../core/physical-names";

/** Where a SELECT's result goes; DML and DDL statements have no destination. */
export interface ScheduledQueryDestination {
  /** Dataset of the destination table (the query's service account gets write access to it). */
  readonly dataset: IDataset;
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
  /**
   * BigQuery location of the transfer config and its jobs, e.g. `US` or `europe-west1`: the location
   * of every dataset given in `readDatasets`, `writeDatasets` and `destination` (checked).
   */
  readonly location: string;
  /**
   * Schedule in the Data Transfer Service's English-like syntax (UTC): an interval, "every N
   * minutes|hours" (at least every 10 minutes), optionally "from HH:MM to HH:MM" or "synchronized";
   * or days and a time, such as "every day 02:00", "every mon,wed 09:30", "1st,3rd monday of month
   * 15:30", "first sunday of quarter 00:00", "1,15 of jan,jul 06:00". Anything else is refused.
   * @default "every 1 hours"
   */
  readonly schedule?: string;
  /**
   * Name shown in the console.
   * @default - the construct path
   */
  readonly displayName?: string;
  /**
   * Datasets the query only reads: the service account gets BigQuery Data Viewer on each
   * (`dataset.grantRead`).
   * @default - none
   */
  readonly readDatasets?: IDataset[];
  /**
   * Datasets the query writes (MERGE, INSERT...): the service account gets BigQuery Data Editor
   * on each (`dataset.grantWrite`).
   * @default - none
   */
  readonly writeDatasets?: IDataset[];
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
   * Topic that receives a message after every run (SUCCEEDED, FAILED or CANCELLED); the Data
   * Transfer service agent is granted publishing on it (`topic.grantPublish`).
   * @default - no run notifications
   */
  readonly notificationTopic?: ITopic;
  /**
   * Whether the schedule is paused.
   * @default false
   */
  readonly disabled?: boolean;
  /**
   * Resources to create first, typically the tables the query reads and writes: SQL rendered with
   * `renderSql` names them by literal `project.dataset.table`, which carries no Terraform dependency,
   * and the Data Transfer Service checks the query when the config is created.
   * @default - none (the config still waits for its grants and its destination dataset)
   */
  readonly dependsOn?: ITerraformDependable[];
}

/** The Data Transfer Service runs scheduled queries at most every 10 minutes. */
const MIN_SCHEDULE_MINUTES = 10;
const DEFAULT_SCHEDULE = "every 1 hours";

/**
 * The schedule grammar of the Data Transfer Service (`TransferConfig.schedule`, documented as the
 * App Engine cron format: https://cloud.google.com/appengine/docs/flexible/scheduling-jobs-with-cron-yaml#formatting_the_schedule):
 * - interval: `every N (minutes|mins|hours)`, then optionally `from HH:MM to HH:MM` or `synchronized`;
 * - custom: `(every|ORDINALS|DAYS_OF_MONTH) (day|WEEKDAYS)? [of (month|quarter|MONTHS)] HH:MM`.
 */
const TIME = "([01]?\\d|2[0-3]):[0-5]\\d";
const ORDINAL = "(1st|2nd|3rd|4th|5th|first|second|third|fourth|fifth)";
const WEEKDAY = "(mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday)";
const MONTH =
  "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december)";
const DAY_OF_MONTH = "([1-9]|[12]\\d|3[01])";
const list = (item: string) => `${item}(,${item})*`;
const INTERVAL_SCHEDULE = new RegExp(`^every (\\d+) (minutes|mins|hours)( (from ${TIME} to ${TIME}|synchronized))?$`);
const CUSTOM_SCHEDULE = new RegExp(
  `^((every|${list(ORDINAL)}) (day|${list(WEEKDAY)})|${list(DAY_OF_MONTH)})( of (month|quarter|${list(MONTH)}))? ${TIME}$`,
);
const SCHEDULE_FORMS =
  'expected "every N minutes|hours" (optionally "from HH:MM to HH:MM" or "synchronized") or days and a time such as "every day 02:00", "every mon,fri 09:30", "1st monday of month 15:30", "1,15 of month 06:00"';

/**
 * A BigQuery scheduled query (`google_bigquery_data_transfer_config`, data source
 * `scheduled_query`) that runs as its own service account with dataset-level access only.
 *
 * Creates: the service account; `roles/bigquery.jobUser` on the project (to run query jobs);
 * through the datasets' `grantRead`/`grantWrite`, BigQuery Data Viewer / Data Editor on exactly
 * the datasets given; the Data Transfer service agent's `roles/iam.serviceAccountTokenCreator` on
 * that account (so the service can act as it); and, with `notificationTopic`, through the topic's
 * `grantPublish`, the service agent's publisher role on that topic. The transfer config is
 * created after all of them, after its destination dataset and after `dependsOn` (give it the
 * tables the query names: SQL text carries no Terraform dependency).
 *
 * It is an {@link IGrantable}: `table.grantRead(query)` gives its service account more access.
 *
 * @example
 * new ScheduledQuery(this, "staging-load", {
 *   project: "my-project", projectNumber: "123456789012", location: "US",
 *   query: renderSqlFile("staging/wiki_staged.sql", bindings),
 *   schedule: "every 15 minutes",
 *   readDatasets: [raw], writeDatasets: [staging],
 * });
 */
export class ScheduledQuery extends Construct implements IGrantable, IResource {
  /** The transfer config. */
  public readonly resource: BigqueryDataTransferConfig;
  /** The transfer config: dependants listing it (an alert on its runs) are created after it. */
  public readonly dependables: readonly ITerraformDependable[];
  /** The transfer config's id (the `config_id` label of its runs' logs and metrics): a reference to the config. */
  public readonly configId: string;
  /** The service account the query runs as. */
  public readonly serviceAccount: ServiceAccount;
  /** Email of that account. */
  public readonly serviceAccountEmail: string;
  /** The service account, as the principal grants go to. */
  public readonly grantPrincipal: IPrincipal;
  /** Email of the project's Data Transfer service agent, which starts the runs. */
  public readonly serviceAgentEmail: string;
  /** The schedule in effect. */
  public readonly schedule: string;

  constructor(scope: Construct, id: string, props: ScheduledQueryProps) {
    super(scope, id);
    requireProps(this.node.path, "ScheduledQuery", props, [
      "location",
      "project",
      "projectNumber",
      "query",
      "destination.dataset",
      "destination.tableNameTemplate",
    ]);
    checkPhysicalNames(this);
    const path = this.node.path;
    const schedule = props.schedule ?? DEFAULT_SCHEDULE;
    if (!Token.isUnresolved(schedule)) validateSchedule(path, schedule);
    validateLocations(path, props);
    if (!Token.isUnresolved(props.query) && props.query.trim() === "") fail(path, "the query is empty");
    if (!Token.isUnresolved(props.query) && placeholdersOf(props.query).length > 0) {
      fail(path, "the query still contains a {{placeholder}}; render it with renderSqlFile first");
    }
    validateProjectNumber(path, props.projectNumber);
    const accountId = props.serviceAccountId ?? serviceAccountIdFor(`sq-${id}`);
    validateServiceAccountId(path, accountId);
    this.schedule = schedule;

    this.serviceAccount = new ServiceAccount(this, "ServiceAccount", {
      project: props.project,
      accountId,
      displayName: `Scheduled query ${props.displayName ?? id}`.slice(0, 100),
      description: `Runs the BigQuery scheduled query ${path}`.slice(0, 256),
    });
    this.serviceAccountEmail = this.serviceAccount.email;
    this.grantPrincipal = Principal.serviceAccount(this.serviceAccountEmail);
    this.serviceAgentEmail = `service-${props.projectNumber}@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com`;

    const grants: ITerraformDependable[] = [];
    grants.push(
      new ProjectIamMember(this, "JobUser", {
        project: props.project,
        role: "roles/bigquery.jobUser",
        member: this.grantPrincipal.iamMember,
      }),
    );
    const writes = [...(props.writeDatasets ?? [])];
    if (props.destination) writes.push(props.destination.dataset);
    const granted = new Set<string>();
    for (const dataset of writes) {
      const key = datasetKey(dataset);
      if (granted.has(key)) continue;
      granted.add(key);
      grants.push(dataset.grantWrite(this));
    }
    for (const dataset of props.readDatasets ?? []) {
      const key = datasetKey(dataset);
      if (granted.has(key)) continue; // write access includes read
      granted.add(key);
      grants.push(dataset.grantRead(this));
    }
    // The service agent impersonates the account to start runs: a service binding, not a user grant.
    grants.push(
      new ServiceAccountIamMember(this, "ServiceAgentTokenCreator", {
        serviceAccountId: this.serviceAccount.name,
        role: "roles/iam.serviceAccountTokenCreator",
        member: `serviceAccount:${this.serviceAgentEmail}`,
      }),
    );
    if (props.notificationTopic) {
      grants.push(props.notificationTopic.grantPublish(Principal.serviceAccount(this.serviceAgentEmail)));
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
      // A reference (not the literal id) so that the config is created after its destination dataset.
      destinationDatasetId: props.destination?.dataset.datasetIdRef,
      serviceAccountName: this.serviceAccountEmail,
      notificationPubsubTopic: props.notificationTopic?.topicId,
      disabled: props.disabled,
      params,
      dependsOn: [...grants, ...(props.dependsOn ?? [])],
    });
    this.dependables = [this.resource];
    // projects/<number>/locations/<location>/transferConfigs/<config id>: the last part. basename() needs no
    // quoted argument, so the reference can sit inside a quoted filter and inside a dashboard's JSON.
    this.configId = Fn.basename(this.resource.name);
  }
}

/** A dataset's identity: its construct when it is one, else project and id. */
function datasetKey(dataset: IDataset): string {
  return Token.isUnresolved(dataset.project) || Token.isUnresolved(dataset.datasetId)
    ? `construct:${dataset.node.path}`
    : `${dataset.project}/${dataset.datasetId}`;
}

/** Checks a schedule against the Data Transfer Service's grammar and its minimum interval. */
function validateSchedule(path: string, schedule: string): void {
  const normalised = schedule.trim().replace(/\s+/g, " ").toLowerCase();
  if (normalised === "") fail(path, "schedule is empty");
  const interval = INTERVAL_SCHEDULE.exec(normalised);
  if (interval) {
    const n = Number(interval[1]);
    const minutes = interval[2] === "hours" ? n * 60 : n;
    // https://cloud.google.com/bigquery/docs/scheduling-queries: the service's shortest repeat interval.
    if (minutes < MIN_SCHEDULE_MINUTES) {
      fail(
        path,
        `schedule "${schedule}" runs every ${minutes} minutes; scheduled queries run at most every ${MIN_SCHEDULE_MINUTES} minutes`,
      );
    }
    return;
  }
  if (!CUSTOM_SCHEDULE.test(normalised)) {
    fail(path, `schedule "${schedule}" is not in the Data Transfer Service's schedule format; ${SCHEDULE_FORMS}`);
  }
}

/**
 * A scheduled query runs in one location, and a query reads and writes datasets of its own location only:
 * https://cloud.google.com/bigquery/docs/locations ("you can't query data across locations"), and the
 * transfer config's location is its destination dataset's
 * (https://cloud.google.com/bigquery/docs/scheduling-queries).
 */
function validateLocations(path: string, props: ScheduledQueryProps): void {
  const { location } = props;
  if (Token.isUnresolved(location)) return;
  if (!BIGQUERY_LOCATION.test(location)) {
    fail(path, `location "${location}" is invalid; expected US, EU or a region such as europe-west1`);
  }
  const uses: [string, IDataset][] = [
    ...(props.readDatasets ?? []).map((d): [string, IDataset] => ["readDatasets", d]),
    ...(props.writeDatasets ?? []).map((d): [string, IDataset] => ["writeDatasets", d]),
    ...(props.destination ? [["destination", props.destination.dataset] as [string, IDataset]] : []),
  ];
  for (const [role, dataset] of uses) {
    if (Token.isUnresolved(dataset.location)) continue;
    if (dataset.location.toLowerCase() !== location.toLowerCase()) {
      fail(
        path,
        `${role} dataset ${dataset.node.path} is in location "${dataset.location}" but the scheduled query runs in "${location}"; a query reads and writes datasets of its own location only`,
      );
    }
  }
}
