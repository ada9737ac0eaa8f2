/**
 * The worker's page-state (CDC) publishing, as a child process (what `npm run worker` runs),
 * against a local SSE server replaying the page fixture and the real Pub/Sub emulator: every page
 * change of every event arrives, with the sequence number derived from its event, also across a
 * SIGTERM and a restart from the checkpoint.
 */
import { Message, PubSub } from "@google-cloud/pubsub";
import { PubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { generatePageFixture } from "../../tools/fixtures/generate-pages";
import { SseServer } from "../../tools/sse/sse-server";
import { derivePageChanges } from "../src/page-state";
import { TEST_PROJECT, uniqueName } from "./helpers/pubsub";
import { spawnWorker, waitFor, useEmulatorAndFolder, workerEnv } from "./helpers/worker";

let emulator: PubSubEmulator;
let tmp: string;

useEmulatorAndFolder("cdc-worker", (started, folder) => {
  emulator = started;
  tmp = folder;
});

test("every page change arrives with its event's sequence number, across a SIGTERM and a restart", async () => {
  const events = generatePageFixture({ count: 1200, seed: 11 });
  // What must arrive: change_id → message, from the events alone (replayed lines give the same ids).
  const expected = new Map<string, string>();
  for (const line of events) {
    const event = JSON.parse(line);
    const result = derivePageChanges(event);
    if (result.kind === "changes") result.changes.forEach((c, i) => expected.set(`${event.meta.id}/${i}`, c.json));
  }
  expect(expected.size).toBeGreaterThan(500);

  const pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  const mainTopic = uniqueName("wiki-changes");
  const cdcTopic = uniqueName("wiki-pages-cdc");
  await pubsub.createTopic(mainTopic);
  const [topic] = await pubsub.createTopic(cdcTopic);
  const [subscription] = await topic.createSubscription(`${cdcTopic}-sub`, { ackDeadlineSeconds: 60 });
  subscription.setOptions({ streamingOptions: { maxStreams: 4 }, flowControl: { maxMessages: 20_000 } });
  const received = new Map<string, string>();
  let deliveries = 0;
  const mismatches: string[] = [];
  subscription.on("message", (message: Message) => {
    deliveries++;
    const id = message.attributes.change_id;
    const body = message.data.toString("utf8");
    if (expected.get(id) !== body) mismatches.push(`${id}: ${body.slice(0, 200)}`);
    if (JSON.parse(body)._CHANGE_SEQUENCE_NUMBER !== message.attributes.sequence_number)
      mismatches.push(`${id}: attribute`);
    received.set(id, body);
    message.ack();
  });
  subscription.on("error", () => undefined);

  const server = new SseServer({ events, eventsPerSecond: 300 });
  try {
    // No checkpoint yet: START=live begins at the live end (the fixture server streams from its start).
    const env = workerEnv(emulator.host, tmp, mainTopic, await server.start(), {
      CDC_TOPIC: cdcTopic,
      SHUTDOWN_DEADLINE_MS: "5000",
      LOG_LEVEL: "info",
    });
    const first = spawnWorker(env);
    await waitFor(() => received.size >= expected.size / 4, 60_000, "a quarter of the changes");
    first.child.kill("SIGTERM");
    const firstExit = await first.exited;
    if (firstExit !== 0) throw new Error(`first worker: ${firstExit}\n${first.output().slice(-3000)}`);
    expect(received.size).toBeLessThan(expected.size);
    const summary = JSON.parse(
      first
        .output()
        .split("\n")
        .find((l) => l.includes('"stopped cleanly"'))!,
    );
    expect(summary.cdc.upserts + summary.cdc.deletes).toBeGreaterThan(0);

    const second = spawnWorker(env);
    // Signal it only once it runs (its handlers are installed): it may have little left to publish.
    await waitFor(
      () => second.output().includes("connected to the event stream"),
      60_000,
      "the second worker to connect",
    );
    await waitFor(() => received.size >= expected.size, 60_000, "every change");
    second.child.kill("SIGTERM");
    const secondExit = await second.exited;
    if (secondExit !== 0) throw new Error(`second worker: ${secondExit}\n${second.output().slice(-3000)}`);
  } finally {
    await subscription.close();
    await pubsub.close();
    await server.stop();
  }
  expect(mismatches).toEqual([]);
  expect([...received.keys()].sort()).toEqual([...expected.keys()].sort());
  expect(deliveries).toBeGreaterThanOrEqual(expected.size);
});
