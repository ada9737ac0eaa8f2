/**
 * LOCAL ONLY — a stand-in for BigQuery's CDC apply, which the BigQuery emulator does not have
 * (it appends every row it is given). It pulls the CDC subscription (on the emulator a plain pull
 * subscription: the Pub/Sub emulator cannot write to BigQuery) and applies each change by primary
 * key onto the emulator's `wiki_pages`, the way BigQuery applies a CDC stream:
 *
 * - per key, the change with the greatest `_CHANGE_SEQUENCE_NUMBER` (compared section by section,
 *   numerically) decides: UPSERT → the row is the change's columns, DELETE → no row;
 * - a change whose sequence number is not greater than the key's newest one is ignored (a
 *   replay of the same change, or an older change arriving late), whatever the arrival order;
 * - the newest sequence number of a deleted key is remembered (a tombstone), so an older UPSERT
 *   arriving after a DELETE cannot resurrect the row.
 *
 * What it does not model: `max_staleness` and background apply jobs (its table is current after
 * each batch), query-time merges, BigQuery's own limits, and how long real BigQuery keeps a
 * deleted key's sequence number after a background apply (the local applier keeps it forever).
 *
 * Writes: per batch, `DELETE` of the batch's changed keys, then an insert of the rows that
 * exist after the batch; a message is acknowledged only after that write succeeded (nacked
 * otherwise: Pub/Sub redelivers it, and the keys are written again with the next batch).
 * A message that is not a valid change (bad JSON, no key, bad `_CHANGE_TYPE` or sequence number)
 * is counted in `rejected` and acknowledged: the demo reports it, and its test requires none.
 */
import { createHash } from "node:crypto";
import { BigQuery } from "@google-cloud/bigquery";
import { Message, PubSub } from "@google-cloud/pubsub";
import { startBatchingConsumer } from "./batching-consumer";
import {
  CHANGE_SEQUENCE_NUMBER_COLUMN,
  CHANGE_TYPE_COLUMN,
  CDC_PSEUDO_COLUMNS,
  compareSequenceNumbers,
  sequenceNumberProblem,
} from "../schemas/cdc-sequence";

export interface CdcApplierStats {
  /** Messages received (redeliveries included). */
  messages: number;
  /** Distinct changes (by `change_id` attribute, else message id) received, by type. */
  upserts: number;
  deletes: number;
  /** Changes ignored because the key already had a newer or equal sequence number. */
  ignored: number;
  /** Messages that were not valid changes. */
  rejected: number;
  /** Batches written to the table. */
  batches: number;
}

export interface CdcApplierOptions {
  readonly pubsub: PubSub;
  readonly bigquery: BigQuery;
  readonly projectId: string;
  readonly subscription: string;
  /** Target table as dataset.table. */
  readonly table: string;
  /** Primary key columns of the table. */
  readonly primaryKey: readonly string[];
  /** Apply in batches of at most this many messages. @default 500 */
  readonly batchSize?: number;
  /** Flush a partial batch after this long. @default 200 */
  readonly flushMs?: number;
}

interface KeyState {
  sequenceNumber: string;
  /** The row after the newest change; undefined after a DELETE (a tombstone). */
  row?: Record<string, unknown>;
}

export interface CdcApplier {
  readonly stats: CdcApplierStats;
  /** Distinct Pub/Sub messages received (a redelivery keeps its message id): to know when every published change has arrived. */
  readonly distinctMessages: () => number;
  /** Applies what is buffered now and waits until it is written (it keeps pulling). */
  settle(): Promise<void>;
  /** Holds further writes (changes keep arriving and wait) until the returned release is called. */
  pause(): Promise<() => void>;
  /** Stops pulling and applies what is buffered. */
  close(): Promise<void>;
}

