/**
 * The direct sink's decisions: batching, what is retried, split, refused, or failed.
 *
 * The writer here is scripted: it answers each request as BigQuery would in situations the
 * emulator cannot be made to produce on demand (a 503, a quota error, per-row `stopped`, a
 * request refused as a whole because of one row). What the real APIs do with real rows is in
 * direct-sink.emulator.test.ts (both sinks against the BigQuery emulator, through the worker).
 */
import {
  BigQuerySink,
  BigQuerySinkOptions,
  errorTableRow,
  refusedAlike,
  rowProblem,
  SinkOutcome,
  SinkRow,
} from "../src/bigquery-sink";
import { TableWriteError, TableWriter, TableWriteResult } from "../src/table-writer";
import { BIGQUERY_WRITE_LIMITS } from "../../schemas/worker-contract";
import { insertAllFailure } from "../src/insert-all-writer";
import { StorageWriteError } from "../src/storage-write";

type Answer = TableWriteResult | TableWriteError | ((rows: readonly Record<string, unknown>[]) => TableWriteResult);

/** A writer that records each request and answers from a script (then: everything written). */
function scriptedWriter(name: string, script: Answer[] = []) {
  const requests: { rows: Record<string, unknown>[]; insertIds: string[] }[] = [];
  const writer: TableWriter = {
    table: `projects/p/datasets/raw/tables/${name}`,
    async write(rows, insertIds) {
      requests.push({ rows: [...rows], insertIds: [...insertIds] });
      await new Promise((resolve) => setImmediate(resolve));
      const answer = script.shift();
      if (answer instanceof TableWriteError) throw answer;
      if (typeof answer === "function") return answer(rows);
      return answer ?? { refused: new Map(), retry: [] };
    },
    close: async () => undefined,
  };
  return { writer, requests };
}

function event(i: number, overrides: Record<string, unknown> = {}): SinkRow {
  const row = { event_id: `e${i}`, title: `Page ${i}`, event_time: "2024-06-01T12:00:00.000Z", ...overrides };
  return { eventId: `e${i}`, sseId: `s${i}`, row, json: JSON.stringify(row) };
}

function sinkWith(writer: TableWriter, errorWriter: TableWriter, options: Partial<BigQuerySinkOptions> = {}) {
  const observed: string[] = [];
  const sink = new BigQuerySink({
    sink: "insert-all",
    writer,
    errorWriter,
    maxInFlightMessages: 10_000,
    maxInFlightBytes: 100_000_000,
    batchMaxMessages: 10,
    batchMaxBytes: 1_000_000,
    batchMaxMs: 5,
    publishTimeoutMs: 60_000,
    backoff: { initialMs: 1, maxMs: 4 },
    timestampColumns: ["event_time"],
    observer: {
      request: (outcome, _s, rows) => observed.push(`${outcome}:${rows}`),
      refused: (reason, rows) => observed.push(`refused ${reason}:${rows}`),
    },
    ...options,
  });
  const outcomes = new Map<string, SinkOutcome | Error>();
  const write = (e: SinkRow) => sink.write(e, (error, outcome) => outcomes.set(e.eventId, error ?? outcome!));
  const settle = async () => {
    await sink.flush();
    await sink.waitForIdle();
  };
  return { sink, outcomes, write, settle, observed };
}

const refusedAt = (entries: [number, string][]): TableWriteResult => ({
  refused: new Map(entries.map(([i, message]) => [i, { reason: "invalid", message }])),
  retry: [],
});

