/**
 * The direct sink: accepted events become rows of the raw table, written by the worker itself
 * (`SINK=storage-write` or `SINK=insert-all`), with the same guarantees as the Pub/Sub path:
 *
 * - an event is done (its `done` is called, and the checkpoint may pass it) only once BigQuery
 *   acknowledged its row, or once its row is in the error table;
 * - rows are batched: at most `batchMaxMessages` rows and `batchMaxBytes` bytes per request (under
 *   BigQuery's 10 MB request limit), sent after `batchMaxMs` at the latest; a few requests run at once;
 * - a request that fails as a whole with an error that may heal (unavailable, quota, deadline,
 *   internal) is retried with exponential backoff until `publishTimeoutMs`, then the events fail
 *   (the worker stops; a restart replays them from the checkpoint);
 * - a request refused as a whole for its content is split in halves until the refused row is
 *   alone; rows BigQuery refuses for good (and rows it would refuse: larger than a request may be,
 *   a TIMESTAMP out of range) go to the error table with the reason, and are counted;
 * - an answer refusing every row of a request with the same reason and message (nothing written:
 *   insertAll's `no such field: X.` on each row when the table lacks a column of the rows) is taken
 *   as a refusal of the whole request, not as rows at fault;
 * - but a row refused alone by an error about the whole request goes to the error table only once
 *   the table is seen to take other rows (another part of its request, or a later request, got an
 *   answer row by row). When no part of two such requests did (the table refuses every row: its
 *   schema no longer matches them, …), or none came within `requestTimeoutMs`, the error is about
 *   the table: the events fail, like on a permission error (the worker stops; a restart replays
 *   them once the table is fixed), and no row goes to the error table;
 * - in flight (buffered, being written, being retried) is bounded like the publisher's, which is
 *   what pauses the SSE reading when BigQuery is slow.
 *
 * It is an {@link EventSink} (`sink.ts`), like the Pub/Sub publisher: the worker handles both alike.
 */
import { BIGQUERY_WRITE_LIMITS, DirectSink } from "../../schemas/worker-contract";
import { InFlightBound } from "./in-flight";
import { EventSink, SinkCallback, SinkRow } from "./sink";
import { TableWriteError, TableWriter, TableWriteResult } from "./table-writer";

export type { SinkCallback, SinkOutcome, SinkRow } from "./sink";

/** What the sink reports as it goes (the worker's metrics). */
export interface SinkObserver {
  /** One request ended: `ok` (every row written), `partial` (some rows refused or to resend), `retried` (failed, will be retried), `split` (refused as a whole, split), `failed` (gave up). */
  request?(
    outcome: "ok" | "partial" | "retried" | "split" | "failed",
    seconds: number,
    rows: number,
    bytes: number,
  ): void;
  /** A request failed and is retried after `delayMs` (its `attempt`-th failure). */
  retrying?(error: Error, attempt: number, delayMs: number, table: string): void;
  written?(rows: number): void;
  refused?(reason: string, rows: number): void;
  /** BigQuery refused every row with an error not about any row: the sink fails `rows` events (the worker stops). */
  tableRefused?(message: string, rows: number): void;
}

export interface BigQuerySinkOptions {
  readonly sink: DirectSink;
  /** Writes the raw table. */
  readonly writer: TableWriter;
  /** Writes the error table (`INGESTION_ERRORS_SCHEMA`). */
  readonly errorWriter: TableWriter;
  readonly maxInFlightMessages: number;
  readonly maxInFlightBytes: number;
  /** Rows per request. */
  readonly batchMaxMessages: number;
  /** Row bytes per request (error rows counted at three times their event's size). */
  readonly batchMaxBytes: number;
  /** A partial batch is sent after this long. */
  readonly batchMaxMs: number;
  /** Total time a request may spend in retries before its events fail. */
  readonly publishTimeoutMs: number;
  /**
   * How long one request may wait for BigQuery's answer; past it, it counts as a failure to retry
   * (the answer may still come: at-least-once) and the writer is reset.
   * @default 60000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Requests in flight at once.
   * @default 4
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Backoff of a retried request: the first wait, doubled each time up to the maximum (with jitter).
   * @default { initialMs: 100, maxMs: 5000 }
   */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** TIMESTAMP columns of the row, checked against BigQuery's range before sending. @default [] */
  readonly timestampColumns?: readonly string[];
  readonly observer?: SinkObserver;
}

