/**
 * `npm run demo`: the whole pipeline of the `local` environment, end to end, on this machine.
 *
 *   replay SSE server ─▶ app-worker (real) ─▶ Pub/Sub emulator ─▶ local bridge ─▶ BigQuery emulator
 *                                                                   └─ ELT SQL from sql/ ─▶ leaderboard
 *
 * With `--mode direct` the worker writes wiki_changes in the BigQuery emulator itself (Storage Write API
 * or insertAll, `--sink`): no ingestion topic, subscription or bridge (demo/ingestion-mode.ts). The
 * page-state changes go through Pub/Sub and the local CDC applier in both modes.
 *
 * Every process it starts is stopped on exit, on Ctrl-C and on failure. Progress goes to
 * stderr; the report (or, with --json, one JSON object as the last line) goes to stdout.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { PubSub } from "@google-cloud/pubsub";
import { DATAFLOW_DEADLETTER_SCHEMA } from "../constructs/dataflow/pubsub-to-bigquery-job";
import { BigQueryEmulator, sinkEmulatorEnv, startBigQueryEmulator } from "../tools/emulators/bigquery-emulator";
import { freePort, PubSubEmulator, startPubSubEmulator } from "../tools/emulators/pubsub-emulator";
import { SseServer } from "../tools/sse/sse-server";
import { liveTop10, replayClock, runWindows, stagingLoad, windowCounts } from "./analytics";
import { INGESTION_NAMES } from "../stacks/ingestion";
import { rawErrorTableOf } from "./ingestion-mode";
import { PAGE_STATE_NAMES } from "../stacks/page-state";
import { Bridge, startBridge } from "./bridge";
import { CdcApplier, cdcReport, publishedChanges, startCdcApplier } from "./cdc-applier";
import { runElt } from "./elt";
import { FixtureError, readFixture } from "./fixture";
import { LocalResources, LocalSubscription, synthesizeLocalStack } from "./local-stack";
import { assertPortFree, DemoOptions, parseOptions, USAGE, UsageError, WIKIMEDIA_URL } from "./options";
import { provisionBigQuery, provisionPubSub } from "./provision";
import { measureHealth } from "./health";
import { DemoResult, formatReport } from "./report";
import { allHandled, startWorker, WorkerCounts, WorkerProcess } from "./worker-process";

// Emulators need no credentials: keep the Google client libraries from probing for a metadata server.
process.env.METADATA_SERVER_DETECTION ??= "none";

const started = Date.now();
const progress = (message: string): void => {
  process.stderr.write(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
};
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Cleanup steps, run last-in first-out exactly once. */
const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop()!;
      try {
        await step.run();
      } catch (error) {
        process.stderr.write(`[demo] cleanup of ${step.name} failed: ${(error as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping everything`);
    void cleanup().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

/** Polls until `done` returns true or the deadline passes; `describe` explains a timeout. */
async function waitFor(
  what: string,
  timeoutMs: number,
  done: () => Promise<boolean>,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${describe()})`);
    await sleep(250);
  }
}

/** What the demo reads from the synthesized `local` stack: its resources and the names the run uses. */
interface Plan {
  readonly direct: boolean;
  readonly resources: LocalResources;
  readonly projectId: string;
  /** The subscription that moves events into the raw table; undefined in direct mode. */
  readonly ingestion?: LocalSubscription;
  /** The CDC subscription into wiki_pages, and that table. */
  readonly cdcSubscription: LocalSubscription & { readonly bigQueryTable: string };
  /** `dataset.table` of the raw, staged and error tables. */
  readonly rawTable: string;
  readonly stagedTable: string;
  readonly errorTable: string;
}

/** The emulators, their clients and the demo's work folder. */
interface Backends {
  readonly work: string;
  readonly pubsubEmulator: PubSubEmulator;
  readonly bigqueryEmulator: BigQueryEmulator;
  readonly pubsub: PubSub;
  readonly bigquery: BigQuery;
  /** Rows of a `dataset.table` in the BigQuery emulator. */
  readonly count: (table: string) => Promise<number>;
}

/** Row counts when the mid-replay staging load has run. */
interface MidReplayCounts {
  readonly rawRows: number;
  readonly stagedRows: number;
}

async function run(options: DemoOptions): Promise<DemoResult> {
  const events = await checkInputs(options);
  const plan = planRun(options);
  const backends = await startBackends(options, plan);
  await provision(plan, backends);
  // Where the mid-replay staging load happens (see startMidReplayLoad): after a tenth of the replay.
  const tenth = Math.max(1, Math.floor(events.length / 10));
  const { sseUrl, server } = await startSource(options, events, plan.direct ? tenth : undefined);
  const bridge = plan.ingestion ? startLocalBridge(plan, plan.ingestion, backends) : undefined;
  // Direct mode starts the applier once the worker has stopped; its changes wait in the CDC
  // subscription meanwhile. The emulator keeps its tables in one SQLite file: the applier's REST
  // DELETE and INSERT beside the worker's Storage Write appends fail with "database is locked", and
  // seen here, appends then went unanswered for minutes. BigQuery has no such lock.
  let applier: CdcApplier | undefined = plan.direct ? undefined : startApplier(plan, backends);
  const { worker, died } = await launchWorker(options, plan, backends, sseUrl);
  const finished = workerFinished(options, worker, events.length);
  const midReplay = startMidReplayLoad({ options, plan, backends, bridge, server, worker, tenth });
  const published = await stopWorker(worker, Promise.race([finished, died]), midReplay.workerStopped);
  if (bridge) await drainBridge(bridge, published);
  const mid = await Promise.race([
    midReplay.done,
    sleep(120_000).then(() => Promise.reject(new Error("no mid-replay staging load"))),
  ]);
  applier ??= startApplier(plan, backends);
  await drainApplier(applier, backends.work);
  return measure(plan, backends, { applier, published, mid });
}

/** Checks inputs before starting anything: the fixture, and that the ports asked for are free. */
async function checkInputs(options: DemoOptions): Promise<ReturnType<typeof readFixture>> {
  const events = options.source === "replay" ? readFixture(options.fixture) : [];
  await assertPortFree(options.pubsubPort, "--pubsub-port");
  await assertPortFree(options.bigqueryPort, "--bigquery-port");
  await assertPortFree(options.ssePort, "--sse-port");
  if (events.length > 0)
    progress(`fixture: ${events.length} events from ${path.relative(process.cwd(), options.fixture)}`);
  return events;
}

/** Synthesizes the local stack (in direct mode, with the worker's sink) and finds what the run uses. */
function planRun(options: DemoOptions): Plan {
  progress("synthesizing the local stack");
  const direct = options.mode === "direct";
  const resources = direct
    ? synthesizeLocalStack(undefined, { mode: "direct", direct: { api: options.sink } })
    : synthesizeLocalStack();
  const ingestion = direct
    ? undefined
    : (resources.subscriptions.find((s) => s.topic === INGESTION_NAMES.topic && s.bigQueryTable !== undefined) ??
      resources.subscriptions.find((s) => s.topic === INGESTION_NAMES.topic && !s.name.includes("dead")));
  const cdcSubscription = resources.subscriptions.find((s) => s.name === PAGE_STATE_NAMES.subscription);
  if (!cdcSubscription?.bigQueryTable) throw new Error("the local stack declares no CDC subscription into wiki_pages");
  const topic = ingestion?.topic;
  if (!direct && (!ingestion || !topic))
    throw new Error("the local stack declares no subscription on the ingestion topic");
  const { wikiChanges, wikiStaged } = resources.stack.warehouse;
  const rawTable = ingestion?.bigQueryTable ?? `${wikiChanges.datasetId}.${wikiChanges.tableId}`;
  // Direct mode: the worker's own error table (wiki_changes_errors); pubsub mode: the bridge's.
  const errorTable = direct ? rawErrorTableOf(resources) : `${rawTable.split(".")[0]}.wiki_changes_demo_errors`;
  progress(
    direct
      ? `ingestion: direct, the worker writes ${rawTable} with SINK=${options.sink} (no ingestion topic, no bridge)`
      : `ingestion: pubsub, the worker publishes to ${topic}; the local bridge writes ${rawTable}`,
  );
  return {
    direct,
    resources,
    projectId: resources.config.projectId,
    ingestion,
    cdcSubscription: { ...cdcSubscription, bigQueryTable: cdcSubscription.bigQueryTable },
    rawTable,
    stagedTable: `${wikiStaged.datasetId}.${wikiStaged.tableId}`,
    errorTable,
  };
}

/** A work folder, both emulators and their clients, each stopped on exit. */
async function startBackends(options: DemoOptions, plan: Plan): Promise<Backends> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-demo-"));
  cleanups.push({ name: "work folder", run: async () => fs.rmSync(work, { recursive: true, force: true }) });

  progress("starting the Pub/Sub emulator");
  const pubsubEmulator = await startPubSubEmulator({
    port: options.pubsubPort || undefined,
    logFile: path.join(work, "pubsub-emulator.log"),
  });
  cleanups.push({ name: "Pub/Sub emulator", run: () => pubsubEmulator.stop() });
  progress(`Pub/Sub emulator on ${pubsubEmulator.host} (pid ${pubsubEmulator.pid})`);

  progress("starting the BigQuery emulator");
  const bigqueryEmulator = await startBigQueryEmulator({
    projectId: plan.projectId,
    port: options.bigqueryPort || undefined,
    logFile: path.join(work, "bigquery-emulator.log"),
  });
  cleanups.push({ name: "BigQuery emulator", run: () => bigqueryEmulator.stop() });
  progress(`BigQuery emulator on ${bigqueryEmulator.apiEndpoint} (pid ${bigqueryEmulator.pid})`);

  process.env.PUBSUB_EMULATOR_HOST = pubsubEmulator.host; // the client library's standard emulator switch
  const pubsub = new PubSub({ projectId: plan.projectId });
  cleanups.push({ name: "Pub/Sub client", run: () => pubsub.close() });
  const bigquery = new BigQuery({ projectId: plan.projectId, apiEndpoint: bigqueryEmulator.apiEndpoint });
  const count = async (table: string): Promise<number> => {
    const [rows] = await bigquery.query({ query: `SELECT COUNT(*) AS n FROM \`${plan.projectId}.${table}\`` });
    return Number(rows[0].n);
  };
  return { work, pubsubEmulator, bigqueryEmulator, pubsub, bigquery, count };
}