describe("BigQuerySink", () => {
  test("batches by rows, by bytes and by time; insertIds are the event ids", async () => {
    const main = scriptedWriter("wiki_changes");
    const errors = scriptedWriter("wiki_changes_errors");
    const bytes = Buffer.byteLength(event(0).json);
    const { write, settle, outcomes } = sinkWith(main.writer, errors.writer, { batchMaxBytes: bytes * 4 });
    for (let i = 0; i < 9; i++) write(event(i));
    await settle();
    // 4 rows fit the byte bound: 4 + 4 + 1 (the last sent by the timer or the flush).
    expect(main.requests.map((r) => r.rows.length)).toEqual([4, 4, 1]);
    expect(main.requests[0].insertIds).toEqual(["e0", "e1", "e2", "e3"]);
    expect([...outcomes.values()].every((o) => !(o instanceof Error) && o.kind === "written")).toBe(true);
    expect(errors.requests).toEqual([]);

    const rows = scriptedWriter("wiki_changes");
    const byRows = sinkWith(rows.writer, errors.writer, { batchMaxMessages: 3 });
    for (let i = 0; i < 7; i++) byRows.write(event(i));
    await byRows.settle();
    expect(rows.requests.map((r) => r.rows.length)).toEqual([3, 3, 1]);

    // A partial batch goes out after batchMaxMs without a flush.
    const timed = scriptedWriter("wiki_changes");
    const byTime = sinkWith(timed.writer, errors.writer, { batchMaxMs: 10 });
    byTime.write(event(1));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(timed.requests).toHaveLength(1);
    await byTime.sink.waitForIdle();
  });

  test("a row BigQuery refuses goes to the error table with the reason; the others are written", async () => {
    const main = scriptedWriter("wiki_changes", [refusedAt([[1, "no such field: extra."]])]);
    const errors = scriptedWriter("wiki_changes_errors");
    const { write, settle, outcomes, observed, sink } = sinkWith(main.writer, errors.writer);
    for (let i = 0; i < 3; i++) write(event(i));
    await settle();
    expect(outcomes.get("e0")).toEqual({ kind: "written" });
    expect(outcomes.get("e2")).toEqual({ kind: "written" });
    expect(outcomes.get("e1")).toEqual({
      kind: "refused",
      reason: "invalid",
      detail: "BigQuery refused the row: no such field: extra.",
    });
    expect(errors.requests).toHaveLength(1);
    const [errorRow] = errors.requests[0].rows;
    expect(errorRow).toMatchObject({
      payloadString: event(1).json,
      payloadBytes: Buffer.from(event(1).json).toString("base64"),
      attributes: [
        { key: "event_id", value: "e1" },
        { key: "sse_id", value: "s1" },
      ],
      errorMessage: "invalid: BigQuery refused the row: no such field: extra.",
    });
    expect(observed).toEqual(["partial:3", "ok:1", "refused invalid:1"]);
    expect(sink.stats).toMatchObject({ written: 2, refused: 1 });
  });

  test("rows not written because of others (insertAll's stopped) are sent again", async () => {
    const main = scriptedWriter("wiki_changes", [{ refused: new Map(), retry: [0, 2] }]);
    const { write, settle, outcomes } = sinkWith(main.writer, scriptedWriter("errors").writer);
    for (let i = 0; i < 3; i++) write(event(i));
    await settle();
    expect(main.requests.map((r) => r.insertIds)).toEqual([
      ["e0", "e1", "e2"],
      ["e0", "e2"],
    ]);
    expect([...outcomes.values()]).toEqual([{ kind: "written" }, { kind: "written" }, { kind: "written" }]);
  });

  test("a retryable failure is retried with backoff until it heals; nothing is refused", async () => {
    const unavailable = new TableWriteError("HTTP 503 backendError", "retry");
    const main = scriptedWriter("wiki_changes", [unavailable, unavailable]);
    const { write, settle, outcomes, observed, sink } = sinkWith(main.writer, scriptedWriter("errors").writer);
    write(event(1));
    await settle();
    expect(main.requests).toHaveLength(3);
    expect(outcomes.get("e1")).toEqual({ kind: "written" });
    expect(observed).toEqual(["retried:1", "retried:1", "ok:1"]);
    expect(sink.stats.retries).toBe(2);
  });

  test("a failure that lasts past PUBLISH_TIMEOUT_MS fails the events (the worker stops; the checkpoint stays)", async () => {
    const forever = Array.from({ length: 1000 }, () => new TableWriteError("HTTP 503 backendError", "retry"));
    const main = scriptedWriter("wiki_changes", forever);
    // Retries every 5-10 ms for 400 ms: several retries even on a loaded machine (at 50 ms, one slow first
    // request could use the whole budget).
    const { write, settle, outcomes, observed } = sinkWith(main.writer, scriptedWriter("errors").writer, {
      publishTimeoutMs: 400,
      backoff: { initialMs: 5, maxMs: 10 },
    });
    write(event(1));
    write(event(2));
    await settle();
    const outcome = outcomes.get("e1");
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(
      /HTTP 503 backendError \(still failing after \d+ ms of retries, PUBLISH_TIMEOUT_MS 400\)/,
    );
    expect(outcomes.get("e2")).toBe(outcome);
    expect(observed[observed.length - 1]).toBe("failed:2");
    expect(main.requests.length).toBeGreaterThan(2);
  });

  test("a request refused as a whole is halved until the bad row is alone; the rest is written", async () => {
    const bad = new TableWriteError("HTTP 400 invalid: cannot parse row", "isolate");
    // Refuses any request holding e5.
    const main = scriptedWriter(
      "wiki_changes",
      Array.from({ length: 20 }, () => (rows: readonly Record<string, unknown>[]) => {
        if (rows.some((r) => r.event_id === "e5")) throw bad;
        return { refused: new Map(), retry: [] };
      }) as never,
    );
    const errors = scriptedWriter("wiki_changes_errors");
    const { write, settle, outcomes, sink } = sinkWith(main.writer, errors.writer, { batchMaxMessages: 8 });
    for (let i = 0; i < 8; i++) write(event(i));
    await settle();
    expect(outcomes.get("e5")).toEqual({
      kind: "refused",
      reason: "request_refused",
      detail: "HTTP 400 invalid: cannot parse row",
    });
    for (const id of ["e0", "e1", "e2", "e3", "e4", "e6", "e7"]) expect(outcomes.get(id)).toEqual({ kind: "written" });
    // 8 → 4 + 4 → 2 + 2 → 1 + 1: three splits.
    expect(sink.stats.splits).toBe(3);
    expect(errors.requests.flatMap((r) => r.insertIds)).toEqual(["e5/error"]);
  });

  test("rows refused alone by a request-level error wait for the table's verdict: a later answer row by row refuses them", async () => {
    const bad = new TableWriteError("HTTP 400 invalid: cannot parse row", "isolate");
    // Refuses any request holding e1 or e2: both bad, alone in their batch of 2.
    const main = scriptedWriter(
      "wiki_changes",
      Array.from({ length: 20 }, () => (rows: readonly Record<string, unknown>[]) => {
        if (rows.some((r) => r.event_id === "e1" || r.event_id === "e2")) throw bad;
        return { refused: new Map(), retry: [] };
      }) as never,
    );
    const errors = scriptedWriter("wiki_changes_errors");
    const { write, settle, outcomes, sink } = sinkWith(main.writer, errors.writer, { batchMaxMessages: 2 });
    write(event(1));
    write(event(2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Nothing decided yet: no request showed the table takes rows.
    expect(outcomes.size).toBe(0);
    write(event(3));
    await settle();
    expect(outcomes.get("e3")).toEqual({ kind: "written" });
    expect(outcomes.get("e1")).toMatchObject({ kind: "refused", reason: "request_refused" });
    expect(outcomes.get("e2")).toMatchObject({ kind: "refused", reason: "request_refused" });
    expect(sink.stats).toMatchObject({ written: 1, refused: 2 });
  });

  test("a lone request refused by a request-level error with no later answer within requestTimeoutMs fails its events", async () => {
    const refused = Array.from(
      { length: 5 },
      () => new TableWriteError("HTTP 400 invalid: schema mismatch", "isolate"),
    );
    const main = scriptedWriter("wiki_changes", refused);
    const errors = scriptedWriter("wiki_changes_errors");
    const { write, settle, outcomes } = sinkWith(main.writer, errors.writer, { requestTimeoutMs: 50 });
    write(event(1));
    await settle();
    expect((outcomes.get("e1") as Error).message).toMatch(
      /wiki_changes: BigQuery refused every row with an error that is not about any row .*HTTP 400 invalid: schema mismatch/,
    );
    expect(errors.requests).toEqual([]);
  });

  test("every row of every request refused alike, row by row (the table lacks a column): the events fail, nothing in the error table", async () => {
    const noSuchField = (rows: readonly Record<string, unknown>[]): TableWriteResult =>
      refusedAt(rows.map((_r, i) => [i, "no such field: bot."]));
    const main = scriptedWriter(
      "wiki_changes",
      Array.from({ length: 40 }, () => noSuchField),
    );
    const errors = scriptedWriter("wiki_changes_errors");
    const tableRefused: string[] = [];
    const { write, settle, outcomes, sink } = sinkWith(main.writer, errors.writer, {
      batchMaxMessages: 4,
      observer: { tableRefused: (message, rows) => tableRefused.push(`${rows}: ${message}`) },
    });
    for (let i = 0; i < 8; i++) write(event(i));
    await settle();
    for (let i = 0; i < 8; i++)
      expect((outcomes.get(`e${i}`) as Error).message).toMatch(
        /wiki_changes: BigQuery refused every row with an error that is not about any row .*refused alike \(invalid\): no such field: bot\./,
      );
    expect(errors.requests).toEqual([]);
    expect(sink.stats).toMatchObject({ written: 0, refused: 0 });
    expect(tableRefused).toHaveLength(1);
  });

  test("a row refused row by row alone in its request waits for the table's verdict, then keeps BigQuery's reason", async () => {
    // e1 is refused (alone in its request of 1); e2, sent later, is written.
    const main = scriptedWriter("wiki_changes", [refusedAt([[0, "Cannot convert value to integer."]])]);
    const errors = scriptedWriter("wiki_changes_errors");
    const { write, settle, outcomes, sink } = sinkWith(main.writer, errors.writer, { batchMaxMessages: 1 });
    write(event(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Nothing decided yet: no request showed the table takes rows.
    expect(outcomes.size).toBe(0);
    write(event(2));
    await settle();
    expect(outcomes.get("e2")).toEqual({ kind: "written" });
    expect(outcomes.get("e1")).toEqual({
      kind: "refused",
      reason: "invalid",
      detail: "BigQuery refused the row: Cannot convert value to integer.",
    });
    expect(errors.requests.flatMap((r) => r.insertIds)).toEqual(["e1/error"]);
    expect(sink.stats).toMatchObject({ written: 1, refused: 1 });
  });

  test("refusedAlike: every row, same reason and message, none to send again", () => {
    const why = (message: string, reason = "invalid") => ({ reason, message });
    const result = (refused: [number, ReturnType<typeof why>][], retry: number[] = []) => ({
      refused: new Map(refused),
      retry,
    });
    const field = why("no such field: bot.");
    expect(
      refusedAlike(
        result([
          [0, field],
          [1, field],
        ]),
        2,
      ),
    ).toEqual(field);
    // One row of two refused: an answer row by row.
    expect(refusedAlike(result([[1, field]]), 2)).toBeUndefined();
    // The other row stopped (not at fault, sent again): not alike.
    expect(refusedAlike(result([[0, field]], [1]), 2)).toBeUndefined();
    expect(
      refusedAlike(
        result([
          [0, field],
          [1, why("no such field: other.")],
        ]),
        2,
      ),
    ).toBeUndefined();
    expect(
      refusedAlike(
        result([
          [0, field],
          [1, why("no such field: bot.", "invalidQuery")],
        ]),
        2,
      ),
    ).toBeUndefined();
    expect(refusedAlike(result([]), 0)).toBeUndefined();
  });

  test("rows BigQuery would refuse are refused before sending: larger than a request, TIMESTAMP out of range", async () => {
    const main = scriptedWriter("wiki_changes");
    const errors = scriptedWriter("wiki_changes_errors");
    const { write, settle, outcomes } = sinkWith(main.writer, errors.writer);
    write(event(1, { event_time: "0000-06-01T00:00:00.000Z" }));
    write(event(2, { title: "x".repeat(BIGQUERY_WRITE_LIMITS.maxRowBytes) }));
    write(event(3, { event_time: "+010000-01-01T00:00:00.000Z" }));
    write(event(4));
    await settle();
    expect(main.requests.flatMap((r) => r.insertIds)).toEqual(["e4"]);
    expect(outcomes.get("e1")).toMatchObject({ kind: "refused", reason: "out_of_range" });
    expect(outcomes.get("e2")).toMatchObject({ kind: "refused", reason: "too_large" });
    expect(outcomes.get("e3")).toMatchObject({ kind: "refused", reason: "out_of_range" });
    // The huge row's error row holds part of its payload, and says so.
    const huge = errors.requests.flatMap((r) => r.rows).find((r) => String(r.errorMessage).startsWith("too_large"))!;
    expect(String(huge.errorMessage)).toMatch(/payload truncated to 3000000 of \d+ bytes/);
    expect(Buffer.byteLength(String(huge.payloadString))).toBeLessThanOrEqual(3_000_000);
  });

  test("an error row the error table refuses fails its event: it would otherwise be lost", async () => {
    const main = scriptedWriter("wiki_changes", [refusedAt([[0, "invalid value"]])]);
    const errors = scriptedWriter("wiki_changes_errors", [refusedAt([[0, "table not writable"]])]);
    const { write, settle, outcomes } = sinkWith(main.writer, errors.writer);
    write(event(1));
    write(event(2));
    await settle();
    expect(outcomes.get("e2")).toEqual({ kind: "written" });
    const outcome = outcomes.get("e1");
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(
      /error table projects\/p\/datasets\/raw\/tables\/wiki_changes_errors refused the row of event e1: table not writable/,
    );
  });

  test("in flight is bounded: capacity returns once BigQuery acknowledges", async () => {
    const main = scriptedWriter("wiki_changes");
    const { sink, write, settle } = sinkWith(main.writer, scriptedWriter("errors").writer, {
      maxInFlightMessages: 3,
      batchMaxMs: 1000,
    });
    for (let i = 0; i < 3; i++) write(event(i));
    expect(sink.hasCapacity).toBe(false);
    expect(sink.messages).toBe(3);
    const capacity = sink.waitForCapacity();
    await settle();
    await capacity;
    expect(sink.hasCapacity).toBe(true);
    expect(sink.bytes).toBe(0);
  });

  test("rowProblem and errorTableRow are pure", () => {
    expect(rowProblem(event(1), 100, ["event_time"])).toBeUndefined();
    expect(rowProblem(event(1, { event_time: "9999-12-31T23:59:59.999Z" }), 100, ["event_time"])).toBeUndefined();
    expect(rowProblem(event(1, { event_time: "not a time" }), 100, ["event_time"])?.reason).toBe("out_of_range");
    const row = errorTableRow(event(7), "invalid", "why");
    expect(row).toMatchObject({ errorMessage: "invalid: why", stacktrace: null });
    expect(Date.parse(String(row.timestamp))).not.toBeNaN();
  });

  test("a failure no retry or refusal can help (permission, missing table) fails at once, nothing in the error table", async () => {
    const denied = new TableWriteError("HTTP 403 accessDenied", "stop");
    const main = scriptedWriter("wiki_changes", [denied]);
    const errors = scriptedWriter("wiki_changes_errors");
    const { write, settle, outcomes } = sinkWith(main.writer, errors.writer);
    write(event(1));
    write(event(2));
    await settle();
    expect(main.requests).toHaveLength(1);
    expect(errors.requests).toEqual([]);
    expect((outcomes.get("e1") as Error).message).toMatch(/HTTP 403 accessDenied$/);
  });

  test("failures are classified by what BigQuery answered", () => {
    // insertAll: no answer, 408, 429, 5xx: retry; 400/413: isolate the row; other 4xx: stop.
    expect(insertAllFailure(undefined, "")).toBe("retry");
    expect(insertAllFailure(503, "backendError")).toBe("retry");
    expect(insertAllFailure(429, "")).toBe("retry");
    expect(insertAllFailure(403, "rateLimitExceeded")).toBe("retry");
    expect(insertAllFailure(400, "invalid")).toBe("isolate");
    expect(insertAllFailure(413, "")).toBe("isolate");
    expect(insertAllFailure(403, "accessDenied")).toBe("stop");
    expect(insertAllFailure(404, "notFound")).toBe("stop");
    // Storage Write: row errors or INVALID_ARGUMENT: isolate; NOT_FOUND, PERMISSION_DENIED: stop; the rest: retry.
    expect(new StorageWriteError("x", [{ index: 0, code: "FIELDS_ERROR", message: "bad" }], 3).failure).toBe("isolate");
    expect(new StorageWriteError("x", [], 3).failure).toBe("isolate");
    expect(new StorageWriteError("x", [], 7).failure).toBe("stop");
    expect(new StorageWriteError("x", [], 5).failure).toBe("stop");
    expect(new StorageWriteError("x", [], 14).failure).toBe("retry");
    expect(new StorageWriteError("x", [], 2).failure).toBe("retry");
    expect(new StorageWriteError("x").failure).toBe("retry");
  });

  test("a request without an answer times out: it is aborted and the rows are sent again", async () => {
    let calls = 0;
    let resets = 0;
    const writer: TableWriter = {
      table: "projects/p/datasets/raw/tables/wiki_changes",
      // The first request never answers (a wedged connection); the next one does.
      write: (_rows, _ids, signal) => {
        signal?.addEventListener("abort", () => void resets++);
        return ++calls === 1 ? new Promise<never>(() => undefined) : Promise.resolve({ refused: new Map(), retry: [] });
      },
      close: async () => undefined,
    };
    const { write, settle, outcomes, observed } = sinkWith(writer, scriptedWriter("errors").writer, {
      requestTimeoutMs: 30,
    });
    write(event(1));
    await settle();
    expect(outcomes.get("e1")).toEqual({ kind: "written" });
    expect([calls, resets]).toEqual([2, 1]);
    expect(observed).toEqual(["retried:1", "ok:1"]);
  });
});
