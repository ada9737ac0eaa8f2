/**
 * The direct sinks (SINK=storage-write and SINK=insert-all) end to end against real parts: the
 * worker (as `npm run worker` runs it) reading a local SSE server and writing the BigQuery
 * emulator (goccy/bigquery-emulator; REST for insertAll, gRPC for the Storage Write API, where
 * a committed stream stands in for the default stream the emulator lacks).
 *
 * What is proven: every accepted event lands in wiki_changes (counted by event_id) across SSE cuts
 * and a SIGTERM + restart; a row BigQuery would refuse goes to the error table with its reason and
 * is counted, and the checkpoint moves past it; batching keeps every request within the limits.
 * What only real BigQuery shows: insertId de-duplication (the emulator keeps every insert), the
 * default stream, and per-row refusals of values the emulator accepts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { DIRECT_SINKS, DirectSink } from "../../schemas/worker-contract";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import {
  BigQueryEmulator,
  BigQueryRestClient,
  sinkEmulatorEnv,
  startBigQueryEmulator,
} from "../../tools/emulators/bigquery-emulator";
import { describeFixture, loadFixture } from "../../tools/fixtures/generate";
import { SseServer, sseId } from "../../tools/sse/sse-server";
import { projectData } from "../src/projection";
import * as helpers from "./helpers/worker";
import { metricValue, waitFor, waitForMetric, within } from "./helpers/worker";
import { freePort } from "../../tools/process/free-port";

const PROJECT = "fresh-streams-local";
process.env.METADATA_SERVER_DETECTION ??= "none";

/** An event BigQuery refuses: its event_time is before 0001-01-01 (TIMESTAMP's range). */
const OUT_OF_RANGE_ID = "00000000-0000-4000-8000-000000000000";
const base = loadFixture();
const outOfRange = (() => {
  const event = JSON.parse(base.find((line) => !line.includes('"canary"'))!);
  event.meta = { ...event.meta, id: OUT_OF_RANGE_ID, dt: "0000-06-01T00:00:00.000Z" };
  return JSON.stringify(event);
})();
const fixture = [...base.slice(0, 2500), outOfRange, ...base.slice(2500)];
const summary = describeFixture(fixture);
/** Accepted event ids that must land in wiki_changes (all but the refused one). */
const expectedIds = new Set(
  fixture
    .map((line) => projectData(line))
    .flatMap((r) => (r.kind === "row" && r.row.event_id !== OUT_OF_RANGE_ID ? [r.row.event_id] : [])),
);

/** Every worker a test starts; one still running when its test ends (a failure) is killed. */
const started: ReturnType<typeof helpers.spawnWorker>[] = [];
const spawnWorker = (env: Record<string, string>) => {
  const worker = helpers.spawnWorker(env);
  started.push(worker);
  return worker;
};
afterEach(() => {
  for (const worker of started.splice(0))
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
});

let emulator: BigQueryEmulator;
let bigquery: BigQueryRestClient;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-direct-"));