interface Entry {
  readonly event: SinkRow;
  readonly bytes: number;
  readonly done: SinkCallback;
  /** Set once the row is refused: what goes to the error table. */
  refusal?: { reason: string; detail: string };
}

interface Batch {
  readonly entries: Entry[];
  /** When the first attempt of these rows started: retries stop `publishTimeoutMs` after it. */
  readonly since: number;
  readonly errors: boolean;
  /** The split this batch is a part of (a request of the raw table refused as a whole, being halved). */
  readonly split?: Split;
}

/**
 * A request of rows refused as a whole for its content, and the parts it was halved into: whether
 * any part got an answer row by row tells a row at fault (the others are written) from a table at
 * fault (every part refused the same way).
 */
interface Split {
  /** Parts not settled yet. */
  open: number;
  /** Parts that got an answer row by row (written, or rows refused one by one). */
  answered: number;
  /** Rows refused alone by a request-level error: refused only once the table is seen to take rows. */
  readonly suspects: Entry[];
  /** The first request-level error. */
  error: string;
}

/** Rows of a split where no part got an answer row by row: the rows or the table, not known yet. */
interface Doubt {
  readonly entries: Entry[];
  readonly error: string;
  /** Requests started when the doubt arose: an answer to a later one settles it. */
  readonly after: number;
  /** Past it without such an answer, the table is taken to be at fault. */
  readonly timer: NodeJS.Timeout;
}

const MIN_TIMESTAMP = Date.parse(BIGQUERY_WRITE_LIMITS.minTimestamp);
const MAX_TIMESTAMP = Date.parse(BIGQUERY_WRITE_LIMITS.maxTimestamp);

/** Why BigQuery would refuse this row for good, before sending it; undefined when it fits. */
export function rowProblem(
  event: SinkRow,
  bytes: number,
  timestampColumns: readonly string[],
): { reason: string; detail: string } | undefined {
  if (bytes > BIGQUERY_WRITE_LIMITS.maxRowBytes)
    return {
      reason: "too_large",
      detail: `row is ${bytes} bytes; a BigQuery write request holds at most 10 MB (${BIGQUERY_WRITE_LIMITS.maxRowBytes} bytes kept for one row)`,
    };
  for (const column of timestampColumns) {
    const value = (event.row as Record<string, unknown>)[column];
    if (typeof value !== "string") continue;
    const time = Date.parse(value);
    if (!(time >= MIN_TIMESTAMP && time <= MAX_TIMESTAMP))
      return {
        reason: "out_of_range",
        detail: `${column} "${value.slice(0, 40)}" is outside BigQuery's TIMESTAMP range (0001-01-01 to 9999-12-31)`,
      };
  }
  return undefined;
}

/** The error table's row for a refused event (the Dataflow template's dead-letter shape). */
export function errorTableRow(event: SinkRow, reason: string, detail: string): Record<string, unknown> {
  const attributes = [{ key: "event_id", value: event.eventId }];
  if (event.sseId !== undefined) attributes.push({ key: "sse_id", value: event.sseId });
  let payload = event.json;
  let note = "";
  // The error row must fit a request too: a payload this large is kept in part (its size is said).
  const room = Math.floor(BIGQUERY_WRITE_LIMITS.maxRowBytes / 3);
  if (Buffer.byteLength(payload) > room) {
    note = ` (payload truncated to ${room} of ${Buffer.byteLength(payload)} bytes)`;
    payload = Buffer.from(payload).subarray(0, room).toString("utf8");
  }
  return {
    timestamp: new Date().toISOString(),
    payloadString: payload,
    payloadBytes: Buffer.from(payload).toString("base64"),
    attributes,
    errorMessage: `${reason}: ${detail}${note}`.slice(0, 64 * 1024),
    stacktrace: null,
  };
}

