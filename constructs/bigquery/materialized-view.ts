import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { Duration } from "../core/duration";
import { TableSchema } from "../../schemas/table-schema";
import { IGrantable } from "../core/principal";
import { IDataset, ITable } from "../core/references";
import { fail, validateDuration } from "../core/validation";
import { grantOnTable } from "./table-grants";
import { MAX_CLUSTERING_COLUMNS, MAX_INTERVAL } from "./table-validation";
import { stripComments, validateViewProps } from "./view-validation";

/** Props of {@link MaterializedView}. */
export interface MaterializedViewProps {
  /** Dataset the materialized view is created in (it is created after it). */
  readonly dataset: IDataset;
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
   * Minimum time between automatic refreshes: 1 minute to 7 days, whole minutes.
   * @default - 30 minutes (BigQuery's default)
   */
  readonly refreshInterval?: Duration;
  /**
   * How stale a query's answer may be before BigQuery reads the base tables instead: at least
   * 1 minute, whole seconds; unset means always fresh (stored result plus the base tables'
   * delta). Required when `allowNonIncrementalDefinition` is true.
   * @default - none: every query is fully fresh
   */
  readonly maxStaleness?: Duration;
  /**
   * Allows a query BigQuery cannot maintain incrementally (outer joins, analytic functions...);
   * such a view is fully recomputed on every refresh and needs `maxStaleness`.
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
const MIN_REFRESH_INTERVAL = Duration.minutes(1);
const MAX_REFRESH_INTERVAL = Duration.days(7);
/** The shortest `max_staleness` this construct accepts. */
const MIN_MAX_STALENESS = Duration.minutes(1);
const READ_ROLE = "roles/bigquery.dataViewer";

/**
 * A materialized view (`google_bigquery_table` with a `materialized_view` block).
 * By default incremental, automatically refreshed and always fresh.
 *
 * @example
 * new MaterializedView(this, "leaderboard", {
 *   dataset: reporting,
 *   tableId: "leaderboard",
 *   query: renderSqlFile("reporting/leaderboard_mv.sql", bindings),
 *   refreshInterval: Duration.minutes(30),
 * });
 */
export class MaterializedView extends Construct implements ITable {
  /** Materialized view id, as given. */
  public readonly tableId: string;
  /** Its id as a reference to the `google_bigquery_table`: resources naming it are created after it. */
  public readonly tableIdRef: string;
  /** Dataset id (literal where the dataset's is). */
  public readonly datasetId: string;
  /** Project (the dataset's). */
  public readonly project: string;
  /** BigQuery location (the dataset's). */
  public readonly location: string;
  /** The dataset holding the materialized view. */
  public readonly dataset: IDataset;
  /** `project.dataset.view`, for SQL and messages (no Terraform dependency). */
  public readonly fqn: string;
  /** The columns: unknown here (BigQuery derives them from the query). */
  public readonly schema?: TableSchema = undefined;
  /** The query. */
  public readonly query: string;
  /** The underlying resource. */
  public readonly resource: BigqueryTable;

  constructor(scope: Construct, id: string, props: MaterializedViewProps) {
    super(scope, id);
    const path = this.node.path;
    validateViewProps(path, "materialized view", props.tableId, props.query);
    const { refreshInterval, maxStaleness, dataset } = props;
    if (refreshInterval !== undefined) {
      validateDuration(path, "refreshInterval", refreshInterval, {
        min: MIN_REFRESH_INTERVAL,
        max: MAX_REFRESH_INTERVAL,
        wholeUnit: "minutes",
        rule: "BigQuery allows",
      });
      if (props.enableRefresh === false) {
        fail(path, "refreshInterval is set but enableRefresh is false; the interval only applies to automatic refresh");
      }
    }
    if (maxStaleness !== undefined) {
      validateDuration(path, "maxStaleness", maxStaleness, {
        min: MIN_MAX_STALENESS,
        max: MAX_INTERVAL,
        wholeUnit: "seconds",
        rule: "a materialized view takes",
      });
    }
    if (props.allowNonIncrementalDefinition && maxStaleness === undefined) {
      fail(
        path,
        "allowNonIncrementalDefinition is true but maxStaleness is not set; BigQuery requires max_staleness on a non-incremental materialized view",
      );
    }
    if (props.allowNonIncrementalDefinition && props.enableRefresh === false) {
      fail(path, "a non-incremental materialized view needs enableRefresh (it is only ever refreshed in full)");
    }
    if (props.clustering && props.clustering.length > MAX_CLUSTERING_COLUMNS) {
      fail(
        path,
        `clustering has ${props.clustering.length} columns; BigQuery allows at most ${MAX_CLUSTERING_COLUMNS}`,
      );
    }
    if (!Token.isUnresolved(props.query) && /\bORDER\s+BY\b[^)]*$/i.test(stripComments(props.query))) {
      fail(
        path,
        "the materialized view query ends with ORDER BY; materialized views cannot be ordered (order when reading)",
      );
    }

    this.dataset = dataset;
    this.tableId = props.tableId;
    this.datasetId = dataset.datasetId;
    this.project = dataset.project;
    this.location = dataset.location;
    this.fqn = `${this.project}.${this.datasetId}.${this.tableId}`;
    this.query = props.query;
    this.resource = new BigqueryTable(this, "Resource", {
      project: dataset.project,
      // A reference (not the literal id) so that the view is created after its dataset.
      datasetId: dataset.datasetIdRef,
      tableId: props.tableId,
      description: props.description,
      labels: props.labels,
      clustering: props.clustering,
      deletionProtection: props.deletionProtection ?? false,
      dependsOn: props.dependsOn,
      maxStaleness: maxStaleness?.toBigQueryInterval(),
      materializedView: {
        query: props.query,
        enableRefresh: props.enableRefresh ?? true,
        refreshIntervalMs: refreshInterval?.toMilliseconds(),
        allowNonIncrementalDefinition: props.allowNonIncrementalDefinition,
      },
    });
    this.tableIdRef = this.resource.tableId;
  }

  /** `project.dataset.view` as Terraform references to this materialized view. */
  public get fqnRef(): string {
    return `${this.resource.project}.${this.resource.datasetId}.${this.resource.tableId}`;
  }

  /**
   * Lets `grantee` read this materialized view (table-level `roles/bigquery.dataViewer`). Readers
   * also need read access to the base tables (BigQuery checks both). Idempotent.
   */
  public grantRead(grantee: IGrantable): ITerraformDependable {
    return grantOnTable(this, this.resource, READ_ROLE, grantee);
  }
}
