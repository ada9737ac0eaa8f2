/**
 * The real worker, a local SSE server and the real Pub/Sub emulator, with an upstream that
 * misbehaves: event ids that Node cannot send back as a header, an
 * oversized frame that a resuming server replays, and hundreds of reconnections.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "../../tools/emulators/pubsub-emulator";
import { loadFixture } from "../../tools/fixtures/generate";
import { sseId } from "../../tools/sse/sse-server";
import { Worker } from "../src/main";
import {
  captureLogger,
  config,
  metricValue,
  spawnWorker,
  waitForMetric,
  within,
  useEmulatorAndFolder,
  stopAtCheckpoint,
} from "./helpers/worker";

let tmp: string;
const fixture = loadFixture();

const { workerEnv, withSseServerAndTopic } = useEmulatorAndFolder("sse-hostile", (_emulator, folder) => {
  tmp = folder;
});

/** The event ids a list of recorded events should publish (canaries are never published). */
const publishable = (events: readonly string[]) =>
  new Set(
    events
      .map((line) => JSON.parse(line))
      .filter((e) => e.meta?.domain !== "canary")
      .map((e) => e.meta.id as string),
  );

const checkpointId = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")).lastEventId as string;

describe("event ids the worker cannot send back as they are", () => {
  test("an id above U+00FF is sent back UTF-8 encoded, an id with a control character is not adopted: no restart loop, nothing lost", async () => {
    const events = fixture.slice(0, 250);
    // Offset 50's id has an en dash (U+2013): Node's Headers refuses it as a header value as it is.
    const unicodeId = JSON.stringify([{ topic: "eqiad.mediawiki.recentchange\u2013x", partition: 0, offset: 50 }]);
    // Offset 152's id has a control character: no HTTP header can carry it.
    const controlId = sseId(152).replace("recentchange", "recentchange\u0001");
    const idOf = (offset: number) => (offset === 50 ? unicodeId : offset === 152 ? controlId : sseId(offset));
    const { logger, lines } = captureLogger();
    // Every connection is cut after 51 frames: the first ends right after offset 50, the third right after 152.
    await withSseServerAndTopic({ events, idOf, cutEvery: 51 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start());
      const worker = new Worker(config(env), { handleSignals: false, logger });
      const run = worker.run();
      const expected = publishable(events);
      // Sent as it was, the second connection's Last-Event-ID would be refused and the worker exit 2.
      const outcome = await Promise.race([
        sub.waitForUnique(expected.size, 60_000).then(() => "delivered"),
        run.then((code) => `exited ${code} after ${sub.collected.unique.size} events`),
      ]);
      expect(outcome).toBe("delivered");
      const metrics = await stopAtCheckpoint(
        worker,
        run,
        env.CHECKPOINT_PATH,
        (file) => checkpointId(file) === sseId(249),
      );

      expect([...expected].filter((id) => !sub.collected.unique.has(id))).toEqual([]);
      // The server got its own id back (UTF-8, as browsers' EventSource sends it) and resumed after it.
      expect(server.requests[1]).toMatchObject({ lastEventId: unicodeId, startOffset: 51 });
      // The control-character id was never adopted: the next connection resumes from the id before it.
      expect(server.requests[3]).toMatchObject({ lastEventId: sseId(151), startOffset: 152 });
      expect(server.requests.every((r) => !r.lastEventId?.includes("\u0001"))).toBe(true);
      expect(metricValue(metrics, "fresh_streams_worker_sse_event_ids_utf8_total")).toBe(1);
      // Offset 152 came twice (the connection after it resumed before it): refused, counted and logged each time.
      expect(metricValue(metrics, "fresh_streams_worker_sse_event_ids_refused_total")).toBe(2);
      expect(lines.filter((l) => /cannot be sent back as Last-Event-ID/.test(String(l.msg)))).toHaveLength(2);
    });
  });
});

