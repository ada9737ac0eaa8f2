import { Construct } from "constructs";
import { Annotations, Fn, Token } from "cdktf";
import { BigqueryJob } from "@cdktf/provider-google/lib/bigquery-job";
import { CLUSTERABLE_TYPES } from "../../schemas/table-schema";
import { Duration } from "../core/duration";
import { childPath, fail, requireProps, shortHash, validateDuration } from "../core/validation";
import { NativeTableBase, NativeTableOptions } from "./native-table-base";
import { Partitioning } from "./table-options";
import { validatePrimaryKey } from "./primary-key";
import { MAX_CLUSTERING_COLUMNS, MAX_INTERVAL } from "./table-validation";

/** Tables with active CDC cannot have more than 2,000 top-level columns. */
const MAX_CDC_TOP_LEVEL_COLUMNS = 2000;
/** Buffer added by {@link recommendedMaxStaleness}, in minutes. */
const MAX_STALENESS_BUFFER_MINUTES = 7;

/**
 * The documented rule for choosing `max_staleness`: twice the p95 duration of the
 * table's background apply jobs, in minutes rounded up, plus a 7-minute buffer.
 *
 * @param p95ApplySeconds p95 of the background apply job duration, in seconds
 * @example recommendedMaxStaleness(150) // 2 × 2.5 min = 5 min, + 7 = 12 minutes
 */
export function recommendedMaxStaleness(p95ApplySeconds: number): Duration {
  if (!Number.isFinite(p95ApplySeconds) || p95ApplySeconds < 0) {
    throw new Error(
      `recommendedMaxStaleness: p95ApplySeconds is ${p95ApplySeconds}; it must be a non-negative number of seconds`,
    );
  }
  return Duration.minutes(Math.ceil((2 * p95ApplySeconds) / 60) + MAX_STALENESS_BUFFER_MINUTES);
}

/** Props of {@link CdcTable}. */
export interface CdcTableProps extends NativeTableOptions {
  /**
   * Primary key: 1 to 16 existing, top-level, non-repeated columns of a key type (DATE, BOOL,
   * GEOGRAPHY, INT64, NUMERIC, BIGNUMERIC, STRING, TIMESTAMP, DATETIME), declared `NOT ENFORCED`.
   * Storage Write API UPSERT and DELETE rows are matched on it.
   */
  readonly primaryKey: string[];
  /**
   * How stale queries may be: BigQuery applies pending changes in the background and
   * merges at query time only what is older than this. From 0 (always merge at query time,
   * no background apply, no use of a BACKGROUND reservation) up to the INTERVAL type's
   * 3,660,000 days, in whole seconds; see {@link recommendedMaxStaleness}.
   */
  readonly maxStaleness: Duration;
  /**
   * Columns to cluster by.
   * @default - the primary key columns of clusterable types (at most the first 4)
   */
  readonly clustering?: string[];
  /**
   * Partitioning of the table.
   * @default Partitioning.none()
   */
  readonly partitioning?: Partitioning;
  /**
   * Whether to run a `google_bigquery_job` with `ALTER TABLE … SET OPTIONS (max_staleness = …)`
   * after the table is created and whenever `maxStaleness` changes. The Terraform provider
   * marks `max_staleness` as computed and has been seen to drop it on create
   * (terraform-provider-google #16578, #21839); the job makes the value reach the table.
   * @default true
   */
  readonly enforceMaxStaleness?: boolean;
}

/**
 * A BigQuery table fed by Storage Write API change streams (UPSERT / DELETE rows):
 * a `NOT ENFORCED` primary key, a `max_staleness` that bounds query freshness, and
 * clustering on the key by default.
 *
 * How `max_staleness` reaches the table: the value is set on the `google_bigquery_table`
 * and, because the provider may silently drop it, also applied by a `google_bigquery_job`
 * running `ALTER TABLE … SET OPTIONS (max_staleness = INTERVAL '…' YEAR TO SECOND)`. The job
 * id embeds a hash of the table name, the interval and the job's labels, plus the table's
 * `creation_time`, so the job runs again (a new job) exactly when the value changes or the
 * table is re-created. Pass the provider's default labels as `labels` (the stacks do) so a
 * change of default labels also yields a new job id instead of a clashing re-creation.
 *
 * @example
 * new CdcTable(this, "employees", {
 *   dataset: raw, tableId: "employees", schema: EMPLOYEES_SCHEMA,
 *   primaryKey: ["id"], maxStaleness: Duration.minutes(10),
 * });
 */
export class CdcTable extends NativeTableBase {
  /** The primary key columns. */
  public readonly primaryKey: readonly string[];
  /** The configured staleness. */
  public readonly maxStaleness: Duration;
  /** `maxStaleness` as BigQuery's INTERVAL literal, e.g. `0-0 0 0:10:0`. */
  public readonly maxStalenessInterval: string;
  /** The job that applies `max_staleness` (absent when `enforceMaxStaleness` is false). */
  public readonly maxStalenessJob?: BigqueryJob;

