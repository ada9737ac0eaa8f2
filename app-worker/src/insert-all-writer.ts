/**
 * Legacy streaming inserts (`tabledata.insertAll`) through `@google-cloud/bigquery`: each row
 * carries an `insertId` (the event id), which BigQuery uses for best-effort de-duplication of
 * retries within a short window. `skipInvalidRows`: BigQuery writes the valid rows of a request
 * and lists the invalid ones (`insertErrors`), so one bad row does not hold back the others.
 * The client's own retries are off: the sink decides what is retried and for how long.
 */
import { BigQuery, Table } from "@google-cloud/bigquery";
import { BigQueryTableName } from "../../schemas/worker-settings";
import { ALL_WRITTEN, TableWriteError, TableWriter, TableWriteResult, WriteFailure } from "./table-writer";

/** Per-row reasons that say the row itself was fine (streaming inserts troubleshooting page). */
const ROW_RETRY_REASONS: ReadonlySet<string> = new Set(["stopped", "timeout", "backendError", "internalError"]);
/** Request-level reasons worth retrying, besides HTTP 408, 429 and 5xx (BigQuery's error messages page). */
const REQUEST_RETRY_REASONS: ReadonlySet<string> = new Set([
  "rateLimitExceeded",
  "quotaExceeded",
  "backendError",
  "internalError",
]);
/** Request-level reasons about the content: one of the rows is at fault. */
const REQUEST_CONTENT_REASONS: ReadonlySet<string> = new Set(["invalid", "invalidQuery", "parseError"]);

/**
 * What a failed insertAll request calls for: no HTTP status (no answer: network, timeout), 408,
 * 429, 5xx or a retry reason: retry; 400 or 413 (the content, e.g. too large): isolate the row;
 * any other 4xx (401, 403, 404: credentials, permission, a missing table): stop.
 */
export function insertAllFailure(status: number | undefined, reason: string): WriteFailure {
  if (status === undefined || status === 408 || status === 429 || status >= 500 || REQUEST_RETRY_REASONS.has(reason))
    return "retry";
  if (status === 400 || status === 413 || REQUEST_CONTENT_REASONS.has(reason)) return "isolate";
  return "stop";
}

/** One entry of insertAll's `insertErrors`. */
type InsertError = { index?: number | string; errors?: { message?: string; reason?: string }[] };

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
      // The response's own list: the library maps errors to rows by `index`, and loses the row of
      // an error whose index is 0 when the server omits it (a zero omitted as the default value).
      const response = (error as { response?: { insertErrors?: InsertError[] } }).response;
      if ((error as Error).name !== "PartialFailureError" || !Array.isArray(response?.insertErrors))
        throw this.requestError(error);
      const refused = new Map<number, { reason: string; message: string }>();
      const retry = new Set<number>();
      for (const failure of response.insertErrors) {
        const index = Number(failure.index ?? 0);
        if (!(index >= 0 && index < rows.length))
          throw new TableWriteError(
            `insertAll into ${this.table} answered an error for row ${index} of ${rows.length}`,
            "retry",
          );
        const errors = failure.errors ?? [];
        const own = errors.filter((e) => !ROW_RETRY_REASONS.has(e.reason ?? ""));
        if (own.length === 0) retry.add(index);
        else
          refused.set(index, {
            reason: own[0].reason || "invalid",
            message: own.map((e) => e.message ?? e.reason).join("; "),
          });
      }
      for (const index of refused.keys()) retry.delete(index);
      return { refused, retry: [...retry] };
    }
  }

  private requestError(error: unknown): TableWriteError {
    const { code, message, errors } = error as { code?: unknown; message?: string; errors?: { reason?: string }[] };
    const reason = errors?.[0]?.reason ?? "";
    const status = typeof code === "number" ? code : undefined;
    const what = `insertAll into ${this.table} failed (${status ? `HTTP ${status}` : String(code ?? "no answer")}${reason ? `, ${reason}` : ""}): ${message}`;
    return new TableWriteError(what, insertAllFailure(status, reason));
  }

  async close(): Promise<void> {
    // The REST client holds no connection of its own.
  }
}
