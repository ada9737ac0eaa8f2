import { Construct } from "constructs";
import { Token } from "cdktf";
import { BigqueryTableConfig } from "@cdktf/provider-google/lib/bigquery-table";
import { Duration } from "../core/duration";
import { childPath, fail, requireProps, validateDuration } from "../core/validation";
import { MAX_CLUSTERING_COLUMNS, MAX_INTERVAL } from "./table-validation";
import { ViewBase, ViewBaseProps } from "./view-base";
import { stripComments } from "./view-validation";

/** Props of {@link MaterializedView}. */
export interface MaterializedViewProps extends ViewBaseProps {
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
}

/** BigQuery's bounds on `refresh_interval_ms`: one minute to seven days. */
const MIN_REFRESH_INTERVAL = Duration.minutes(1);
const MAX_REFRESH_INTERVAL = Duration.days(7);
/** The shortest `max_staleness` this construct accepts. */
const MIN_MAX_STALENESS = Duration.minutes(1);

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
export class MaterializedView extends ViewBase {
  constructor(scope: Construct, id: string, props: MaterializedViewProps) {
    requireProps(childPath(scope, id), "MaterializedView", props, ["dataset", "query", "tableId"]);
    super(scope, id, "materialized view", props, (path) => materializedViewConfig(path, props));
  }
}

/** Validates the materialized view's own props; returns its part of the `google_bigquery_table`. */
function materializedViewConfig(path: string, props: MaterializedViewProps): Partial<BigqueryTableConfig> {
  const { refreshInterval, maxStaleness } = props;
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
    fail(path, `clustering has ${props.clustering.length} columns; BigQuery allows at most ${MAX_CLUSTERING_COLUMNS}`);
  }
  if (!Token.isUnresolved(props.query) && /\bORDER\s+BY\b[^)]*$/i.test(stripComments(props.query))) {
    fail(
      path,
      "the materialized view query ends with ORDER BY; materialized views cannot be ordered (order when reading)",
    );
  }

  return {
    clustering: props.clustering,
    maxStaleness: maxStaleness?.toBigQueryInterval(),
    materializedView: {
      query: props.query,
      enableRefresh: props.enableRefresh ?? true,
      refreshIntervalMs: refreshInterval?.toMilliseconds(),
      allowNonIncrementalDefinition: props.allowNonIncrementalDefinition,
    },
  };
}