export function startCdcApplier(options: CdcApplierOptions): CdcApplier {
  const stats: CdcApplierStats = { messages: 0, upserts: 0, deletes: 0, ignored: 0, rejected: 0, batches: 0 };
  const { primaryKey } = options;
  const keyOf = (row: Record<string, unknown>) => primaryKey.map((column) => String(row[column])).join("\u001f");
  const state = new Map<string, KeyState>();
  const dirty = new Set<string>();
  const seen = new Set<string>();
  const messageIds = new Set<string>();
  const fqn = `\`${options.projectId}.${options.table}\``;
  const [datasetId, tableId] = options.table.split(".");
  const table = options.bigquery.dataset(datasetId).table(tableId);
  const batchSize = options.batchSize ?? 500;

  /** Applies one message to the in-memory state; false when it is not a valid change. */
  const apply = (message: Message): boolean => {
    const parsed = parseChange(message, primaryKey);
    if (parsed === undefined) return false;
    const { change, type, sequenceNumber } = parsed;
    const changeId = message.attributes?.change_id ?? message.id;
    if (!seen.has(changeId)) {
      seen.add(changeId);
      if (type === "UPSERT") stats.upserts++;
      else stats.deletes++;
    }
    const key = keyOf(change);
    const current = state.get(key);
    if (current && compareSequenceNumbers(sequenceNumber, current.sequenceNumber) <= 0) {
      stats.ignored++;
      return true;
    }
    const row = Object.fromEntries(
      Object.entries(change).filter(([column]) => !(CDC_PSEUDO_COLUMNS as readonly string[]).includes(column)),
    );
    state.set(key, { sequenceNumber, row: type === "UPSERT" ? row : undefined });
    dirty.add(key);
    return true;
  };

  /** Writes every dirty key's current state: DELETE the keys, INSERT the rows that exist. */
  const write = async (): Promise<void> => {
    if (dirty.size === 0) return;
    const keys = [...dirty];
    const rows = keys.map((key) => state.get(key)?.row).filter((row): row is Record<string, unknown> => !!row);
    const keyExpression = `CONCAT(${primaryKey.map((c) => `CAST(\`${c}\` AS STRING)`).join(", '\\u001f', ")})`;
    await options.bigquery.query({
      query: `DELETE FROM ${fqn} WHERE ${keyExpression} IN UNNEST(@keys)`,
      params: { keys },
    });
    if (rows.length > 0) await table.insert(rows, { raw: false });
    for (const key of keys) dirty.delete(key);
    stats.batches++;
  };

  const flush = async (batch: Message[]): Promise<void> => {
    const valid: Message[] = [];
    for (const message of batch) {
      if (apply(message)) valid.push(message);
      else {
        stats.rejected++;
        message.ack();
      }
    }
    try {
      await write();
      valid.forEach((message) => message.ack());
    } catch (error) {
      process.stderr.write(`cdc applier: write failed, ${valid.length} messages nacked: ${(error as Error).message}\n`);
      valid.forEach((message) => message.nack());
    }
  };

  const consumer = startBatchingConsumer({
    pubsub: options.pubsub,
    subscription: options.subscription,
    batchSize,
    flushMs: options.flushMs ?? 200,
    maxStreams: 2,
    onMessage: (message) => {
      stats.messages++;
      messageIds.add(message.id);
    },
    flush,
    name: "cdc applier",
  });

  return {
    stats,
    distinctMessages: () => messageIds.size,
    settle: () => consumer.settle(),
    pause: () => consumer.pause(),
    close: async () => {
      await consumer.close();
      await write();
    },
  };
}

/** A message's change when it is a valid one: a JSON object with a change type, a sequence number and the whole key. */
function parseChange(
  message: Message,
  primaryKey: readonly string[],
): { change: Record<string, unknown>; type: "UPSERT" | "DELETE"; sequenceNumber: string } | undefined {
  let change: Record<string, unknown>;
  try {
    change = JSON.parse(message.data.toString("utf8"));
  } catch {
    return undefined;
  }
  if (change === null || typeof change !== "object" || Array.isArray(change)) return undefined;
  const type = change[CHANGE_TYPE_COLUMN];
  const sequenceNumber = change[CHANGE_SEQUENCE_NUMBER_COLUMN];
  if ((type !== "UPSERT" && type !== "DELETE") || sequenceNumberProblem(sequenceNumber) !== undefined) return undefined;
  if (primaryKey.some((column) => change[column] === undefined || change[column] === null)) return undefined;
  return { change, type, sequenceNumber: sequenceNumber as string };
}

/** The page changes the worker published, from the summary of its clean stop in its JSON log. */
export function publishedChanges(workerLog: string): number {
  for (const line of workerLog.split("\n").reverse()) {
    if (!line.includes('"stopped cleanly"')) continue;
    const summary = JSON.parse(line) as { cdc?: { upserts: number; deletes: number } };
    if (!summary.cdc) throw new Error("the worker ran without CDC_TOPIC: its summary has no cdc counts");
    return summary.cdc.upserts + summary.cdc.deletes;
  }
  throw new Error("the worker's log has no clean-stop summary");
}

/** What the demo reports about CDC: messages and changes the applier saw, and the table it left. */
export interface CdcReport {
  /** Messages the applier received (redeliveries included). */
  messages: number;
  /** Distinct UPSERT and DELETE changes received. */
  upserts: number;
  deletes: number;
  /** Rows of wiki_pages in the BigQuery emulator after the apply. */
  pages_rows: number;
  /** SHA-256 of the table's rows (`wiki`, `namespace`, `title`, `revision_id`, `last_change`, tab-separated, sorted, one per line). */
  pages_sha256: string;
}

/** Reads `wiki_pages` back from the emulator. */
export async function cdcReport(
  bigquery: BigQuery,
  projectId: string,
  table: string,
  stats: CdcApplierStats,
): Promise<CdcReport> {
  const [rows] = await bigquery.query({
    query: `SELECT wiki, namespace, title, revision_id, last_change FROM \`${projectId}.${table}\``,
  });
  return {
    messages: stats.messages,
    upserts: stats.upserts,
    deletes: stats.deletes,
    pages_rows: rows.length,
    pages_sha256: pagesDigest(rows),
  };
}

/** The digest of {@link CdcReport.pages_sha256}, for rows read back or computed by a model. */
export function pagesDigest(rows: readonly Record<string, unknown>[]): string {
  const lines = rows
    .map((r) =>
      [r.wiki, r.namespace, r.title, r.revision_id, r.last_change]
        .map((v) => (v === null || v === undefined ? "" : String(v)))
        .join("\t"),
    )
    .sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}
