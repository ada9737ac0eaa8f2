/**
 * One mixed rollout through the `local` stack on both emulators, as a program (the BigQuery client
 * library the bridge and the insertAll writer use does not run under jest). Run by
 * mixed-rollout.emulator.test.ts:
 *
 *   npx tsx test/evolution/pubsub-rollout.ts --sink pubsub|insert-all --order column-first|writer-first
 *
 * The stack is synthesized and provisioned as the demo does it (demo/local-stack.ts, demo/provision.ts).
 * `--sink pubsub`: an old and a new worker's publisher (BoundedPublisher) publish to the ingestion
 * topic; the demo's bridge (standing in for Dataflow or the BigQuery subscription) drains the
 * subscription into wiki_changes and its error table. `--sink insert-all`: the stack in direct mode,
 * an old and a new worker's BigQuerySink with the insertAll writer write wiki_changes and
 * wiki_changes_errors. `column-first` adds the new column after the old worker's first events and
 * before the new worker's first; `writer-first` never adds it. Prints one JSON line: what each worker's
 * writes came to, the raw table's (event_id, minor), the error table's messages and the dead letters.
 */
import { BigQuery } from "@google-cloud/bigquery";
import { v1 } from "@google-cloud/pubsub";
import { credentials } from "@grpc/grpc-js";
import { BigQuerySink } from "../../app-worker/src/bigquery-sink";
import { InsertAllWriter } from "../../app-worker/src/insert-all-writer";
import { EventSink } from "../../app-worker/src/sink";
import { startBridge } from "../../demo/bridge";
import { provisionLocalIngestion } from "../demo/local-ingestion";
import { rawErrorTableOf } from "../../demo/ingestion-mode";
import { LocalResources, synthesizeLocalStack } from "../../demo/local-stack";
import { provisionBigQuery } from "../../demo/provision";
import { BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { startPubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { projectV1, projectV2, WIKI_CHANGES_V2 } from "./contract-v2";
import { addColumnsOnEmulator, rolloutEvents, TEST_SINK_LIMITS, writeAll, WriteReport } from "./rollout";

process.env.METADATA_SERVER_DETECTION ??= "none";
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const sinkKind = arg("sink") ?? "pubsub";
const order = arg("order") ?? "column-first";
const count = Number(arg("events") ?? 600);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the rollout's rows go and how the column step pauses delivery around it. */
interface Target {
  readonly resources: LocalResources;
  readonly rawTable: string;
  readonly errorTable: string;
  readonly oldSink: EventSink;
  readonly newSink: EventSink;
  /** Holds delivery into the raw table while the column is added; resolves with the function that resumes it. */
  readonly hold: () => Promise<() => void>;
  /** Resolves once every written event reached the raw table or the error table; returns the dead letters. */
  readonly settle: (written: number) => Promise<number>;
  readonly close: () => Promise<void>;
}

async function main(): Promise<void> {
  const bigqueryEmulator = await startBigQueryEmulator({ projectId: "fresh-streams-local" });
  const pubsubEmulator = await startPubSubEmulator();
  try {
    const target =
      sinkKind === "pubsub"
        ? await pubsubTarget(bigqueryEmulator.apiEndpoint, pubsubEmulator.host)
        : await insertAllTarget(bigqueryEmulator.apiEndpoint);
    const report = await rollout(target, bigqueryEmulator.apiEndpoint);
    await target.close();
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await pubsubEmulator.stop();
    await bigqueryEmulator.stop();
  }
}

async function rollout(target: Target, apiEndpoint: string) {
  const { projectId } = target.resources.config;
  const events = rolloutEvents(count);
  const lines = (writer: string) => events.filter((e) => e.writer === writer).map((e) => e.data);
  const [oldLines, newLines] = [lines("old"), lines("new")];
  const oldRows = oldLines.flatMap((line) => projectV1(line) ?? []);
  const newRows = newLines.flatMap((line) => projectV2(line) ?? []);
  const reports: WriteReport[] = [await writeAll(target.oldSink, oldRows.slice(0, 100))];
  let copied: number | undefined;
  if (order === "column-first") {
    await target.settle(100);
    const resume = await target.hold();
    const [datasetId, tableId] = target.rawTable.split(".");
    const declared = target.resources.tables.find((t) => t.datasetId === datasetId && t.tableId === tableId)!;
    copied = await addColumnsOnEmulator(apiEndpoint, projectId, declared, WIKI_CHANGES_V2);
    resume();
  }
  reports.push(
    ...(await Promise.all([writeAll(target.oldSink, oldRows.slice(100)), writeAll(target.newSink, newRows)])),
  );
  const written = reports.reduce((n, r) => n + (r.counts.written ?? 0), 0);
  const deadLettered = await target.settle(written);
  const client = new BigQueryRestClient(apiEndpoint, projectId);
  // After writer-first the table has no `minor`: every row reads it as absent (null).
  const raw = await client.query(`SELECT * FROM \`${projectId}.${target.rawTable}\``);
  const errors = await client.query(`SELECT * FROM \`${projectId}.${target.errorTable}\``);
  return {
    sink: sinkKind,
    order,
    copied,
    old: mergeReports(reports[0], reports[1]),
    new: reports[2],
    raw: raw.rows.map((r) => [r.event_id, r.minor ?? null]),
    errors: errors.rows.map((r) => String(r.errorMessage ?? r.error_message ?? r.reason ?? JSON.stringify(r))),
    deadLettered,
  };
}

function mergeReports(a: WriteReport, b: WriteReport): WriteReport {
  const counts = { ...a.counts };
  for (const [kind, n] of Object.entries(b.counts)) counts[kind] = (counts[kind] ?? 0) + n;
  return { counts, details: [...a.details, ...b.details] };
}

/** The stack in its `local` (Pub/Sub) ingestion mode, the two workers' publishers and the demo's bridge. */
async function pubsubTarget(apiEndpoint: string, pubsubHost: string): Promise<Target> {
  const local = await provisionLocalIngestion(apiEndpoint, pubsubHost, "wiki_changes_demo_errors");
  const { resources, projectId, bigquery, pubsub, rawTable, errorTable } = local;
  const ingestion = local.subscription;
  const bridge = startBridge({ pubsub, bigquery, subscription: ingestion.name, table: rawTable, errorTable });
  const publisher = local.publisher;
  const [oldSink, newSink] = [publisher(), publisher()];
  const [servicePath, port] = pubsubHost.split(":");
  const subscriber = new v1.SubscriberClient({
    servicePath,
    port: Number(port),
    sslCreds: credentials.createInsecure(),
  });
  return {
    resources,
    rawTable,
    errorTable,
    oldSink,
    newSink,
    hold: () => bridge.pause(),
    settle: async (written) => {
      // A guard against a hang, not a measured bound: a failure names where the messages are.
      for (let waited = 0; bridge.stats.inserted + bridge.stats.errors < written; waited += 100) {
        if (waited > 240_000) throw new Error(`the bridge settled ${JSON.stringify(bridge.stats)} of ${written}`);
        await sleep(100);
      }
      const [pulled] = await subscriber.pull({
        subscription: `projects/${projectId}/subscriptions/${ingestion.deadLetterTopic}-sub`,
        maxMessages: 1000,
        returnImmediately: true,
      });
      return pulled.receivedMessages?.length ?? 0;
    },
    close: async () => {
      await bridge.close();
      await Promise.all([oldSink.close(), newSink.close(), subscriber.close(), pubsub.close()]);
    },
  };
}

/** The stack in direct mode with SINK=insert-all: the two workers' BigQuerySinks, each with its insertAll writers. */
async function insertAllTarget(apiEndpoint: string): Promise<Target> {
  const resources = synthesizeLocalStack(undefined, { mode: "direct", direct: { api: "insert-all" } });
  const { projectId } = resources.config;
  await provisionBigQuery(new BigQuery({ projectId, apiEndpoint }), resources);
  const { wikiChanges } = resources.stack.warehouse;
  const rawTable = `${wikiChanges.datasetId}.${wikiChanges.tableId}`;
  const errorTable = rawErrorTableOf(resources);
  const name = (qualified: string) => ({
    projectId,
    datasetId: qualified.split(".")[0],
    tableId: qualified.split(".")[1],
  });
  const sink = () =>
    new BigQuerySink({
      sink: "insert-all",
      writer: new InsertAllWriter(name(rawTable), { apiEndpoint }),
      errorWriter: new InsertAllWriter(name(errorTable), { apiEndpoint }),
      ...TEST_SINK_LIMITS,
    });
  const [oldSink, newSink] = [sink(), sink()];
  return {
    resources,
    rawTable,
    errorTable,
    oldSink,
    newSink,
    // The sinks write synchronously with writeAll: nothing is in flight between the two steps.
    hold: async () => () => undefined,
    settle: async () => 0,
    close: async () => {
      await Promise.all([oldSink.close(), newSink.close()]);
    },
  };
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
