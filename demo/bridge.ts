/**
 * LOCAL ONLY. Stands in for the managed delivery into BigQuery (the Dataflow "Pub/Sub
 * Subscription to BigQuery" template, or a BigQuery subscription), which cannot run on this
 * machine: it pulls from the subscription, streams rows into the raw table, and acks a message
 * only after its row was inserted. A message that cannot become a row goes to the error table
 * (the template's error-record shape) and is acked only once that insert succeeded; if both
 * inserts fail, the message is nacked and Pub/Sub redelivers it (dead-lettering after the
 * subscription's max delivery attempts). Nothing is acked that was not written somewhere.
 *
 * A message redelivered after its row was written (its ack deadline passed while the insert ran, which a loaded
 * machine can cause) is acked without a second row: real BigQuery drops such a retry by its insertId (best effort),
 * the emulator does not. A redelivery that arrives while the first copy's insert is still running is nacked, so the
 * first copy's outcome decides.
 */
import { BigQuery, Table } from "@google-cloud/bigquery";
import { Message, PubSub } from "@google-cloud/pubsub";
import { startBatchingConsumer } from "./batching-consumer";

export interface BridgeStats {
  /** Messages received (redeliveries included). */
  received: number;
  /** Rows inserted into the target table. */
  inserted: number;
  /** Messages written to the error table instead. */
  errors: number;
  /** Messages nacked for redelivery. */
  nacked: number;
  /** Redeliveries of a message whose row was written or being written: no second row. */
  redelivered: number;
}

export interface BridgeOptions {
  readonly pubsub: PubSub;
  readonly bigquery: BigQuery;
  readonly subscription: string;
  /** Target table as dataset.table. */
  readonly table: string;
  /** Error table as dataset.table. */
  readonly errorTable: string;
  /** Insert in batches of at most this many rows. @default 500 */
  readonly batchSize?: number;
  /** Flush a partial batch after this long. @default 200 */
  readonly flushMs?: number;
}

export interface Bridge {
  readonly stats: BridgeStats;
  /** Stops pulling and flushes what is buffered. */
  close(): Promise<void>;
  /**
   * Holds further inserts (messages keep arriving and wait unacknowledged) once the insert in
   * progress has finished; resolves then, with the function that lets inserts go on.
   */
  pause(): Promise<() => void>;
}

/** The Dataflow template's error-table columns. */
function errorRow(message: Message, error: string): Record<string, unknown> {
  return {
    timestamp: new Date().toISOString(),
    payloadString: message.data.toString("utf8"),
    payloadBytes: message.data.toString("base64"),
    attributes: Object.entries(message.attributes ?? {}).map(([key, value]) => ({ key, value })),
    errorMessage: error,
    stacktrace: null,
  };
}

function tableOf(bigquery: BigQuery, qualified: string): Table {
  const [dataset, table] = qualified.split(".");
  return bigquery.dataset(dataset).table(table);
}

/** Row-level errors of a failed streaming insert, by row index (every row when the whole request failed). */
function rowErrors(error: unknown, rows: readonly object[]): Map<number, string> {
  const failures = new Map<number, string>();
  const partial = (error as { name?: string; errors?: Array<{ row?: object; errors?: Array<{ message?: string }> }> })
    .errors;
  if ((error as { name?: string }).name === "PartialFailureError" && Array.isArray(partial)) {
    for (const failure of partial) {
      const index = failure.row ? rows.indexOf(failure.row) : -1;
      if (index >= 0) failures.set(index, failure.errors?.map((e) => e.message).join("; ") || "rejected");
    }
    return failures;
  }
  const message = (error as Error).message ?? String(error);
  rows.forEach((_row, index) => failures.set(index, message));
  return failures;
}

export function startBridge(options: BridgeOptions): Bridge {
  const stats: BridgeStats = { received: 0, inserted: 0, errors: 0, nacked: 0, redelivered: 0 };
  /** Pub/Sub message ids whose row (or error row) is written, and those whose insert is running. */
  const written = new Set<string>();
  const inserting = new Set<string>();
  const settle = (messages: readonly Message[], wasWritten: boolean): void => {
    for (const message of messages) {
      inserting.delete(message.id);
      if (wasWritten) written.add(message.id);
    }
  };
  const target = tableOf(options.bigquery, options.table);
  const errorTable = tableOf(options.bigquery, options.errorTable);
  const batchSize = options.batchSize ?? 500;

  const writeErrors = async (failed: Array<{ message: Message; error: string }>): Promise<void> => {
    if (failed.length === 0) return;
    const messages = failed.map((f) => f.message);
    try {
      await errorTable.insert(failed.map(({ message, error }) => errorRow(message, error)));
      settle(messages, true);
      messages.forEach((message) => message.ack());
      stats.errors += failed.length;
    } catch {
      settle(messages, false);
      messages.forEach((message) => message.nack());
      stats.nacked += failed.length;
    }
  };

  const flush = async (batch: Message[]): Promise<void> => {
    const rows: Array<{ insertId: string; json: Record<string, unknown> }> = [];
    const rowMessages: Message[] = [];
    const failed: Array<{ message: Message; error: string }> = [];
    for (const message of batch) {
      if (written.has(message.id) || inserting.has(message.id)) {
        stats.redelivered += 1;
        if (written.has(message.id)) message.ack();
        else message.nack();
        continue;
      }
      inserting.add(message.id);
      try {
        const json = JSON.parse(message.data.toString("utf8"));
        if (json === null || typeof json !== "object" || Array.isArray(json))
          throw new Error("payload is not a JSON object");
        // insertId gives best-effort de-duplication in real BigQuery; the ELT de-duplicates regardless.
        rows.push({ insertId: message.attributes?.event_id ?? message.id, json });
        rowMessages.push(message);
      } catch (error) {
        failed.push({ message, error: `cannot parse payload: ${(error as Error).message}` });
      }
    }
    if (rows.length > 0) {
      try {
        await target.insert(rows, { raw: true, skipInvalidRows: true });
        settle(rowMessages, true);
        rowMessages.forEach((m) => m.ack());
        stats.inserted += rows.length;
      } catch (error) {
        const failures = rowErrors(error, rows);
        rowMessages.forEach((message, index) => {
          const reason = failures.get(index);
          if (reason === undefined) {
            settle([message], true);
            message.ack();
            stats.inserted += 1;
          } else {
            failed.push({ message, error: reason });
          }
        });
      }
    }
    await writeErrors(failed);
  };

  const consumer = startBatchingConsumer({
    pubsub: options.pubsub,
    subscription: options.subscription,
    batchSize,
    flushMs: options.flushMs ?? 200,
    maxStreams: 4,
    onMessage: () => (stats.received += 1),
    flush,
    name: "bridge",
  });

  return { stats, pause: () => consumer.pause(), close: () => consumer.close() };
}