/** The stack's datasets, tables, topics and subscriptions in the emulators, and the bridge's error table. */
async function provision({ resources, direct, errorTable }: Plan, { bigquery, pubsub }: Backends): Promise<void> {
  progress(
    `provisioning ${resources.datasets.length} datasets, ${resources.tables.length} tables, ${resources.topics.length} topics, ${resources.subscriptions.length} subscriptions`,
  );
  await provisionBigQuery(bigquery, resources);
  if (!direct)
    await bigquery
      .dataset(errorTable.split(".")[0])
      .createTable(errorTable.split(".")[1], { schema: { fields: DATAFLOW_DEADLETTER_SCHEMA.toBigQueryJson() } });
  await provisionPubSub(pubsub, resources);
}

/**
 * The event stream: the fixture replayed by a local SSE server (held after `holdAt` events until
 * released, in direct mode), or Wikimedia's live stream.
 */
async function startSource(
  options: DemoOptions,
  events: ReturnType<typeof readFixture>,
  holdAt: number | undefined,
): Promise<{ sseUrl: string; server?: SseServer }> {
  if (options.source !== "replay") return { sseUrl: WIKIMEDIA_URL };
  const server = new SseServer({ events, port: options.ssePort, holdAt });
  const sseUrl = await server.start();
  cleanups.push({ name: "replay server", run: () => server.stop() });
  progress(`replaying the fixture at ${sseUrl}`);
  return { sseUrl, server };
}

