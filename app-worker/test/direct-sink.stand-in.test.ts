/**
 * The direct sink with its real writers (Storage Write API over gRPC, insertAll over HTTP) against
 * stand-in write servers (`helpers/write-server.ts`) that answer as BigQuery does in situations the
 * emulator cannot be made to produce: a table-level refusal of every request, one row refused by a
 * request-level error, an answer that never comes.
 */
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { BigQueryTableName } from "../../schemas/worker-settings";
import { loadFixture } from "../../tools/fixtures/generate";
import { BigQuerySink, BigQuerySinkOptions, SinkOutcome, SinkRow } from "../src/bigquery-sink";
import { projectData } from "../src/projection";
import { emulatorClientOptions } from "../src/storage-write";
import { StorageWriteWriter } from "../src/storage-write-writer";
import { sinkMetricsObserver, WorkerMetrics } from "../src/metrics";
import { TableWriter } from "../src/table-writer";
import { AppendAnswer, AppendRecord, StandInStorageWrite } from "./helpers/write-server";

const RAW: BigQueryTableName = { projectId: "p", datasetId: "raw", tableId: "wiki_changes" };
const ERRORS: BigQueryTableName = { projectId: "p", datasetId: "raw", tableId: "wiki_changes_errors" };

/** Accepted events of the recorded fixture, as the worker hands them to the sink (unique ids). */
const EVENTS: SinkRow[] = (() => {
  const seen = new Set<string>();
  const rows: SinkRow[] = [];
  for (const [i, line] of loadFixture().entries()) {
    const result = projectData(line);
    if (result.kind !== "row" || seen.has(result.row.event_id)) continue;
    seen.add(result.row.event_id);
    rows.push({ eventId: result.row.event_id, sseId: `s${i}`, row: result.row, json: result.json });
    if (rows.length === 400) break;
  }
  return rows;
})();

const servers: { stop(): Promise<void> }[] = [];
const sinks: BigQuerySink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A sink whose raw table is `raw` and error table `errors`, with observed counts. */
function sinkOver(writer: TableWriter, errorWriter: TableWriter, options: Partial<BigQuerySinkOptions> = {}) {
  const observed = { requests: new Map<string, number>(), timeouts: 0 };
  // The worker's own observer (its /metrics counters), and the counts the tests look at.
  const metrics = new WorkerMetrics({ defaultMetrics: false });
  const worker = sinkMetricsObserver(metrics, "storage-write");
  const sink = new BigQuerySink({
    sink: "storage-write",
    writer,
    errorWriter,
    maxInFlightMessages: 10_000,
    maxInFlightBytes: 100_000_000,
    batchMaxMessages: 10,
    batchMaxBytes: 5_000_000,
    batchMaxMs: 5,
    publishTimeoutMs: 30_000,
    backoff: { initialMs: 5, maxMs: 20 },
    observer: {
      ...worker,
      request: (outcome, ...rest) => {
        worker.request(outcome, ...rest);
        observed.requests.set(outcome, (observed.requests.get(outcome) ?? 0) + 1);
      },
      retrying: (error) => void (observed.timeouts += /no answer within/.test(error.message) ? 1 : 0),
    },
    ...options,
  });
  sinks.push(sink);
  const outcomes = new Map<string, SinkOutcome | Error>();
  const write = (events: readonly SinkRow[]) => {
    for (const e of events) sink.write(e, (error, outcome) => outcomes.set(e.eventId, error ?? outcome!));
  };
  const settle = async () => {
    await sink.flush();
    await sink.waitForIdle();
  };
  const counter = async (name: string) =>
    (await metrics.registry.getSingleMetric(`fresh_streams_worker_${name}`)!.get()).values.reduce(
      (n, v) => n + v.value,
      0,
    );
  return { sink, outcomes, write, settle, observed, counter };
}

async function storageWrite(script: (request: AppendRecord) => AppendAnswer) {
  const server = new StandInStorageWrite(script);
  const errorServer = new StandInStorageWrite();
  servers.push(server, errorServer);
  const [host, errorHost] = [await server.start(), await errorServer.start()];
  const writer = await StorageWriteWriter.open(RAW, WIKI_CHANGES_SCHEMA, {
    clientOptions: emulatorClientOptions(host),
  });
  const errorWriter = await StorageWriteWriter.open(ERRORS, INGESTION_ERRORS_SCHEMA, {
    clientOptions: emulatorClientOptions(errorHost),
  });
  return { server, errorServer, writer, errorWriter };
}

const kinds = (outcomes: Map<string, SinkOutcome | Error>) => {
  const count = new Map<string, number>();
  for (const o of outcomes.values()) {
    const kind = o instanceof Error ? "failed" : o.kind;
    count.set(kind, (count.get(kind) ?? 0) + 1);
  }
  return Object.fromEntries(count);
};

