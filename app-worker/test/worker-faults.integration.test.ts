/**
 * The worker runs unattended: every fault below is reproduced against real parts (a local SSE
 * server over HTTP, the real Pub/Sub emulator, real files and processes) and survived: ingestion
 * continues, nothing accepted is lost, the failure is counted and visible, the exit code tells
 * the truth.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import pino from "pino";
import { freePort, PubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { describeFixture, loadFixture } from "../../tools/fixtures/generate";
import { SseServer, sseId } from "../../tools/sse/sse-server";
import { Worker } from "../src/main";
import { topicWithCollector } from "./helpers/pubsub";
import {
  captureLogger,
  config,
  metricValue,
  spawnProcess,
  spawnWorker,
  waitFor,
  waitForMetric,
  within,
  useEmulatorAndFolder,
  stopAtCheckpoint,
} from "./helpers/worker";

let emulator: PubSubEmulator;
let tmp: string;
const fixture = loadFixture();

const { workerEnv, withSseServerAndTopic } = useEmulatorAndFolder("faults", (started, folder) => {
  emulator = started;
  tmp = folder;
});

const offsetOf = (checkpointFile: string) =>
  (JSON.parse(JSON.parse(fs.readFileSync(checkpointFile, "utf8")).lastEventId) as { offset: number }[])[0].offset;

/** The event ids a list of recorded events should publish (canaries are never published). */
const publishable = (events: readonly string[]) =>
  new Set(
    events
      .map((line) => JSON.parse(line))
      .filter((e) => e.meta?.domain !== "canary")
      .map((e) => e.meta.id as string),
  );

function deadLetters(folder: string): Record<string, unknown>[] {
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")));
}

