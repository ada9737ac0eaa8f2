import { Construct } from "constructs";
import { NativeTableBase, NativeTableOptions } from "./native-table-base";
import { Partitioning } from "./table-options";
import { requireProps, childPath } from "../core/validation";

/** Props of {@link StreamingTable}. */
export interface StreamingTableProps extends NativeTableOptions {
  /**
   * How the table is partitioned: {@link Partitioning.ingestionTime}, {@link Partitioning.column},
   * {@link Partitioning.integerRange} or {@link Partitioning.none}.
   * @default Partitioning.ingestionTime("DAY")
   */
  readonly partitioning?: Partitioning;
}

/**
 * A native BigQuery table written by streaming writers (Storage Write API, BigQuery
 * subscriptions, Dataflow): partitioned (ingestion time by default) and optionally clustered.
 *
 * @example
 * new StreamingTable(this, "events", {
 *   dataset: raw,
 *   tableId: "streaming_events",
 *   schema: STREAMING_EVENTS_SCHEMA,
 *   partitioning: Partitioning.column("_inserted_at", "DAY"),
 *   clustering: ["user_id", "event_type"],
 *   partitionExpiration: Duration.days(365),
 * });
 */
export class StreamingTable extends NativeTableBase {
  constructor(scope: Construct, id: string, props: StreamingTableProps) {
    requireProps(childPath(scope, id), "StreamingTable", props, ["dataset", "schema", "tableId"]);
    super(scope, id, { ...props, partitioning: props.partitioning ?? Partitioning.ingestionTime("DAY") });
  }
}
