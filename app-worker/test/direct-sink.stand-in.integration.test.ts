/**
 * The worker (as `npm run worker` runs it) with a direct sink whose BigQuery is a stand-in write
 * server (`helpers/write-server.ts`), for answers the BigQuery emulator cannot give on demand.
 *
 * A table-level refusal (every request refused with an error that is not about any row: insertAll's
 * HTTP 400, or INVALID_ARGUMENT without row_errors) stops the worker with exit 2, like a permission
 * error: its checkpoint stays before the events, and no row goes to the error table, so a restart
 * replays them once the table is fixed. One row refused that way while the others are written still
 * goes to the error table, and the worker carries on.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DIRECT_SINKS, DirectSink } from "../../schemas/worker-contract";
import { loadFixture } from "../../tools/fixtures/generate";
import { SseServer, sseId } from "../../tools/sse/sse-server";
import { projectData } from "../src/projection";
import * as helpers from "./helpers/worker";
import { waitFor, within } from "./helpers/worker";
import { StandInInsertAll, StandInStorageWrite } from "./helpers/write-server";

const PROJECT = "fresh-streams-local";
const events = loadFixture().slice(0, 300);
const accepted = events.map((line) => projectData(line)).flatMap((r) => (r.kind === "row" ? [r.row.event_id] : []));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-stand-in-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const started: ReturnType<typeof helpers.spawnWorker>[] = [];
afterEach(() => {
  for (const worker of started.splice(0))
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
});

/**
 * A stand-in for `sink` whose raw table answers `refuse(eventIds)` with a refusal (true) or writes
 * the rows; its error table writes every row. The refusal is request-level (`how` "request"), or
 * row by row naming every row of the request with the same error (`how` "rows": what BigQuery
 * answers when the table lacks a column of the rows). Returns the worker's variables.
 */
async function standIn(
  sink: DirectSink,
  refuse: (eventIds: readonly string[]) => boolean,
  how: "request" | "rows" = "request",
): Promise<{
  server: { stop(): Promise<void> };
  env: Record<string, string>;
  errorRows: () => { eventIds: string[] }[];
}> {
  const message = "Input schema has more fields than BigQuery schema, extra fields: 'bot'";
  const noSuchField = "no such field: bot.";
  if (sink === "insert-all") {
    const kind = "bigquery#tableDataInsertAllResponse";
    const server = new StandInInsertAll((table, ids) =>
      !(table === "wiki_changes" && refuse(ids))
        ? { status: 200, body: { kind } }
        : how === "request"
          ? { status: 400, body: { error: { code: 400, message, errors: [{ reason: "invalid", message }] } } }
          : {
              status: 200,
              body: {
                kind,
                insertErrors: ids.map((_id, index) => ({
                  index,
                  errors: [{ reason: "invalid", location: "bot", debugInfo: "", message: noSuchField }],
                })),
              },
            },
    );
    const errorRows = () => server.requests.filter((r) => r.table !== "wiki_changes" && r.status === 200);
    return { server, env: { BIGQUERY_EMULATOR_HOST: await server.start() }, errorRows };
  }
  const server = new StandInStorageWrite((r) =>
    !(r.table === "wiki_changes" && refuse(r.eventIds))
      ? { kind: "ok" }
      : how === "request"
        ? { kind: "error", code: 3, message }
        : {
            kind: "error",
            code: 3,
            message: `Errors found while processing rows: ${noSuchField}`,
            rowErrors: r.eventIds.map((_id, index) => ({ index, message: noSuchField })),
          },
  );
  const errorRows = () =>
    server.requests
      .filter((r) => r.table !== "wiki_changes" && r.answer === "ok")
      .map((r) => ({ eventIds: [...r.eventIds] }));
  return { server, env: { BIGQUERY_STORAGE_EMULATOR_HOST: await server.start() }, errorRows };
}

function spawnWorker(sink: DirectSink, name: string, sseUrl: string, extra: Record<string, string>) {
  const env = {
    PROJECT,
    SINK: sink,
    TABLE: `${PROJECT}.raw.wiki_changes`,
    SSE_URL: sseUrl,
    CHECKPOINT_PATH: path.join(work, `${sink}-${name}.checkpoint.json`),
    METRICS_PORT: "0",
    START: "live",
    BACKOFF_INITIAL_MS: "20",
    BACKOFF_MAX_MS: "200",
    CHECKPOINT_INTERVAL_MS: "100",
    SHUTDOWN_DEADLINE_MS: "5000",
    BATCH_MAX_MESSAGES: "20",
    LOG_LEVEL: "info",
    ...extra,
  };
  const worker = helpers.spawnWorker(env);
  started.push(worker);
  return { worker, checkpointPath: env.CHECKPOINT_PATH };
}

describe.each(DIRECT_SINKS)("SINK=%s with a stand-in BigQuery", (sink) => {
  test.each([
    {
      refusal: "every request refused by a table-level error",
      answer: undefined,
      name: "table",
      fatal: /fatal: .*refused every row with an error that is not about any row/,
    },
    {
      refusal: "every row of every request refused alike row by row (the table lacks a column)",
      answer: "rows" as const,
      name: "column",
      fatal: /fatal: .*refused every row .*no such field: bot\./,
    },
  ])(
    "$refusal: exit 2, no checkpoint, nothing in the error table",
    async ({ answer, name, fatal }) => {
      const { server, env, errorRows } = await standIn(sink, () => true, answer);
      const sse = new SseServer({ events });
      try {
        const { worker, checkpointPath } = spawnWorker(sink, name, await sse.start(), env);
        expect(await within(worker.exited, 60_000, "exit")).toBe(2);
        expect(worker.output()).toMatch(fatal);
        expect(worker.output()).not.toMatch(/BigQuery refused a row; it is in the error table/);
        expect(errorRows()).toEqual([]);
        // The checkpoint never passed an event: a restart replays every one of them.
        expect(fs.existsSync(checkpointPath)).toBe(false);
      } finally {
        await sse.stop();
        await server.stop();
      }
    },
    90_000,
  );

  test("one row refused by a request-level error while the others are written: it alone is in the error table", async () => {
    const bad = accepted.find((id, i) => i >= 50 && accepted.indexOf(id) === accepted.lastIndexOf(id))!;
    const { server, env, errorRows } = await standIn(sink, (ids) => ids.includes(bad));
    const sse = new SseServer({ events });
    try {
      const { worker, checkpointPath } = spawnWorker(sink, "row", await sse.start(), env);
      await waitFor(
        () =>
          fs.existsSync(checkpointPath) &&
          JSON.parse(fs.readFileSync(checkpointPath, "utf8")).lastEventId === sseId(events.length - 1),
        60_000,
        "the checkpoint at the last event",
      ).catch((error) => {
        throw new Error(`${error.message}; worker output:\n${worker.output().slice(-3000)}`);
      });
      worker.child.kill("SIGTERM");
      expect(await within(worker.exited, 15_000, "exit after SIGTERM")).toBe(0);
      expect(errorRows().flatMap((r) => r.eventIds)).toEqual([bad]);
      expect(worker.output()).toMatch(/BigQuery refused a row; it is in the error table/);
    } finally {
      await sse.stop();
      await server.stop();
    }
  }, 90_000);
});
