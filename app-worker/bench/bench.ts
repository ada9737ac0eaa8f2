/**
 * `npm run bench:worker`: throughput and latency of the worker against the Pub/Sub emulator.
 *
 * 1. burst: 100,000 recorded-format recentchange events (test/fixtures/generate.ts, seeded) from a
 *    local SSE server as fast as the worker drains them into the emulator;
 * 2. raw: the same Pub/Sub client, batching and in-flight bound publishing the same pre-built
 *    messages, with no SSE and no projection (the ceiling the worker is compared with);
 * 3. paced: events at 1,000/s; latency = SSE frame received → publish acknowledged.
 *
 * Each side runs in its own process (bench/child.ts), so `rss_mb` is the worker's own peak RSS.
 * Prints one JSON line. Options: --events N (default 100000), --paced-seconds S (default 20).
 * Targets: ratio ≥ 0.8, paced p99 < 100 ms, peak RSS < 200 MB.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { startPubSubEmulator } from "../../scripts/emulators/pubsub-emulator";
import { describeFixture, generate } from "../test/fixtures/generate";
import { SseServer } from "../test/helpers/sse-server";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg("events", 100_000);
const PACED_SECONDS = arg("paced-seconds", 20);
const PACED_RATE = 1000;
const SEED = 20240601;
const PROJECT = "fresh-streams-bench";
const REPO = path.resolve(__dirname, "../..");
/** The children run compiled JavaScript, as the container image does (tsx adds ~40 MB of RSS). */
const BUILD = path.join(REPO, "app-worker/dist/bench");
const CHILD = path.join(BUILD, "app-worker/bench/child.js");

/** Node flags of the worker processes (BENCH_NODE_ARGS overrides): the container image sets the same through NODE_OPTIONS. */
const WORKER_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "--max-semi-space-size=4").split(" ").filter(Boolean);

function compile(): void {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(__dirname, "tsconfig.json"), "--noEmit", "false", "--outDir", BUILD, "--declaration", "false", "--sourceMap", "false"], {
    cwd: REPO,
    stdio: "inherit",
  });
}

function runChild(mode: "worker" | "raw", env: Record<string, string>): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(mode === "worker" ? WORKER_NODE_ARGS : []), CHILD, mode], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line));
      } catch (error) {
        reject(new Error(`${mode} run failed (${(error as Error).message}): ${out.slice(-500)}`));
      }
    });
  });
}

async function main() {
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  log("compiling the worker (app-worker/dist/bench)");
  compile();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-bench-"));
  process.env.METADATA_SERVER_DETECTION ??= "none"; // emulator only: no metadata-server probe
  const emulator = await startPubSubEmulator({ logFile: path.join(tmp, "emulator.log") });
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  const servers: SseServer[] = [];
  try {
    const baseEnv = (topic: string, extra: Record<string, string> = {}) => ({
      PROJECT,
      TOPIC: topic,
      PUBSUB_EMULATOR_HOST: emulator.host,
      METRICS_PORT: "0",
      CHECKPOINT_PATH: path.join(tmp, `${topic}.json`),
      LOG_LEVEL: "warn",
      ...extra,
    });

    log(`generating ${EVENTS} events`);
    const events = generate(EVENTS, SEED);
    const summary = describeFixture(events);
    const publishable = summary.lines - summary.canaries;

    // 1. burst through the worker
    await pubsub.createTopic("bench-burst");
    const burstServer = new SseServer({ events, framesPerWrite: 100 });
    servers.push(burstServer);
    const burstUrl = await burstServer.start();
    log("burst: worker, SSE → Pub/Sub, as fast as it drains");
    const burst = await runChild("worker", { ...baseEnv("bench-burst"), SSE_URL: burstUrl, EXPECT: String(publishable) });
    await burstServer.stop();

    // 2. raw publishing of the same messages
    await pubsub.createTopic("bench-raw");
    log("raw: the same client publishing pre-built messages");
    const raw = await runChild("raw", { ...baseEnv("bench-raw"), EVENTS: String(EVENTS), SEED: String(SEED) });

    // 3. paced at 1,000 events/s
    const pacedEvents = generate(PACED_RATE * PACED_SECONDS, SEED + 1);
    const pacedSummary = describeFixture(pacedEvents);
    await pubsub.createTopic("bench-paced");
    const pacedServer = new SseServer({ events: pacedEvents, eventsPerSecond: PACED_RATE });
    servers.push(pacedServer);
    const pacedUrl = await pacedServer.start();
    log(`paced: ${PACED_RATE} events/s for ${PACED_SECONDS} s`);
    const paced = await runChild("worker", {
      ...baseEnv("bench-paced"),
      SSE_URL: pacedUrl,
      EXPECT: String(pacedSummary.lines - pacedSummary.canaries),
    });

    const result = {
      events: EVENTS,
      worker_eps: burst.eps,
      raw_eps: raw.eps,
      ratio: Math.round((burst.eps / raw.eps) * 100) / 100,
      p50_ms: paced.p50_ms,
      p99_ms: paced.p99_ms,
      rss_mb: Math.max(burst.rss_mb, paced.rss_mb),
      burst_p50_ms: burst.p50_ms,
      burst_p99_ms: burst.p99_ms,
      paced_eps: PACED_RATE,
      paced_max_ms: paced.max_ms,
      raw_rss_mb: raw.rss_mb,
      // CPU time per event of each process: independent of how busy the shared machine is.
      worker_cpu_us_per_event: burst.cpu_us_per_event,
      raw_cpu_us_per_event: raw.cpu_us_per_event,
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    await pubsub.close().catch(() => undefined);
    await emulator.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
