/**
 * Legacy streaming inserts (`tabledata.insertAll`) through `@google-cloud/bigquery`: each row
 * carries an `insertId` (the event id), which BigQuery uses for best-effort de-duplication of
 * retries within a short window. `skipInvalidRows`: BigQuery writes the valid rows of a request
 * and lists the invalid ones (`insertErrors`), so one bad row does not hold back the others.
 * The client's own retries are off: the sink decides what is retried and for how long.
 */
import { BigQuery, Table } from "@google-cloud/bigquery";
import { BigQueryTableName } from "../../schemas/worker-settings";
import { ALL_WRITTEN, TableWriteError, TableWriter, TableWriteResult } from "./table-writer";

/** Per-row reasons that say the row itself was fine (streaming inserts troubleshooting page). */
const ROW_RETRY_REASONS: ReadonlySet<string> = new Set(["stopped", "timeout", "backendError", "internalError"]);
/** Request-level reasons worth retrying, besides HTTP 429 and 5xx. */
const REQUEST_RETRY_REASONS: ReadonlySet<string> = new Set(["rateLimitExceeded", "backendError", "internalError"]);

type InsertFailure = { row?: object; errors?: { message?: string; reason?: string }[] };

export class InsertAllWriter implements TableWriter {
  public readonly table: string;
  private readonly target: Table;
  private readonly bigquery: BigQuery;

  constructor(name: BigQueryTableName, options: { apiEndpoint?: string } = {}) {
    this.table = `projects/${name.projectId}/datasets/${name.datasetId}/tables/${name.tableId}`;
    this.bigquery = new BigQuery({
      projectId: name.projectId,
      apiEndpoint: options.apiEndpoint,
      retryOptions: { autoRetry: false, maxRetries: 0 },
    });
    this.target = this.bigquery.dataset(name.datasetId).table(name.tableId);
  }

  async write(rows: readonly Record<string, unknown>[], insertIds: readonly string[]): Promise<TableWriteResult> {
    const request = rows.map((json, index) => ({ insertId: insertIds[index], json }));
    try {
      await this.target.insert(request, { raw: true, skipInvalidRows: true, partialRetries: 0 });
      return ALL_WRITTEN;
    } catch (error) {
      const failures = (error as { name?: string; errors?: InsertFailure[] }).errors;
      if ((error as Error).name !== "PartialFailureError" || !Array.isArray(failures)) throw this.requestError(error);
      const indexOf = new Map<object, number>(request.map((row, index) => [row, index]));
      const refused = new Map<number, { reason: string; message: string }>();
      const retry: number[] = [];
      for (const failure of failures) {
        const index = failure.row ? indexOf.get(failure.row) : undefined;
        if (index === undefined) continue;
        const errors = failure.errors ?? [];
        const own = errors.filter((e) => !ROW_RETRY_REASONS.has(e.reason ?? ""));
        if (own.length === 0) retry.push(index);
        else
          refused.set(index, {
            reason: own[0].reason || "invalid",
            message: own.map((e) => e.message ?? e.reason).join("; "),
          });
      }
      return { refused, retry };
    }
  }

  private requestError(error: unknown): TableWriteError {
    const { code, message, errors } = error as { code?: number; message?: string; errors?: { reason?: string }[] };
    const reason = errors?.[0]?.reason ?? "";
    // No HTTP status: the request never got an answer (network, timeout).
    const retryable =
      code === undefined || code === 429 || code >= 500 || REQUEST_RETRY_REASONS.has(reason) || code === 408;
    return new TableWriteError(
      `insertAll into ${this.table} failed${code ? ` (HTTP ${code}${reason ? `, ${reason}` : ""})` : ""}: ${message}`,
      retryable,
    );
  }

  async close(): Promise<void> {
    // The REST client holds no connection of its own.
  }
}
