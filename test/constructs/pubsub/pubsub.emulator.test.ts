/**
 * The ingestion constructs against the real Pub/Sub emulator (the SDK's own):
 * - the Avro schema generated from wiki_changes is a schema Pub/Sub accepts, and a topic using it
 *   (JSON encoding) takes rows encoded by encodeAvroJson and rejects plain JSON and incomplete rows;
 * - a subscription synthesized by StreamTopic dead-letters a message after its max delivery
 *   attempts into the dead-letter topic, where the dead-letter subscription keeps it.
 */
import { Encodings, Message, PubSub, SchemaTypes } from "@google-cloud/pubsub";
import { TableSchema } from "../../../schemas/table-schema";
import { Duration } from "../../../constructs/core/duration";
import { avroDefinitionFromTableSchema, encodeAvroJson } from "../../../constructs/pubsub/avro-schema";
import { PubSubEmulator, startPubSubEmulator } from "../../../tools/emulators/pubsub-emulator";
import { WIKI_CHANGES_SCHEMA } from "../../../schemas";
import { PROJECT, newStack, newTopic, resources, synthStack } from "../../support";

let emulator: PubSubEmulator;
let pubsub: PubSub;

beforeAll(async () => {
  emulator = await startPubSubEmulator();
  pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
}, 90_000);

afterAll(async () => {
  await pubsub?.close();
  await emulator?.stop();
});

const ROW = {
  event_id: "e-1",
  id: 123,
  type: "edit",
  wiki: "enwiki",
  user: "Alice",
  title: "Main Page",
  bot: false,
  namespace: 0,
  timestamp: "2024-05-01T12:00:00Z",
  event_time: "2024-05-01T12:00:01.250Z",
};

async function publishOutcome(topicName: string, body: unknown): Promise<string> {
  try {
    await pubsub.topic(topicName).publishMessage({ data: Buffer.from(JSON.stringify(body)) });
    return "accepted";
  } catch (error) {
    return `rejected: ${(error as Error).message}`;
  }
}

describe("Avro schema generated from a TableSchema", () => {
  beforeAll(async () => {
    await pubsub.createSchema(
      "wiki-changes-schema",
      SchemaTypes.Avro,
      avroDefinitionFromTableSchema(WIKI_CHANGES_SCHEMA),
    );
    await pubsub.createTopic({
      name: "wiki-changes",
      schemaSettings: { schema: `projects/${PROJECT}/schemas/wiki-changes-schema`, encoding: Encodings.Json },
    });
  }, 60_000);

  test("Pub/Sub accepts the definition and a row encoded by encodeAvroJson", async () => {
    const encoded = encodeAvroJson(WIKI_CHANGES_SCHEMA, ROW);
    expect(encoded).toMatchObject({
      event_id: "e-1",
      id: { long: 123 },
      user: { string: "Alice" },
      bot: { boolean: false },
      timestamp: { long: 1714564800000000 },
      event_time: 1714564801250000,
    });
    expect(await publishOutcome("wiki-changes", encoded)).toBe("accepted");
  });

  test("missing nullable fields are sent as null and accepted", async () => {
    const encoded = encodeAvroJson(WIKI_CHANGES_SCHEMA, {
      event_id: "e-2",
      event_time: new Date("2024-05-01T00:00:00Z"),
    });
    expect(encoded.user).toBeNull();
    expect(await publishOutcome("wiki-changes", encoded)).toBe("accepted");
  });

  test("malformed messages are rejected at publish time", async () => {
    // Plain JSON (unions not wrapped) does not fit the schema's JSON encoding.
    expect(await publishOutcome("wiki-changes", ROW)).toMatch(/^rejected: 3 INVALID_ARGUMENT/);
    // Nor does a row without its required event_id.
    const { event_id: _omitted, ...withoutId } = encodeAvroJson(WIKI_CHANGES_SCHEMA, ROW);
    expect(await publishOutcome("wiki-changes", withoutId)).toMatch(/^rejected/);
    expect(await publishOutcome("wiki-changes", { hello: "world" })).toMatch(/^rejected/);
  });

  test("records, arrays, dates and JSON round-trip through a generated schema", async () => {
    const schema = new TableSchema(
      [
        { name: "id", type: "STRING", mode: "REQUIRED" },
        { name: "tags", type: "STRING", mode: "REPEATED" },
        { name: "day", type: "DATE" },
        { name: "at", type: "TIME" },
        { name: "payload", type: "JSON" },
        {
          name: "geo",
          type: "RECORD",
          fields: [
            { name: "country", type: "STRING" },
            { name: "lat", type: "FLOAT64" },
          ],
        },
      ],
      { name: "nested" },
    );
    await pubsub.createSchema("nested-schema", SchemaTypes.Avro, avroDefinitionFromTableSchema(schema));
    await pubsub.createTopic({
      name: "nested",
      schemaSettings: { schema: `projects/${PROJECT}/schemas/nested-schema`, encoding: Encodings.Json },
    });
    const encoded = encodeAvroJson(schema, {
      id: "n-1",
      tags: ["a", "b"],
      day: "2024-05-02",
      at: "12:30:00.5",
      payload: { k: 1 },
      geo: { country: "FR", lat: 48.85 },
    });
    expect(encoded).toEqual({
      id: "n-1",
      tags: ["a", "b"],
      day: { int: 19845 },
      at: { long: 45_000_500_000 },
      payload: { string: '{"k":1}' },
      geo: { "freshstreams.nested_geo": { country: { string: "FR" }, lat: { double: 48.85 } } },
    });
    expect(await publishOutcome("nested", encoded)).toBe("accepted");
  });

  test("encodeAvroJson refuses rows that cannot fit", () => {
    expect(() => encodeAvroJson(WIKI_CHANGES_SCHEMA, { event_time: 1 })).toThrow(
      'wiki_changes: REQUIRED field "event_id" is missing',
    );
    expect(() => encodeAvroJson(WIKI_CHANGES_SCHEMA, { ...ROW, extra: 1 })).toThrow(
      'wiki_changes: field "extra" is not a column of the schema',
    );
    expect(() => encodeAvroJson(WIKI_CHANGES_SCHEMA, { ...ROW, id: "123" })).toThrow(
      /INT64 field "id" must be a number/,
    );
    expect(() => encodeAvroJson(WIKI_CHANGES_SCHEMA, { ...ROW, event_time: "yesterday" })).toThrow(
      /"event_time" is not a time/,
    );
  });
});

