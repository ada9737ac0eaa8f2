/**
 * The publisher against the real Pub/Sub emulator: a message the server refuses as invalid
 * (INVALID_ARGUMENT; the emulator refuses a message without data or attributes) settles as permanent, and only that
 * one: a batch fails as a whole, so its messages are sent again alone.
 */
import { PubSubEmulator, startPubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { BoundedPublisher, PermanentPublishError, PublishError } from "../src/publisher";
import { topicWithCollector, TEST_PROJECT } from "./helpers/pubsub";

let emulator: PubSubEmulator;
beforeAll(async () => {
  emulator = await startPubSubEmulator();
}, 90_000);
afterAll(async () => {
  await emulator?.stop();
});

test("one invalid message in a batch: it alone is refused as invalid_argument, the 49 others are published", async () => {
  const sub = await topicWithCollector(emulator.host);
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  const publisher = new BoundedPublisher({
    project: TEST_PROJECT,
    topic: sub.topicName,
    maxInFlightMessages: 1000,
    maxInFlightBytes: 1 << 20,
    publishTimeoutMs: 10_000,
    batchMaxMessages: 100,
    batchMaxMs: 50,
  });
  try {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        publisher
          .publish(
            ...((i === 20 ? [Buffer.alloc(0), {}] : [Buffer.from(`{"n":${i}}`), { event_id: `e${i}` }]) as [
              Buffer,
              Record<string, string>,
            ]),
          )
          .then(
            () => "published",
            (error: PublishError) => error,
          ),
      ),
    );
    const refused = results.filter((r) => r !== "published");
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(PermanentPublishError);
    expect(refused[0]).toMatchObject({ reason: "invalid_argument" });
    expect((refused[0] as Error).message).toMatch(/refused: 3 INVALID_ARGUMENT/);
    expect(results[20]).toBe(refused[0]);
    await sub.waitForUnique(49, 30_000);
    expect(sub.collected.unique.has("e20")).toBe(false);
    expect(publisher.messages).toBe(0);
  } finally {
    await publisher.close();
    await sub.close();
    delete process.env.PUBSUB_EMULATOR_HOST;
  }
});
