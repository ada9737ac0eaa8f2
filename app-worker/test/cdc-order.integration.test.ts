/**
 * The order of two changes of one page, as the real worker publishes them to the
 * Pub/Sub emulator, applied by a reference model of BigQuery's CDC apply written here (per key, the
 * greatest `_CHANGE_SEQUENCE_NUMBER`, sections compared as unsigned numbers from the left).
 *
 * - EventBus sets `meta.dt` from `rc_timestamp` (whole seconds), and the two datacenter topics
 *   (`eqiad.…`, `codfw.…`) have unrelated Kafka offsets: a page deleted (eqiad, high offset) and
 *   restored in the same second (codfw, low offset, later rc id) must end restored.
 * - A `meta.dt` far in the future is clamped to the time of receipt: it must not pin the page.
 */
import { Message, PubSub } from "@google-cloud/pubsub";
import { PubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { generatePageFixture } from "../../tools/fixtures/generate-pages";
import { SseServer } from "../../tools/sse/sse-server";
import { TEST_PROJECT, uniqueName } from "./helpers/pubsub";
import { spawnWorker, waitFor, useEmulatorAndFolder, workerEnv } from "./helpers/worker";

let emulator: PubSubEmulator;
let tmp: string;

useEmulatorAndFolder("cdc-order", (started, folder) => {
  emulator = started;
  tmp = folder;
});

type Event = Record<string, any>;
const template: Event = JSON.parse(
  generatePageFixture({ count: 50, seed: 3 }).find((line) => JSON.parse(line).type === "edit")!,
);

/** One recentchange event of `title` on enwiki: `dt` (whole seconds, as EventBus sets it), topic, offset, rc id. */
function event(
  n: number,
  fields: { title: string; dt: string; dc: "eqiad" | "codfw"; offset: number; rcid: number },
  change: Event,
): Event {
  const e = structuredClone(template);
  e.meta = { ...e.meta, id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, dt: fields.dt };
  e.meta.topic = `${fields.dc}.mediawiki.recentchange`;
  e.meta.offset = fields.offset;
  e.meta.domain = "en.wikipedia.org";
  e.wiki = "enwiki";
  e.namespace = 0;
  e.title = fields.title;
  e.id = fields.rcid;
  e.timestamp = Math.floor(Date.parse(fields.dt) / 1000);
  return { ...e, ...change };
}
const edit = { type: "edit", log_type: undefined, log_action: undefined };
const deletion = { type: "log", log_type: "delete", log_action: "delete", revision: undefined, length: undefined };
const restore = { type: "log", log_type: "delete", log_action: "restore", revision: undefined, length: undefined };

/** Reference apply: per key, the change with the greatest sequence number (numeric sections) decides. */
function applyModel(changes: Event[]): Map<string, Event> {
  const newest = new Map<string, { order: bigint[]; change: Event }>();
  for (const change of changes) {
    const order = String(change._CHANGE_SEQUENCE_NUMBER)
      .split("/")
      .map((hex) => BigInt(`0x${hex}`));
    const key = `${change.wiki}|${change.namespace}|${change.title}`;
    const seen = newest.get(key);
    let newer = seen === undefined;
    if (seen) {
      const i = order.findIndex((value, k) => value !== seen.order[k]);
      newer = i >= 0 ? order[i] > seen.order[i] : order.length > seen.order.length;
    }
    if (newer) newest.set(key, { order, change });
  }
  return new Map([...newest].filter(([, v]) => v.change._CHANGE_TYPE === "UPSERT").map(([k, v]) => [k, v.change]));
}

test("a delete and a restore in the same second from the two datacenter topics end restored; a future meta.dt is clamped", async () => {
  const second = "2026-03-01T12:00:07Z"; // EventBus: rc_timestamp, whole seconds
  const events = [
    // Created a minute earlier (eqiad).
    event(
      1,
      { title: "Same second", dt: "2026-03-01T11:59:00Z", dc: "eqiad", offset: 7_100_000_100, rcid: 1_790_000_100 },
      edit,
    ),
    // Deleted (eqiad, offset in the billions), then restored in the same second (codfw: a small,
    // unrelated offset; the wiki committed it later, so its rc id is higher). The stream delivers
    // them in commit order, as one SSE connection would.
    event(2, { title: "Same second", dt: second, dc: "eqiad", offset: 7_100_000_200, rcid: 1_790_000_200 }, deletion),
    event(3, { title: "Same second", dt: second, dc: "codfw", offset: 52_000, rcid: 1_790_000_201 }, restore),
    // A clock far ahead on the producer's side: dated 2100.
    event(
      4,
      { title: "From the future", dt: "2100-01-01T00:00:00Z", dc: "eqiad", offset: 7_100_000_300, rcid: 1_790_000_300 },
      edit,
    ),
  ].map((e) => JSON.stringify(e));

  const pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  const mainTopic = uniqueName("wiki-changes");
  const cdcTopic = uniqueName("wiki-pages-cdc");
  await pubsub.createTopic(mainTopic);
  const [topic] = await pubsub.createTopic(cdcTopic);
  const [subscription] = await topic.createSubscription(`${cdcTopic}-sub`, { ackDeadlineSeconds: 60 });
  const received: { change: Event; at: number }[] = [];
  subscription.on("message", (message: Message) => {
    received.push({ change: JSON.parse(message.data.toString("utf8")), at: Date.now() });
    message.ack();
  });
  subscription.on("error", () => undefined);

  const server = new SseServer({ events, eventsPerSecond: 50 });
  const startedAt = Date.now();
  try {
    const worker = spawnWorker(
      workerEnv(emulator.host, tmp, mainTopic, await server.start(), {
        CDC_TOPIC: cdcTopic,
        SHUTDOWN_DEADLINE_MS: "5000",
        LOG_LEVEL: "info",
      }),
    );
    await waitFor(() => received.length >= 4, 60_000, "the four page changes");
    worker.child.kill("SIGTERM");
    const exit = await worker.exited;
    if (exit !== 0) throw new Error(`worker: ${exit}\n${worker.output().slice(-3000)}`);
  } finally {
    await subscription.close();
    await pubsub.close();
    await server.stop();
  }

  const changes = received.map((r) => r.change);
  // In every arrival order (Pub/Sub does not keep one, and BigQuery applies by number), the page is restored.
  const table = applyModel(changes);
  const reversed = applyModel([...changes].reverse());
  for (const state of [table, reversed]) {
    expect(state.get("enwiki|0|Same second")).toMatchObject({ _CHANGE_TYPE: "UPSERT", last_change: "restore" });
  }
  // The future-dated change: its time section is the time of receipt, not 2100.
  const future = changes.find((c) => c.title === "From the future")!;
  const [timeSection] = String(future._CHANGE_SEQUENCE_NUMBER).split("/");
  const timeMs = Number(BigInt(`0x${timeSection}`));
  expect(timeMs).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000);
  expect(timeMs).toBeLessThanOrEqual(Math.max(...received.map((r) => r.at)) + 999);
}, 120_000);
