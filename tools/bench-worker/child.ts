/**
 * One side of the benchmark, run as its own process so its RSS is its own:
 * - `worker`: the real worker (SSE → projection → Pub/Sub) until `EXPECT` publishes are acknowledged;
 * - `raw`: the same Pub/Sub client and batching publishing pre-built messages (the emulator's warm-up).
 * Prints one JSON line with its figures.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { parseConfig } from "../../app-worker/src/config";
import { Worker } from "../../app-worker/src/main";
import { projectData } from "../../app-worker/src/projection";
import { BoundedPublisher } from "../../app-worker/src/publisher";
import { generate } from "../fixtures/generate";
import { PubSub } from "@google-cloud/pubsub";

/** Publish RPCs and the messages they carried (both sides alike): batching must be comparable. */
const rpcs = { count: 0, messages: 0 };
type RequestFn = (config: { method?: string; reqOpts?: { messages?: unknown[] } }, callback: unknown) => unknown;
const originalRequest = PubSub.prototype.request as unknown as RequestFn;
(PubSub.prototype as unknown as { request: RequestFn }).request = function (this: PubSub, config, callback) {
  if (config.method === "publish") {
    rpcs.count++;
    rpcs.messages += config.reqOpts?.messages?.length ?? 0;
  }
  return originalRequest.call(this, config, callback);
};
const batchFigures = () => ({
  publish_rpcs: rpcs.count,
  avg_batch: Math.round(rpcs.messages / Math.max(1, rpcs.count)),
});

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function runWorker(): Promise<object> {
  const expect = Number(process.env.EXPECT);
  const parsed = parseConfig(process.env);
  if (!parsed.config) throw new Error(parsed.problems.join("\n"));
  const latencies = new Float64Array(expect);
  let acked = 0;
  let firstFrameAt = 0;
  let lastAckAt = 0;
  let cpuAtStart = 0;
  let worker: Worker | undefined = undefined;
  worker = new Worker(parsed.config, {
    handleSignals: false,
    logger: pino({ level: "warn" }),
    onAck: (latencyMs) => {
      const now = performance.now();
      if (acked === 0) {
        firstFrameAt = now - latencyMs;
        cpuAtStart = cpuMicros();
      }
      if (acked < expect) latencies[acked] = latencyMs;
      acked++;
      lastAckAt = now;
      if (acked === expect) worker!.stop("benchmark done");
    },
  });
  const code = await worker.run();
  const sorted = latencies.slice(0, Math.min(acked, expect)).sort();
  return {
    code,
    published: acked,
    eps: round(acked / ((lastAckAt - firstFrameAt) / 1000), 0),
    p50_ms: round(percentile(sorted, 50), 2),
    p99_ms: round(percentile(sorted, 99), 2),
    max_ms: round(sorted[sorted.length - 1], 2),
    rss_mb: peakRssMb(),
    cpu_us_per_event: round((cpuMicros() - cpuAtStart) / acked, 1),
    ...batchFigures(),
  };
}

/**
 * This process's own peak RSS in MB. Not `resourceUsage().maxRSS`: on Linux that survives exec,
 * so a child reports its parent's peak when the parent (here the bench, holding 100,000 events)
 * was larger. VmHWM is the high-water mark of this program's own address space.
 */
function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (match) return round(Number(match[1]) / 1024);
  } catch {
    // not Linux: fall back below
  }
  return round(process.resourceUsage().maxRSS / 1024);
}

/** User + system CPU time of this process so far, in µs. */
function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function runRaw(): Promise<object> {
  const parsed = parseConfig(process.env);
  if (!parsed.config) throw new Error(parsed.problems.join("\n"));
  const count = Number(process.env.EVENTS);
  const seed = Number(process.env.SEED);
  // Pre-built messages, outside the timed part.
  const messages: { data: Buffer; eventId: string }[] = [];
  for (const line of generate(count, seed)) {
    const result = projectData(line);
    if (result.kind === "row") messages.push({ data: Buffer.from(result.json), eventId: result.row.event_id });
  }
  const publisher = new BoundedPublisher(parsed.config);
  const started = performance.now();
  const cpuBefore = cpuMicros();
  let acked = 0;
  let failure: Error | undefined;
  let allAcked: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allAcked = resolve));
  // The same callback path the worker uses (no promise per message).
  const onPublished = (error: Error | undefined) => {
    if (error) failure ??= error;
    if (++acked === messages.length) allAcked();
  };
  for (const message of messages) {
    if (!publisher.hasCapacity) await publisher.waitForCapacity();
    publisher.send(message.data, { event_id: message.eventId }, onPublished);
  }
  await done;
  if (failure) throw failure;
  const seconds = (performance.now() - started) / 1000;
  const cpuPerEvent = (cpuMicros() - cpuBefore) / acked;
  await publisher.close();
  return {
    published: acked,
    eps: round(acked / seconds, 0),
    rss_mb: peakRssMb(),
    cpu_us_per_event: round(cpuPerEvent, 1),
    ...batchFigures(),
  };
}

const modes: Record<string, () => Promise<object>> = {
  raw: runRaw,
  worker: runWorker,
};
(modes[process.argv[2]] ?? runWorker)().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(2);
  },
);
