/**
 * The demo's bridge when Pub/Sub redelivers messages it is still holding, as a program (the BigQuery client library
 * does not run under jest). Run by bridge-redelivery.emulator.test.ts:
 *
 *   npx tsx test/demo/bridge-redelivery.ts [--events N] [--block-ms MS]
 *
 * The `local` stack is provisioned on both emulators. A subscription with the shortest ack deadline Pub/Sub allows
 * (10 s) feeds the bridge; the bridge holds its inserts while N rows are published, then the program blocks its own
 * event loop for longer than the deadline (a starved process: no lease extension is sent), so the emulator
 * redelivers every held message. Prints one JSON line: the rows published, the raw table's rows and distinct
 * event ids, and the bridge's counters.
 */
import { startBridge } from "../../demo/bridge";
import { INGESTION_NAMES } from "../../stacks/ingestion";
import { BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { startPubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { projectV1 } from "../evolution/contract-v2";
import { provisionLocalIngestion } from "./local-ingestion";
import { rolloutEvents, writeAll } from "../evolution/rollout";

process.env.METADATA_SERVER_DETECTION ??= "none";
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const count = Number(arg("events") ?? 50);
const blockMs = Number(arg("block-ms") ?? 25_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 100 ms; throws with `what()` after `ms`. */
async function until(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  for (let waited = 0; !condition(); waited += 100) {
    if (waited > ms) throw new Error(`timed out: ${what()}`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const bigqueryEmulator = await startBigQueryEmulator({ projectId: "fresh-streams-local" });
  const pubsubEmulator = await startPubSubEmulator();
  try {
    const apiEndpoint = bigqueryEmulator.apiEndpoint;
    const local = await provisionLocalIngestion(apiEndpoint, pubsubEmulator.host, "wiki_changes_redelivery_errors");
    const { projectId, bigquery, pubsub, rawTable, errorTable } = local;
    // 10 s is the shortest ack deadline Pub/Sub accepts (ackDeadlineSeconds: 10 to 600).
    const [subscription] = await pubsub
      .topic(INGESTION_NAMES.topic)
      .createSubscription("bridge-redelivery", { ackDeadlineSeconds: 10 });
    const bridge = startBridge({ pubsub, bigquery, subscription: subscription.name, table: rawTable, errorTable });
    const release = await bridge.pause();

    const publisher = local.publisher();
    const rows = rolloutEvents(count * 2)
      .flatMap((e) => projectV1(e.data) ?? [])
      .slice(0, count);
    const written = await writeAll(publisher, rows);
    await until(
      () => bridge.stats.received >= rows.length,
      60_000,
      () => `the bridge received ${bridge.stats.received} of ${rows.length}`,
    );

    // Starve the process: no lease extension leaves it, so every held message's deadline passes.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs);
    release();
    await until(
      () => bridge.stats.inserted + bridge.stats.errors >= rows.length && bridge.stats.received >= 2 * rows.length,
      120_000,
      () => `the bridge: ${JSON.stringify(bridge.stats)} for ${rows.length} rows`,
    );
    await sleep(3000); // late copies of nacked redeliveries come back and are acked as written
    await bridge.close();
    await Promise.all([publisher.close(), pubsub.close()]);

    const client = new BigQueryRestClient(apiEndpoint, projectId);
    const raw = await client.query(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS ids FROM \`${projectId}.${rawTable}\``,
    );
    const errors = await client.query(`SELECT COUNT(*) AS n FROM \`${projectId}.${errorTable}\``);
    process.stdout.write(
      `${JSON.stringify({
        published: written.counts.written ?? 0,
        rawRows: Number(raw.rows[0].n),
        rawIds: Number(raw.rows[0].ids),
        errorRows: Number(errors.rows[0].n),
        stats: bridge.stats,
      })}\n`,
    );
  } finally {
    await pubsubEmulator.stop();
    await bigqueryEmulator.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
