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
import { derivePageChangesFromData } from "../app-worker/src/page-state";
import { ingestionCostLines } from "../tools/cost/ingestion";
import { recomputeWindows, replayClock, runWindows, windowCounts } from "./analytics";
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
import { DemoResult, formatReport, LeaderboardRow } from "./report";
import { readStory, StoryRow } from "./story";
import { allHandled, startWorker, WorkerCounts, WorkerProcess } from "./worker-process";

// Emulators need no credentials: keep the Google client libraries from probing for a metadata server.
process.env.METADATA_SERVER_DETECTION ??= "none";

const started = Date.now();
const progress = (message: string): void => {
  process.stderr.write(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
};
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

/** Where the replay stops for the staging tick and for the mid-replay read (event offsets). */
interface ReplayPoints {
  /** The scheduled ELT runs once here (staging load, leaderboard, windows). */
  readonly tick: number;
  /** The story is read here, staging still at `tick`. */
  readonly mid: number;
}

/** The CDC applier: started at once (pubsub mode) or once the worker is idle (direct mode). */
interface CdcHolder {
  applier?: CdcApplier;
  /** Lets a paused applier write again. */
  release?: () => void;
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
  const context: MidReplayContext = { options, plan, backends, bridge, server, worker, points, events, cdc };
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

/** A tenth of the replay for the staging tick, half of it for the mid-replay read. */
function replayPoints(events: number): ReplayPoints | undefined {
  if (events === 0) return undefined; // the live stream
  const tick = Math.min(Math.max(1, Math.floor(events / 10)), events - 1); // a hold is before an event
  return { tick, mid: Math.max(tick, Math.floor(events / 2)) };
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

/** What the mid-replay reads watch and hold. */
interface MidReplayContext {
  readonly options: DemoOptions;
  readonly plan: Plan;
  readonly backends: Backends;
  readonly bridge?: Bridge;
  readonly server?: SseServer;
  readonly worker: WorkerProcess;
  /** Undefined for the live stream: the tick and the read then happen at a quarter and half the duration. */
  readonly points?: ReplayPoints;
  readonly events: readonly string[];
  readonly cdc: CdcHolder;
}

/** The mid-replay read: the story, and the two leaderboards' top 10 side by side. */
export interface MidReplay {
  readonly story: StoryRow[];
  readonly leaderboard: LeaderboardRow[];
  readonly leaderboardLive: LeaderboardRow[];
}

/**
 * The replay stops twice, at fixed events (so the read is the same on every run):
 * - at a tenth, once everything sent is in raw, the scheduled ELT runs once (staging load,
 *   leaderboard, windows), as a scheduled run would;
 * - at half, once everything sent is in raw and every page change of it applied, the story is read:
 *   raw and leaderboard_live have every event, staging and what is built on it only the first tenth.
 * Then the replay goes on. With --source wikimedia nothing can be held: the tick runs at a quarter of
 * the duration and the read at half, while the worker keeps writing.
 */
async function startMidReplay(context: MidReplayContext): Promise<MidReplay> {
  const { points, server } = context;
  const release = () => server?.release();
  if (!points) {
    await sleep((context.options.durationSeconds * 1000) / 4);
    await eltTick(context);
    await sleep((context.options.durationSeconds * 1000) / 4);
    return readMid(context, null);
  }
  await waitForReplayPoint(context, points.tick);
  await eltTick(context);
  if (points.mid > points.tick) {
    release();
    await waitForReplayPoint(context, points.mid);
  }
  await settleCdc(context, points.mid);
  try {
    return await readMid(context, points.mid);
  } finally {
    release();
  }
}

/** Waits until the replay is held at `offset` and every event sent is written to raw. */
async function waitForReplayPoint({ server, worker, bridge }: MidReplayContext, offset: number): Promise<void> {
  let counts: WorkerCounts | undefined;
  await waitFor(
    `the replay's first ${offset} events in raw`,
    300_000,
    async () => {
      if (server?.heldAt !== offset) return false;
      counts = await worker.counts();
      if (!allHandled(counts, offset)) return false;
      return !bridge || bridge.stats.inserted + bridge.stats.errors >= counts!.published;
    },
    () => `worker counters: ${JSON.stringify(counts)}, bridge: ${JSON.stringify(bridge?.stats)}`,
  );
}

/** One scheduled ELT run at the replay's clock: the staging load, the leaderboard and the windows. */
async function eltTick({ plan, backends }: MidReplayContext): Promise<void> {
  const elt = await runElt(backends.bigquery, plan.resources);
  await runWindows(backends.bigquery, plan.resources, elt.runTime);
  progress(
    `scheduled ELT run at ${elt.runTime.toISOString()}: staging ${elt.stagedRows} of ${await backends.count(plan.rawTable)} raw rows`,
  );
}

/** The page changes the first `offset` events imply (the worker's own derivation), skipping canaries. */
function changesOf(events: readonly string[], offset: number): number {
  let changes = 0;
  for (const data of events.slice(0, offset)) {
    const result = derivePageChangesFromData(data);
    if (result.kind === "changes") changes += result.changes.length;
  }
  return changes;
}

/**
 * Applies every page change of the events sent so far. Direct mode starts the applier here (the
 * worker is idle) and pauses it again before the replay goes on.
 */
async function settleCdc(context: MidReplayContext, offset: number): Promise<void> {
  const { cdc, plan, backends } = context;
  cdc.applier ??= startApplier(plan, backends);
  const applier = cdc.applier;
  const expected = changesOf(context.events, offset);
  await waitFor(
    `the CDC applier to receive ${expected} page changes`,
    120_000,
    async () => applier.distinctMessages() >= expected,
    () => `applier: ${JSON.stringify(applier.stats)}`,
  );
  await applier.settle();
  if (plan.direct) cdc.release = await applier.pause();
}

/** Newest event time of the first `offset` events (canaries skipped), or raw's newest for the live stream. */
async function lastEventTime(context: MidReplayContext, offset: number | null): Promise<Date> {
  if (offset === null) {
    const { resources } = context.plan;
    return new Date((await replayClock(context.backends.bigquery, resources)).getTime() - 60_000);
  }
  let newest = 0;
  for (const data of context.events.slice(0, offset)) {
    const event = JSON.parse(data);
    if (event.meta?.domain !== "canary") newest = Math.max(newest, Date.parse(event.meta?.dt) || 0);
  }
  return new Date(newest);
}

/** Reads the story and both leaderboards at the mid-replay point. */
async function readMid(context: MidReplayContext, offset: number | null): Promise<MidReplay> {
  const { plan, backends } = context;
  const clock = await replayClock(backends.bigquery, plan.resources);
  progress(`reading every reporting object after ${offset ?? "?"} events`);
  const story = await readStory({
    bigquery: backends.bigquery,
    resources: plan.resources,
    readAt: "mid-replay",
    replayedEvents: offset,
    lastEventTime: await lastEventTime(context, offset),
    clock,
    cdc: {
      applied: context.cdc.applier?.distinctMessages() ?? 0,
      expected: offset === null ? null : changesOf(context.events, offset),
    },
  });
  const staged = story.find((r) => r.object === plan.resources.stack.warehouse.wikiStaged.tableId);
  const live = story.find((r) => r.object === "leaderboard_live");
  const board = story.find((r) => r.top10 && r.object !== "leaderboard_live");
  progress(
    `mid-replay read after ${offset ?? "?"} events: staging covers ${staged?.events_covered} events, leaderboard_live ${live?.events_covered} of ${live?.events_expected}`,
  );
  return { story, leaderboard: board?.top10 ?? [], leaderboardLive: live?.top10 ?? [] };
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
  context: MidReplayContext,
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
  { plan, backends }: MidReplayContext,
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
