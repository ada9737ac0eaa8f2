/**
 * A page change (CDC message) that Pub/Sub can never accept, with the real worker, a local SSE server and the real
 * Pub/Sub emulator: it is checked like the main message before anything is published, dead-lettered with its reason,
 * counted on /metrics, and neither stops the worker nor holds back the event's row or the events after it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Message, PubSub } from "@google-cloud/pubsub";
import pino from "pino";
import { PubSubEmulator } from "../../tools/emulators/pubsub-emulator";
import { loadFixture } from "../../tools/fixtures/generate";
import { sseId } from "../../tools/sse/sse-server";
import { Worker } from "../src/main";
import { derivePageChanges } from "../src/page-state";
import { TEST_PROJECT, uniqueName } from "./helpers/pubsub";
import * as helpers from "./helpers/worker";
import { config, metricValue, waitFor, within, useEmulatorAndFolder } from "./helpers/worker";

let emulator: PubSubEmulator;
let tmp: string;
const fixture = loadFixture();

useEmulatorAndFolder("cdc-refused", (started, folder) => {
  emulator = started;
  tmp = folder;
});

/** A CDC topic on the emulator and a subscriber collecting its messages by `change_id`. */
async function cdcCollector() {
  const pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  const name = uniqueName("wiki-pages-cdc");
  const [topic] = await pubsub.createTopic(name);
  const [subscription] = await topic.createSubscription(`${name}-sub`, { ackDeadlineSeconds: 60 });
  subscription.setOptions({ streamingOptions: { maxStreams: 8 }, flowControl: { maxMessages: 20_000 } });
  const changeIds = new Set<string>();
  subscription.on("message", (message: Message) => {
    changeIds.add(message.attributes.change_id);
    message.ack();
  });
  subscription.on("error", () => undefined);
  return {
    name,
    changeIds,
    close: async () => {
      await subscription.close().catch(() => undefined);
      await pubsub.close().catch(() => undefined);
    },
  };
}

/** The change ids the events imply, and the event ids of their rows (canaries are never published). */
function expectations(events: readonly string[]) {
  const changeIds = new Set<string>();
  const eventIds = new Set<string>();
  for (const line of events) {
    const event = JSON.parse(line);
    if (event.meta?.domain === "canary") continue;
    eventIds.add(event.meta.id);
    const result = derivePageChanges(event);
    if (result.kind === "changes") result.changes.forEach((_, i) => changeIds.add(`${event.meta.id}/${i}`));
  }
  return { changeIds, eventIds };
}

/** The first event at or after `from` that implies exactly one page change (an edit or a creation). */
function editAt(from: number): number {
  for (let i = from; i < fixture.length; i++) {
    const result = derivePageChanges(JSON.parse(fixture[i]));
    if (result.kind === "changes" && result.changes.length === 1) return i;
  }
  throw new Error(`no edit after ${from}`);
}

const offsetOf = (checkpointFile: string) =>
  (JSON.parse(JSON.parse(fs.readFileSync(checkpointFile, "utf8")).lastEventId) as { offset: number }[])[0].offset;

function deadLetters(folder: string): Record<string, unknown>[] {
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")));
}

/** What one run delivered, counted and recorded. */
interface RunResult {
  readonly code: number;
  readonly metrics: string;
  readonly rows: Set<string>;
  readonly expectedRows: Set<string>;
  readonly changes: Set<string>;
  readonly expectedChanges: Set<string>;
  readonly records: Record<string, unknown>[];
  readonly checkpoint: number;
  /** The CDC publisher's counts (its `deadLettered` by reason). */
  readonly summary: unknown;
}

/**
 * Runs the worker with CDC_TOPIC over `events` until every expected row and page change arrived and the checkpoint
 * is at the last event; fails at once, with the exit code, when the worker stops by itself first.
 */
async function runWorker(events: string[], refusedChangeId: string, refusedEventId: string | undefined, name: string) {
  const { changeIds, eventIds } = expectations(events);
  changeIds.delete(refusedChangeId);
  if (refusedEventId) eventIds.delete(refusedEventId);
  const cdc = await cdcCollector();
  const deadLetterPath = path.join(tmp, `dl-${name}`);
  let result: RunResult | undefined;
  try {
    await helpers.withSseServerAndTopic(emulator.host, { events }, async ({ server, sub }) => {
      const env = helpers.workerEnv(emulator.host, tmp, sub.topicName, await server.start(), {
        CDC_TOPIC: cdc.name,
        DEAD_LETTER_PATH: deadLetterPath,
        MAX_FRAME_BYTES: String(16 * 1024 * 1024),
        // A publish that can never succeed gives up (and stops the worker) within the test's time.
        PUBLISH_TIMEOUT_MS: "10000",
      });
      const worker = new Worker(config(env), { handleSignals: false, logger: pino({ level: "silent" }) });
      const run = worker.run();
      const stoppedEarly = run.then((code) => {
        throw new Error(
          `the worker stopped by itself (exit ${code}) with ${sub.collected.unique.size} of ${eventIds.size} rows and ${cdc.changeIds.size} of ${changeIds.size} page changes delivered`,
        );
      });
      const last = events.length - 1;
      try {
        await Promise.race([
          stoppedEarly,
          (async () => {
            await sub.waitForUnique(eventIds.size, 60_000);
            await waitFor(() => [...changeIds].every((id) => cdc.changeIds.has(id)), 30_000, "every page change");
            await waitFor(
              () => fs.existsSync(env.CHECKPOINT_PATH) && offsetOf(env.CHECKPOINT_PATH) === last,
              10_000,
              "checkpoint",
            );
          })(),
        ]);
      } catch (error) {
        // Leave nothing running behind a failure (a publish still being retried).
        worker.stop();
        await within(run, 20_000, "the worker's exit").catch(() => undefined);
        throw error;
      }
      const metrics = await worker.metrics.registry.metrics();
      worker.stop();
      const code = await run;
      result = {
        code,
        metrics,
        rows: sub.collected.unique,
        expectedRows: eventIds,
        changes: cdc.changeIds,
        expectedChanges: changeIds,
        records: deadLetters(deadLetterPath),
        checkpoint: offsetOf(env.CHECKPOINT_PATH),
        summary: worker.cdc?.stats,
      };
    });
  } finally {
    await cdc.close();
  }
  return result!;
}

