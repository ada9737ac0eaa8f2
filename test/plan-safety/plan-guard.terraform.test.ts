import * as fs from "node:fs";
import { checkPlanSafety, constructPathsOf, PlanSafetyOptions, PlanSafetyReport } from "../../constructs";
import { BuiltProvider, providerForTests } from "../../tools/validation/terraform";
import { guardStack, GuardStackVariant } from "./guard-stack";
import type { OfflineState } from "../../tools/upgrade/offline-state";
import { baseState, planAgainst, synthesized } from "./offline-plan";

// The plan guard over plans made by terraform and the real google provider (built from source, offline): a
// small stack of the library's constructs is planned against the offline state of its base version, one
// routine change at a time, and the guard judges `terraform show -json` of each saved plan.

let provider: BuiltProvider | undefined;
let unavailable: string | undefined;
let base: unknown;
let state: OfflineState;
const cleanup: string[] = [];

beforeAll(
  () => {
    ({ provider, unavailable } = providerForTests());
    if (!provider) return;
    base = synthesized(guardStack(), cleanup);
    state = baseState(base, provider, cleanup);
  },
  45 * 60 * 1000,
);

afterAll(() => {
  for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
});

/** The guard's report on the plan of `variant` against the base's state, with construct paths. */
function guard(variant: GuardStackVariant, options: PlanSafetyOptions = {}): PlanSafetyReport {
  if (!provider) throw new Error(unavailable);
  const next = synthesized(guardStack(variant), cleanup);
  const plan = planAgainst(state, next, provider, cleanup);
  return checkPlanSafety(plan, { constructPaths: constructPathsOf(next), ...options });
}

/** The base's address of the resource at `constructPath`. */
function baseAddress(constructPath: string): string {
  const found = Object.entries(constructPathsOf(base)).find(([, p]) => p === constructPath);
  if (!found) throw new Error(`no resource at ${constructPath} in the base stack`);
  return found[0];
}

const TABLE_PATH = "guard/events/table";
const PLAN_TIMEOUT = 10 * 60 * 1000;

test(
  "the base plans no change against its own offline state: safe",
  () => {
    const report = guard({});
    expect(report.changes.filter((c) => c.action !== "no-op")).toEqual([]);
    expect(report.safe).toBe(true);
  },
  PLAN_TIMEOUT,
);

test(
  "a new partitioning column: the provider replaces the table; refused, then allowed by an entry",
  () => {
    const variant = { partitionColumn: "ingest_time" } as const;
    const table = baseAddress(TABLE_PATH);
    const report = guard(variant);
    expect(report.refused).toEqual([
      expect.objectContaining({
        address: table,
        constructPath: TABLE_PATH,
        action: "replace",
        forcedBy: ["time_partitioning[0].field"],
        actionReason: "replace_because_cannot_update",
      }),
    ]);
    expect(report.refused[0].loses).toMatch(/every row of the table/);

    const reason = "events is rebuilt from the topic's retention after the repartitioning";
    const allowed = guard(variant, { allow: [{ address: table, reason }] });
    expect(allowed).toMatchObject({ safe: true, refused: [], staleAllow: [] });
    expect(allowed.changes.find((c) => c.address === table)).toMatchObject({ verdict: "allowed", allowReason: reason });
  },
  PLAN_TIMEOUT,
);

test(
  "a column left out of the schema: an update in place that drops it; refused, naming the column",
  () => {
    const report = guard({ dropColumns: ["comment"] });
    expect(report.refused).toEqual([
      expect.objectContaining({
        address: baseAddress(TABLE_PATH),
        action: "update",
        forcedBy: ["schema"],
        columns: { removed: ["comment"], retyped: [] },
      }),
    ]);
  },
  PLAN_TIMEOUT,
);

test(
  "a view's new query (an update) and new id (a replacement) are safe: a view holds no rows",
  () => {
    const report = guard({ viewFilter: "title IS NOT NULL", viewTableId: "recent_titled_events" });
    const view = report.changes.find((c) => c.constructPath === "guard/recent/Resource");
    expect(view).toMatchObject({ action: "replace", verdict: "safe" });
    expect(report.safe).toBe(true);
  },
  PLAN_TIMEOUT,
);

describe("a renamed construct", () => {
  const TOPIC_PATHS = {
    topic: "guard/topic/topic",
    deadLetterTopic: "guard/topic/dead-letter-topic",
    deadLetterSubscription: "guard/topic/dead-letter-subscription/subscription",
  };

  test(
    "without a move: its topics and subscription are deleted and created again; each delete refused, naming the new address",
    () => {
      const report = guard({ topicId: "pipeline-topic" });
      const old = baseAddress(TOPIC_PATHS.topic);
      expect(report.refused.map((c) => c.address).sort()).toEqual(Object.values(TOPIC_PATHS).map(baseAddress).sort());
      const refused = report.refused.find((c) => c.address === old)!;
      const created = report.changes.find((c) => c.constructPath === "guard/pipeline-topic/topic")!;
      expect(created.action).toBe("create");
      expect(refused.wayOut).toContain(`moved { from = ${old}, to = ${created.address} }`);
    },
    PLAN_TIMEOUT,
  );

  test(
    "with cdktf's moveFromId: moves, safe",
    () => {
      const from = {
        topic: baseAddress(TOPIC_PATHS.topic),
        deadLetterTopic: baseAddress(TOPIC_PATHS.deadLetterTopic),
        deadLetterSubscription: baseAddress(TOPIC_PATHS.deadLetterSubscription),
      };
      const report = guard({ topicId: "pipeline-topic", topicMovedFrom: from });
      const moved = report.changes.filter((c) => c.previousAddress !== undefined);
      expect(moved.map((c) => c.previousAddress).sort()).toEqual(Object.values(from).sort());
      expect(moved.every((c) => c.action === "move" || c.action === "update")).toBe(true);
      expect(report.safe).toBe(true);
    },
    PLAN_TIMEOUT,
  );
});