/** Pubsub mode: the local bridge from the ingestion subscription into the raw table. */
function startLocalBridge(plan: Plan, ingestion: LocalSubscription, { pubsub, bigquery }: Backends): Bridge {
  progress("starting the local bridge (stands in for Dataflow / the BigQuery subscription)");
  const { rawTable: table, errorTable } = plan;
  const bridge = startBridge({ pubsub, bigquery, subscription: ingestion.name, table, errorTable });
  cleanups.push({ name: "bridge", run: () => bridge.close() });
  return bridge;
}

/** The local CDC applier from the CDC subscription into wiki_pages. */
function startApplier(plan: Plan, { pubsub, bigquery }: Backends): CdcApplier {
  progress("starting the LOCAL CDC applier (stands in for BigQuery's CDC apply, which the emulator lacks)");
  const applier = startCdcApplier({
    pubsub,
    bigquery,
    projectId: plan.projectId,
    subscription: plan.cdcSubscription.name,
    table: plan.cdcSubscription.bigQueryTable,
    primaryKey: plan.resources.stack.warehouse.wikiPages.primaryKey,
  });
  cleanups.push({ name: "CDC applier", run: () => applier.close() });
  return applier;
}

/** The real worker (`npm run worker`) on the emulators; `died` rejects if it exits before it is stopped. */
async function launchWorker(
  options: DemoOptions,
  plan: Plan,
  { work, pubsubEmulator, bigqueryEmulator }: Backends,
  sseUrl: string,
): Promise<{ worker: WorkerProcess; died: Promise<never> }> {
  progress("starting the worker (npm run worker)");
  const metricsPort = await freePort();
  const workerLog = fs.openSync(path.join(work, "worker.log"), "a");
  const { projectId, rawTable, errorTable } = plan;
  const worker = startWorker(
    {
      PROJECT: projectId,
      ...(plan.direct
        ? {
            TOPIC: "", // unset: a direct sink has no topic
            SINK: options.sink,
            TABLE: `${projectId}.${rawTable}`,
            ERROR_TABLE: `${projectId}.${errorTable}`,
            ...sinkEmulatorEnv(bigqueryEmulator, options.sink),
          }
        : { TOPIC: plan.ingestion!.topic }),
      CDC_TOPIC: plan.cdcSubscription.topic,
      SSE_URL: sseUrl,
      PUBSUB_EMULATOR_HOST: pubsubEmulator.host,
      CHECKPOINT_PATH: path.join(work, "checkpoint.json"),
      // A fresh demo has no checkpoint: start at the (replayed) live stream.
      START: "live",
    },
    metricsPort,
    workerLog,
  );
  cleanups.push({ name: "worker", run: () => worker.stop() });
  progress(`worker running (pid ${worker.pid})`);
  const died = worker.exited.then((code): never => {
    throw new Error(
      `the worker exited early with code ${code}; its log:\n${fs.readFileSync(path.join(work, "worker.log"), "utf8").split("\n").slice(-20).join("\n")}`,
    );
  });
  died.catch(() => undefined);
  return { worker, died };
}

