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
import { sinkEmulatorEnv, startBigQueryEmulator } from "../tools/emulators/bigquery-emulator";
import { freePort, startPubSubEmulator } from "../tools/emulators/pubsub-emulator";
import { SseServer } from "../tools/sse/sse-server";
import { liveTop10, replayClock, runWindows, stagingLoad, windowCounts } from "./analytics";
import { INGESTION_NAMES } from "../stacks/ingestion";
import { rawErrorTableOf } from "./ingestion-mode";
import { PAGE_STATE_NAMES } from "../stacks/page-state";
import { Bridge, startBridge } from "./bridge";
import { CdcApplier, cdcReport, publishedChanges, startCdcApplier } from "./cdc-applier";
import { runElt } from "./elt";
import { FixtureError, readFixture } from "./fixture";
import { synthesizeLocalStack } from "./local-stack";
import { assertPortFree, DemoOptions, parseOptions, USAGE, UsageError, WIKIMEDIA_URL } from "./options";
import { provisionBigQuery, provisionPubSub } from "./provision";
import { measureHealth } from "./health";
import { DemoResult, formatReport } from "./report";
import { allHandled, startWorker, WorkerCounts } from "./worker-process";

// Emulators need no credentials: keep the Google client libraries from probing for a metadata server.
process.env.METADATA_SERVER_DETECTION ??= "none";