describe("an oversized frame that the server replays", () => {
  test("dead-lettered once, its replayed copies discarded: no loop, every later event delivered", async () => {
    const big = JSON.parse(fixture[500]);
    big.title = "T".repeat(11 * 1000 * 1000);
    const events = [...fixture.slice(0, 500), JSON.stringify(big), ...fixture.slice(501, 2999)];
    const deadLetterPath = path.join(tmp, "dl-replay");
    // The server resumes two frames before the position in Last-Event-ID (the frame named by it
    // included, as EventStreams with timestamp ids), and cuts every connection after 501 frames:
    // the first one right after the big frame, so the second resumes at it.
    await withSseServerAndTopic({ events, replay: 2, cutEvery: 501 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), { DEAD_LETTER_PATH: deadLetterPath });
      const worker = new Worker(config(env), { handleSignals: false, logger: captureLogger().logger });
      const run = worker.run();
      const expected = publishable(events);
      expected.delete(big.meta.id);
      await sub.waitForUnique(expected.size, 60_000).catch((error: Error) => {
        throw new Error(
          `${error.message}; ${fs.existsSync(deadLetterPath) ? fs.readdirSync(deadLetterPath).length : 0} dead-letter files, ${server.requests.length} connections`,
        );
      });
      const metrics = await stopAtCheckpoint(
        worker,
        run,
        env.CHECKPOINT_PATH,
        (file) => checkpointId(file) === sseId(2998),
      );

      expect([...expected].filter((id) => !sub.collected.unique.has(id))).toEqual([]);
      expect(sub.collected.unique.has(big.meta.id)).toBe(false);
      // The second connection asked to resume after the big frame, and got it again.
      expect(server.requests[1]).toMatchObject({ lastEventId: sseId(500), startOffset: 499 });
      const records = fs
        .readdirSync(deadLetterPath)
        .map((f) => JSON.parse(fs.readFileSync(path.join(deadLetterPath, f), "utf8")));
      expect(records).toEqual([expect.objectContaining({ reason: "oversize_frame", sseId: sseId(500) })]);
      expect(metricValue(metrics, 'fresh_streams_worker_events_dead_lettered_total{reason="oversize_frame"}')).toBe(1);
      expect(metricValue(metrics, "fresh_streams_worker_frames_oversize_replayed_total")).toBe(1);
      // Connections: one per 501 frames (cutEvery), none for the big frame.
      expect(server.requests.length).toBeLessThanOrEqual(8);
      expect(metricValue(metrics, 'fresh_streams_worker_sse_reconnects_total{reason="oversize_frame"}')).toBe(0);
    });
  });
});

describe("hundreds of reconnections", () => {
  test("no abort listener or timer grows with the number of reconnections", async () => {
    const events = fixture.slice(0, 600);
    // One frame per connection, then the connection is cut: 600 reconnections.
    await withSseServerAndTopic({ events, cutEvery: 1 }, async ({ server, sub }) => {
      const port = await freePort();
      const env = workerEnv(sub.topicName, await server.start(), {
        METRICS_PORT: String(port),
        METRICS_HOST: "127.0.0.1",
        BACKOFF_INITIAL_MS: "1",
        BACKOFF_MAX_MS: "5",
        LOG_LEVEL: "error",
      });
      const run = spawnWorker(env);
      try {
        const network = 'fresh_streams_worker_sse_reconnects_total{reason="network"}';
        const early = await waitForMetric(port, network, 50, 60_000);
        const late = await waitForMetric(port, network, 550, 120_000);
        const timers = (text: string) =>
          metricValue(text, 'fresh_streams_worker_nodejs_active_resources{type="Timeout"}');
        expect(timers(late)).toBeLessThanOrEqual(timers(early) + 3);
        run.child.kill("SIGTERM");
        expect(await within(run.exited, 15_000, "exit")).toBe(0);
        expect(server.requests.length).toBeGreaterThan(550);
        // Node warns once more than ten listeners wait on one AbortSignal.
        expect(run.output()).not.toMatch(/MaxListenersExceededWarning/);
      } finally {
        run.child.kill("SIGKILL");
      }
    });
  });
});
