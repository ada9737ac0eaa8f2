/**
 * The plan guard: reads a saved plan (`terraform show -json PLANFILE`) and refuses the changes that would lose
 * data or a position — a delete or replacement of a dataset, a table that is not a view, a topic, a subscription,
 * a Pub/Sub schema, a bucket, a KMS key or key ring, a secret, a reservation or commitment, a streaming Dataflow
 * job that would be cancelled — and a table schema update that removes a column, unless an allow entry names it.
 */
import { parseAllowEntries, PlanSafetyAllowEntry } from "./allow-entries";
import { actionOf } from "./plan-actions";
import { readResourceChanges, RawResourceChange } from "./plan-json";
import { judgeChange, Judgement } from "./judge-change";

import type { PlannedChange, PlanSafetyOptions, PlanSafetyReport } from "./report-types";

export type { PlanAction } from "./plan-actions";
export type { PlanSafetyAllowEntry } from "./allow-entries";
export type { ColumnChanges, PlannedChange, PlanSafetyOptions, PlanSafetyReport } from "./report-types";

/**
 * Judges a saved plan, the JSON of `terraform show -json PLANFILE`. Throws `PlanFormatError` on input that is not
 * such a plan (or of another format major), and `AllowEntryError` on an allow entry without an address or with a
 * reason shorter than 10 characters.
 */
export function checkPlanSafety(plan: unknown, options: PlanSafetyOptions = {}): PlanSafetyReport {
  const allow = parseAllowEntries(options.allow ?? [], "allow");
  const raw = readResourceChanges(plan);
  const judged = raw.map((change) => judgeChange(change, raw, constructPathOf(change, options.constructPaths)));
  const used = new Set<PlanSafetyAllowEntry>();
  const changes = judged.map((judgement) => applyAllow(judgement, allow, used));
  return {
    changes,
    refused: changes.filter((c) => c.verdict === "refused"),
    safe: changes.every((c) => c.verdict !== "refused"),
    staleAllow: allow.filter((entry) => !used.has(entry)),
  };
}

/** The construct path of a change: its own address, else its address without an instance key. */
function constructPathOf(
  change: RawResourceChange,
  paths: Readonly<Record<string, string>> | undefined,
): string | undefined {
  if (paths === undefined) return undefined;
  return paths[change.address] ?? paths[withoutInstanceKey(change.address)];
}

/** `google_x.y[0]` → `google_x.y`, `google_x.y["k"]` → `google_x.y`. */
export function withoutInstanceKey(address: string): string {
  return address.replace(/\[[^\]]*\]$/, "");
}

function applyAllow(
  judgement: Judgement,
  allow: readonly PlanSafetyAllowEntry[],
  used: Set<PlanSafetyAllowEntry>,
): PlannedChange {
  if (judgement.verdict !== "refused") return judgement;
  const entry =
    allow.find((e) => e.address === judgement.address) ??
    allow.find((e) => e.address === withoutInstanceKey(judgement.address));
  if (entry === undefined) return judgement;
  used.add(entry);
  return { ...judgement, verdict: "allowed", allowReason: entry.reason };
}

/** The action of one raw change (exported for tools that list a plan). */
export { actionOf };
export { constructPathsOf } from "./construct-paths";
export { formatPlanSafetyReport } from "./format-report";