/** Entries waiting for a request, sent as one when the next would pass the row or byte bound. */
class PendingBatch {
  private entries: Entry[] = [];
  private bytes = 0;

  constructor(
    private readonly maxRows: number,
    private readonly maxBytes: number,
    private readonly send: (entries: Entry[]) => void,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  /** Adds `entry`, counted as `bytes`; sends the batch before it when it would not fit, and after it when full. */
  add(entry: Entry, bytes: number): void {
    if (this.entries.length > 0 && this.bytes + bytes > this.maxBytes) this.take();
    this.entries.push(entry);
    this.bytes += bytes;
    if (this.entries.length >= this.maxRows) this.take();
  }

  /** Sends what waits (nothing when empty). */
  take(): void {
    if (this.entries.length === 0) return;
    const entries = this.entries;
    this.entries = [];
    this.bytes = 0;
    this.send(entries);
  }
}

export class BigQuerySink extends InFlightBound implements EventSink {
  public readonly sink: DirectSink;
  /** Rows for the raw table. */
  private readonly rows: PendingBatch;
  /** Refused rows for the error table. */
  private readonly errors: PendingBatch;
  private timer: NodeJS.Timeout | undefined;
  private active = 0;
  private readonly queue: Batch[] = [];
  private readonly maxConcurrent: number;
  private closed = false;
  /** Requests started so far: tells a request sent after a doubt arose from one sent before. */
  private requestsStarted = 0;
  /** Rows of a split where no request got a per-row answer: held until the table shows it accepts rows. */
  private doubt: Doubt | undefined;
  /** Set once BigQuery refused every row with a table-level error: every later refusal fails at once. */
  private tableRefusal: Error | undefined;
  /** Plain counts, for logs, tests and the bench. */
  public readonly stats = { requests: 0, retries: 0, splits: 0, written: 0, refused: 0 };

  constructor(private readonly options: BigQuerySinkOptions) {
    super(options.maxInFlightMessages, options.maxInFlightBytes);
    this.sink = options.sink;
    this.maxConcurrent = options.maxConcurrentRequests ?? 4;
    const { batchMaxMessages, batchMaxBytes } = options;
    this.rows = new PendingBatch(batchMaxMessages, batchMaxBytes, (entries) =>
      this.dispatch({ entries, since: Date.now(), errors: false }),
    );
    this.errors = new PendingBatch(batchMaxMessages, batchMaxBytes, (entries) =>
      this.dispatch({ entries, since: Date.now(), errors: true }),
    );
  }

  /** Queues one event's row; `done` is called once, when it is written, refused, or failed. */
  write(event: SinkRow, done: SinkCallback): void {
    const bytes = Buffer.byteLength(event.json);
    const entry: Entry = { event, bytes, done };
    this.startOne(bytes);
    const problem = rowProblem(event, bytes, this.options.timestampColumns ?? []);
    if (problem) {
      this.refuse([entry], problem.reason, problem.detail);
      return;
    }
    this.rows.add(entry, bytes);
    this.armTimer();
  }

  /** A partial batch leaves `batchMaxMs` after it started waiting, at the latest. */
  private armTimer(): void {
    if (this.rows.size + this.errors.size > 0)
      this.timer ??= setTimeout(() => this.flushNow(), this.options.batchMaxMs);
  }

  /** Sends what is buffered now (rows and error rows). */
  async flush(): Promise<void> {
    this.flushNow();
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.rows.take();
    this.errors.take();
  }

  /** Runs `batch` now, or queues it (`first`: ahead of the others, for the parts of a split). */
  private dispatch(batch: Batch, first = false): void {
    if (this.active >= this.maxConcurrent) {
      if (first) this.queue.unshift(batch);
      else this.queue.push(batch);
      return;
    }
    this.active++;
    void this.run(batch).finally(() => {
      this.active--;
      const next = this.queue.shift();
      if (next) this.dispatch(next);
    });
  }