/** Resolves once the worker has handled the whole replay, or after `--duration` on the live stream. */
function workerFinished(options: DemoOptions, worker: WorkerProcess, events: number): Promise<void> {
  if (options.source !== "replay") return sleep(options.durationSeconds * 1000);
  let counts: WorkerCounts | undefined;
  return waitFor(
    "the worker to publish the replay",
    300_000,
    async () => {
      counts = await worker.counts();
      return allHandled(counts, events);
    },
    () => `worker counters: ${JSON.stringify(counts)}`,
  );
}

/** Waits for `finished`, then stops the worker (SIGTERM, exit code 0); returns how many events it published. */
async function stopWorker(worker: WorkerProcess, finished: Promise<void>, stopped: () => void): Promise<number> {
  await finished;
  const counts = await worker.counts();
  progress(
    `worker: ${counts?.received} received, ${counts?.published} published, ${counts?.dropped} dropped; stopping it (SIGTERM)`,
  );
  const code = await worker.stop();
  stopped();
  if (code !== 0) throw new Error(`the worker exited with code ${code} after SIGTERM (expected 0)`);
  return counts?.published ?? 0;
}

/** What the mid-replay staging load watches and holds. */
interface MidReplayContext {
  readonly options: DemoOptions;
  readonly plan: Plan;
  readonly backends: Backends;
  readonly bridge?: Bridge;
  readonly server?: SseServer;
  readonly worker: WorkerProcess;
  readonly tenth: number;
}

/**
 * Mid-replay, the staging load runs once, so that when leaderboard_live is read at the end, staging
 * covers only part of raw. The emulator's SQL is CPU-bound, so the load runs while the worker is idle:
 * - pubsub mode: the bridge holds its inserts from a tenth of the replay until that load is done,
 *   which starts once the worker has stopped (`workerStopped`; the worker gets the cores meanwhile);
 * - direct mode there is no bridge to hold: the worker writes the table itself. The replay server
 *   holds the stream after its first tenth instead (the connection stays open and quiet, as the live
 *   stream between events), the load runs once the worker has written everything it received, and
 *   the stream resumes. Staging then covers the first tenth and raw gets the rest, as in pubsub mode.
 *   With --source wikimedia nothing can be held: the load runs at half the duration while the worker
 *   keeps writing.
 */
function startMidReplayLoad(context: MidReplayContext): {
  done: Promise<MidReplayCounts>;
  workerStopped: () => void;
} {
  const { options, bridge, server, worker, tenth } = context;
  let workerStopped!: () => void;
  const workerHasStopped = new Promise<void>((resolve) => (workerStopped = resolve));
  const load = () => loadStaging(context.plan, context.backends);
  const done = (async (): Promise<MidReplayCounts> => {
    const since = Date.now();
    const halfTime = () => Date.now() - since >= (options.durationSeconds * 1000) / 2;
    for (;;) {
      if (bridge) {
        const inserted = bridge.stats.inserted;
        if (options.source === "replay" ? inserted >= tenth : halfTime() && inserted >= 1) {
          const release = await bridge.pause();
          try {
            await workerHasStopped;
            return await load();
          } finally {
            release();
          }
        }
      } else if (server) {
        if (server.holding && allHandled(await worker.counts(), tenth)) {
          try {
            return await load();
          } finally {
            server.release();
          }
        }
      } else if (halfTime() && ((await worker.counts())?.published ?? 0) >= 1) return await load();
      await sleep(50);
    }
  })();
  done.catch(() => undefined); // awaited by run; a failure is reported there
  return { done, workerStopped };
}

