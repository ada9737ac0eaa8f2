/**
 * Shared steps of the mixed-rollout tests: the fixture's events split between an old and a new
 * worker the way a rolling deployment splits them (old only, then both interleaved, then new only),
 * and writing rows through a worker's real sink while counting how each one ended.
 */
import { EventSink, SinkOutcome, SinkRow } from "../../app-worker/src/sink";
import { TableSchema } from "../../schemas/table-schema";
import { BigQueryRestClient } from "../../tools/emulators/bigquery-emulator";
import { loadFixture } from "../../tools/fixtures/generate";

/** Which worker handles an event. */
export type Writer = "old" | "new";

/** One event of the rollout: its SSE data line and the worker that handles it. */
export interface RolloutEvent {
  readonly data: string;
  readonly writer: Writer;
}

/**
 * The first `count` non-canary events of the committed fixture: the first third to the old worker
 * alone, the middle third alternating between the two, the last third to the new worker alone.
 */
export function rolloutEvents(count: number): RolloutEvent[] {
  const lines = loadFixture()
    .filter((line) => !line.includes('"domain":"canary"'))
    .slice(0, count);
  const third = Math.floor(lines.length / 3);
  return lines.map((data, i) => ({
    data,
    writer: i < third ? "old" : i >= 2 * third ? "new" : i % 2 === 0 ? "old" : "new",
  }));
}

/** The limits the tests' publishers (the worker's BoundedPublisher) run with: ample for a few hundred events. */
export const TEST_PUBLISHER_LIMITS = {
  maxInFlightMessages: 1000,
  maxInFlightBytes: 10_000_000,
  publishTimeoutMs: 60_000,
  batchMaxMessages: 100,
  batchMaxMs: 10,
} as const;

/** The settings the tests' BigQuerySinks run with besides their writers. */
export const TEST_SINK_LIMITS = {
  ...TEST_PUBLISHER_LIMITS,
  batchMaxBytes: 5_000_000,
  batchMaxMs: 20,
  timestampColumns: ["timestamp", "event_time"],
};

/** How the writes of one worker ended. */
export interface WriteReport {
  /** Events by outcome kind: `written`, `refused`, `undeliverable` or `failed`. */
  readonly counts: Record<string, number>;
  /** What each event not written said. */
  readonly details: string[];
}

/** Writes every row through `sink` (the worker's real sink), waits for each outcome and counts them. */
export async function writeAll(sink: EventSink, rows: readonly SinkRow[]): Promise<WriteReport> {
  const counts: Record<string, number> = {};
  const details: string[] = [];
  const pending = rows.map(
    (row) =>
      new Promise<void>((resolve) => {
        sink.write(row, (error?: Error, outcome?: SinkOutcome) => {
          const kind = error ? "failed" : (outcome?.kind ?? "failed");
          counts[kind] = (counts[kind] ?? 0) + 1;
          if (outcome && outcome.kind !== "written") details.push(`${outcome.kind}: ${outcome.detail}`);
          else if (error) details.push(`failed: ${error.message}`);
          resolve();
        });
      }),
  );
  // No flush: the sink sends a partial batch after its batchMaxMs, as in the worker.
  await Promise.all(pending);
  return { counts, details };
}

/**
 * Adds the columns of `schema` that the table lacks, keeping its rows: what the google provider's
 * in-place update of `google_bigquery_table.schema` does on BigQuery. The BigQuery emulator cannot do
 * that (`tables.patch` changes the table's metadata only, and `ALTER TABLE … ADD COLUMN` is accepted
 * and ignored; docs/emulator-limits.md), so here the table is created again with `schema` and its rows
 * copied back (a writer's open Storage Write stream keeps appending on the emulator, as on BigQuery).
 */
export async function addColumnsOnEmulator(
  apiEndpoint: string,
  projectId: string,
  table: { readonly datasetId: string; readonly tableId: string; readonly timePartitioning?: object },
  schema: TableSchema,
): Promise<number> {
  const base = `${apiEndpoint}/bigquery/v2/projects/${projectId}`;
  const call = async (method: string, resource: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${base}${resource}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`BigQuery ${method} ${resource}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  const { datasetId, tableId } = table;
  const client = new BigQueryRestClient(apiEndpoint, projectId);
  const { rows } = await client.query(`SELECT * FROM \`${projectId}.${datasetId}.${tableId}\``);
  await call("DELETE", `/datasets/${datasetId}/tables/${tableId}`);
  await client.createTable(datasetId, tableId, {
    schema: { fields: schema.toBigQueryJson() },
    timePartitioning: table.timePartitioning,
  });
  for (let i = 0; i < rows.length; i += 500) await client.insertAll(datasetId, tableId, rows.slice(i, i + 500));
  return rows.length;
}