  /** Sends one batch until it is settled: written, refused into the error table, or failed. */
  private async run(batch: Batch): Promise<void> {
    const { entries } = batch;
    const writer = batch.errors ? this.options.errorWriter : this.options.writer;
    const rows = entries.map((e) =>
      batch.errors
        ? errorTableRow(e.event, e.refusal!.reason, e.refusal!.detail)
        : (e.event.row as Record<string, unknown>),
    );
    const insertIds = entries.map((e) => (batch.errors ? `${e.event.eventId}/error` : e.event.eventId));
    const observer = this.options.observer;
    /** Row bytes of the request (what BATCH_MAX_BYTES bounds; error rows at their estimate). */
    const requestBytes = batch.errors ? sum(entries) * 3 : sum(entries);
    let delay = this.options.backoff?.initialMs ?? 100;
    let attempts = 0;
    for (;;) {
      const started = performance.now();
      const sequence = ++this.requestsStarted;
      this.stats.requests++;
      try {
        const result = await this.withTimeout(writer, (signal) => writer.write(rows, insertIds, signal));
        const seconds = (performance.now() - started) / 1000;
        const alike = batch.errors ? undefined : refusedAlike(result, rows.length);
        if (alike) {
          // Not an answer row by row: the same refusal of every row is about the request (or the table).
          const error = new Error(`every row of the request refused alike (${alike.reason}): ${alike.message}`);
          const refusal = { reason: alike.reason, detail: `BigQuery refused the row: ${alike.message}` };
          this.isolate(batch, error, seconds, requestBytes, refusal);
        } else this.answered(batch, result, seconds, requestBytes, sequence);
        return;
      } catch (error) {
        const seconds = (performance.now() - started) / 1000;
        const failure = error instanceof TableWriteError ? error.failure : "retry";
        if (failure === "isolate" && this.isolate(batch, error as Error, seconds, requestBytes)) return;
        const retryable = failure === "retry";
        const elapsed = Date.now() - batch.since;
        if (!retryable || elapsed + delay > this.options.publishTimeoutMs || this.closed) {
          observer?.request?.("failed", seconds, rows.length, requestBytes);
          this.fail(
            entries,
            new Error(
              retryable
                ? `${writer.table}: ${(error as Error).message} (still failing after ${elapsed} ms of retries, PUBLISH_TIMEOUT_MS ${this.options.publishTimeoutMs})`
                : `${writer.table}: ${(error as Error).message}`,
            ),
          );
          this.partDone(batch);
          return;
        }
        observer?.request?.("retried", seconds, rows.length, requestBytes);
        this.stats.retries++;
        const wait = delay * (0.5 + Math.random() / 2);
        observer?.retrying?.(error as Error, ++attempts, Math.round(wait), writer.table);
        await new Promise((resolve) => setTimeout(resolve, wait));
        delay = Math.min(delay * 2, this.options.backoff?.maxMs ?? 5_000);
      }
    }
  }

  /** BigQuery answered row by row: rows written, refused (to the error table), or to send again. */
  private answered(batch: Batch, result: TableWriteResult, seconds: number, bytes: number, sequence: number): void {
    const { entries } = batch;
    const writer = batch.errors ? this.options.errorWriter : this.options.writer;
    const settled = new Set<number>([...result.refused.keys(), ...result.retry]);
    this.options.observer?.request?.(settled.size === 0 ? "ok" : "partial", seconds, entries.length, bytes);
    if (batch.errors && result.refused.size > 0) {
      const [index, why] = [...result.refused][0];
      const error = new Error(
        `the error table ${writer.table} refused the row of event ${entries[index].event.eventId}: ${why.message}`,
      );
      this.fail(
        entries.filter((_e, i) => result.refused.has(i)),
        error,
      );
    } else if (result.refused.size > 0) {
      for (const [index, why] of result.refused)
        this.refuse([entries[index]], why.reason, `BigQuery refused the row: ${why.message}`);
    }
    this.settle(
      entries.filter((_e, i) => !settled.has(i)),
      batch.errors,
    );
    if (!batch.errors) {
      // An answer row by row: the table takes rows of this shape (whatever it said of each).
      if (batch.split) batch.split.answered++;
      this.tableAnswered(sequence);
    }
    if (result.retry.length > 0) {
      if (batch.split) batch.split.open++;
      this.dispatch({ ...batch, entries: result.retry.map((i) => entries[i]) });
    }
    this.partDone(batch);
  }