describe("a table-level refusal (not about any row) stops the sink; no row goes to the error table", () => {
  const schemaMismatch = "Input schema has more fields than BigQuery schema, extra fields: 'bot'";

  test.each([
    ["an append answered with INVALID_ARGUMENT and no row_errors", { kind: "error", code: 3, message: schemaMismatch }],
    ["the stream ended with status INVALID_ARGUMENT", { kind: "status", code: 3, message: schemaMismatch }],
  ] as const)("storage-write: %s", async (_what, answer) => {
    const { server, errorServer, writer, errorWriter } = await storageWrite(() => answer);
    const { write, settle, outcomes, sink, counter } = sinkOver(writer, errorWriter);
    write(EVENTS.slice(0, 280));
    await settle();
    // Every event failed (the worker stops with exit 2; its checkpoint stays before them) and says why.
    expect(kinds(outcomes)).toEqual({ failed: 280 });
    const error = [...outcomes.values()][0] as Error;
    expect(error.message).toMatch(/refused every row .* table-level/);
    expect(error.message).toContain(schemaMismatch);
    // Nothing in the error table: once the table is fixed, a restart replays and writes these rows.
    expect(errorServer.requests).toEqual([]);
    expect(sink.stats.refused).toBe(0);
    // Counted where an alert can look: fresh_streams_worker_sink_table_refusals_total.
    expect(await counter("sink_table_refusals_total")).toBe(1);
    expect(await counter("sink_rows_refused_total")).toBe(0);
    // Recognised early: far fewer requests than halving every batch down to single rows (2n - 1 each).
    expect(server.requests.length).toBeLessThan(200);
  });
});

describe("a row refused on its own by a request-level error is still isolated and refused", () => {
  const tooLarge = { kind: "status", code: 3, message: "AppendRows request too large" } as const;

  test("storage-write: the others of its batch are written, it goes to the error table", async () => {
    const bad = EVENTS[5].eventId;
    const { server, errorServer, writer, errorWriter } = await storageWrite((r) =>
      r.eventIds.includes(bad) ? tooLarge : { kind: "ok" },
    );
    const { write, settle, outcomes, sink } = sinkOver(writer, errorWriter);
    write(EVENTS.slice(0, 40));
    await settle();
    expect(kinds(outcomes)).toEqual({ written: 39, refused: 1 });
    expect(outcomes.get(bad)).toMatchObject({ kind: "refused", reason: "request_refused" });
    expect(errorServer.requests.flatMap((r) => r.eventIds)).toEqual([bad]);
    expect(server.written.size).toBe(39);
    expect(sink.stats).toMatchObject({ written: 39, refused: 1 });
  });

  test("storage-write: alone in its batch, it is refused once other rows show the table accepts rows", async () => {
    const bad = EVENTS[0].eventId;
    const { errorServer, writer, errorWriter } = await storageWrite((r) =>
      r.eventIds.includes(bad) ? tooLarge : { kind: "ok" },
    );
    const { write, settle, outcomes } = sinkOver(writer, errorWriter);
    write(EVENTS.slice(0, 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    write(EVENTS.slice(1, 4));
    await settle();
    expect(kinds(outcomes)).toEqual({ written: 3, refused: 1 });
    expect(errorServer.requests.flatMap((r) => r.eventIds)).toEqual([bad]);
  });
});

describe("a Storage Write request without an answer", () => {
  test("rejects the other appends of its connection at once: no stranded request, no duplicate from a healthy one", async () => {
    // BigQuery answers in 20 ms; the answers to the 6th, 30th, 60th and 90th append never come.
    const withheld = new Set([5, 29, 59, 89]);
    const { server, writer, errorWriter } = await storageWrite((r) =>
      withheld.has(r.index) ? { kind: "withhold" } : { kind: "ok" },
    );
    (server as unknown as { latencyMs: number }).latencyMs = 20;
    const { write, settle, outcomes, observed } = sinkOver(writer, errorWriter, {
      requestTimeoutMs: 1000,
      batchMaxMessages: 3,
    });
    // A steady stream: 3 events every 10 ms.
    for (let i = 0; i < 300; i += 3) {
      write(EVENTS.slice(i, i + 3));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await settle();
    expect(kinds(outcomes)).toEqual({ written: 300 });
    // Only the withheld requests time out: the appends stuck behind them are rejected and resent at
    // once, and a late timeout never closes the connection a healthy request is waiting on.
    expect(observed.timeouts).toBe(withheld.size);
    expect(server.connections).toBe(1 + withheld.size);
    // Rows of a withheld answer are written again (at least once); no other row is.
    expect(server.healthyDuplicates()).toEqual([]);
    // No time bound: a stranded append would wait out its own timeout, which the count of timeouts above shows.
  });
});
