import { Construct } from "constructs";
import { NativeTableBase, NativeTableOptions } from "./native-table-base";
import { Partitioning } from "./table-options";
import { requireProps, childPath } from "../core/validation";

/** Props of {@link ReportingTable}. */
export interface ReportingTableProps extends NativeTableOptions {
  /**
   * How the table is partitioned.
   * @default Partitioning.none()
   */
  readonly partitioning?: Partitioning;
}

/**
 * A native table written by batch jobs (scheduled queries, loads), not by streaming writers:
 * small aggregate or dimension tables such as the reporting leaderboard. Unpartitioned by
 * default; the streaming-table policy does not apply to it. Use {@link StreamingTable} for
 * tables that Pub/Sub, Dataflow or the Storage Write API write to.
 *
 * @example
 * new ReportingTable(this, "leaderboard", { dataset: reporting, tableId: "leaderboard", schema: LEADERBOARD_SCHEMA });
 */
export class ReportingTable extends NativeTableBase {
  constructor(scope: Construct, id: string, props: ReportingTableProps) {
    requireProps(childPath(scope, id), "ReportingTable", props, ["dataset", "schema", "tableId"]);
    super(scope, id, { ...props, partitioning: props.partitioning ?? Partitioning.none() });
  }
}