/** One staging load at the replay's clock, and the raw and staged row counts after it. */
async function loadStaging(plan: Plan, { bigquery, count }: Backends): Promise<MidReplayCounts> {
  const runTime = await replayClock(bigquery, plan.resources);
  await stagingLoad(bigquery, plan.resources, runTime);
  const counts = { rawRows: await count(plan.rawTable), stagedRows: await count(plan.stagedTable) };
  progress(
    `mid-replay staging load: ${counts.stagedRows} staged of ${counts.rawRows} raw rows so far (@run_time ${runTime.toISOString()})`,
  );
  return counts;
}

/** Waits until the bridge has written every published message, then closes it. */
async function drainBridge(bridge: Bridge, published: number): Promise<void> {
  const { stats } = bridge;
  progress("waiting for the bridge to write every published message");
  await waitFor(
    "the bridge",
    120_000,
    async () => stats.inserted + stats.errors >= published,
    () => `bridge: ${JSON.stringify(stats)}, published: ${published}`,
  );
  await bridge.close();
}

/** Waits until the CDC applier has applied every page change the worker logged, then closes it. */
async function drainApplier(applier: CdcApplier, work: string): Promise<void> {
  const changes = publishedChanges(fs.readFileSync(path.join(work, "worker.log"), "utf8"));
  progress(`waiting for the CDC applier to apply the ${changes} published page changes`);
  await waitFor(
    "the CDC applier",
    120_000,
    async () => applier.distinctMessages() >= changes,
    () => `applier: ${JSON.stringify(applier.stats)}, published changes: ${changes}`,
  );
  await applier.close();
}

/** leaderboard_live, then the ELT, the windows and the health checks: the demo's result. */
async function measure(
  plan: Plan,
  { bigquery, count, pubsubEmulator }: Backends,
  outcome: { applier: CdcApplier; published: number; mid: MidReplayCounts },
): Promise<DemoResult> {
  const { resources, ingestion } = plan;
  const rawRows = await count(plan.rawTable);
  // leaderboard_live now: staging covers only what the mid-replay load saw, raw has everything.
  const clock = await replayClock(bigquery, resources);
  const live = await liveTop10(bigquery, resources, clock);
  progress(`leaderboard_live read with staging at ${outcome.mid.stagedRows} rows, raw at ${rawRows}`);
  progress(`raw: ${rawRows} rows; running the ELT (staging load, then leaderboard)`);
  const elt = await runElt(bigquery, resources);
  // The windows run once, after the last staging load (test/sql/windows.emulator.test.ts covers the
  // incremental runs; the emulator's MERGE compares every target row with every source row).
  await runWindows(bigquery, resources, elt.runTime);
  const windows = await windowCounts(bigquery, resources);
  progress(
    plan.direct
      ? "measuring health (the SQL of the health checks; no ingestion subscription in direct mode)"
      : "measuring health (the SQL of the health checks, the subscriptions' backlog)",
  );
  const health = await measureHealth({
    bigquery,
    resources,
    pubsubHost: pubsubEmulator.host,
    ingestionSubscription: ingestion?.name,
    deadLetterSubscription: ingestion ? resources.stack.ingestion.deadLetterSubscriptionName : undefined,
    runTime: elt.runTime,
    duplicatesRemoved: rawRows - elt.stagedRows,
  });
  return {
    published: outcome.published,
    raw_rows: rawRows,
    staged_rows: elt.stagedRows,
    duplicates_removed: rawRows - elt.stagedRows,
    error_rows: await count(plan.errorTable),
    leaderboard: elt.top10,
    leaderboard_live: live,
    windows,
    cdc: await cdcReport(bigquery, plan.projectId, plan.cdcSubscription.bigQueryTable, outcome.applier.stats),
    health,
  };
}

async function main(): Promise<void> {
  let options: DemoOptions | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    process.exit(1);
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    const result = await run(options);
    await cleanup();
    progress("done");
    process.stdout.write(`${formatReport(result)}\n`);
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (error) {
    const expected = error instanceof FixtureError || error instanceof UsageError;
    process.stderr.write(`demo: ${expected ? (error as Error).message : ((error as Error).stack ?? error)}\n`);
    await cleanup();
    process.exit(1);
  }
}

void main();
