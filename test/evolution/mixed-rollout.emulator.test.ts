/**
 * The mixed rollout of docs/schema-evolution.md through the `local` stack on the Pub/Sub and BigQuery
 * emulators (test/evolution/pubsub-rollout.ts runs each case as a program): an old worker (today's
 * contract) and a new one (with `minor`) write interleaved, through the worker's real sinks.
 *
 * In the documented order (the raw table's column before the new worker's first event), every event of
 * both lands in wiki_changes — `minor` NULL in the old worker's rows, the event's value in the new
 * one's — and none is refused, sent to the error table or dead-lettered, whether the events travel
 * through Pub/Sub (the demo's bridge stands in for Dataflow or the BigQuery subscription) or the worker
 * streams them with insertAll. In the wrong order, the new worker's events are refused: the bridge
 * puts them in the error table, and the insertAll sink sees a table-level refusal and fails them (the
 * worker stops and replays them once the column exists).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { projectV1, projectV2 } from "./contract-v2";
import { rolloutEvents } from "./rollout";

const ROOT = path.resolve(__dirname, "../..");
const EVENTS = 600;

interface Report {
  readonly copied?: number;
  readonly old: { counts: Record<string, number>; details: string[] };
  readonly new: { counts: Record<string, number>; details: string[] };
  readonly raw: Array<[string, boolean | null]>;
  readonly errors: string[];
  readonly deadLettered: number;
}

function runRollout(sink: "pubsub" | "insert-all", order: "column-first" | "writer-first"): Report {
  const run = spawnSync(
    "npx",
    ["tsx", "test/evolution/pubsub-rollout.ts", "--sink", sink, "--order", order, "--events", String(EVENTS)],
    { cwd: ROOT, encoding: "utf8", timeout: 400_000 },
  );
  if (run.status !== 0) throw new Error(`rollout ${sink} ${order} failed (${run.status}):\n${run.stderr.slice(-3000)}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

const events = rolloutEvents(EVENTS);
const oldRows = events.filter((e) => e.writer === "old").map((e) => projectV1(e.data)!);
const newRows = events.filter((e) => e.writer === "new").map((e) => projectV2(e.data)!);
const sorted = (rows: Array<[string, unknown]>) => [...rows].sort((a, b) => a[0].localeCompare(b[0]));
const oldExpected = oldRows.map((r): [string, null] => [r.eventId, null]);
const newExpected = newRows.map((r): [string, boolean | null] => [
  r.eventId,
  (r.row as { minor: boolean | null }).minor,
]);

test("the fixture's slice has new-worker events with minor true, false and absent", () => {
  const values = new Set(newExpected.map(([, minor]) => minor));
  expect(values).toEqual(new Set([true, false, null]));
});

describe.each(["pubsub", "insert-all"] as const)("SINK=%s", (sink) => {
  test("the column first: both workers' events land, the column set by the new one only; nothing refused", () => {
    const report = runRollout(sink, "column-first");
    expect(report.copied).toBe(100);
    expect(report.old).toEqual({ counts: { written: oldRows.length }, details: [] });
    expect(report.new).toEqual({ counts: { written: newRows.length }, details: [] });
    expect(sorted(report.raw)).toEqual(sorted([...oldExpected, ...newExpected]));
    expect(report.errors).toEqual([]);
    expect(report.deadLettered).toBe(0);
  });

  test("the new worker first: its events are refused (the order is what makes the rollout safe)", () => {
    const report = runRollout(sink, "writer-first");
    expect(report.old).toEqual({ counts: { written: oldRows.length }, details: [] });
    expect(sorted(report.raw)).toEqual(sorted(oldExpected));
    if (sink === "pubsub") {
      // The bridge puts each refused row in the error table (the emulator leaves out the first row of a
      // request, whose error carries no index: docs/emulator-limits.md).
      expect(report.new.counts).toEqual({ written: newRows.length });
      expect(report.errors.length).toBeGreaterThan(newRows.length / 2);
      expect(new Set(report.errors)).toEqual(new Set(["no such field: minor."]));
    } else {
      expect(report.new.counts).toEqual({ failed: newRows.length });
      expect(report.new.details[0]).toMatch(/table-level refusal.*no such field: minor/);
      expect(report.errors).toEqual([]);
    }
  });
});
