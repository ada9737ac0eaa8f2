/**
 * What the BigQuery sink needs from a BigQuery write API: one request writing some rows, answered
 * with the rows BigQuery refused for good and the rows to send again, or a request error that
 * says whether a retry may succeed. Two implementations: `insert-all-writer.ts` (legacy
 * `tabledata.insertAll`) and `storage-write-writer.ts` (the Storage Write API).
 */

/** BigQuery's answer to one write request that was not refused as a whole. */
export interface TableWriteResult {
  /** Rows BigQuery refused for good, by index in the request: a short reason code and its message. */
  readonly refused: ReadonlyMap<number, { readonly reason: string; readonly message: string }>;
  /** Rows not written because of the others (e.g. insertAll's `stopped`): send them again. */
  readonly retry: readonly number[];
}

/**
 * What to do about a request that failed as a whole:
 * - `retry`: it may succeed later (unavailable, quota, deadline, internal, no answer at all);
 * - `isolate`: BigQuery refused the request's content (invalid): halve it until the row at fault is
 *   alone, then that row goes to the error table (unless every row is refused that way: then the
 *   table is at fault, see `bigquery-sink.ts`);
 * - `stop`: nothing about the rows (permission denied, table not found, unauthenticated): retrying
 *   or refusing rows cannot help; the worker stops (a restart replays from the checkpoint).
 */
export type WriteFailure = "retry" | "isolate" | "stop";

/** A write request that failed as a whole. */
export class TableWriteError extends Error {
  constructor(
    message: string,
    public readonly failure: WriteFailure,
  ) {
    super(message);
    this.name = "TableWriteError";
  }
}

/** Writes rows to one table. */
export interface TableWriter {
  /** `projects/P/datasets/D/tables/T`. */
  readonly table: string;
  /**
   * Writes `rows` (JSON values as BigQuery's REST API takes them) in one request; `insertIds[i]`
   * is row i's de-duplication id where the API has one. Rejects with a {@link TableWriteError}.
   * `signal` aborts when the request got no answer in time: drop what may be wedged (the request's
   * stream connection), settling every other request that waits on it.
   */
  write(
    rows: readonly Record<string, unknown>[],
    insertIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<TableWriteResult>;
  close(): Promise<void>;
}

/** No row refused, none to send again. */
export const ALL_WRITTEN: TableWriteResult = { refused: new Map(), retry: [] };
