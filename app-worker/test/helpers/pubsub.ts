/** Helpers for tests against the real Pub/Sub emulator: a topic, and a subscriber that collects. */
import { Message, PubSub, Subscription } from "@google-cloud/pubsub";

export const TEST_PROJECT = "fresh-streams-test";
// Emulator only: keep the auth library from probing for a GCE metadata server (and warning).
process.env.METADATA_SERVER_DETECTION ??= "none";

let counter = 0;
/** A name unique in this process (emulator names need at least 3 characters). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export interface Collected {
  /** event_id attribute of every delivered message (with repeats). */
  eventIds: string[];
  /** Distinct event ids. */
  unique: Set<string>;
  /** Parsed bodies by event id. */
  bodies: Map<string, Record<string, unknown>>;
}

/** Creates a topic and a subscription on the emulator and starts collecting (many streams). */
export async function topicWithCollector(emulatorHost: string, topicName = uniqueName("wiki-changes")) {
  const pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: emulatorHost, emulatorMode: true });
  const [topic] = await pubsub.createTopic(topicName);
  const [subscription] = await topic.createSubscription(`${topicName}-sub`, { ackDeadlineSeconds: 60 });
  const collected: Collected = { eventIds: [], unique: new Set(), bodies: new Map() };
  const waiters: { count: number; resolve: () => void }[] = [];
  const listening = subscription as Subscription;
  listening.setOptions({
    streamingOptions: { maxStreams: 8 },
    flowControl: { maxMessages: 20_000, allowExcessMessages: true },
  });
  listening.on("message", (message: Message) => {
    const id = message.attributes.event_id;
    collected.eventIds.push(id);
    if (!collected.unique.has(id)) {
      collected.unique.add(id);
      collected.bodies.set(id, JSON.parse(message.data.toString("utf8")));
    }
    message.ack();
    for (const waiter of [...waiters]) {
      if (collected.unique.size >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  listening.on("error", () => undefined);
  return {
    pubsub,
    topicName,
    collected,
    /** Resolves when `count` distinct event ids arrived, rejects after `timeoutMs`. */
    waitForUnique(count: number, timeoutMs = 60_000): Promise<void> {
      if (collected.unique.size >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`only ${collected.unique.size} of ${count} distinct event ids arrived within ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    /** Waits until no new message arrived for `quietMs`. */
    async settle(quietMs = 1000): Promise<void> {
      let last = -1;
      while (last !== collected.eventIds.length) {
        last = collected.eventIds.length;
        await new Promise((r) => setTimeout(r, quietMs));
      }
    },
    async close(): Promise<void> {
      await listening.close().catch(() => undefined);
      await pubsub.close().catch(() => undefined);
    },
  };
}
