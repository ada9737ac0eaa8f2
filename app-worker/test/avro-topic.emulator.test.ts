/**
 * The worker publishing to a topic that carries the Avro schema generated from wiki_changes (JSON encoding, what
 * `ingestion.topicSchema` deploys), on the real Pub/Sub emulator, which validates every message against the schema:
 * with MESSAGE_ENCODING=avro-json every accepted event arrives and decodes back to its row, NULL fields included;
 * with plain JSON every event is refused ("Could not parse message") and dead-lettered.
 */
import { Encodings, PubSub, SchemaTypes, v1 } from "@google-cloud/pubsub";
import { credentials } from "@grpc/grpc-js";
import pino from "pino";
import {
  AvroRecord,
  avroDefinitionFromTableSchema,
  avroSchemaFromTableSchema,
  encodeAvroJson,
} from "../../schemas/avro";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { PubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { loadFixture } from "../../tools/fixtures/generate";
import { SseServer } from "../../tools/sse/sse-server";
import { Worker } from "../src/main";
import { projectData, WikiChangeRow } from "../src/projection";
import { BoundedPublisher } from "../src/publisher";
import { SinkOutcome } from "../src/sink";
import { TEST_PROJECT, uniqueName } from "./helpers/pubsub";
import { config, metricValue, useEmulatorAndFolder, waitFor, within } from "./helpers/worker";

let emulator: PubSubEmulator;
let pubsub: PubSub;
let subscriber: v1.SubscriberClient;
const { workerEnv } = useEmulatorAndFolder("avro-topic", (started) => {
  emulator = started;
  pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: started.host, emulatorMode: true });
  const [servicePath, port] = started.host.split(":");
  subscriber = new v1.SubscriberClient({ servicePath, port: Number(port), sslCreds: credentials.createInsecure() });
});
afterAll(async () => {
  await Promise.all([pubsub?.close(), subscriber?.close()]);
});

const AVRO: AvroRecord = avroSchemaFromTableSchema(WIKI_CHANGES_SCHEMA);
const TIMESTAMPS = new Set(WIKI_CHANGES_SCHEMA.columns.filter((c) => c.type === "TIMESTAMP").map((c) => c.name));
/** Recorded events; every tenth one without the fields its row may leave NULL (a log event has no `id`, …). */
const events = loadFixture()
  .slice(0, 200)
  .map((line, i) => {
    if (i % 10 !== 3) return line;
    const { id: _id, user: _user, bot: _bot, namespace: _namespace, ...rest } = JSON.parse(line);
    return JSON.stringify(rest);
  });
/** The rows the worker projects from the events (canaries and malformed events are never published), by event id. */
const expected = new Map(
  events.flatMap((line) => {
    const result = projectData(line);
    return result.kind === "row" ? [[result.row.event_id, normalize(result.row)] as const] : [];
  }),
);

/** A row with its TIMESTAMP columns as ISO strings with milliseconds (how a decoded row spells them). */
function normalize(row: WikiChangeRow | Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const name of TIMESTAMPS)
    if (out[name] !== null && out[name] !== undefined) out[name] = new Date(out[name] as string).toISOString();
  return out;
}

/** Avro JSON of the generated record back to a plain row: unions unwrapped, timestamp-micros to ISO strings. */
function decode(message: Record<string, unknown>): Record<string, unknown> {
  expect(Object.keys(message).sort()).toEqual(AVRO.fields.map((f) => f.name).sort());
  const row: Record<string, unknown> = {};
  for (const field of AVRO.fields) {
    let value = message[field.name];
    let type = field.type;
    if (Array.isArray(type) && value !== null) {
      const branches = Object.entries(value as Record<string, unknown>);
      expect(branches).toHaveLength(1);
      value = branches[0][1];
      type = type[1];
    }
    const logical = typeof type === "object" && !Array.isArray(type) ? type.logicalType : undefined;
    row[field.name] = logical === "timestamp-micros" && value !== null ? new Date((value as number) / 1000) : value;
    if (row[field.name] instanceof Date) row[field.name] = (row[field.name] as Date).toISOString();
  }
  return row;
}

/** A topic with the generated Avro schema (JSON encoding), as StreamTopic deploys it, and a pull subscription. */
async function avroTopic(): Promise<{ topic: string; subscription: string }> {
  const topic = uniqueName("wiki-changes");
  const schema = await pubsub.createSchema(
    `${topic}-schema`,
    SchemaTypes.Avro,
    avroDefinitionFromTableSchema(WIKI_CHANGES_SCHEMA),
  );
  await pubsub.createTopic({
    name: topic,
    schemaSettings: { schema: await schema.getName(), encoding: Encodings.Json },
  });
  await pubsub.topic(topic).createSubscription(`${topic}-sub`);
  return { topic, subscription: `projects/${TEST_PROJECT}/subscriptions/${topic}-sub` };
}