describe("the worker survives, counts and reports every fault", () => {
  test("poison pill: an event whose row exceeds Pub/Sub's 10 MB is dead-lettered and passed; the rest is published", async () => {
    const big = JSON.parse(fixture[40]);
    big.title = "T".repeat(11 * 1000 * 1000);
    big.meta = { ...big.meta, id: "poison-event-id" };
    const events = [...fixture.slice(0, 40), JSON.stringify(big), ...fixture.slice(41, 300)];
    await withSseServerAndTopic({ events }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), { MAX_FRAME_BYTES: String(16 * 1024 * 1024) });
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      const expected = publishable(events);
      expected.delete("poison-event-id");
      await sub.waitForUnique(expected.size, 60_000);
      const metrics = await stopAtCheckpoint(worker, run, env.CHECKPOINT_PATH, (file) => offsetOf(file) === 299);

      expect([...expected].filter((id) => !sub.collected.unique.has(id))).toEqual([]);
      expect(sub.collected.unique.has("poison-event-id")).toBe(false);
      expect(metricValue(metrics, 'fresh_streams_worker_events_dead_lettered_total{reason="too_large"}')).toBe(1);
      const [record] = deadLetters(path.join(tmp, "dead-letter"));
      expect(record).toMatchObject({ reason: "too_large", sseId: sseId(40), eventId: "poison-event-id" });
      expect(record.bytes).toBeGreaterThan(11_000_000);
      expect(offsetOf(env.CHECKPOINT_PATH)).toBe(299); // passed the poison pill
      fs.rmSync(path.join(tmp, "dead-letter"), { recursive: true, force: true });
    });
  });

  test("a frame over MAX_FRAME_BYTES: dead-lettered by id, the rest of it discarded on the same connection, counted", async () => {
    const big = JSON.parse(fixture[20]);
    big.title = "T".repeat(3 * 1024 * 1024);
    const events = [...fixture.slice(0, 20), JSON.stringify(big), ...fixture.slice(21, 200)];
    const { logger, lines } = captureLogger();
    await withSseServerAndTopic({ events }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), { DEAD_LETTER_PATH: path.join(tmp, "dl-frame") });
      const worker = new Worker(config(env), { handleSignals: false, logger });
      const run = worker.run();
      const expected = publishable(events);
      expected.delete(big.meta.id);
      await sub.waitForUnique(expected.size, 60_000);
      const metrics = await stopAtCheckpoint(worker, run, env.CHECKPOINT_PATH, (file) => offsetOf(file) === 199);

      expect(metricValue(metrics, "fresh_streams_worker_frames_oversize_total")).toBe(1);
      expect(metricValue(metrics, 'fresh_streams_worker_events_dead_lettered_total{reason="oversize_frame"}')).toBe(1);
      // No reconnection: the events after it came on the same connection.
      expect(metricValue(metrics, 'fresh_streams_worker_sse_reconnects_total{reason="oversize_frame"}')).toBe(0);
      expect(server.requests).toHaveLength(1);
      expect(deadLetters(path.join(tmp, "dl-frame"))).toEqual([
        expect.objectContaining({ reason: "oversize_frame", sseId: sseId(20) }),
      ]);
      expect(
        lines.some((l) => /^dead-lettered an event: SSE frame larger than MAX_FRAME_BYTES/.test(String(l.msg))),
      ).toBe(true);
    });
  });

  test("a huge unterminated line (100 MB) never grows memory: dropped at MAX_FRAME_BYTES, counted, ingestion goes on", async () => {
    const events = fixture.slice(0, 100);
    await withSseServerAndTopic({ events, unterminatedLineBytes: 100 * 1024 * 1024 }, async ({ server, sub }) => {
      const port = await freePort();
      const env = workerEnv(sub.topicName, await server.start(), {
        METRICS_PORT: String(port),
        METRICS_HOST: "127.0.0.1",
        BACKOFF_INITIAL_MS: "200",
        BACKOFF_MAX_MS: "400",
      });
      const run = spawnWorker(env);
      try {
        await sub.waitForUnique(describeFixture(events).uniqueEventIds, 60_000);
        await waitForMetric(port, "fresh_streams_worker_frames_oversize_total", 3, 30_000);
        const status = fs.readFileSync(`/proc/${run.child.pid}/status`, "utf8");
        const peakMb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) / 1024;
        // The line was sent three times (300 MB); the worker kept at most MAX_FRAME_BYTES (1 MiB) of it.
        expect(server.hugeBytesWritten).toBeGreaterThan(3 * 1024 * 1024);
        expect(peakMb).toBeLessThan(250);
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(health.status).toBe(200);
        run.child.kill("SIGTERM");
        expect(await within(run.exited, 15_000, "exit")).toBe(0);
        expect(offsetOf(env.CHECKPOINT_PATH)).toBe(99);
      } finally {
        run.child.kill("SIGKILL");
      }
    });
  });

  test("keep-alive comments without events: the progress watchdog reconnects from the last event", async () => {
    const events = fixture.slice(0, 50);
    const { logger, lines } = captureLogger();
    await withSseServerAndTopic({ events, keepAliveMs: 50 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), { IDLE_TIMEOUT_MS: "500" });
      const worker = new Worker(config(env), { handleSignals: false, logger });
      const run = worker.run();
      await sub.waitForUnique(describeFixture(events).uniqueEventIds, 30_000);
      await waitFor(() => server.requests.length >= 2, 10_000, "a reconnection");
      const metrics = await worker.metrics.registry.metrics();
      worker.stop();
      expect(await run).toBe(0);
      expect(server.commentsWritten).toBeGreaterThan(5); // comments kept coming, and did not count
      expect(server.requests[1].lastEventId).toBe(sseId(49));
      expect(lines.find((l) => l.msg === "reconnecting to the event stream")).toMatchObject({
        reason: "idle",
        detail: "no message event for 500 ms",
      });
      expect(metricValue(metrics, 'fresh_streams_worker_sse_reconnects_total{reason="idle"}')).toBeGreaterThan(0);
      expect(metricValue(metrics, "fresh_streams_worker_last_event_age_seconds")).toBeGreaterThan(0.4);
    });
  });

  test("no message event for HEALTH_MAX_EVENT_AGE_MS: /healthz fails with the reason", async () => {
    await withSseServerAndTopic({ events: fixture.slice(0, 10), keepAliveMs: 50 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), {
        IDLE_TIMEOUT_MS: "300",
        HEALTH_MAX_EVENT_AGE_MS: "1000",
      });
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      await sub.waitForUnique(describeFixture(fixture.slice(0, 10)).uniqueEventIds, 30_000);
      expect(worker.health!().healthy).toBe(true);
      await waitFor(() => !worker.health!().healthy, 5_000, "unhealthy");
      expect(worker.health!().problems).toEqual([expect.stringMatching(/^no message event for \d+ ms/)]);
      worker.stop();
      expect(await run).toBe(0);
    });
  });

  test("Retry-After of a day is clamped to BACKOFF_MAX_MS and logged", async () => {
    const events = fixture.slice(0, 100);
    const { logger, lines } = captureLogger();
    await withSseServerAndTopic(
      { events, responses: [{ status: 503, headers: { "retry-after": "86400" } }] },
      async ({ server, sub }) => {
        const env = workerEnv(sub.topicName, await server.start(), { BACKOFF_MAX_MS: "300" });
        const worker = new Worker(config(env), { handleSignals: false, logger });
        const started = Date.now();
        const run = worker.run();
        await sub.waitForUnique(describeFixture(events).uniqueEventIds, 20_000);
        expect(Date.now() - started).toBeLessThan(10_000);
        worker.stop();
        expect(await run).toBe(0);
        expect(server.requests.map((r) => r.status)).toEqual([503, 200]);
        expect(lines.find((l) => /^Retry-After of 86400000 ms/.test(String(l.msg)))).toMatchObject({
          requestedMs: 86_400_000,
          usedMs: 300,
        });
        expect(lines.find((l) => l.msg === "reconnecting to the event stream")).toMatchObject({ delayMs: 300 });
      },
    );
  });

  test("a non-Latin-1 USER_AGENT is refused at startup (exit 1); a checkpoint id above U+00FF is sent UTF-8 encoded; one no header can carry is fatal (exit 2), not retried", async () => {
    const server = new SseServer({ events: fixture.slice(0, 10) });
    const url = await server.start();
    try {
      const refused = spawnWorker(workerEnv("wiki-changes-ua", url, { USER_AGENT: "fresh-streams \u2013 demo" }));
      expect(await within(refused.exited, 30_000, "exit")).toBe(1);
      expect(refused.output()).toContain('USER_AGENT: contains "\u2013" (U+2013) at position 14');

      // A checkpoint id with a control character cannot be sent as Last-Event-ID: one clear fatal error, no retry loop.
      const env = workerEnv("wiki-changes-header", url);
      fs.writeFileSync(env.CHECKPOINT_PATH, JSON.stringify({ lastEventId: "[\u0001]", updatedAt: "x" }));
      const fatal = spawnWorker({ ...env, LOG_LEVEL: "info" });
      expect(await within(fatal.exited, 30_000, "exit")).toBe(2);
      expect(fatal.output()).toMatch(/request header last-event-id .* is not a valid HTTP header value/);
      expect(server.requests).toHaveLength(0);

      // One above U+00FF (a checkpoint may hold one, e.g. written by an earlier version) is sent
      // back UTF-8 encoded: the server gets its own id again.
      const unicode = sseId(4).replace("recentchange", "recentchange\u2013");
      const sub = await topicWithCollector(emulator.host);
      try {
        const resumedEnv = workerEnv(sub.topicName, url);
        fs.writeFileSync(resumedEnv.CHECKPOINT_PATH, JSON.stringify({ lastEventId: unicode, updatedAt: "x" }));
        const resumed = spawnWorker(resumedEnv);
        await sub.waitForUnique(describeFixture(fixture.slice(5, 10)).uniqueEventIds, 30_000);
        resumed.child.kill("SIGTERM");
        expect(await within(resumed.exited, 30_000, "exit")).toBe(0);
        expect(server.requests[0]).toMatchObject({ lastEventId: unicode, startOffset: 5 });
      } finally {
        await sub.close();
      }
    } finally {
      await server.stop();
    }
  });

  test("no checkpoint and START=fail (the default): exit 1 naming the checkpoint and the choices", async () => {
    const env = workerEnv("wiki-changes-start", "http://127.0.0.1:9/none", { LOG_LEVEL: "info" });
    delete (env as Record<string, string | undefined>).START;
    const run = spawnWorker(env);
    expect(await within(run.exited, 30_000, "exit")).toBe(1);
    expect(run.output()).toContain(`no checkpoint at ${env.CHECKPOINT_PATH} and START=fail`);
  });

  test("unwritable checkpoint: counted, /healthz fails after HEALTH_MAX_CHECKPOINT_AGE_MS, exit 3 when the final save fails", async () => {
    const events = fixture.slice(0, 400);
    await withSseServerAndTopic({ events, eventsPerSecond: 200 }, async ({ server, sub }) => {
      const folder = path.join(tmp, "unwritable");
      const env = workerEnv(sub.topicName, await server.start(), {
        CHECKPOINT_PATH: path.join(folder, "cp.json"),
        DEAD_LETTER_PATH: path.join(tmp, "dl-unwritable"),
        HEALTH_MAX_CHECKPOINT_AGE_MS: "1000",
      });
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      await waitFor(() => fs.existsSync(env.CHECKPOINT_PATH), 20_000, "first checkpoint");
      // The folder becomes a file: every later write fails (as root, a read-only mode would not).
      fs.renameSync(folder, `${folder}.gone`);
      fs.writeFileSync(folder, "not a folder");
      await waitFor(() => worker.stats.checkpointFailures >= 2, 10_000, "failures");
      await waitFor(() => !worker.health!().healthy, 5_000, "unhealthy");
      expect(worker.health!().problems).toEqual([
        expect.stringMatching(/^no checkpoint written for \d+ ms \(HEALTH_MAX_CHECKPOINT_AGE_MS\)/),
      ]);
      const metrics = await worker.metrics.registry.metrics();
      expect(metricValue(metrics, "fresh_streams_worker_checkpoint_failures_total")).toBeGreaterThanOrEqual(2);
      expect(metricValue(metrics, "fresh_streams_worker_checkpoint_age_seconds")).toBeGreaterThan(0.5);
      // Ingestion goes on meanwhile.
      await sub.waitForUnique(describeFixture(events).uniqueEventIds, 30_000);
      worker.stop();
      expect(await run).toBe(3);
      fs.rmSync(folder, { force: true });
    });
  });

  test("a hanging checkpoint call (a FIFO that never answers) times out, blocks nothing else, exit 3 within the deadline", async () => {
    const events = fixture.slice(0, 3000);
    await withSseServerAndTopic({ events, eventsPerSecond: 300 }, async ({ server, sub }) => {
      const port = await freePort();
      const file = path.join(tmp, "hanging", "cp.json");
      const env = workerEnv(sub.topicName, await server.start(), {
        CHECKPOINT_PATH: file,
        CHECKPOINT_TIMEOUT_MS: "300",
        HEALTH_MAX_CHECKPOINT_AGE_MS: "1500",
        SHUTDOWN_DEADLINE_MS: "2000",
        METRICS_PORT: String(port),
        METRICS_HOST: "127.0.0.1",
        LOG_LEVEL: "info",
      });
      const run = spawnWorker(env);
      try {
        await waitFor(() => fs.existsSync(file), 30_000, "first checkpoint");
        // Reading a FIFO without a writer blocks in the kernel, as a hanging FUSE mount does.
        execFileSync("mkfifo", [`${file}.fifo`]);
        fs.renameSync(`${file}.fifo`, file);
        const metrics = await waitForMetric(port, "fresh_streams_worker_checkpoint_failures_total", 2, 15_000);
        const received = metricValue(metrics, "fresh_streams_worker_events_received_total");
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 503, 10_000, "503");
        // Still ingesting: the blocked call holds one thread, nothing else.
        const later = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
        expect(metricValue(later, "fresh_streams_worker_events_received_total")).toBeGreaterThan(received);
        const signalled = Date.now();
        run.child.kill("SIGTERM");
        expect(await within(run.exited, 10_000, "exit")).toBe(3);
        expect(Date.now() - signalled).toBeLessThan(5_000);
        expect(run.output()).toContain("the final checkpoint could not be written");
      } finally {
        run.child.kill("SIGKILL");
        // Release a blocked reader, if any is left.
        try {
          const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
          fs.closeSync(fd);
        } catch {
          // no reader left
        }
      }
    });
  });

  test("overlapping revisions on one checkpoint: unique temp files, the checkpoint never moves backwards", async () => {
    const events = fixture.slice(0, 3000);
    const fast = new SseServer({ events });
    const slow = new SseServer({ events, eventsPerSecond: 400 });
    const sub = await topicWithCollector(emulator.host);
    try {
      const file = path.join(tmp, "overlap", "cp.json");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ lastEventId: sseId(0), updatedAt: "x" }));
      const extra = { CHECKPOINT_PATH: file, CHECKPOINT_INTERVAL_MS: "50" };
      const newer = new Worker(config(workerEnv(sub.topicName, await fast.start(), extra)), {
        handleSignals: false,
        logger: pino({ level: "silent" }),
      });
      const older = new Worker(config(workerEnv(sub.topicName, await slow.start(), extra)), {
        handleSignals: false,
        logger: pino({ level: "silent" }),
      });
      const offsets: number[] = [];
      const sampler = setInterval(() => {
        try {
          offsets.push(offsetOf(file));
        } catch {
          // mid-rename: the file is always whole, but may be replaced between exists and read
        }
      }, 10);
      const runs = [newer.run(), older.run()];
      await waitFor(() => offsets.at(-1) === 2999, 60_000, "the fast worker's checkpoint at the end");
      await waitFor(() => older.stats.checkpointWrites >= 5, 20_000, "the slow worker's attempts");
      newer.stop();
      older.stop();
      expect(await Promise.all(runs)).toEqual([0, 0]);
      clearInterval(sampler);
      offsets.push(offsetOf(file));

      for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]);
      expect(offsets.at(-1)).toBe(2999);
      expect(older.stats.checkpointFailures + newer.stats.checkpointFailures).toBe(0);
      expect(fs.readdirSync(path.dirname(file))).toEqual(["cp.json"]);
    } finally {
      await sub.close();
      await fast.stop();
      await slow.stop();
    }
  });

  test("SIGTERM to `npm run worker`: the worker stops (no orphan), exit 0, a restart republishes at most what was in flight", async () => {
    const events = fixture;
    const summary = describeFixture(events);
    await withSseServerAndTopic({ events, eventsPerSecond: 2500 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), {
        CHECKPOINT_INTERVAL_MS: "200",
        SHUTDOWN_DEADLINE_MS: "5000",
        LOG_LEVEL: "info",
      });
      const npm = spawnProcess("npm", ["run", "--silent", "worker"], env);
      await sub.waitForUnique(1500, 60_000);
      const children = fs
        .readFileSync(`/proc/${npm.child.pid}/task/${npm.child.pid}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .map(Number);
      expect(children).toHaveLength(1);
      const workerPid = children[0];
      expect(fs.readFileSync(`/proc/${workerPid}/cmdline`, "utf8")).toContain("app-worker/src/main.ts");
      npm.child.kill("SIGTERM");
      expect(await within(npm.exited, 10_000, "npm exit after SIGTERM")).toBe(0);
      expect(fs.existsSync(`/proc/${workerPid}`)).toBe(false);
      expect(npm.output()).toContain("stopped cleanly");
      const framesAtStop = server.framesWritten;
      await new Promise((r) => setTimeout(r, 500));
      expect(server.framesWritten).toBe(framesAtStop); // nobody is reading any more

      const second = spawnWorker(env);
      await sub.waitForUnique(summary.uniqueEventIds, 60_000);
      second.child.kill("SIGTERM");
      expect(await within(second.exited, 10_000, "second exit")).toBe(0);
      await sub.settle(500);
      expect(sub.collected.unique.size).toBe(summary.uniqueEventIds);
      expect(sub.collected.eventIds.length - summary.uniqueEventIds).toBeLessThan(summary.duplicates + 50);
    });
  });
});
