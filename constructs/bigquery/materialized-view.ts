import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { memberConstructId, validateViewProps, ViewDatasetRef } from "./view";

/** Props of {@link MaterializedView}. */
export interface MaterializedViewProps {
  /** Dataset the materialized view is created in. */
  readonly dataset: ViewDatasetRef;
  /** Materialized view id, unique in the dataset. */
  readonly tableId: string;
  /**
   * The GoogleSQL query, placeholders already resolved; one statement, no ORDER BY at the
   * top level, no trailing semicolon.
   */
  readonly query: string;
  /**
   * Whether BigQuery refreshes the view automatically after its base tables change.
   * @default true
   */
  readonly enableRefresh?: boolean;
  /**
   * Minimum minutes between automatic refreshes (1 to 10,080, i.e. 7 days).
   * @default 30 (BigQuery's default)
   */
  readonly refreshIntervalMinutes?: number;
  /**
   * How stale (in minutes) a query's answer may be before BigQuery reads the base tables
   * instead; unset means always fresh (stored result plus the base tables' delta).
   * Required when `allowNonIncrementalDefinition` is true.
   * @default - none: every query is fully fresh
   */
  readonly maxStalenessMinutes?: number;
  /**
   * Allows a query BigQuery cannot maintain incrementally (outer joins, analytic functions...);
   * such a view is fully recomputed on every refresh and needs `maxStalenessMinutes`.
   * @default false
   */
  readonly allowNonIncrementalDefinition?: boolean;
  /**
   * Clustering columns (at most 4).
   * @default - not clustered
   */
  readonly clustering?: string[];
  /**
   * Description.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Labels.
   * @default - none (provider default labels still apply)
   */
  readonly labels?: Record<string, string>;
  /**
   * Resources to create first, typically the base tables the query reads (BigQuery
   * validates the query when the materialized view is created).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Whether Terraform refuses to destroy it. Its contents can always be recomputed from the base tables.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/** BigQuery's bounds on `refresh_interval_ms`: one minute to seven days. */
export const MIN_REFRESH_INTERVAL_MINUTES = 1;
export const MAX_REFRESH_INTERVAL_MINUTES = 7 * 24 * 60;

/** `max_staleness` in the provider's canonical INTERVAL form, `Y-M D H:M:S`. */
export function stalenessInterval(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  return `0-0 ${days} ${hours}:${minutes % 60}:0`;
}

/**
 * A materialized view (`google_bigquery_table` with a `materialized_view` block).
 * By default incremental, automatically refreshed and always fresh.
 */
export class MaterializedView extends Construct {
  /** Materialized view id. */
  public readonly tableId: string;
  /** Dataset id. */
  public readonly datasetId: string;
  /** Project. */
  public readonly project: string;
  /** `project.dataset.view`. */
  public readonly fqn: string;
  /** The query. */
  public readonly query: string;
  /** The underlying resource. */
  public readonly resource: BigqueryTable;

  constructor(scope: Construct, id: string, props: MaterializedViewProps) {
    super(scope, id);
    const path = this.node.path;
    validateViewProps(path, "materialized view", props.tableId, props.query);
    const interval = props.refreshIntervalMinutes;
    if (interval !== undefined && !Token.isUnresolved(interval)) {
      if (
        !Number.isInteger(interval) ||
        interval < MIN_REFRESH_INTERVAL_MINUTES ||
        interval > MAX_REFRESH_INTERVAL_MINUTES
      ) {
        throw new Error(
          `${path}: refreshIntervalMinutes is ${interval}; BigQuery allows whole minutes from ${MIN_REFRESH_INTERVAL_MINUTES} to ${MAX_REFRESH_INTERVAL_MINUTES} (7 days)`,
        );
      }
      if (props.enableRefresh === false) {
        throw new Error(
          `${path}: refreshIntervalMinutes is set but enableRefresh is false; the interval only applies to automatic refresh`,
        );
      }
    }
    const staleness = props.maxStalenessMinutes;
    if (staleness !== undefined && !Token.isUnresolved(staleness) && (!Number.isInteger(staleness) || staleness < 1)) {
      throw new Error(`${path}: maxStalenessMinutes is ${staleness}; it must be a whole number of minutes, at least 1`);
    }
    if (props.allowNonIncrementalDefinition && staleness === undefined) {
      throw new Error(
        `${path}: allowNonIncrementalDefinition is true but maxStalenessMinutes is not set; BigQuery requires max_staleness on a non-incremental materialized view`,
      );
    }
    if (props.allowNonIncrementalDefinition && props.enableRefresh === false) {
      throw new Error(
        `${path}: a non-incremental materialized view needs enableRefresh (it is only ever refreshed in full)`,
      );
    }
    if (props.clustering && props.clustering.length > 4) {
      throw new Error(`${path}: clustering has ${props.clustering.length} columns; BigQuery allows at most 4`);
    }
    if (!Token.isUnresolved(props.query) && /\bORDER\s+BY\b[^)]*$/i.test(props.query.replace(/--[^\n]*/g, ""))) {
      throw new Error(
        `${path}: the materialized view query ends with ORDER BY; materialized views cannot be ordered (order when reading)`,
      );
    }

    this.tableId = props.tableId;
    this.datasetId = props.dataset.datasetId;
    this.project = props.dataset.project;
    this.fqn = `${this.project}.${this.datasetId}.${this.tableId}`;
    this.query = props.query;
    this.resource = new BigqueryTable(this, "Resource", {
      project: props.dataset.project,
      datasetId: props.dataset.datasetId,
      tableId: props.tableId,
      description: props.description,
      labels: props.labels,
      clustering: props.clustering,
      deletionProtection: props.deletionProtection ?? false,
      dependsOn: props.dependsOn,
      maxStaleness: staleness === undefined ? undefined : stalenessInterval(staleness),
      materializedView: {
        query: props.query,
        enableRefresh: props.enableRefresh ?? true,
        refreshIntervalMs: interval === undefined ? undefined : interval * 60_000,
        allowNonIncrementalDefinition: props.allowNonIncrementalDefinition,
      },
    });
  }

  /**
   * Lets `member` read this materialized view (table-level BigQuery Data Viewer). Readers
   * also need read access to the base tables (BigQuery checks both).
   */
  public grantRead(member: string): BigqueryTableIamMember {
    return new BigqueryTableIamMember(this, `Read-${memberConstructId(member)}`, {
      project: this.project,
      datasetId: this.datasetId,
      tableId: this.resource.tableId,
      role: "roles/bigquery.dataViewer",
      member,
    });
  }
}