describe("a page change Pub/Sub refuses is dead-lettered; the worker goes on", () => {
  test("a 1,023-byte meta.id: the row (event_id fits) is published, the change (change_id does not) dead-lettered", async () => {
    const at = editAt(100);
    const longId = "i".repeat(1023);
    const event = JSON.parse(fixture[at]);
    event.meta = { ...event.meta, id: longId };
    const events = [...fixture.slice(0, at), JSON.stringify(event), ...fixture.slice(at + 1, 300)];
    const result = await runWorker(events, `${longId}/0`, undefined, "long-id");

    expect(result.code).toBe(0);
    expect(result.rows.has(longId)).toBe(true); // the event's row is not held back
    expect([...result.expectedRows].filter((id) => !result.rows.has(id))).toEqual([]);
    expect([...result.expectedChanges].filter((id) => !result.changes.has(id))).toEqual([]);
    expect(result.changes.has(`${longId}/0`)).toBe(false);
    expect(result.checkpoint).toBe(299); // passed it
    expect(
      metricValue(
        result.metrics,
        'fresh_streams_worker_page_changes_dead_lettered_total{reason="attribute_too_large"}',
      ),
    ).toBe(1);
    expect(
      metricValue(result.metrics, 'fresh_streams_worker_events_dead_lettered_total{reason="attribute_too_large"}'),
    ).toBe(0);
    expect(result.records).toEqual([
      expect.objectContaining({
        reason: "page_change_attribute_too_large",
        sseId: sseId(at),
        eventId: longId.slice(0, 256),
        changeType: "UPSERT",
        changeIndex: 0,
        detail: expect.stringContaining("attribute change_id is 9 + 1025 bytes"),
      }),
    ]);
    expect(result.summary).toMatchObject({ deadLettered: { attribute_too_large: 1 } });
  });

  test("an 11 MB event at position 500 (MAX_FRAME_BYTES 16 MiB): its row and its page change dead-lettered, all 2,998 others delivered", async () => {
    const at = editAt(500);
    const big = JSON.parse(fixture[at]);
    big.title = "T".repeat(11 * 1000 * 1000);
    big.meta = { ...big.meta, id: "big-page-event" };
    const events = [...fixture.slice(0, at), JSON.stringify(big), ...fixture.slice(at + 1, 3000)];
    const result = await runWorker(events, "big-page-event/0", "big-page-event", "big");

    expect(result.code).toBe(0);
    expect([...result.expectedRows].filter((id) => !result.rows.has(id))).toEqual([]);
    expect([...result.expectedChanges].filter((id) => !result.changes.has(id))).toEqual([]);
    expect(result.checkpoint).toBe(2999);
    expect(metricValue(result.metrics, 'fresh_streams_worker_events_dead_lettered_total{reason="too_large"}')).toBe(1);
    expect(
      metricValue(result.metrics, 'fresh_streams_worker_page_changes_dead_lettered_total{reason="too_large"}'),
    ).toBe(1);
    const reasons = result.records.map((r) => r.reason).sort();
    expect(reasons).toEqual(["page_change_too_large", "too_large"]);
    const change = result.records.find((r) => r.reason === "page_change_too_large")!;
    expect(change).toMatchObject({ sseId: sseId(at), eventId: "big-page-event", changeType: "UPSERT" });
    expect(change.bytes).toBeGreaterThan(11_000_000);
    expect(String(change.sample)).toHaveLength(4096);
  });
  test("a move to an 11 MB target title: the row and the DELETE of the old title are published, the UPSERT dead-lettered", async () => {
    const at = editAt(200);
    const move = JSON.parse(fixture[at]);
    Object.assign(move, {
      type: "log",
      log_type: "move",
      log_action: "move",
      log_params: { target: "T".repeat(11e6) },
    });
    move.meta = { ...move.meta, id: "move-event" };
    expect(derivePageChanges(move)).toMatchObject({ kind: "changes", changes: [{ changeType: "DELETE" }, {}] });
    const events = [...fixture.slice(0, at), JSON.stringify(move), ...fixture.slice(at + 1, 400)];
    const result = await runWorker(events, "move-event/1", undefined, "move");

    expect(result.code).toBe(0);
    expect(result.rows.has("move-event")).toBe(true);
    expect(result.changes.has("move-event/0")).toBe(true); // the DELETE of the old title
    expect(result.changes.has("move-event/1")).toBe(false);
    expect([...result.expectedChanges].filter((id) => !result.changes.has(id))).toEqual([]);
    expect(result.checkpoint).toBe(399);
    expect(result.records).toEqual([
      expect.objectContaining({
        reason: "page_change_too_large",
        eventId: "move-event",
        changeIndex: 1,
        changeType: "UPSERT",
      }),
    ]);
    expect(metricValue(result.metrics, 'fresh_streams_worker_events_dead_lettered_total{reason="too_large"}')).toBe(0);
  });
});