const started = Date.now();
const progress = (message: string): void => {
  process.stderr.write(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

async function run(options: DemoOptions): Promise<DemoResult> {
  // Check inputs before starting anything.
  const events = options.source === "replay" ? readFixture(options.fixture) : [];
  await assertPortFree(options.pubsubPort, "--pubsub-port");
  await assertPortFree(options.bigqueryPort, "--bigquery-port");
  await assertPortFree(options.ssePort, "--sse-port");
  if (events.length > 0)
    progress(`fixture: ${events.length} events from ${path.relative(process.cwd(), options.fixture)}`);

  progress("synthesizing the local stack");
  const direct = options.mode === "direct";
  const resources = direct
    ? synthesizeLocalStack(undefined, { mode: "direct", direct: { api: options.sink } })
    : synthesizeLocalStack();
  const { config } = resources;
  const ingestion = direct
    ? undefined
    : (resources.subscriptions.find((s) => s.topic === INGESTION_NAMES.topic && s.bigQueryTable !== undefined) ??
      resources.subscriptions.find((s) => s.topic === INGESTION_NAMES.topic && !s.name.includes("dead")));
  const cdcSubscription = resources.subscriptions.find((s) => s.name === PAGE_STATE_NAMES.subscription);
  if (!cdcSubscription?.bigQueryTable) throw new Error("the local stack declares no CDC subscription into wiki_pages");
  const topic = ingestion?.topic;
  if (!direct && (!ingestion || !topic))
    throw new Error("the local stack declares no subscription on the ingestion topic");
  const { wikiChanges } = resources.stack.warehouse;
  const rawTable = ingestion?.bigQueryTable ?? `${wikiChanges.datasetId}.${wikiChanges.tableId}`;
  // Direct mode: the worker's own error table (wiki_changes_errors); pubsub mode: the bridge's.
  const errorTable = direct ? rawErrorTableOf(resources) : `${rawTable.split(".")[0]}.wiki_changes_demo_errors`;
  progress(
    direct
      ? `ingestion: direct, the worker writes ${rawTable} with SINK=${options.sink} (no ingestion topic, no bridge)`
      : `ingestion: pubsub, the worker publishes to ${topic}; the local bridge writes ${rawTable}`,
  );

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
    projectId: config.projectId,
    port: options.bigqueryPort || undefined,
    logFile: path.join(work, "bigquery-emulator.log"),
  });
  cleanups.push({ name: "BigQuery emulator", run: () => bigqueryEmulator.stop() });
  progress(`BigQuery emulator on ${bigqueryEmulator.apiEndpoint} (pid ${bigqueryEmulator.pid})`);

  process.env.PUBSUB_EMULATOR_HOST = pubsubEmulator.host; // the client library's standard emulator switch
  const pubsub = new PubSub({ projectId: config.projectId });
  cleanups.push({ name: "Pub/Sub client", run: () => pubsub.close() });
  const bigquery = new BigQuery({ projectId: config.projectId, apiEndpoint: bigqueryEmulator.apiEndpoint });

  progress(
    `provisioning ${resources.datasets.length} datasets, ${resources.tables.length} tables, ${resources.topics.length} topics, ${resources.subscriptions.length} subscriptions`,
  );
  await provisionBigQuery(bigquery, resources);
  if (!direct)
    await bigquery
      .dataset(errorTable.split(".")[0])
      .createTable(errorTable.split(".")[1], { schema: { fields: DATAFLOW_DEADLETTER_SCHEMA.toBigQueryJson() } });
  await provisionPubSub(pubsub, resources);

  // Where the mid-replay staging load happens (see below): after a tenth of the replay.
  const tenth = Math.max(1, Math.floor(events.length / 10));
  let sseUrl = WIKIMEDIA_URL;
  let server: SseServer | undefined;
  if (options.source === "replay") {
    // Direct mode: the replay holds after its first tenth until the mid-replay staging load is done.
    server = new SseServer({ events, port: options.ssePort, holdAt: direct ? tenth : undefined });
    sseUrl = await server.start();
    const replay = server;
    cleanups.push({ name: "replay server", run: () => replay.stop() });
    progress(`replaying the fixture at ${sseUrl}`);
  }

  const count = async (table: string): Promise<number> => {
    const [rows] = await bigquery.query({ query: `SELECT COUNT(*) AS n FROM \`${config.projectId}.${table}\`` });
    return Number(rows[0].n);
  };
  const stagedTable = `${resources.stack.warehouse.wikiStaged.datasetId}.${resources.stack.warehouse.wikiStaged.tableId}`;

  let bridge: Bridge | undefined;
  if (ingestion) {
    progress("starting the local bridge (stands in for Dataflow / the BigQuery subscription)");
    const started = startBridge({ pubsub, bigquery, subscription: ingestion.name, table: rawTable, errorTable });
    cleanups.push({ name: "bridge", run: () => started.close() });
    bridge = started;
  }

  const startApplier = (): CdcApplier => {
    progress("starting the LOCAL CDC applier (stands in for BigQuery's CDC apply, which the emulator lacks)");
    const started = startCdcApplier({
      pubsub,
      bigquery,
      projectId: config.projectId,
      subscription: cdcSubscription.name,
      table: cdcSubscription.bigQueryTable!,
      primaryKey: resources.stack.warehouse.wikiPages.primaryKey,
    });
    cleanups.push({ name: "CDC applier", run: () => started.close() });
    return started;
  };
  // Direct mode starts the applier once the worker has stopped; its changes wait in the CDC
  // subscription meanwhile. The emulator keeps its tables in one SQLite file: the applier's REST
  // DELETE and INSERT beside the worker's Storage Write appends fail with "database is locked", and
  // seen here, appends then went unanswered for minutes. BigQuery has no such lock.
  let applier: CdcApplier | undefined = direct ? undefined : startApplier();

  progress("starting the worker (npm run worker)");
  const metricsPort = await freePort();
  const workerLog = fs.openSync(path.join(work, "worker.log"), "a");
  const worker = startWorker(
    {
      PROJECT: config.projectId,
      ...(direct
        ? {
            TOPIC: "", // unset: a direct sink has no topic
            SINK: options.sink,
            TABLE: `${config.projectId}.${rawTable}`,
            ERROR_TABLE: `${config.projectId}.${errorTable}`,
            ...sinkEmulatorEnv(bigqueryEmulator, options.sink),
          }
        : { TOPIC: topic! }),
      CDC_TOPIC: cdcSubscription.topic,
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
  let counts: WorkerCounts | undefined;
  const workerDied = worker.exited.then((code) => {
    throw new Error(
      `the worker exited early with code ${code}; its log:\n${fs.readFileSync(path.join(work, "worker.log"), "utf8").split("\n").slice(-20).join("\n")}`,
    );
  });
  workerDied.catch(() => undefined);

  const finished =
    options.source === "replay"
      ? waitFor(
          "the worker to publish the replay",
          300_000,
          async () => {
            counts = await worker.counts();
            return allHandled(counts, events.length);
          },
          () => `worker counters: ${JSON.stringify(counts)}`,
        )
      : sleep(options.durationSeconds * 1000);
  // Mid-replay, the staging load runs once, so that when leaderboard_live is read below, staging covers
  // only part of raw. The emulator's SQL is CPU-bound, so the load runs while the worker is idle:
  // - pubsub mode: the bridge holds its inserts from a tenth of the replay until that load is done,
  //   which starts once the worker has stopped (the worker gets the cores meanwhile);
  // - direct mode there is no bridge to hold: the worker writes the table itself. The replay server
  //   holds the stream after its first tenth instead (the connection stays open and quiet, as the live
  //   stream between events), the load runs once the worker has written everything it received, and
  //   the stream resumes. Staging then covers the first tenth and raw gets the rest, as in pubsub mode.
  //   With --source wikimedia nothing can be held: the load runs at half the duration while the worker
  //   keeps writing.
  let midReplay: { rawRows: number; stagedRows: number } | undefined;
  let workerStopped!: () => void;
  const workerHasStopped = new Promise<void>((resolve) => (workerStopped = resolve));
  const loadStaging = async (): Promise<void> => {
    const runTime = await replayClock(bigquery, resources);
    await stagingLoad(bigquery, resources, runTime);
    midReplay = { rawRows: await count(rawTable), stagedRows: await count(stagedTable) };
    progress(
      `mid-replay staging load: ${midReplay.stagedRows} staged of ${midReplay.rawRows} raw rows so far (@run_time ${runTime.toISOString()})`,
    );
  };
  const midTrigger = (async () => {
    const since = Date.now();
    const halfTime = () => Date.now() - since >= (options.durationSeconds * 1000) / 2;
    while (midReplay === undefined) {
      if (bridge) {
        const inserted = bridge.stats.inserted;
        if (options.source === "replay" ? inserted >= tenth : halfTime() && inserted >= 1) {
          const release = await bridge.pause();
          try {
            await workerHasStopped;
            await loadStaging();
          } finally {
            release();
          }
        }
      } else if (server) {
        if (server.holding && allHandled(await worker.counts(), tenth)) {
          try {
            await loadStaging();
          } finally {
            server.release();
          }
        }
      } else if (halfTime() && ((await worker.counts())?.published ?? 0) >= 1) await loadStaging();
      await sleep(50);
    }
  })();
  midTrigger.catch(() => undefined); // awaited below; a failure is reported there
  await Promise.race([finished, workerDied]);
  counts = await worker.counts();
  progress(
    `worker: ${counts?.received} received, ${counts?.published} published, ${counts?.dropped} dropped; stopping it (SIGTERM)`,
  );
  const code = await worker.stop();
  workerStopped();
  if (code !== 0) throw new Error(`the worker exited with code ${code} after SIGTERM (expected 0)`);
  const published = counts?.published ?? 0;

  if (bridge) {
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

  await Promise.race([midTrigger, sleep(120_000).then(() => Promise.reject(new Error("no mid-replay staging load")))]);
  applier ??= startApplier();
  const cdcApplier = applier;
  const changes = publishedChanges(fs.readFileSync(path.join(work, "worker.log"), "utf8"));
  progress(`waiting for the CDC applier to apply the ${changes} published page changes`);
  await waitFor(
    "the CDC applier",
    120_000,
    async () => cdcApplier.distinctMessages() >= changes,
    () => `applier: ${JSON.stringify(cdcApplier.stats)}, published changes: ${changes}`,
  );
  await cdcApplier.close();

  const rawRows = await count(rawTable);
  // leaderboard_live now: staging covers only what the mid-replay load saw, raw has everything.
  const clock = await replayClock(bigquery, resources);
  const live = await liveTop10(bigquery, resources, clock);
  progress(`leaderboard_live read with staging at ${midReplay?.stagedRows} rows, raw at ${rawRows}`);
  progress(`raw: ${rawRows} rows; running the ELT (staging load, then leaderboard)`);
  const elt = await runElt(bigquery, resources);
  // The windows run once, after the last staging load (test/sql/windows.emulator.test.ts covers the
  // incremental runs; the emulator's MERGE compares every target row with every source row).
  await runWindows(bigquery, resources, elt.runTime);
  const windows = await windowCounts(bigquery, resources);
  progress(
    direct
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
    published,
    raw_rows: rawRows,
    staged_rows: elt.stagedRows,
    duplicates_removed: rawRows - elt.stagedRows,
    error_rows: await count(errorTable),
    leaderboard: elt.top10,
    leaderboard_live: live,
    windows,
    cdc: await cdcReport(bigquery, config.projectId, cdcSubscription.bigQueryTable, cdcApplier.stats),
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
