import { Construct } from "constructs";
import { ViewBase, ViewBaseProps } from "./view-base";
import { requireProps, childPath } from "../core/validation";

/** Props of {@link View}. */
export type ViewProps = ViewBaseProps;

/**
 * A logical view (`google_bigquery_table` with a `view` block, standard SQL).
 *
 * @example
 * const dedup = new View(this, "dedup", {
 *   dataset: warehouse.rawDataset,
 *   tableId: "wiki_changes_dedup",
 *   query: renderSqlFile("quality/dedup_view.sql", bindings),
 * });
 * dedup.grantRead(Principal.group("analysts@example.com"));
 */
export class View extends ViewBase {
  constructor(scope: Construct, id: string, props: ViewProps) {
    requireProps(childPath(scope, id), "View", props, ["dataset", "query", "tableId"]);
    super(scope, id, "view", props, () => ({ view: { query: props.query, useLegacySql: false } }));
  }
}
