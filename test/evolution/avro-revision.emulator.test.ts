/**
 * A topic with an Avro schema (`ingestion.topicSchema`) through a mixed rollout, on the Pub/Sub
 * emulator: the schema StreamTopic synthesizes from WIKI_CHANGES_SCHEMA is created, the definition it
 * synthesizes from the new contract is committed as a revision (what the google provider does on an
 * update of `google_pubsub_schema.definition`: `schemas/{name}:commit`), and an old and a new worker
 * publish through their real publisher side by side: every message is accepted, each validated
 * against its own revision, and delivered; none is refused or dead-lettered.
 *
 * Also shown, as the emulator does it: the orders that go wrong. A new worker publishing before the
 * revision exists is accepted against the old revision (its new field is not in that revision, so a
 * BigQuery subscription with `use_topic_schema` would not write it); a topic restricted to the new
 * revision only (`first_revision_id`) refuses the old worker's messages.
 */
import { Encodings, PubSub, v1 } from "@google-cloud/pubsub";
import { credentials } from "@grpc/grpc-js";
import { BoundedPublisher } from "../../app-worker/src/publisher";
import { SinkRow } from "../../app-worker/src/sink";
import { encodeAvroJson } from "../../constructs/pubsub/avro-schema";
import { TableSchema } from "../../schemas/table-schema";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { PubSubEmulator, startPubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { newStack, newTopic, resources, synthStack } from "../support";
import { projectV1, projectV2, Projector, WIKI_CHANGES_V2 } from "./contract-v2";
import { rolloutEvents, TEST_PUBLISHER_LIMITS, writeAll } from "./rollout";

const PROJECT = "fresh-streams-local";
process.env.METADATA_SERVER_DETECTION ??= "none";

/** What StreamTopic synthesizes for a topic whose schema comes from `schema`: the schema and topic resources. */
function synthesizedTopic(schema: TableSchema): { schema: any; topic: any } {
  const json = synthStack(
    (() => {
      const stack = newStack();
      newTopic(stack, { topicName: "wiki-changes", schema });
      return stack;
    })(),
  );
  const topic = resources(json, "google_pubsub_topic").find((t) => t.name === "wiki-changes");
  return { schema: resources(json, "google_pubsub_schema")[0], topic };
}

let emulator: PubSubEmulator;
let pubsub: PubSub;
let schemas: v1.SchemaServiceClient;
let admin: v1.PublisherClient;
let subscriber: v1.SubscriberClient;
const publishers: BoundedPublisher[] = [];

beforeAll(async () => {
  emulator = await startPubSubEmulator();
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  const [servicePath, port] = emulator.host.split(":");
  const grpc = { servicePath, port: Number(port), sslCreds: credentials.createInsecure() };
  schemas = new v1.SchemaServiceClient(grpc);
  admin = new v1.PublisherClient(grpc);
  subscriber = new v1.SubscriberClient(grpc);
}, 90_000);

afterAll(async () => {
  for (const publisher of publishers) await publisher.close();
  await Promise.all([pubsub?.close(), schemas?.close(), admin?.close(), subscriber?.close()]);
  await emulator?.stop();
});

/** A worker's publisher, as the worker builds it for SINK=pubsub. */
function publisher(topic: string): BoundedPublisher {
  const created = new BoundedPublisher({
    project: PROJECT,
    topic,
    ...TEST_PUBLISHER_LIMITS,
  });
  publishers.push(created);
  return created;
}

/** What a worker publishing to a topic with an Avro schema sends: its row as Avro JSON of its own contract. */
function avroRows(project: Projector, schema: TableSchema, lines: readonly string[]): SinkRow[] {
  return lines.flatMap((data) => {
    const row = project(data);
    if (!row) return [];
    return [{ ...row, json: JSON.stringify(encodeAvroJson(schema, row.row as Record<string, unknown>)) }];
  });
}

/** Creates the schema and the topic as synthesized for the old contract, and a pull subscription on it. */
async function createTopic(name: string): Promise<string> {
  const { schema, topic } = synthesizedTopic(WIKI_CHANGES_SCHEMA);
  const [created] = await schemas.createSchema({
    parent: `projects/${PROJECT}`,
    schemaId: `${name}-schema`,
    schema: { type: schema.type, definition: schema.definition },
  });
  await pubsub.createTopic({
    name,
    schemaSettings: { schema: created.name!, encoding: Encodings.Json },
  });
  expect(topic.schema_settings.encoding).toBe("JSON");
  await pubsub.topic(name).createSubscription(`${name}-sub`);
  return created.revisionId!;
}

/** Commits the definition StreamTopic synthesizes for the new contract, as the provider's update does. */
async function commitNewRevision(name: string): Promise<string> {
  const [committed] = await schemas.commitSchema({
    name: `projects/${PROJECT}/schemas/${name}-schema`,
    schema: { type: "AVRO", definition: synthesizedTopic(WIKI_CHANGES_V2).schema.definition },
  });
  return committed.revisionId!;
}

/** Pulls every message of the subscription: the revision each was validated against, by event id. */
async function pullAll(subscription: string, expected: number): Promise<Map<string, string>> {
  const revisions = new Map<string, string>();
  while (revisions.size < expected) {
    const [response] = await subscriber.pull({
      subscription: `projects/${PROJECT}/subscriptions/${subscription}`,
      maxMessages: 1000,
    });
    const received = response.receivedMessages ?? [];
    for (const m of received)
      revisions.set(m.message!.attributes!.event_id, m.message!.attributes!.googclient_schemarevisionid);
    if (received.length > 0)
      await subscriber.acknowledge({
        subscription: `projects/${PROJECT}/subscriptions/${subscription}`,
        ackIds: received.map((m) => m.ackId!),
      });
  }
  return revisions;
}

describe("a topic with an Avro schema through a mixed rollout", () => {
  test("the new contract changes only the schema's definition: the topic and its schema settings stay as they are", () => {
    const before = synthesizedTopic(WIKI_CHANGES_SCHEMA);
    const after = synthesizedTopic(WIKI_CHANGES_V2);
    expect(after.topic).toEqual(before.topic);
    expect({ ...after.schema, definition: undefined }).toEqual({ ...before.schema, definition: undefined });
    expect(after.schema.definition).not.toEqual(before.schema.definition);
    // No revision range: Pub/Sub validates against every revision (provider 6.50.0 cannot set one).
    expect(Object.keys(before.topic.schema_settings).sort()).toEqual(["encoding", "schema"]);
  });

  test("old and new workers interleaved after the revision is committed: all accepted, each against its revision", async () => {
    const first = await createTopic("evolving");
    const events = rolloutEvents(600);
    const oldLines = events.filter((e) => e.writer === "old").map((e) => e.data);
    const newLines = events.filter((e) => e.writer === "new").map((e) => e.data);
    const oldWorker = publisher("evolving");
    const before = await writeAll(oldWorker, avroRows(projectV1, WIKI_CHANGES_SCHEMA, oldLines.slice(0, 100)));

    const second = await commitNewRevision("evolving");
    const [revisions] = await schemas.listSchemaRevisions({ name: `projects/${PROJECT}/schemas/evolving-schema` });
    expect(revisions.map((r) => r.revisionId)).toEqual(expect.arrayContaining([first, second]));

    const newWorker = publisher("evolving");
    const [oldReport, newReport] = await Promise.all([
      writeAll(oldWorker, avroRows(projectV1, WIKI_CHANGES_SCHEMA, oldLines.slice(100))),
      writeAll(newWorker, avroRows(projectV2, WIKI_CHANGES_V2, newLines)),
    ]);
    expect([before, oldReport, newReport].map((r) => r.details)).toEqual([[], [], []]);
    expect(before.counts.written + oldReport.counts.written).toBe(oldLines.length);
    expect(newReport.counts.written).toBe(newLines.length);

    const ids = new Set([...oldLines, ...newLines].map((line) => projectV1(line)!.eventId));
    const delivered = await pullAll("evolving-sub", ids.size);
    const byRevision = (writer: string[]) =>
      writer.map((line) => delivered.get(projectV1(line)!.eventId)).filter((r, i, all) => all.indexOf(r) === i);
    expect(byRevision(oldLines)).toEqual([first]);
    expect(byRevision(newLines)).toEqual([second]);
  });

  test("the wrong orders, as the emulator answers them", async () => {
    const first = await createTopic("misordered");
    const line = rolloutEvents(40).find((e) => JSON.parse(e.data).minor === true)!.data;
    // A new worker before the revision: accepted against the old revision, which has no `minor`.
    const early = publisher("misordered");
    const earlyReport = await writeAll(early, avroRows(projectV2, WIKI_CHANGES_V2, [line]));
    expect(earlyReport.counts).toEqual({ written: 1 });
    expect([...(await pullAll("misordered-sub", 1)).values()]).toEqual([first]);

    // The topic restricted to the new revision while old workers still run: their messages are refused.
    const second = await commitNewRevision("misordered");
    await admin.updateTopic({
      topic: {
        name: `projects/${PROJECT}/topics/misordered`,
        schemaSettings: {
          schema: `projects/${PROJECT}/schemas/misordered-schema`,
          encoding: "JSON",
          firstRevisionId: second,
        },
      },
      updateMask: { paths: ["schema_settings"] },
    });
    const late = await writeAll(publisher("misordered"), avroRows(projectV1, WIKI_CHANGES_SCHEMA, [line]));
    expect(late.counts).toEqual({ undeliverable: 1 });
    expect(late.details[0]).toMatch(/INVALID_ARGUMENT/);
  });
});
