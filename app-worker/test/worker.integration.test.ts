/**
 * The worker end to end against real parts: a local SSE server (tools/sse/sse-server.ts) and the
 * real Pub/Sub emulator. Process-level behaviour (exit codes, SIGTERM) runs the worker as a
 * child process (`node --import tsx app-worker/src/main.ts`, what `npm run worker` runs).
 */
import * as fs from "node:fs";
import pino from "pino";
import { freePort, PubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { Worker } from "../src/main";
import { describeFixture, generate, loadFixture } from "../../tools/fixtures/generate";
import * as helpers from "./helpers/worker";
import { captureLogger, config, framesStall, within, useEmulatorAndFolder } from "./helpers/worker";
import { SseServer, sseId } from "../../tools/sse/sse-server";

let emulator: PubSubEmulator;
const fixture = loadFixture();
const fixtureSummary = describeFixture(fixture);

const { workerEnv, withSseServerAndTopic } = useEmulatorAndFolder("worker", (started) => {
  emulator = started;
});
const spawnWorker = helpers.spawnWorker;

describe("worker against a local SSE server and the Pub/Sub emulator", () => {
  test("happy path: every unique event arrives once as a wiki_changes row, the checkpoint is the last id", async () => {
    await withSseServerAndTopic({ events: fixture }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start());
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      await sub.waitForUnique(fixtureSummary.uniqueEventIds, 90_000);
      worker.stop();
      expect(await run).toBe(0);
      await sub.settle(500);

      expect(sub.collected.unique.size).toBe(fixtureSummary.uniqueEventIds);
      // The only repeats are the fixture's own replayed duplicates (consumers de-duplicate on event_id).
      expect(sub.collected.eventIds.length).toBeLessThanOrEqual(
        fixtureSummary.uniqueEventIds + fixtureSummary.duplicates,
      );
      for (const [id, body] of sub.collected.bodies) {
        expect(Object.keys(body)).toEqual(WIKI_CHANGES_SCHEMA.fieldNames);
        expect(body.event_id).toBe(id);
      }
      expect(worker.stats).toMatchObject({
        received: fixture.length,
        canary: fixtureSummary.canaries,
        malformed: 0,
        failed: 0,
      });
      const checkpoint = JSON.parse(fs.readFileSync(env.CHECKPOINT_PATH, "utf8"));
      expect(checkpoint.lastEventId).toBe(sseId(fixture.length - 1));
      expect(server.requests[0].userAgent).toMatch(/fresh-streams/);
    });
  });

  test("connection cut mid-frame every 700 events: resumes with Last-Event-ID, nothing lost", async () => {
    await withSseServerAndTopic({ events: fixture, cutEvery: 700 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start());
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      await sub.waitForUnique(fixtureSummary.uniqueEventIds, 90_000);
      worker.stop();
      expect(await run).toBe(0);

      expect(sub.collected.unique.size).toBe(fixtureSummary.uniqueEventIds);
      expect(server.requests.length).toBeGreaterThanOrEqual(Math.floor(fixture.length / 700));
      // Every reconnection asks to resume right after the last complete frame it received.
      for (let i = 1; i < server.requests.length; i++) {
        expect(server.requests[i].lastEventId).toBe(sseId(server.requests[i].startOffset - 1));
        expect(server.requests[i].startOffset).toBe(i * 700);
      }
      // The half frames were discarded, never published half-parsed.
      expect(worker.stats.malformed).toBe(0);
      expect(worker.stats.received).toBe(fixture.length);
    });
  });

  test("503 then 429 with Retry-After: backs off, honours Retry-After, then streams", async () => {
    const events = fixture.slice(0, 300);
    const { logger, lines } = captureLogger();
    await withSseServerAndTopic(
      {
        events,
        responses: [{ status: 503 }, { status: 429, headers: { "retry-after": "1" } }],
      },
      async ({ server, sub }) => {
        // Retry-After is clamped to [BACKOFF_INITIAL_MS, BACKOFF_MAX_MS]: 1 s is within.
        const env = workerEnv(sub.topicName, await server.start(), { BACKOFF_MAX_MS: "2000" });
        const worker = new Worker(config(env), { handleSignals: false, logger });
        const times: number[] = [];
        const started = Date.now();
        const run = worker.run();
        await sub.waitForUnique(describeFixture(events).uniqueEventIds, 30_000);
        times.push(Date.now() - started);
        worker.stop();
        expect(await run).toBe(0);

        expect(server.requests.map((r) => r.status)).toEqual([503, 429, 200]);
        const reconnects = lines.filter((l) => l.msg === "reconnecting to the event stream");
        expect(reconnects.map((l) => l.reason)).toEqual(["http_5xx", "http_429"]);
        expect(reconnects[1].delayMs).toBeGreaterThanOrEqual(1000); // Retry-After: 1
        expect(times[0]).toBeGreaterThanOrEqual(1000);
      },
    );
  });

  test("no checkpoint + START=since: the first request asks ?since=, reconnections resume by Last-Event-ID", async () => {
    const events = fixture.slice(0, 250);
    await withSseServerAndTopic({ events, cutEvery: 100 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), { START: "since:2024-06-01T12:00:00Z" });
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      await sub.waitForUnique(describeFixture(events).uniqueEventIds, 30_000);
      worker.stop();
      expect(await run).toBe(0);
      expect(server.requests[0].url).toBe("/v2/stream/recentchange?since=2024-06-01T12%3A00%3A00.000Z");
      expect(server.requests[0].lastEventId).toBeUndefined();
      expect(server.requests[1].url).toBe("/v2/stream/recentchange");
      expect(server.requests[1].lastEventId).toBe(sseId(99));
    });
  });

  test("idle watchdog: a silent connection is dropped and resumed", async () => {
    const events = fixture.slice(0, 60);
    const { logger, lines } = captureLogger();
    await withSseServerAndTopic({ events }, async ({ server, sub }) => {
      // sends 60 events, then nothing (connection stays open)
      const env = workerEnv(sub.topicName, await server.start(), { IDLE_TIMEOUT_MS: "400" });
      const worker = new Worker(config(env), { handleSignals: false, logger });
      const run = worker.run();
      await sub.waitForUnique(describeFixture(events).uniqueEventIds, 30_000);
      const deadline = Date.now() + 10_000;
      while (server.requests.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      worker.stop();
      expect(await run).toBe(0);
      expect(server.requests.length).toBeGreaterThanOrEqual(2);
      expect(server.requests[1].lastEventId).toBe(sseId(59));
      expect(lines.find((l) => l.msg === "reconnecting to the event stream")).toMatchObject({
        reason: "idle",
        detail: "no message event for 400 ms",
      });
    });
  });

  test("a publish that fails (topic missing) stops the worker: exit 2, clear error, checkpoint not advanced", async () => {
    const server = new SseServer({ events: fixture.slice(0, 20) });
    const url = await server.start();
    try {
      const env = workerEnv("no-such-topic", url, { LOG_LEVEL: "info", PUBLISH_TIMEOUT_MS: "3000" });
      const run = spawnWorker(env);
      expect(await within(run.exited, 30_000, "worker exit")).toBe(2);
      expect(run.output()).toMatch(
        /publish to projects\/fresh-streams-test\/topics\/no-such-topic failed after retries/,
      );
      expect(fs.existsSync(env.CHECKPOINT_PATH)).toBe(false);
    } finally {
      await server.stop();
    }
  });

  test("403 is fatal: one request, a clear message, exit code 2", async () => {
    const server = new SseServer({
      events: fixture.slice(0, 10),
      responses: [{ status: 403, body: "Please set a user-agent" }],
    });
    const url = await server.start();
    try {
      const run = spawnWorker(workerEnv("wiki-changes-403", url, { LOG_LEVEL: "info" }));
      const code = await within(run.exited, 30_000, "worker exit");
      expect(code).toBe(2);
      expect(run.output()).toMatch(/HTTP 403 from .*Please set a user-agent.*not retrying/);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  test("invalid configuration exits 1 with one line per problem", async () => {
    const run = spawnWorker({ TOPIC: "x", SSE_URL: "ftp://nowhere", METRICS_PORT: "99999" });
    expect(await within(run.exited, 30_000, "worker exit")).toBe(1);
    const output = run.output();
    expect(output).toContain("PROJECT: is required");
    expect(output).toContain('TOPIC: "x" is not a valid topic id');
    expect(output).toContain('SSE_URL: "ftp://nowhere" must be an http(s) URL');
    expect(output).toContain('METRICS_PORT: "99999" is not an integer between 0 and 65535');
  });

  test("canaries, malformed frames and error frames are dropped and counted, never published, never fatal", async () => {
    const base = fixture.slice(0, 600);
    const canary = JSON.parse(base[3]);
    canary.meta = { ...canary.meta, domain: "canary", id: "canary-event-id" };
    const events = [
      ...base.slice(0, 100),
      "this is not JSON {",
      JSON.stringify({ meta: { domain: "en.wikipedia.org", dt: "2024-06-01T12:00:00Z" } }), // lacks type, wiki, title, timestamp
      JSON.stringify(canary),
      "[]",
      ...base.slice(100),
    ];
    const baseSummary = describeFixture(base);
    const { logger, lines } = captureLogger();
    await withSseServerAndTopic({ events, errorFrameAfter: 300 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), { METRICS_PORT: "0" });
      const worker = new Worker({ ...config(env), metricsPort: 0 }, { handleSignals: false, logger });
      const run = worker.run();
      await sub.waitForUnique(baseSummary.uniqueEventIds, 30_000);
      await sub.settle(500);
      const metricsText = await worker.metrics.registry.metrics();
      worker.stop();
      expect(await run).toBe(0);

      expect(sub.collected.unique.size).toBe(baseSummary.uniqueEventIds);
      expect(sub.collected.unique.has("canary-event-id")).toBe(false);
      expect(worker.stats.malformed).toBe(3);
      expect(worker.stats.canary).toBe(baseSummary.canaries + 1);
      expect(metricsText).toMatch(/fresh_streams_worker_events_dropped_total\{reason="malformed"\} 3/);
      expect(metricsText).toMatch(/fresh_streams_worker_sse_reconnects_total\{reason="error_frame"\} 1/);
      const samples = lines.filter((l) => l.msg === "skipping malformed event");
      expect(samples.map((l) => l.detail)).toEqual([
        expect.stringContaining("not valid JSON"),
        "type is missing; wiki is missing; title is missing; timestamp is missing",
        "data is not a JSON object",
      ]);
    });
  });

  test("/healthz and /metrics answer on METRICS_PORT", async () => {
    await withSseServerAndTopic({ events: fixture.slice(0, 50) }, async ({ server, sub }) => {
      const port = await freePort();
      const env = workerEnv(sub.topicName, await server.start(), {
        METRICS_PORT: String(port),
        METRICS_HOST: "127.0.0.1",
      });
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      await sub.waitForUnique(describeFixture(fixture.slice(0, 50)).uniqueEventIds, 30_000);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ healthy: true, state: "running", connected: true });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/fresh_streams_worker_events_received_total 50/);
      expect(metrics).toMatch(/fresh_streams_worker_publish_latency_seconds_count \d+/);
      expect(metrics).toMatch(/fresh_streams_worker_event_lag_seconds \d/);
      expect(metrics).toContain("fresh_streams_worker_process_resident_memory_bytes");
      worker.stop();
      expect(await run).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    });
  });

  test("SIGTERM mid-stream flushes and exits 0; a restart with the same checkpoint loses nothing", async () => {
    await withSseServerAndTopic({ events: fixture, eventsPerSecond: 2500 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), {
        CHECKPOINT_INTERVAL_MS: "200",
        SHUTDOWN_DEADLINE_MS: "5000",
        LOG_LEVEL: "info",
      });
      const first = spawnWorker(env);
      await sub.waitForUnique(1500, 60_000);
      first.child.kill("SIGTERM");
      expect(await within(first.exited, 10_000, "exit after SIGTERM")).toBe(0);
      expect(first.output()).toContain("stopped cleanly");
      const checkpoint = JSON.parse(fs.readFileSync(env.CHECKPOINT_PATH, "utf8"));
      const afterFirst = sub.collected.unique.size;
      expect(afterFirst).toBeLessThan(fixtureSummary.uniqueEventIds);

      const second = spawnWorker(env);
      await sub.waitForUnique(fixtureSummary.uniqueEventIds, 60_000);
      second.child.kill("SIGTERM");
      const secondExit = await within(second.exited, 10_000, "second exit");
      if (secondExit !== 0)
        throw new Error(`second worker ended with ${secondExit}; its output:\n${second.output().slice(-4000)}`);

      const resumed = server.requests[server.requests.length - 1];
      expect(resumed.lastEventId).toBe(checkpoint.lastEventId);
      expect(sub.collected.unique.size).toBe(fixtureSummary.uniqueEventIds);
      // Replays after the restart are bounded by what was in flight, not the whole stream.
      expect(sub.collected.eventIds.length - fixtureSummary.uniqueEventIds).toBeLessThan(
        fixtureSummary.duplicates + 50,
      );
    });
  });

  test("SIGTERM while Pub/Sub is unreachable: exits by the deadline (code 2), the checkpoint covers only acknowledged events", async () => {
    await withSseServerAndTopic({ events: fixture, eventsPerSecond: 2000 }, async ({ server, sub }) => {
      const env = workerEnv(sub.topicName, await server.start(), {
        SHUTDOWN_DEADLINE_MS: "1500",
        LOG_LEVEL: "info",
        MAX_IN_FLIGHT_MESSAGES: "200",
      });
      const run = spawnWorker(env);
      await sub.waitForUnique(500, 60_000);
      emulator.pause();
      try {
        await new Promise((r) => setTimeout(r, 1000)); // reading is now blocked on capacity
        const signalled = Date.now();
        run.child.kill("SIGTERM");
        expect(await within(run.exited, 10_000, "exit after SIGTERM")).toBe(2);
        expect(Date.now() - signalled).toBeLessThan(6000);
        expect(run.output()).toContain("shutdown deadline of 1500 ms passed with publishes in flight");
      } finally {
        emulator.resume();
      }
      const checkpoint = JSON.parse(fs.readFileSync(env.CHECKPOINT_PATH, "utf8"));
      await sub.settle(1000);
      // Every event up to the checkpoint reached Pub/Sub.
      const upTo = JSON.parse(checkpoint.lastEventId)[0].offset as number;
      const expected = new Set(
        fixture
          .slice(0, upTo + 1)
          .map((l) => JSON.parse(l))
          .filter((e) => e.meta.domain !== "canary")
          .map((e) => e.meta.id),
      );
      for (const id of expected) expect(sub.collected.unique.has(id)).toBe(true);
    });
  });

  test("Pub/Sub unreachable for 5 s: reading pauses (backpressure), memory stays bounded, nothing lost", async () => {
    const events = generate(20_000, 7);
    const summary = describeFixture(events);
    await withSseServerAndTopic({ events, eventsPerSecond: 4000 }, async ({ server, sub }) => {
      try {
        const env = workerEnv(sub.topicName, await server.start(), {
          MAX_IN_FLIGHT_MESSAGES: "300",
          MAX_IN_FLIGHT_BYTES: "400000",
        });
        const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
        const run = worker.run();
        await sub.waitForUnique(2000, 60_000);

        emulator.pause();
        let maxInFlight = 0;
        let maxBytes = 0;
        const sampler = setInterval(() => {
          maxInFlight = Math.max(maxInFlight, worker.inFlight.messages);
          maxBytes = Math.max(maxBytes, worker.inFlight.bytes);
        }, 5);
        const rssBefore = process.memoryUsage().rss;
        // The kernel's socket buffers (auto-tuned to megabytes on loopback) and the streams' own buffers absorb
        // frames for a while after the worker stops reading; how long depends on the machine's load. Wait until
        // the server has stalled, then watch that it stays stalled.
        const stalledAt = await framesStall(server, { quietMs: 750, deadlineMs: 8000 });
        await new Promise((r) => setTimeout(r, 2000));
        const writtenEndPause = server.framesWritten;
        const rssDuring = process.memoryUsage().rss;
        emulator.resume();

        await sub.waitForUnique(summary.uniqueEventIds, 120_000);
        clearInterval(sampler);
        worker.stop();
        expect(await run).toBe(0);

        // The server could not push more: the worker stopped reading while publishes were stuck.
        expect(stalledAt).toBeDefined();
        expect(writtenEndPause - stalledAt!).toBeLessThan(100);
        expect(writtenEndPause).toBeLessThan(events.length);
        // One read (≤ 64 KiB of frames) may overshoot the bound.
        expect(maxInFlight).toBeLessThanOrEqual(300 + 100);
        expect(maxBytes).toBeLessThanOrEqual(400_000 + 100_000);
        expect(rssDuring - rssBefore).toBeLessThan(100 * 1024 * 1024);
        expect(sub.collected.unique.size).toBe(summary.uniqueEventIds);
        expect(worker.stats.failed).toBe(0);
      } finally {
        emulator.resume();
      }
    });
  });
});
