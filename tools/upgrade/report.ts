/**
 * The upgrade lane's report: per environment, every action of the working tree's plan against the
 * base's state, the attributes forcing each replacement, and the guard's verdict, as text for a person
 * or as JSON (`--json`). Neither form holds a planned value: no secret reaches stdout.
 */
import { checkPlanSafety, constructPathsOf } from "../../constructs/plan-safety/check-plan-safety";
import type { PlannedChange, PlanSafetyAllowEntry } from "../../constructs/plan-safety/check-plan-safety";
import { Correction, UNCORRECTABLE } from "./provider-differences";
import type { StackUpgrade } from "./upgrade-plan";

/** One environment's part of the report. */
export interface EnvironmentReport {
  readonly name: string;
  /** Whether the base had no such environment (everything is created). */
  readonly new: boolean;
  /** Whether the guard lets the plan through. */
  readonly safe: boolean;
  /** Every change that is not a no-op or a read, with the guard's verdict. */
  readonly changes: PlannedChange[];
  /** Where the lane gave 6.50.0's answer instead of the built provider's. */
  readonly corrections: Correction[];
  /** Plans it took to build the base's state. */
  readonly stateRounds: number;
  /** Wall-clock milliseconds: building the state, planning the working tree. */
  readonly timings: { readonly stateMs: number; readonly planMs: number };
}

/** The whole report (the `--json` output). */
export interface UpgradeReport {
  /** The base ref as given, and the commit it named. */
  readonly base: { readonly ref: string; readonly commit: string };
  /** The provider that planned, and the version whose answers the lane gives. */
  readonly provider: { readonly built: string; readonly answersAs: string };
  readonly safe: boolean;
  readonly environments: EnvironmentReport[];
  /** What the lane cannot give 6.50.0's answer for (provider-differences.ts). */
  readonly uncorrectable: readonly string[];
}

const QUIET = new Set(["no-op", "read"]);

/** The guard's verdict on one environment's upgrade. */
export function judgeEnvironment(
  name: string,
  upgrade: StackUpgrade,
  stacks: { base?: unknown; head: unknown },
  allow: readonly PlanSafetyAllowEntry[],
): EnvironmentReport {
  const constructPaths = {
    ...(stacks.base ? constructPathsOf(stacks.base) : {}),
    ...constructPathsOf(stacks.head),
  };
  const report = checkPlanSafety(upgrade.plan, { allow, constructPaths });
  return {
    name,
    new: stacks.base === undefined,
    safe: report.safe,
    changes: report.changes.filter((change) => !QUIET.has(change.action)),
    corrections: upgrade.corrections,
    stateRounds: upgrade.stateRounds,
    timings: upgrade.timings,
  };
}

const SYMBOL: Record<string, string> = {
  create: "+",
  update: "~",
  replace: "-/+",
  delete: "-",
  move: "->",
};

function changeLines(change: PlannedChange): string[] {
  const moved = change.previousAddress ? ` (from ${change.previousAddress})` : "";
  const lines = [
    `  ${(SYMBOL[change.action] ?? "?").padEnd(3)} ${change.action.padEnd(7)} ${change.address}${moved}  [${change.verdict}]`,
  ];
  if (change.constructPath) lines.push(`        construct: ${change.constructPath}`);
  if (change.forcedBy.length > 0) lines.push(`        forced by: ${change.forcedBy.join(", ")}`);
  if (change.note) lines.push(`        note:      ${change.note}`);
  if (change.verdict !== "safe" && change.loses) lines.push(`        loses:     ${change.loses}`);
  if (change.verdict === "refused" && change.wayOut) lines.push(`        way out:   ${change.wayOut}`);
  if (change.allowReason) lines.push(`        allowed:   ${change.allowReason}`);
  return lines;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report as text. */
export function formatUpgradeReport(report: UpgradeReport): string {
  const lines = [
    `upgrade plan: working tree against ${report.base.ref} (${report.base.commit.slice(0, 12)}), ` +
      `planned by hashicorp/google ${report.provider.built}, answering as ${report.provider.answersAs}`,
  ];
  for (const env of report.environments) {
    const count = (action: string) => env.changes.filter((change) => change.action === action).length;
    const summary = ["create", "update", "replace", "delete", "move"].map((a) => `${count(a)} ${a}`).join(", ");
    lines.push(
      "",
      `== ${env.name}${env.new ? " (new: not in the base)" : ""}: ${env.safe ? "SAFE" : "REFUSED"}; ${summary}` +
        ` (state ${seconds(env.timings.stateMs)} in ${env.stateRounds} plans, plan ${seconds(env.timings.planMs)})`,
    );
    if (env.changes.length === 0) lines.push("  no changes");
    for (const change of env.changes) lines.push(...changeLines(change));
    for (const correction of env.corrections) {
      lines.push(`  6.50.0: ${correction.address}: ${correction.from} -> ${correction.to}: ${correction.reason}`);
    }
  }
  lines.push("", "What the lane cannot answer as 6.50.0 would:", ...report.uncorrectable.map((text) => `  - ${text}`));
  lines.push("", `upgrade plan: ${report.safe ? "SAFE" : "REFUSED"}`);
  return lines.join("\n");
}

/** The report's constant parts. */
export function reportOf(
  base: UpgradeReport["base"],
  providerVersion: string,
  environments: EnvironmentReport[],
): UpgradeReport {
  return {
    base,
    provider: { built: providerVersion, answersAs: "6.50.0" },
    safe: environments.every((env) => env.safe),
    environments,
    uncorrectable: UNCORRECTABLE,
  };
}
