/**
 * The demo's mid-replay read: the replay stops at fixed events, the scheduled ELT runs once, and every
 * reporting object is read while staging is behind (demo/story.ts).
 */
import { BigQuery } from "@google-cloud/bigquery";
import { derivePageChangesFromData } from "../app-worker/src/page-state";
import { SseServer } from "../tools/sse/sse-server";
import { replayClock, runWindows } from "./analytics";
import { Bridge } from "./bridge";
import { CdcApplier } from "./cdc-applier";
import { runElt } from "./elt";
import { LocalResources } from "./local-stack";
import { DemoOptions } from "./options";
import { LeaderboardRow } from "./report";
import { readStory, StoryRow } from "./story";
import { progress, sleep, waitFor } from "./wait";
import { allHandled, WorkerCounts, WorkerProcess } from "./worker-process";

/** Where the replay stops for the staging tick and for the mid-replay read (event offsets). */
export interface ReplayPoints {
  /** The scheduled ELT runs once here (staging load, leaderboard, windows). */
  readonly tick: number;
  /** The story is read here, staging still at `tick`. */
  readonly mid: number;
}

/** The CDC applier: started at once (pubsub mode) or once the worker is idle (direct mode). */
export interface CdcHolder {
  applier?: CdcApplier;
  /** Lets a paused applier write again. */
  release?: () => void;
}

/** A tenth of the replay for the staging tick, half of it for the mid-replay read; none for the live stream. */
export function replayPoints(events: number): ReplayPoints | undefined {
  if (events === 0) return undefined; // the live stream
  const tick = Math.min(Math.max(1, Math.floor(events / 10)), events - 1); // a hold is before an event
  return { tick, mid: Math.max(tick, Math.floor(events / 2)) };
}

/** What the mid-replay reads watch and hold. */
export interface MidReplayContext {
  readonly options: DemoOptions;
  readonly plan: { readonly direct: boolean; readonly resources: LocalResources; readonly rawTable: string };
  readonly backends: { readonly bigquery: BigQuery; readonly count: (table: string) => Promise<number> };
  readonly bridge?: Bridge;
  readonly server?: SseServer;
  readonly worker: WorkerProcess;
  /** Undefined for the live stream: the tick and the read then happen at a quarter and half the duration. */
  readonly points?: ReplayPoints;
  readonly events: readonly string[];
  readonly cdc: CdcHolder;
  /** Starts the local CDC applier (direct mode: at the mid-replay hold). */
  readonly startApplier: () => CdcApplier;
}

/** The mid-replay read: the story, and the two leaderboards' top 10 side by side. */
export interface MidReplay {
  readonly story: StoryRow[];
  readonly leaderboard: LeaderboardRow[];
  readonly leaderboardLive: LeaderboardRow[];
}

/**
 * The replay stops twice, at fixed events (so the read is the same on every run):
 * - at a tenth, once everything sent is in raw, the scheduled ELT runs once (staging load,
 *   leaderboard, windows), as a scheduled run would;
 * - at half, once everything sent is in raw and every page change of it applied, the story is read:
 *   raw and leaderboard_live have every event, staging and what is built on it only the first tenth.
 * Then the replay goes on. With --source wikimedia nothing can be held: the tick runs at a quarter of
 * the duration and the read at half, while the worker keeps writing.
 */
export async function startMidReplay(context: MidReplayContext): Promise<MidReplay> {
  const { points, server } = context;
  const release = () => server?.release();
  if (!points) {
    await sleep((context.options.durationSeconds * 1000) / 4);
    await eltTick(context);
    await sleep((context.options.durationSeconds * 1000) / 4);
    return readMid(context, null);
  }
  await waitForReplayPoint(context, points.tick);
  await eltTick(context);
  if (points.mid > points.tick) {
    release();
    await waitForReplayPoint(context, points.mid);
  }
  await settleCdc(context, points.mid);
  try {
    return await readMid(context, points.mid);
  } finally {
    release();
  }
}

