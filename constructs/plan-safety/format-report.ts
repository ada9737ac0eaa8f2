/**
 * The plan guard's report as text for a person: a short table of the changes, then each refusal with what it
 * would lose and the way out, then stale allow entries.
 */
import type { PlannedChange, PlanSafetyReport } from "./report-types";

const QUIET = new Set(["no-op", "read"]);

/** Rows as aligned columns; a column empty in every row (but its header) is left out. */
function table(rows: readonly (readonly string[])[]): string[] {
  const kept = rows[0].map((_, i) => i).filter((i) => rows.slice(1).some((r) => r[i] !== ""));
  const widths = kept.map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    kept
      .map((i, k) => r[i].padEnd(widths[k]))
      .join("  ")
      .trimEnd(),
  );
}

function actionText(change: PlannedChange): string {
  return change.previousAddress !== undefined && change.action !== "move" ? `${change.action} (moved)` : change.action;
}

function details(change: PlannedChange): string[] {
  const lines = [`${change.verdict.toUpperCase()}: ${change.action} ${change.address}`];
  if (change.constructPath !== undefined) lines.push(`  construct: ${change.constructPath}`);
  if (change.forcedBy.length > 0) lines.push(`  forced by: ${change.forcedBy.join(", ")}`);
  if (change.actionReason !== undefined && change.forcedBy.length === 0)
    lines.push(`  reason:    ${change.actionReason}`);
  if (change.loses !== undefined) lines.push(`  loses:     ${change.loses}`);
  if (change.allowReason !== undefined) lines.push(`  allowed:   ${change.allowReason}`);
  else if (change.wayOut !== undefined) lines.push(`  way out:   ${change.wayOut}`);
  return lines;
}

/** The report as text: a table of the changes (unchanged resources and reads counted, not listed), then details. */
export function formatPlanSafetyReport(report: PlanSafetyReport): string {
  const listed = report.changes.filter((c) => !QUIET.has(c.action));
  const lines: string[] = [];
  if (listed.length > 0) {
    const rows = listed.map((c) => [c.verdict, actionText(c), c.address, c.constructPath ?? "", c.note ?? ""]);
    lines.push(...table([["VERDICT", "ACTION", "ADDRESS", "CONSTRUCT", "NOTE"], ...rows]), "");
  }
  for (const change of report.changes.filter((c) => c.verdict !== "safe")) lines.push(...details(change), "");
  for (const entry of report.staleAllow) {
    lines.push(`STALE ALLOW ENTRY: ${entry.address} allows nothing in this plan; remove it (reason: ${entry.reason})`);
  }
  if (report.staleAllow.length > 0) lines.push("");
  const count = (verdict: PlannedChange["verdict"]) => listed.filter((c) => c.verdict === verdict).length;
  const unchanged = report.changes.length - listed.length;
  lines.push(
    `plan guard: ${report.safe ? "SAFE" : "REFUSED"}: ${count("refused")} refused, ${count("allowed")} allowed, ${count("safe")} safe changes, ${unchanged} unchanged or read`,
  );
  return lines.join("\n");
}
