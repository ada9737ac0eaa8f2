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
 * The replay stops twice at fixed events for the story's mid-replay read (demo/mid-replay.ts); every
 * reporting object is read again at the end (demo/story.ts).
 *
 * Every process it starts is stopped on exit, on Ctrl-C and on failure (a failed run keeps its logs).
 * Progress goes to stderr; the report goes to stdout, or with --json to stderr, stdout then carrying
 * one JSON object and nothing else.
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
import { ingestionCostLines } from "../tools/cost/ingestion";
import { recomputeWindows, replayClock, windowCounts } from "./analytics";
import { INGESTION_NAMES } from "../stacks/ingestion";
import { rawErrorTableOf } from "./ingestion-mode";
import { PAGE_STATE_NAMES } from "../stacks/page-state";
import { Bridge, startBridge } from "./bridge";
import { CdcApplier, cdcReport, publishedChanges, startCdcApplier } from "./cdc-applier";
import { runElt } from "./elt";
import { FixtureError, readFixture } from "./fixture";
import { LocalResources, LocalSubscription, synthesizeLocalStack } from "./local-stack";
import { checkOptionsHere, DemoOptions, parseOptions, USAGE, UsageError, WIKIMEDIA_URL } from "./options";
import { provisionBigQuery, provisionPubSub } from "./provision";
import { HealthReport, measureHealth } from "./health";
import { htmlReport } from "./html-report";
import { CdcHolder, lastEventTime, MidReplay, MidReplayContext, replayPoints, startMidReplay } from "./mid-replay";
import { DemoResult, formatReport } from "./report";
import { readStory } from "./story";
import { progress, sleep, waitFor } from "./wait";
import { allHandled, startWorker, WorkerCounts, WorkerProcess } from "./worker-process";

// Emulators need no credentials: keep the Google client libraries from probing for a metadata server.
process.env.METADATA_SERVER_DETECTION ??= "none";