/** Waits until the replay is held at `offset` and every event sent is written to raw. */
async function waitForReplayPoint({ server, worker, bridge }: MidReplayContext, offset: number): Promise<void> {
  let counts: WorkerCounts | undefined;
  await waitFor(
    `the replay's first ${offset} events in raw`,
    300_000,
    async () => {
      if (server?.heldAt !== offset) return false;
      counts = await worker.counts();
      if (!allHandled(counts, offset)) return false;
      return !bridge || bridge.stats.inserted + bridge.stats.errors >= counts!.published;
    },
    () => `worker counters: ${JSON.stringify(counts)}, bridge: ${JSON.stringify(bridge?.stats)}`,
  );
}

/** One scheduled ELT run at the replay's clock: the staging load, the leaderboard and the windows. */
async function eltTick({ plan, backends }: MidReplayContext): Promise<void> {
  const elt = await runElt(backends.bigquery, plan.resources);
  await runWindows(backends.bigquery, plan.resources, elt.runTime);
  progress(
    `scheduled ELT run at ${elt.runTime.toISOString()}: staging ${elt.stagedRows} of ${await backends.count(plan.rawTable)} raw rows`,
  );
}

/** The page changes the first `offset` events imply (the worker's own derivation), skipping canaries. */
function changesOf(events: readonly string[], offset: number): number {
  let changes = 0;
  for (const data of events.slice(0, offset)) {
    const result = derivePageChangesFromData(data);
    if (result.kind === "changes") changes += result.changes.length;
  }
  return changes;
}

/**
 * Applies every page change of the events sent so far. Direct mode starts the applier here (the
 * worker is idle) and pauses it again before the replay goes on.
 */
async function settleCdc(context: MidReplayContext, offset: number): Promise<void> {
  const { cdc, plan } = context;
  cdc.applier ??= context.startApplier();
  const applier = cdc.applier;
  const expected = changesOf(context.events, offset);
  await waitFor(
    `the CDC applier to receive ${expected} page changes`,
    120_000,
    async () => applier.distinctMessages() >= expected,
    () => `applier: ${JSON.stringify(applier.stats)}`,
  );
  await applier.settle();
  if (plan.direct) cdc.release = await applier.pause();
}

/** Newest event time of the first `offset` events (canaries skipped), or raw's newest for the live stream. */
export async function lastEventTime(context: MidReplayContext, offset: number | null): Promise<Date> {
  if (offset === null) {
    const { resources } = context.plan;
    return new Date((await replayClock(context.backends.bigquery, resources)).getTime() - 60_000);
  }
  let newest = 0;
  for (const data of context.events.slice(0, offset)) {
    const event = JSON.parse(data);
    if (event.meta?.domain !== "canary") newest = Math.max(newest, Date.parse(event.meta?.dt) || 0);
  }
  return new Date(newest);
}

/** Reads the story and both leaderboards at the mid-replay point. */
async function readMid(context: MidReplayContext, offset: number | null): Promise<MidReplay> {
  const { plan, backends } = context;
  const clock = await replayClock(backends.bigquery, plan.resources);
  progress(`reading every reporting object after ${offset ?? "?"} events`);
  const story = await readStory({
    bigquery: backends.bigquery,
    resources: plan.resources,
    readAt: "mid-replay",
    replayedEvents: offset,
    lastEventTime: await lastEventTime(context, offset),
    clock,
    cdc: {
      applied: context.cdc.applier?.distinctMessages() ?? 0,
      expected: offset === null ? null : changesOf(context.events, offset),
    },
  });
  const staged = story.find((r) => r.object === plan.resources.stack.warehouse.wikiStaged.tableId);
  const live = story.find((r) => r.object === "leaderboard_live");
  const board = story.find((r) => r.top10 && r.object !== "leaderboard_live");
  progress(
    `mid-replay read after ${offset ?? "?"} events: staging covers ${staged?.events_covered} events, leaderboard_live ${live?.events_covered} of ${live?.events_expected}`,
  );
  return { story, leaderboard: board?.top10 ?? [], leaderboardLive: live?.top10 ?? [] };
}