beforeAll(async () => {
  emulator = await startBigQueryEmulator({ projectId: PROJECT, logFile: path.join(work, "emulator.log") });
  bigquery = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
}, 120_000);
afterAll(async () => {
  await emulator?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const eventIdCounts = async (dataset: string, table = "wiki_changes") =>
  new Map<string, number>(
    (
      await bigquery.query(`SELECT event_id, COUNT(*) AS n FROM \`${PROJECT}.${dataset}.${table}\` GROUP BY event_id`)
    ).rows.map((r) => [String(r.event_id), Number(r.n)]),
  );

describe.each(DIRECT_SINKS)("SINK=%s against the BigQuery emulator", (sink) => {
  const dataset = `direct_${sink.replace("-", "_")}`;
  beforeAll(() => bigquery.createRawTables(dataset));

  test("SSE cuts and a restart: every accepted event lands by event_id, the refused one is in the error table", async () => {
    const server = new SseServer({ events: fixture, cutEvery: 900, eventsPerSecond: 3000 });
    const url = await server.start();
    const port = await freePort();
    const env = directEnv(sink, dataset, "wiki_changes", url, port);
    try {
      const first = spawnWorker(env);
      await waitForMetric(port, "fresh_streams_worker_events_published_total", 1500, 90_000).catch((error) => {
        throw new Error(`${error.message}; worker output:\n${first.output().slice(-3000)}`);
      });
      first.child.kill("SIGTERM");
      const firstExit = await within(first.exited, 15_000, "exit after SIGTERM");
      if (firstExit !== 0) throw new Error(`first worker ended with ${firstExit}:\n${first.output().slice(-3000)}`);
      const checkpoint = JSON.parse(fs.readFileSync(env.CHECKPOINT_PATH, "utf8"));
      const afterFirst = await eventIdCounts(dataset);
      expect(afterFirst.size).toBeLessThan(expectedIds.size);

      const second = spawnWorker(env);
      // Done when the checkpoint reached the last frame: every event was written or refused.
      await waitFor(
        () => {
          try {
            return JSON.parse(fs.readFileSync(env.CHECKPOINT_PATH, "utf8")).lastEventId === sseId(fixture.length - 1);
          } catch {
            return false;
          }
        },
        120_000,
        "the second worker's checkpoint at the last event",
      ).catch((error) => {
        throw new Error(`${error.message}; worker output:\n${second.output().slice(-3000)}`);
      });
      const metrics = await waitForMetric(
        port,
        'fresh_streams_worker_sink_rows_written_total{sink="' + sink + '"}',
        1,
        5_000,
      );
      second.child.kill("SIGTERM");
      const secondExit = await within(second.exited, 15_000, "second exit");
      if (secondExit !== 0) throw new Error(`second worker ended with ${secondExit}:\n${second.output().slice(-3000)}`);

      // The restart resumed where the checkpoint said, and the reconnections after each cut too.
      const resumedAt = server.requests.find((r) => r.lastEventId === checkpoint.lastEventId);
      expect(resumedAt).toBeDefined();
      const counts = await eventIdCounts(dataset);
      expect([...expectedIds].filter((id) => !counts.has(id))).toEqual([]);
      expect([...counts.keys()].filter((id) => !expectedIds.has(id))).toEqual([]);
      // Repeats: the fixture's own duplicates, plus what was in flight at the SIGTERM (replayed).
      const rows = [...counts.values()].reduce((a, b) => a + b, 0);
      expect(rows - expectedIds.size).toBeLessThan(summary.duplicates + 600);

      // The refused row: in the error table with its reason and event id, never in wiki_changes.
      const errors = (
        await bigquery.query(
          `SELECT payloadString, errorMessage, a.value AS event_id FROM \`${PROJECT}.${dataset}.wiki_changes_errors\`, UNNEST(attributes) AS a WHERE a.key = 'event_id'`,
        )
      ).rows;
      expect(errors).toHaveLength(1);
      expect(errors[0].event_id).toBe(OUT_OF_RANGE_ID);
      expect(String(errors[0].errorMessage)).toMatch(/^out_of_range: event_time "0000-06-01T00:00:00.000Z" is outside/);
      expect(JSON.parse(String(errors[0].payloadString)).event_id).toBe(OUT_OF_RANGE_ID);
      const final = JSON.parse(fs.readFileSync(env.CHECKPOINT_PATH, "utf8"));
      expect(final.lastEventId).toBe(sseId(fixture.length - 1));
      expect(second.output() + first.output()).toMatch(/BigQuery refused a row; it is in the error table/);
      // The refusal is counted where the alerts look (the second worker's counters, if it saw it).
      const refusedHere = metricValue(
        metrics,
        `fresh_streams_worker_sink_rows_refused_total{sink="${sink}",reason="out_of_range"}`,
      );
      expect(refusedHere + (first.output().includes("BigQuery refused a row") ? 1 : 0)).toBe(1);
    } finally {
      await server.stop();
    }
  }, 300_000);

  test("batching keeps every request within the row and byte limits, and every row is written once", async () => {
    await bigquery.createTable(dataset, "batching", { schema: { fields: WIKI_CHANGES_SCHEMA.toBigQueryJson() } });
    await bigquery.createTable(dataset, "batching_errors", {
      schema: { fields: INGESTION_ERRORS_SCHEMA.toBigQueryJson() },
    });
    const events = base.slice(0, 1500);
    // Accepted events, the fixture's replayed duplicates included (each is a row: the ELT de-duplicates).
    const acceptedIds = events.map((l) => projectData(l)).flatMap((r) => (r.kind === "row" ? [r.row.event_id] : []));
    const unique = new Set(acceptedIds);
    const server = new SseServer({ events });
    const port = await freePort();
    const env = directEnv(sink, dataset, "batching", await server.start(), port, {
      BATCH_MAX_MESSAGES: "100",
      BATCH_MAX_BYTES: "20000",
      LOG_LEVEL: "debug",
    });
    try {
      const worker = spawnWorker(env);
      await waitForMetric(
        port,
        `fresh_streams_worker_sink_rows_written_total{sink="${sink}"}`,
        acceptedIds.length,
        90_000,
      ).catch((error) => {
        throw new Error(`${error.message}; worker output:\n${worker.output().slice(-3000)}`);
      });
      worker.child.kill("SIGTERM");
      expect(await within(worker.exited, 15_000, "exit after SIGTERM")).toBe(0);
      const requests = worker
        .output()
        .split("\n")
        .filter((line) => line.includes('"BigQuery write request"'))
        .map((line) => JSON.parse(line) as { rows: number; bytes: number; outcome: string });
      expect(requests.every((r) => r.outcome === "ok")).toBe(true);
      expect(requests.reduce((n, r) => n + r.rows, 0)).toBe(acceptedIds.length);
      expect(Math.max(...requests.map((r) => r.rows))).toBeLessThanOrEqual(100);
      expect(Math.max(...requests.map((r) => r.bytes))).toBeLessThanOrEqual(20_000);
      // Batches were filled (by bytes: about 60 rows of ~330 bytes), not sent a row at a time.
      expect(requests.length).toBeLessThan(acceptedIds.length / 20);
      const counts = await eventIdCounts(dataset, "batching");
      expect(counts.size).toBe(unique.size);
      for (const id of unique) expect([id, counts.get(id)]).toEqual([id, acceptedIds.filter((a) => a === id).length]);
    } finally {
      await server.stop();
    }
  }, 120_000);

  test("a table that lacks a column: insertAll's rows, refused alike, stop the worker with exit 2 and none reaches the error table (the emulator's Storage Write drops the field)", async () => {
    // The table as an older deploy left it: without the `bot` column the worker's rows carry.
    const narrow = WIKI_CHANGES_SCHEMA.toBigQueryJson().filter((f) => f.name !== "bot");
    await bigquery.createTable(dataset, "narrow", { schema: { fields: narrow } });
    await bigquery.createTable(dataset, "narrow_errors", {
      schema: { fields: INGESTION_ERRORS_SCHEMA.toBigQueryJson() },
    });
    const events = base.slice(0, 200);
    const accepted = events.map((l) => projectData(l)).flatMap((r) => (r.kind === "row" ? [r.row] : []));
    expect(accepted.every((r) => r.bot !== null)).toBe(true);
    const ids = new Set(accepted.map((r) => r.event_id));
    const server = new SseServer({ events });
    const port = await freePort();
    const env = directEnv(sink, dataset, "narrow", await server.start(), port);
    const errorRows = async () =>
      (
        await bigquery.query(
          `SELECT errorMessage, a.value AS event_id FROM \`${PROJECT}.${dataset}.narrow_errors\`, UNNEST(attributes) AS a WHERE a.key = 'event_id'`,
        )
      ).rows;
    try {
      if (sink === "insert-all") {
        // What the emulator answers, as BigQuery does: per row, the same error on every row.
        const answer = await bigquery.insertAll(dataset, "narrow", accepted.slice(0, 3)).then(
          () => "written",
          (error: Error) => error.message,
        );
        expect(answer.match(/no such field: bot\./g)).toHaveLength(3);
        // That is the table's fault, not the rows': once two requests (halved down to single rows)
        // had every row refused alike, the worker stops (exit 2) with its checkpoint before them, and
        // no row goes to the error table (a restart replays them once the table has the column).
        const worker = spawnWorker({ ...env, BATCH_MAX_MESSAGES: "50" });
        const exit = await within(worker.exited, 60_000, "exit").catch((error) => {
          throw new Error(`${error.message}; worker output:\n${worker.output().slice(-3000)}`);
        });
        expect(exit).toBe(2);
        expect(worker.output()).toMatch(/fatal: .*refused every row .*refused alike \(invalid\): no such field: bot\./);
        expect(worker.output()).not.toMatch(/BigQuery refused a row; it is in the error table/);
        expect(await errorRows()).toEqual([]);
        expect((await eventIdCounts(dataset, "narrow")).size).toBe(0);
        expect(fs.existsSync(env.CHECKPOINT_PATH)).toBe(false);
        return;
      }
      // The emulator's Storage Write API drops a field the table lacks and appends the row. (Real
      // BigQuery refuses an append whose rows have a field the table lacks, with INVALID_ARGUMENT
      // and no row errors: the worker then stops with exit 2 and refuses no row, as
      // direct-sink.stand-in.integration.test.ts shows with a stand-in server. Only real BigQuery
      // shows the answer itself.)
      const worker = spawnWorker(env);
      await waitFor(
        () =>
          fs.existsSync(env.CHECKPOINT_PATH) &&
          JSON.parse(fs.readFileSync(env.CHECKPOINT_PATH, "utf8")).lastEventId === sseId(events.length - 1),
        60_000,
        "the checkpoint at the last event",
      ).catch((error) => {
        throw new Error(`${error.message}; worker output:\n${worker.output().slice(-3000)}`);
      });
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      worker.child.kill("SIGTERM");
      expect(await within(worker.exited, 15_000, "exit after SIGTERM")).toBe(0);
      const refusedTotal = metrics
        .split("\n")
        .filter((line) => line.startsWith(`fresh_streams_worker_sink_rows_refused_total{sink="${sink}"`))
        .reduce((n, line) => n + Number(line.split(" ")[1]), 0);
      expect((await eventIdCounts(dataset, "narrow")).size).toBe(ids.size);
      expect(await errorRows()).toEqual([]);
      expect(refusedTotal).toBe(0);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe("BigQuery unreachable", () => {
  test("insert-all: retries until PUBLISH_TIMEOUT_MS, then stops with exit 2; the checkpoint never passes an unwritten event", async () => {
    const closed = await freePort();
    const server = new SseServer({ events: base.slice(0, 50) });
    const env = {
      ...directEnv("insert-all", "nowhere", "wiki_changes", await server.start(), 0),
      BIGQUERY_EMULATOR_HOST: `http://127.0.0.1:${closed}`,
      PUBLISH_TIMEOUT_MS: "1500",
      CHECKPOINT_PATH: path.join(work, "unreachable.checkpoint.json"),
    };
    try {
      const worker = spawnWorker(env);
      expect(await within(worker.exited, 30_000, "exit")).toBe(2);
      expect(worker.output()).toMatch(/still failing after \d+ ms of retries, PUBLISH_TIMEOUT_MS 1500/);
      expect(fs.existsSync(env.CHECKPOINT_PATH)).toBe(false);
    } finally {
      await server.stop();
    }
  }, 60_000);

  test("storage-write: a stream that cannot be opened stops the worker at startup with exit 2", async () => {
    const closed = await freePort();
    const env = {
      ...directEnv("storage-write", "nowhere", "wiki_changes", "http://127.0.0.1:9/", 0),
      BIGQUERY_STORAGE_EMULATOR_HOST: `127.0.0.1:${closed}`,
      PUBLISH_TIMEOUT_MS: "2000",
    };
    const worker = spawnWorker(env);
    expect(await within(worker.exited, 30_000, "exit")).toBe(2);
    expect(worker.output()).toMatch(
      /cannot open the BigQuery sink: cannot open a stream to projects\/fresh-streams-local\/datasets\/nowhere\/tables\/wiki_changes/,
    );
  }, 90_000);
});

/** The worker's variables for a direct sink into `dataset.tableId` (error table beside it). */
function directEnv(
  sink: DirectSink,
  dataset: string,
  tableId: string,
  sseUrl: string,
  port: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PROJECT,
    SINK: sink,
    TABLE: `${PROJECT}.${dataset}.${tableId}`,
    SSE_URL: sseUrl,
    CHECKPOINT_PATH: path.join(work, `${sink}-${tableId}.checkpoint.json`),
    METRICS_PORT: String(port),
    METRICS_HOST: "127.0.0.1",
    START: "live",
    BACKOFF_INITIAL_MS: "20",
    BACKOFF_MAX_MS: "200",
    CHECKPOINT_INTERVAL_MS: "100",
    SHUTDOWN_DEADLINE_MS: "8000",
    LOG_LEVEL: "info",
    ...sinkEmulatorEnv(emulator, sink),
    ...extra,
  };
}