/** Pulls until `done(bodies)` holds: the bodies by event id. */
async function pullUntil(
  subscription: string,
  done: (bodies: Map<string, Record<string, unknown>>) => boolean,
): Promise<Map<string, Record<string, unknown>>> {
  const bodies = new Map<string, Record<string, unknown>>();
  while (!done(bodies)) {
    const [response] = await subscriber.pull({ subscription, maxMessages: 1000 });
    const received = response.receivedMessages ?? [];
    for (const m of received)
      bodies.set(m.message!.attributes!.event_id, JSON.parse(Buffer.from(m.message!.data!).toString("utf8")));
    if (received.length > 0) await subscriber.acknowledge({ subscription, ackIds: received.map((m) => m.ackId!) });
  }
  return bodies;
}

/** Runs the worker (in this process) over the events until `settled(metrics text)` holds; returns the metrics. */
async function runWorker(
  topic: string,
  extra: Record<string, string>,
  settled: (metrics: string) => boolean,
): Promise<string> {
  const server = new SseServer({ events });
  const env = workerEnv(topic, await server.start(), extra);
  const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
  const run = worker.run();
  try {
    let metrics = "";
    await waitFor(
      async () => settled((metrics = await worker.metrics.registry.metrics())),
      60_000,
      "the worker to handle every event",
    );
    return metrics;
  } finally {
    worker.stop();
    const code = await within(run, 30_000, "the worker to stop");
    await server.stop();
    expect(code).toBe(0);
  }
}

describe("a topic with the generated Avro schema (JSON encoding)", () => {
  test("the events include rows with NULL nullable fields", () => {
    const nullable = AVRO.fields.filter((f) => Array.isArray(f.type)).map((f) => f.name);
    const withNull = [...expected.values()].filter((row) => nullable.some((name) => row[name] === null));
    expect(expected.size).toBeGreaterThan(150);
    expect(withNull.length).toBeGreaterThan(0);
  });

  test("MESSAGE_ENCODING=avro-json: every accepted event is published, and decodes back to its row", async () => {
    const { topic, subscription } = await avroTopic();
    const metrics = await runWorker(
      topic,
      { MESSAGE_ENCODING: "avro-json" },
      (text) =>
        text.includes("fresh_streams_worker_events_published_total") &&
        metricValue(text, "fresh_streams_worker_events_published_total") >= expected.size,
    );
    expect(metrics).not.toMatch(/^fresh_streams_worker_events_dead_lettered_total\{[^}]*\} [1-9]/m);
    const bodies = await within(
      pullUntil(subscription, (b) => b.size >= expected.size),
      60_000,
      "every published event to arrive",
    );
    expect([...bodies.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, body] of bodies) expect(decode(body)).toEqual(expected.get(id));
  });

  test("MESSAGE_ENCODING=json (plain JSON): every event is refused by the topic and dead-lettered, none published", async () => {
    const { topic, subscription } = await avroTopic();
    const deadLettered = 'fresh_streams_worker_events_dead_lettered_total{reason="invalid_argument"}';
    const metrics = await runWorker(
      topic,
      { MESSAGE_ENCODING: "json" },
      (text) => metricValue(text, deadLettered) >= expected.size,
    );
    expect(metricValue(metrics, deadLettered)).toBe(expected.size);
    // A valid message after the worker's: the only one the subscription delivers.
    const [sentinel] = expected.values();
    await pubsub.topic(topic).publishMessage({
      json: encodeAvroJson(WIKI_CHANGES_SCHEMA, { ...sentinel, event_id: "sentinel" }),
      attributes: { event_id: "sentinel" },
    });
    const bodies = await within(
      pullUntil(subscription, (b) => b.has("sentinel")),
      60_000,
      "the sentinel message",
    );
    expect([...bodies.keys()]).toEqual(["sentinel"]);
  });

  test("a row that does not fit the schema is undeliverable (unencodable), never sent", async () => {
    const { topic } = await avroTopic();
    process.env.PUBSUB_EMULATOR_HOST = emulator.host;
    const publisher = new BoundedPublisher({
      project: TEST_PROJECT,
      topic,
      maxInFlightMessages: 10,
      maxInFlightBytes: 1 << 20,
      publishTimeoutMs: 10_000,
      batchMaxMessages: 10,
      batchMaxMs: 10,
      messageEncoding: "avro-json",
      pubsub,
    });
    try {
      const row = { event_id: "no-time", title: "t" };
      const outcome = await new Promise<SinkOutcome | undefined>((resolve, reject) =>
        publisher.write({ eventId: "no-time", row, json: JSON.stringify(row) }, (error, result) =>
          error ? reject(error) : resolve(result),
        ),
      );
      expect(outcome).toEqual({
        kind: "undeliverable",
        reason: "unencodable",
        detail: `the row does not fit the topic's Avro schema (MESSAGE_ENCODING=avro-json): wiki_changes: REQUIRED field "event_time" is missing`,
        bytes: JSON.stringify(row).length,
      });
      expect(publisher.messages).toBe(0);
    } finally {
      await publisher.close();
      delete process.env.PUBSUB_EMULATOR_HOST;
    }
  });
});
