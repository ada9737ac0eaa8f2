/**
 * `npm run bench:worker`: the worker against the Pub/Sub emulator, with default settings. One run prints:
 *
 * 1. burst: 100,000 recorded-format recentchange events (tools/fixtures/generate.ts, seeded) from a
 *    local SSE server as fast as the worker drains them into the emulator: events/s, the worker's
 *    CPU µs per event, and its peak RSS (VmHWM from /proc);
 * 2. paced: events at 1,000/s; latency = SSE frame received → publish acknowledged (p50, p99);
 * 3. direct: the worker writing the raw table of the BigQuery emulator itself (SINK=storage-write, then
 *    SINK=insert-all), as fast as it drains: events/s, CPU µs per event, peak RSS, and the CPU per event
 *    against the Pub/Sub burst of the same run. The emulator is not BigQuery (SQLite behind it): its
 *    events/s bound nothing but the emulator; the worker's CPU per event is the figure that carries over.
 *
 * The worker runs in its own process (tools/bench-worker/child.ts), compiled as in the image, so its RSS is its own.
 * Prints one JSON line. Options: --events N (default 100000), --paced-seconds S (default 20),
 * --warmup-events N (default 50000: published to a throw-away topic first, to warm the emulator's JVM),
 * --direct-events N (default: --events, per direct sink, so the CPU per event compares like with like; 0 skips them).
 * Targets: paced p99 < 100 ms, burst peak RSS < 150 MB; `targets_met` says whether both held.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { DIRECT_SINKS } from "../../schemas/worker-contract";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { BigQueryRestClient, sinkEmulatorEnv, startBigQueryEmulator } from "../emulators/bigquery-emulator";
import { startPubSubEmulator } from "../emulators/pubsub-emulator";
import { describeFixture, generate } from "../fixtures/generate";
import { SseServer } from "../sse/sse-server";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg("events", 100_000);
const PACED_SECONDS = arg("paced-seconds", 20);
const WARMUP_EVENTS = arg("warmup-events", 50_000);
const DIRECT_EVENTS = arg("direct-events", EVENTS);
const PACED_RATE = 1000;
const SEED = 20240601;
const PROJECT = "fresh-streams-bench";
const REPO = path.resolve(__dirname, "../..");
/** The children run compiled JavaScript, as the container image does (tsx adds ~40 MB of RSS). */
const BUILD = path.join(REPO, "dist/bench-worker");
const CHILD = path.join(BUILD, "tools/bench-worker/child.js");

/** Node flags of the worker processes (BENCH_NODE_ARGS overrides): the container image sets the same through NODE_OPTIONS. */
const WORKER_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "--max-semi-space-size=4 --max-old-space-size=96")
  .split(" ")
  .filter(Boolean);

function compile(): void {
  execFileSync(
    process.execPath,
    [
      require.resolve("typescript/bin/tsc"),
      "-p",
      path.join(__dirname, "tsconfig.json"),
      "--noEmit",
      "false",
      "--outDir",
      BUILD,
      "--declaration",
      "false",
      "--sourceMap",
      "false",
    ],
    {
      cwd: REPO,
      stdio: "inherit",
    },
  );
}

