import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { LoggingMetric } from "@cdktf/provider-google/lib/logging-metric";
import { ScheduledQuery } from "../bigquery/scheduled-query";
import { hclSafeString } from "../core/hcl-safe";
import { IDataset, IResource, resourcesUnder } from "../core/references";
import { fail, requireProps } from "../core/validation";
import { LOG_BASED_METRIC_PREFIX } from "./metric-catalogue";

/** Props of {@link SqlHealthCheck}. */
export interface SqlHealthCheckProps {
  /** Project the scheduled query and the log-based metric live in. */
  readonly project: string;
  /** The project's number (names the Data Transfer service agent). */
  readonly projectNumber: string;
  /** BigQuery location of the datasets the measurement reads. */
  readonly location: string;
  /** Short id of the check, lowercase letters, digits and `-` (e.g. `cdc-staleness`): the marker in its error and its metric's name. */
  readonly checkId: string;
  /** The measurement: one query (a file under `sql/`, rendered), whose rows {@link valueExpression} aggregates. */
  readonly measureSql: string;
  /** An aggregate over the measurement's rows giving one number, e.g. `SUM(beyond_lookback)`. NULL counts as 0. */
  readonly valueExpression: string;
  /** The check fails when the value is greater than this. */
  readonly threshold: number;
  /** Dataset of the results table (`health_checks`, one row per passing run); the query's account may write to it. */
  readonly resultsDataset: IDataset;
  /** Datasets the measurement reads (read access is granted on each). */
  readonly readDatasets: IDataset[];
  /**
   * Schedule in the Data Transfer Service's syntax.
   * @default "every 10 minutes"
   */
  readonly schedule?: string;
  /**
   * Account id of the query's service account.
   * @default - derived from the check id
   */
  readonly serviceAccountId?: string;
  /**
   * Resources to create first: the tables the measurement names by literal `project.dataset.table`
   * (SQL carries no Terraform dependency, and the Data Transfer Service checks the query on creation).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

const CHECK_ID = /^[a-z][a-z0-9-]{1,40}$/;
/** What a failing check's error message starts with; the log-based metric matches it. */
export const HEALTH_CHECK_MARKER = "FRESH_STREAMS_CHECK_FAILED";
/** Table the checks append their passing measurements to. */
export const HEALTH_CHECK_TABLE = "health_checks";

/**
 * The query measuring a SQL-sourced signal as one number: the measurement as a subquery, aggregated
 * by `valueExpression`. The same text runs in the scheduled check and in the local demo's health report.
 */
export function healthValueQuery(measureSql: string, valueExpression: string): string {
  return [`SELECT CAST(COALESCE(${valueExpression}, 0) AS FLOAT64) AS value`, "FROM (", measureSql.trim(), ")"].join(
    "\n",
  );
}

/**
 * The scheduled check: one row (check id, time, value, threshold) when the value is within the
 * threshold; an error whose message starts with {@link HEALTH_CHECK_MARKER} and the check id when
 * it is above it, so that the run fails and its log entry is counted by the check's metric.
 */
export function healthCheckQuery(
  checkId: string,
  measureSql: string,
  valueExpression: string,
  threshold: number,
): string {
  return [
    `-- fresh-streams health check ${checkId}: fails the run when the value exceeds ${threshold}`,
    "SELECT",
    `  '${checkId}' AS check_id,`,
    "  CURRENT_TIMESTAMP() AS measured_at,",
    "  value,",
    `  CAST(${threshold} AS FLOAT64) AS threshold,`,
    `  IF(value > ${threshold}, ERROR(CONCAT('${HEALTH_CHECK_MARKER} ${checkId}: value ', CAST(value AS STRING), ' exceeds ${threshold}')), FALSE) AS breached`,
    "FROM (",
    healthValueQuery(measureSql, valueExpression),
    ")",
  ].join("\n");
}

/**
 * A SQL-sourced signal turned into a Cloud Monitoring metric: a scheduled query that measures it
 * and fails when it is above its threshold, and a log-based counter metric
 * (`logging.googleapis.com/user/…`) counting those failures in the Data Transfer Service's run logs.
 *
 * BigQuery cannot write a time series itself, and the Data Transfer Service's own run metric counts
 * failures of any cause: the check's error carries a marker and its id, so the metric counts only
 * breaches of this check. Passing runs append a row to `health_checks` in the results dataset, the
 * history a dashboard or an analyst reads.
 */
export class SqlHealthCheck extends Construct implements IResource {
  /** The scheduled query. */
  public readonly query: ScheduledQuery;
  /** The log-based metric counting breaches. */
  public readonly logMetric: LoggingMetric;
  /** Its metric type, `logging.googleapis.com/user/<name>` (a reference: alerts on it are created after it). */
  public readonly metricType: string;
  /** The transfer config's id (the `config_id` label of its runs' logs and metrics). */
  public readonly configId: string;
  /** The measurement as one number (see {@link healthValueQuery}). */
  public readonly valueQuery: string;
  /** The check id. */
  public readonly checkId: string;
  /** The threshold. */
  public readonly threshold: number;