  /**
   * A request refused as a whole for its content: halved until the row at fault is alone. A row
   * refused alone this way is held in its split: it is refused (to the error table) only once
   * another part of the split, or a later request, got an answer row by row; when no part of two
   * splits did, the table is at fault and the sink stops ({@link stopForTable}). An answer that
   * refuses every row of the request alike ({@link refusedAlike}) is taken the same way, the row
   * alone keeping the `refusal` BigQuery gave it. Returns false when the caller fails the batch
   * instead (an error row refused alone).
   */
  private isolate(
    batch: Batch,
    error: Error,
    seconds: number,
    bytes: number,
    refusal: { reason: string; detail: string } = { reason: "request_refused", detail: error.message },
  ): boolean {
    const { entries } = batch;
    const observer = this.options.observer;
    if (batch.errors && entries.length === 1) return false;
    if (!batch.errors && this.tableRefusal) {
      observer?.request?.("failed", seconds, entries.length, bytes);
      this.fail(entries, this.tableRefusal);
      this.partDone(batch);
      return true;
    }
    const split = batch.errors ? undefined : (batch.split ?? { open: 1, answered: 0, suspects: [], error: "" });
    if (split) split.error ||= error.message;
    if (entries.length > 1) {
      observer?.request?.("split", seconds, entries.length, bytes);
      this.stats.splits++;
      if (split) split.open++;
      const half = Math.ceil(entries.length / 2);
      // The parts go first: a split is judged before the next batches add to the doubt.
      for (const part of [entries.slice(half), entries.slice(0, half)])
        this.dispatch({ ...batch, entries: part, split }, true);
      return true;
    }
    observer?.request?.("partial", seconds, 1, bytes);
    entries[0].refusal = refusal;
    split!.suspects.push(entries[0]);
    this.partDone({ ...batch, split });
    return true;
  }

  /** One part of a split is settled; once all are, the split's held rows are judged. */
  private partDone(batch: Batch): void {
    const split = batch.split;
    if (!split || --split.open > 0 || split.suspects.length === 0) return;
    if (split.answered > 0) {
      // The other rows of the request got an answer: these rows are at fault.
      this.refuseHeld(split.suspects);
    } else if (this.tableRefusal) {
      this.fail(split.suspects, this.tableRefusal);
    } else if (this.doubt) {
      // A second request where every row was refused with a request-level error: the table is at fault.
      this.stopForTable(split.suspects, this.doubt.error);
    } else {
      // The rows, or the table? A later request answered row by row says the rows (then they are refused).
      const waitMs = this.options.requestTimeoutMs ?? 60_000;
      this.doubt = {
        entries: split.suspects,
        error: split.error,
        after: this.requestsStarted,
        timer: setTimeout(() => this.stopForTable([], split.error), waitMs),
      };
    }
  }

  /** A request of the raw table got an answer row by row: rows held in doubt before it are at fault. */
  private tableAnswered(sequence: number): void {
    const doubt = this.doubt;
    if (!doubt || sequence <= doubt.after) return;
    clearTimeout(doubt.timer);
    this.doubt = undefined;
    this.refuseHeld(doubt.entries);
  }

  private refuseHeld(entries: readonly Entry[]): void {
    for (const entry of entries) this.refuse([entry], entry.refusal!.reason, entry.refusal!.detail);
  }