/** CPU time (user + system, µs) of another process, from /proc (the emulator's JVM). */
function procCpuMicros(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** CPU spent during `run` by this process (the SSE server) and by the emulator, per event, in µs. */
async function measured<T>(
  emulatorPid: number,
  events: number,
  run: () => Promise<T>,
): Promise<{ result: T; parentUs: number; emulatorUs: number }> {
  const parentBefore = process.cpuUsage();
  const emulatorBefore = procCpuMicros(emulatorPid);
  const result = await run();
  const parent = process.cpuUsage(parentBefore);
  return {
    result,
    parentUs: Math.round(((parent.user + parent.system) / events) * 10) / 10,
    emulatorUs: Math.round(((procCpuMicros(emulatorPid) - emulatorBefore) / events) * 10) / 10,
  };
}

function runChild(mode: "worker" | "raw", env: Record<string, string>): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(mode === "raw" ? [] : WORKER_NODE_ARGS), CHILD, mode], {
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

/**
 * The worker with each direct sink, into a fresh raw table (the stack's schema, day-partitioned) and
 * its error table on one BigQuery emulator: the burst figures, the emulator's CPU per event, and the
 * worker's CPU per event divided by the Pub/Sub burst's (`cpu_vs_pubsub`).
 */
async function directRuns(
  tmp: string,
  pubsubCpuUsPerEvent: number,
  log: (message: string) => void,
): Promise<Record<string, unknown>> {
  const emulator = await startBigQueryEmulator({
    projectId: PROJECT,
    logFile: path.join(tmp, "bigquery-emulator.log"),
  });
  const bigquery = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
  const events = generate(DIRECT_EVENTS, SEED + 3);
  const summary = describeFixture(events);
  const writable = summary.lines - summary.canaries;
  const figures: Record<string, unknown> = { events: DIRECT_EVENTS };
  try {
    await bigquery.createDataset("bench");
    for (const sink of DIRECT_SINKS) {
      const table = sink.replace("-", "_");
      await bigquery.createTable("bench", table, {
        schema: { fields: WIKI_CHANGES_SCHEMA.toBigQueryJson() },
        timePartitioning: { type: "DAY", field: "event_time" },
      });
      await bigquery.createTable("bench", `${table}_errors`, {
        schema: { fields: INGESTION_ERRORS_SCHEMA.toBigQueryJson() },
      });
      const server = new SseServer({ events, framesPerWrite: 100 });
      const url = await server.start();
      log(`direct: worker, SSE → BigQuery emulator (SINK=${sink}), ${DIRECT_EVENTS} events`);
      try {
        const run = await measured(emulator.pid, writable, () =>
          runChild("worker", {
            PROJECT,
            SINK: sink,
            TABLE: `${PROJECT}.bench.${table}`,
            ...sinkEmulatorEnv(emulator, sink),
            METRICS_PORT: "0",
            CHECKPOINT_PATH: path.join(tmp, `direct-${table}.json`),
            LOG_LEVEL: "warn",
            START: "live",
            SSE_URL: url,
            EXPECT: String(writable),
          }),
        );
        const [{ n }] = (await bigquery.query(`SELECT COUNT(*) AS n FROM \`${PROJECT}.bench.${table}\``)).rows;
        if (Number(n) !== writable) throw new Error(`SINK=${sink}: ${n} rows in the table, expected ${writable}`);
        figures[table] = {
          eps: run.result.eps,
          cpu_us_per_event: run.result.cpu_us_per_event,
          cpu_vs_pubsub: Math.round((run.result.cpu_us_per_event / pubsubCpuUsPerEvent) * 100) / 100,
          rss_mb: run.result.rss_mb,
          p50_ms: run.result.p50_ms,
          p99_ms: run.result.p99_ms,
          emulator_cpu_us_per_event: run.emulatorUs,
        };
      } finally {
        await server.stop();
      }
    }
  } finally {
    await emulator.stop();
  }
  return figures;
}

async function main() {
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  log("compiling the worker (dist/bench-worker)");
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
      START: "live",
      ...extra,
    });

    log(`generating ${EVENTS} events`);
    const events = generate(EVENTS, SEED);
    const summary = describeFixture(events);
    const publishable = summary.lines - summary.canaries;

    // 0. warm-up: the emulator's JVM compiles its publish path during the first tens of thousands
    //    of messages; without this, whichever side runs first pays for it.
    await pubsub.createTopic("bench-warmup");
    log(`warm-up: ${WARMUP_EVENTS} messages into the emulator`);
    await runChild("raw", { ...baseEnv("bench-warmup"), EVENTS: String(WARMUP_EVENTS), SEED: String(SEED + 2) });

    // 1. burst through the worker
    await pubsub.createTopic("bench-burst");
    const burstServer = new SseServer({ events, framesPerWrite: 100 });
    servers.push(burstServer);
    const burstUrl = await burstServer.start();
    log("burst: worker, SSE → Pub/Sub, as fast as it drains");
    const burstRun = await measured(emulator.pid, publishable, () =>
      runChild("worker", { ...baseEnv("bench-burst"), SSE_URL: burstUrl, EXPECT: String(publishable) }),
    );
    const burst = burstRun.result;

    await burstServer.stop();

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

    // 3. direct sinks: the worker writing the BigQuery emulator's raw table, after the Pub/Sub phases
    //    (the emulators do not share the cores while either is measured).
    const direct = DIRECT_EVENTS > 0 ? await directRuns(tmp, burst.cpu_us_per_event, log) : undefined;

    const result = {
      events: EVENTS,
      // burst, default settings
      worker_eps: burst.eps,
      worker_cpu_us_per_event: burst.cpu_us_per_event,
      burst_rss_mb: burst.rss_mb,
      burst_p50_ms: burst.p50_ms,
      burst_p99_ms: burst.p99_ms,
      // paced at 1,000 events/s
      paced_eps: PACED_RATE,
      p50_ms: paced.p50_ms,
      p99_ms: paced.p99_ms,
      paced_max_ms: paced.max_ms,
      paced_rss_mb: paced.rss_mb,
      paced_cpu_us_per_event: paced.cpu_us_per_event,
      targets_met: paced.p99_ms < 100 && burst.rss_mb < 150,
      // Whole-phase CPU per event of the other processes on the machine during the burst.
      burst_sse_server_cpu_us_per_event: burstRun.parentUs,
      burst_emulator_cpu_us_per_event: burstRun.emulatorUs,
      worker_avg_batch: burst.avg_batch,
      cpus: os.cpus().length,
      node: process.version,
      ...(direct ? { direct } : {}),
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