  /** Everything the check creates (its query, account, grants and metric): what an alert on it waits for. */
  public get dependables(): readonly ITerraformDependable[] {
    return resourcesUnder(this);
  }

  constructor(scope: Construct, id: string, props: SqlHealthCheckProps) {
    super(scope, id);
    requireProps(this.node.path, "SqlHealthCheck", props, [
      "checkId",
      "location",
      "measureSql",
      "project",
      "projectNumber",
      "readDatasets",
      "resultsDataset",
      "threshold",
      "valueExpression",
    ]);
    const path = this.node.path;
    if (!Token.isUnresolved(props.checkId) && !CHECK_ID.test(props.checkId)) {
      fail(
        path,
        `checkId "${props.checkId}" is invalid; use 2-41 lowercase letters, digits and -, starting with a letter`,
      );
    }
    if (!Token.isUnresolved(props.threshold) && !(Number.isFinite(props.threshold) && props.threshold >= 0)) {
      fail(path, `threshold ${props.threshold} is invalid; a check's threshold is a finite number ≥ 0`);
    }
    this.checkId = props.checkId;
    this.threshold = props.threshold;
    this.valueQuery = healthValueQuery(props.measureSql, props.valueExpression);
    this.query = new ScheduledQuery(this, "query", {
      project: props.project,
      projectNumber: props.projectNumber,
      location: props.location,
      displayName: `fresh-streams: health check ${props.checkId}`,
      serviceAccountId: props.serviceAccountId,
      query: healthCheckQuery(props.checkId, props.measureSql, props.valueExpression, props.threshold),
      schedule: props.schedule ?? "every 10 minutes",
      readDatasets: props.readDatasets,
      dependsOn: props.dependsOn,
      destination: {
        dataset: props.resultsDataset,
        tableNameTemplate: HEALTH_CHECK_TABLE,
        writeDisposition: "WRITE_APPEND",
      },
    });
    this.configId = this.query.configId;
    this.logMetric = new LoggingMetric(this, "metric", {
      project: props.project,
      name: `fresh-streams-check-${props.checkId}`,
      description: `Breaches of the fresh-streams health check ${props.checkId} (runs of its scheduled query failing with ${HEALTH_CHECK_MARKER})`,
      filter: hclSafeString(
        [
          'resource.type="bigquery_dts_config"',
          `resource.labels.config_id="${this.configId}"`,
          "severity>=ERROR",
          `"${HEALTH_CHECK_MARKER} ${props.checkId}"`,
        ].join(" AND "),
      ),
      metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1" },
    });
    this.metricType = `${LOG_BASED_METRIC_PREFIX}${this.logMetric.name}`;
  }
}