  constructor(scope: Construct, id: string, props: CdcTableProps) {
    requireProps(childPath(scope, id), "CdcTable", props, [
      "dataset",
      "maxStaleness",
      "primaryKey",
      "schema",
      "tableId",
    ]);
    const path = childPath(scope, id);
    const primaryKey = validatePrimaryKey(path, props.primaryKey, props.schema);
    const topLevel = props.schema.columns.length;
    if (topLevel > MAX_CDC_TOP_LEVEL_COLUMNS) {
      fail(
        path,
        `schema has ${topLevel} top-level columns; tables with active CDC allow at most ${MAX_CDC_TOP_LEVEL_COLUMNS}`,
      );
    }
    if (props.requirePartitionFilter === true) {
      fail(
        path,
        "requirePartitionFilter is true; CDC tables whose queries fall back to runtime merge jobs do not support the requirePartitionFilter option",
      );
    }
    const maxStaleness = validateMaxStaleness(path, props.maxStaleness);
    const interval = maxStaleness.toBigQueryInterval();
    const clustering = props.clustering ?? defaultClustering(props, primaryKey);
    super(
      scope,
      id,
      { ...props, clustering, partitioning: props.partitioning ?? Partitioning.none() },
      { tableConstraints: { primaryKey: { columns: [...primaryKey] } }, maxStaleness: interval },
    );
    this.primaryKey = primaryKey;
    this.maxStaleness = maxStaleness;
    this.maxStalenessInterval = interval;
    if (!maxStaleness.isUnresolved() && maxStaleness.toMilliseconds() === 0) {
      Annotations.of(this).addWarning(
        "maxStaleness is 0: every query merges pending changes at run time (QUERY jobs) and background apply jobs never run, so a BACKGROUND reservation is not used",
      );
    }

    if (props.enforceMaxStaleness ?? true) {
      const safeTableId = Token.isUnresolved(this.tableId)
        ? "table"
        : this.tableId.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 200);
      // Everything that would force Terraform to replace the job goes into its id: job ids are
      // single-use, so re-creating a job under the same id would fail with "Already Exists".
      // Labels count because a job's labels (provider default labels included) force replacement.
      const jobLabels = { ...(props.labels ?? {}), purpose: "max-staleness" };
      const sortedLabels = Object.keys(jobLabels)
        .sort()
        .map((key) => [key, jobLabels[key as keyof typeof jobLabels]]);
      const valueHash = jobIdHash(this, sortedLabels);
      this.maxStalenessJob = new BigqueryJob(this, "max-staleness", {
        project: this.resource.project,
        location: this.location,
        // New id (so a new job) when the value or labels change or the table is re-created.
        jobId: `fresh_streams_max_staleness_${safeTableId}_${valueHash}_${this.resource.getStringAttribute("creation_time")}`,
        labels: jobLabels,
        query: {
          query: `ALTER TABLE \`${this.fqnRef}\` SET OPTIONS (max_staleness = INTERVAL '${interval}' YEAR TO SECOND)`,
          useLegacySql: false,
          // DDL jobs must not carry dispositions.
          createDisposition: "",
          writeDisposition: "",
        },
      });
    }
  }
}

function validateMaxStaleness(path: string, value: Duration): Duration {
  return validateDuration(path, "maxStaleness", value, {
    min: Duration.seconds(0),
    max: MAX_INTERVAL,
    wholeUnit: "seconds",
    rule: "BigQuery's INTERVAL accepts",
  });
}

/**
 * A short hash of what the job applies, for its id. The project is left out when it is a token:
 * it is part of the table's identity, and a new table has a new `creation_time`, which is in the id.
 * When the staleness or a label is a token, Terraform computes the hash from their values (a
 * token's text changes with unrelated code, its value does not).
 */
function jobIdHash(table: CdcTable, sortedLabels: string[][]): string {
  const fqn = Token.isUnresolved(table.fqn)
    ? [table.datasetId, table.tableId].map((part) => (Token.isUnresolved(part) ? "-" : part)).join(".")
    : table.fqn;
  const interval = table.maxStalenessInterval;
  if (!Token.isUnresolved(interval) && !sortedLabels.flat().some((part) => Token.isUnresolved(part))) {
    return shortHash(JSON.stringify([fqn, interval, sortedLabels]));
  }
  // Each part is a literal or a whole token, as Terraform functions take them.
  const parts = [
    fqn,
    table.maxStaleness.isUnresolved() ? Token.asString(table.maxStaleness.toSeconds()) : interval,
    ...sortedLabels.flat(),
  ];
  return Fn.substr(Fn.sha256(Fn.join("|", parts)), 0, 10);
}

function defaultClustering(props: CdcTableProps, primaryKey: readonly string[]): string[] {
  return primaryKey
    .filter((name) => Token.isUnresolved(name) || CLUSTERABLE_TYPES.has(props.schema.column(name)!.type))
    .slice(0, MAX_CLUSTERING_COLUMNS);
}