/** Set when the run failed: the work folder, with the emulators' and the worker's logs, is kept. */
let keepWork = false;

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
// An error thrown where no caller awaits it (a client library's callback): stop everything, keep the logs.
process.on("uncaughtException", (error) => {
  process.stderr.write(`demo: ${error.stack ?? error}\n`);
  keepWork = true;
  void cleanup().then(() => process.exit(1));
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping everything`);
    void cleanup().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
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

async function run(options: DemoOptions): Promise<DemoResult> {
  const events = await checkInputs(options);
  const plan = planRun(options);
  const backends = await startBackends(options, plan);
  await provision(plan, backends);
  const points = replayPoints(events.length);
  const { sseUrl, server } = await startSource(options, events, points && [points.tick, points.mid]);
  const bridge = plan.ingestion ? startLocalBridge(plan, plan.ingestion, backends) : undefined;
  // Direct mode starts the applier only while the worker is idle (held replay, or stopped); its changes
  // wait in the CDC subscription meanwhile. The emulator keeps its tables in one SQLite file: the
  // applier's REST DELETE and INSERT beside the worker's Storage Write appends fail with "database is
  // locked", and seen here, appends then went unanswered for minutes. BigQuery has no such lock.
  const cdc: CdcHolder = { applier: plan.direct ? undefined : startApplier(plan, backends) };
  const { worker, died } = await launchWorker(options, plan, backends, sseUrl);
  const finished = workerFinished(options, worker, events.length);
  const context: RunContext = {
    ...{ options, plan, backends, bridge, server, worker, points, events, cdc },
    startApplier: () => startApplier(plan, backends),
  };
  const midReplay = startMidReplay(context);
  midReplay.catch(() => undefined); // awaited below; a failure is reported there
  const counts = await stopWorker(worker, Promise.race([finished, died]));
  if (bridge) await drainBridge(bridge, counts.published);
  const mid = await Promise.race([
    midReplay,
    sleep(120_000).then(() => Promise.reject(new Error("no mid-replay read"))),
  ]);
  cdc.applier ??= startApplier(plan, backends);
  cdc.release?.();
  await drainApplier(cdc.applier, backends.work);
  return measure(context, { counts, mid, applier: cdc.applier });
}

/** Checks inputs before starting anything: the fixture, and that the ports asked for are free. */
async function checkInputs(options: DemoOptions): Promise<ReturnType<typeof readFixture>> {
  await checkOptionsHere(options);
  const events = options.source === "replay" ? readFixture(options.fixture) : [];
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
  cleanups.push({
    name: "work folder",
    run: async () => {
      if (keepWork) process.stderr.write(`demo: the logs of this run are kept in ${work}\n`);
      else fs.rmSync(work, { recursive: true, force: true });
    },
  });

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
  holdAt: readonly number[] | undefined,
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

/** Waits for `finished`, then stops the worker (SIGTERM, exit code 0); returns its final counts. */
async function stopWorker(worker: WorkerProcess, finished: Promise<void>): Promise<WorkerCounts> {
  await finished;
  const counts = await worker.counts();
  if (!counts) throw new Error("the worker's /metrics did not answer before it was stopped");
  progress(
    `worker: ${counts.received} received, ${counts.published} published, ${counts.dropped} dropped; stopping it (SIGTERM)`,
  );
  const code = await worker.stop();
  if (code !== 0) throw new Error(`the worker exited with code ${code} after SIGTERM (expected 0)`);
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
  progress(
    `bridge: ${stats.inserted} rows, ${stats.errors} to the error table, ${stats.redelivered} redeliveries acked without a second row`,
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

/** The run's parts, as the mid-replay reads see them and with everything main.ts started. */
type RunContext = MidReplayContext & { readonly plan: Plan; readonly backends: Backends };

/** leaderboard_live, then the ELT, the windows and the health checks: the demo's result. */
async function measure(
  context: RunContext,
  outcome: { counts: WorkerCounts; mid: MidReplay; applier: CdcApplier },
): Promise<DemoResult> {
  const { plan, backends } = context;
  const { bigquery, count } = backends;
  const { resources } = plan;
  const rawRows = await count(plan.rawTable);
  progress(`raw: ${rawRows} rows; running the ELT (staging load, then leaderboard, then the windows)`);
  const elt = await runElt(bigquery, resources);
  await recomputeWindows(bigquery, resources, elt.runTime);
  const windows = await windowCounts(bigquery, resources);
  const health = await measureHealthOf(context, elt.runTime, rawRows - elt.stagedRows);
  const offset = context.points ? context.events.length : null;
  const end = await readStory({
    bigquery,
    resources,
    readAt: "end",
    replayedEvents: offset,
    lastEventTime: await lastEventTime(context, offset),
    clock: await replayClock(bigquery, resources),
    cdc: {
      applied: outcome.applier.distinctMessages(),
      expected: publishedChanges(fs.readFileSync(path.join(backends.work, "worker.log"), "utf8")),
    },
  });
  const errorRows = await count(plan.errorTable);
  const { counts } = outcome;
  return {
    published: counts.published,
    raw_rows: rawRows,
    staged_rows: elt.stagedRows,
    duplicates_removed: rawRows - elt.stagedRows,
    error_rows: errorRows,
    counts: {
      received: counts.received,
      published: counts.published,
      dropped: counts.droppedBy,
      refused: counts.refused,
      error_rows: errorRows,
      duplicates_removed: rawRows - elt.stagedRows,
    },
    leaderboard: elt.top10,
    leaderboard_mid_replay: outcome.mid.leaderboard,
    leaderboard_live: outcome.mid.leaderboardLive,
    windows,
    cdc: await cdcReport(bigquery, plan.projectId, plan.cdcSubscription.bigQueryTable, outcome.applier.stats),
    health,
    story: [...outcome.mid.story, ...end],
    ingestion_cost: ingestionCostLines(COST_RATES),
  };
}

/** The rates the report prices ingestion at (events/s). */
const COST_RATES = [50, 500, 5000] as const;

/** The health section: the SQL health checks as of `runTime`, and the subscriptions' backlog. */
async function measureHealthOf(
  { plan, backends }: RunContext,
  runTime: Date,
  duplicatesRemoved: number,
): Promise<HealthReport> {
  const { resources, ingestion } = plan;
  progress(
    plan.direct
      ? "measuring health (the SQL of the health checks; no ingestion subscription in direct mode)"
      : "measuring health (the SQL of the health checks, the subscriptions' backlog)",
  );
  return measureHealth({
    bigquery: backends.bigquery,
    resources,
    pubsubHost: backends.pubsubEmulator.host,
    ingestionSubscription: ingestion?.name,
    deadLetterSubscription: ingestion ? resources.stack.ingestion.deadLetterSubscriptionName : undefined,
    runTime,
    duplicatesRemoved,
  });
}

/**
 * With --json, stdout carries the one JSON object and nothing else: whatever else writes to this
 * process's stdout from here on (a library's console.log) goes to stderr. Returns the real stdout writer.
 */
function claimStdout(): (text: string) => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return (text) => void write(text);
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
  const writeJson = options.json ? claimStdout() : undefined;
  try {
    const result = await run(options);
    await cleanup();
    progress("done");
    const report = formatReport(result);
    if (writeJson) {
      process.stderr.write(`${report}\n`);
      writeJson(`${JSON.stringify(result)}\n`);
    } else process.stdout.write(`${report}\n`);
    const html = options.report;
    if (html) {
      fs.writeFileSync(html, htmlReport(result));
      progress(`report written to ${html}`);
    }
    process.exit(0);
  } catch (error) {
    const expected = error instanceof FixtureError || error instanceof UsageError;
    process.stderr.write(`demo: ${expected ? (error as Error).message : ((error as Error).stack ?? error)}\n`);
    keepWork = !expected;
    await cleanup();
    process.exit(1);
  }
}

void main();