  /**
   * BigQuery refuses every row with an error that is not about any row (the table's schema no
   * longer matches the rows, …): no row goes to the error table; the events fail, so the worker
   * stops like on a permission error (exit 2, its checkpoint before them) and a restart replays
   * them once the table is fixed.
   */
  private stopForTable(entries: Entry[], message: string): void {
    const doubt = this.doubt;
    this.doubt = undefined;
    clearTimeout(doubt?.timer);
    const held = [...(doubt?.entries ?? []), ...entries];
    if (!this.tableRefusal) {
      this.tableRefusal = new Error(
        `${this.options.writer.table}: BigQuery refused every row with an error that is not about any row (a table-level refusal: does the table's schema still match the rows?): ${message}. No row went to the error table; the events stay before the checkpoint, a restart replays them once the table is fixed`,
      );
      this.options.observer?.tableRefused?.(message, held.length);
    }
    this.fail(held, this.tableRefusal);
  }

  /** `request`, or a retryable failure once `requestTimeoutMs` passed without an answer (the request is aborted). */
  private async withTimeout<T>(writer: TableWriter, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ms = this.options.requestTimeoutMs ?? 60_000;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        request(controller.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new TableWriteError(`${writer.table}: no answer within ${ms} ms`, "retry"));
          }, ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Moves entries to the error table (with the next error batch). */
  private refuse(entries: Entry[], reason: string, detail: string): void {
    for (const entry of entries) {
      entry.refusal = { reason, detail };
      // An error row holds the payload twice (text and base64 bytes): about three times the row.
      this.errors.add(entry, Math.min(entry.bytes, BIGQUERY_WRITE_LIMITS.maxRowBytes / 3) * 3);
    }
    this.armTimer();
  }

  private settle(entries: Entry[], refused: boolean): void {
    if (entries.length === 0) return;
    if (refused) {
      const byReason = new Map<string, number>();
      for (const e of entries) byReason.set(e.refusal!.reason, (byReason.get(e.refusal!.reason) ?? 0) + 1);
      for (const [reason, count] of byReason) this.options.observer?.refused?.(reason, count);
      this.stats.refused += entries.length;
    } else {
      this.options.observer?.written?.(entries.length);
      this.stats.written += entries.length;
    }
    for (const entry of entries) {
      this.finishOne(entry.bytes);
      entry.done(
        undefined,
        refused
          ? { kind: "refused", reason: entry.refusal!.reason, detail: entry.refusal!.detail }
          : { kind: "written" },
      );
    }
  }

  private fail(entries: readonly Entry[], error: Error): void {
    for (const entry of entries) {
      this.finishOne(entry.bytes);
      entry.done(error);
    }
  }

  /** Stops retrying (a pending retry fails at its next turn) and closes both writers. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const doubt = this.doubt;
    if (doubt) {
      clearTimeout(doubt.timer);
      this.doubt = undefined;
      this.fail(
        doubt.entries,
        new Error(
          `${this.options.writer.table}: closed before BigQuery's refusal of these rows could be told from a table-level one (${doubt.error})`,
        ),
      );
    }
    await Promise.all([this.options.writer.close(), this.options.errorWriter.close()]);
  }
}

/**
 * The refusal BigQuery gave every row of a request alike (same reason, same message; none written,
 * none to send again), or undefined. Such an answer is not one row by row: it is about the request
 * or the table (insertAll's `no such field: X.` on every row when the table lacks a column the
 * rows have; Storage Write's `row_errors` naming every row the same way). Rows not at fault
 * (insertAll's `stopped`) are to send again, so an answer with any of them is never "alike".
 */
export function refusedAlike(
  result: TableWriteResult,
  rows: number,
): { readonly reason: string; readonly message: string } | undefined {
  if (rows === 0 || result.retry.length > 0 || result.refused.size !== rows) return undefined;
  const [first, ...others] = result.refused.values();
  return others.every((o) => o.reason === first.reason && o.message === first.message) ? first : undefined;
}

function sum(entries: readonly Entry[]): number {
  return entries.reduce((total, e) => total + e.bytes, 0);
}
