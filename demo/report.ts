/** The demo's closing report: a short summary, the leaderboard's top 10 as a table, and the health section. */
import type { CdcReport } from "./cdc-applier";
import { formatHealth, HealthReport } from "./health";

export interface LeaderboardRow {
  user: string;
  changes_count: number;
}

export interface DemoResult {
  published: number;
  raw_rows: number;
  staged_rows: number;
  duplicates_removed: number;
  error_rows: number;
  leaderboard: LeaderboardRow[];
  /** leaderboard_live's top 10, read while the staging load had covered only part of raw. */
  leaderboard_live: LeaderboardRow[];
  /** Row counts of the window tables (every window with at least one change, final or provisional). */
  windows: { tumbling_rows: number; hopping_rows: number; sessions: number };
  /** Page state (CDC): what the local applier received and the wiki_pages table it left. */
  cdc: CdcReport;
  /** What the alerts would say (demo/health.ts). */
  health?: HealthReport;
}

/** A plain-text table of the leaderboard. */
export function leaderboardTable(rows: readonly LeaderboardRow[]): string {
  const header = ["#", "user", "changes_count"];
  const body = rows.map((row, i) => [String(i + 1), row.user, String(row.changes_count)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

export function formatReport(result: DemoResult): string {
  return [
    `events published   ${result.published}`,
    `raw rows           ${result.raw_rows}`,
    `staged rows        ${result.staged_rows}`,
    `duplicates removed ${result.duplicates_removed}`,
    `error-table rows   ${result.error_rows}`,
    `cdc messages       ${result.cdc.messages} (${result.cdc.upserts} upserts, ${result.cdc.deletes} deletes; local applier)`,
    `wiki_pages rows    ${result.cdc.pages_rows}`,
    "",
    "leaderboard (top 10)",
    leaderboardTable(result.leaderboard),
    "",
    "leaderboard_live (top 10, read mid-replay: staged counts + raw tail)",
    leaderboardTable(result.leaderboard_live),
    "",
    `windows: tumbling rows ${result.windows.tumbling_rows}, hopping rows ${result.windows.hopping_rows}, sessions ${result.windows.sessions}`,
    ...(result.health ? ["", formatHealth(result.health)] : []),
  ].join("\n");
}