describe("dead-lettering as StreamTopic synthesizes it", () => {
  test("after maxDeliveryAttempts nacks the message is in the dead-letter subscription", async () => {
    // Synthesize a topic and a subscription with 5 attempts, then create exactly that in the emulator.
    const stack = newStack();
    newTopic(stack, { topicName: "dl-events" }, "dl").addSubscription("dl-events-reader", {
      maxDeliveryAttempts: 5,
      ackDeadline: Duration.seconds(10),
    });
    const json = synthStack(stack);
    const topicNames = new Map<string, string>(
      Object.entries(json.resource.google_pubsub_topic as Record<string, any>).map(([id, t]) => [
        `\${google_pubsub_topic.${id}.id}`,
        t.name,
      ]),
    );
    for (const name of topicNames.values()) await pubsub.createTopic(name);
    for (const s of resources(json, "google_pubsub_subscription")) {
      await pubsub.topic(topicNames.get(s.topic)!).createSubscription(s.name, {
        ackDeadlineSeconds: s.ack_deadline_seconds,
        deadLetterPolicy: s.dead_letter_policy
          ? {
              deadLetterTopic: `projects/${PROJECT}/topics/${topicNames.get(s.dead_letter_policy.dead_letter_topic)}`,
              maxDeliveryAttempts: s.dead_letter_policy.max_delivery_attempts,
            }
          : undefined,
      });
    }
    expect([...topicNames.values()].sort()).toEqual(["dl-events", "dl-events-dead-letter"]);

    const attempts: number[] = [];
    const reader = pubsub.subscription("dl-events-reader");
    reader.on("message", (m: Message) => {
      attempts.push(m.deliveryAttempt);
      m.nack();
    });
    const dl = pubsub.subscription("dl-events-dead-letter-sub");
    const deadLetter = new Promise<Message>((resolve) => {
      dl.on("message", (m: Message) => {
        m.ack();
        resolve(m);
      });
    });
    await pubsub.topic("dl-events").publishMessage({ data: Buffer.from("poison"), attributes: { kind: "poison" } });
    let timer: NodeJS.Timeout | undefined;
    const letter = await Promise.race([
      deadLetter,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no dead letter after ${attempts.length} attempts`)), 45_000);
      }),
    ]).finally(() => clearTimeout(timer));
    await reader.close();
    await dl.close();
    expect(letter.data.toString()).toBe("poison");
    expect(letter.attributes.kind).toBe("poison");
    expect(attempts.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
  }, 60_000);
});
