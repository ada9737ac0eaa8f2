/**
 * The demo's closing report: the counts, the story table (every reporting object mid-replay and at the
 * end), the two leaderboards side by side as read mid-replay, the final leaderboard, the windows, what
 * ingestion costs per mode, and the health section.
 */
import type { IngestionCostLine } from "../tools/cost/ingestion";
import type { CdcReport } from "./cdc-applier";
import { formatHealth, HealthReport } from "./health";
import type { StoryRow } from "./story";
import { EventCounts, formatCosts, formatCounts, formatStory } from "./story-report";

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
  /** Received, published, dropped (by reason), refused, duplicates removed. */
  counts: EventCounts;
  /** The leaderboard's top 10 at the end. */
  leaderboard: LeaderboardRow[];
  /** The leaderboard's top 10 at the mid-replay read (staging only: behind). */
  leaderboard_mid_replay: LeaderboardRow[];
  /** leaderboard_live's top 10 at the mid-replay read (staging plus raw's unstaged tail: exact). */
  leaderboard_live: LeaderboardRow[];
  /** Row counts of the window tables (every window with at least one change, final or provisional). */
  windows: { tumbling_rows: number; hopping_rows: number; sessions: number };
  /** Page state (CDC): what the local applier received and the wiki_pages table it left. */
  cdc: CdcReport;
  /** What the alerts would say (demo/health.ts). */
  health?: HealthReport;
  /** Every reporting object read mid-replay and at the end (demo/story.ts). */
  story: StoryRow[];
  /** What the ingestion path costs a month per mode at 50, 500 and 5,000 events/s (tools/cost/ingestion.ts). */
  ingestion_cost: IngestionCostLine[];
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

/** Two text blocks next to each other, the left one padded to its widest line. */
export function sideBySide(left: string, right: string, gap = 6): string {
  const a = left.split("\n");
  const b = right.split("\n");
  const width = Math.max(...a.map((l) => l.length)) + gap;
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
    `${(a[i] ?? "").padEnd(width)}${b[i] ?? ""}`.trimEnd(),
  ).join("\n");
}

/** The two leaderboards as read mid-replay, side by side. */
function midReplayBoards(result: DemoResult): string {
  const mid = result.story.filter((r) => r.read_at === "mid-replay");
  const live = mid.find((r) => r.object === "leaderboard_live");
  const staged = mid.find((r) => r.kind.startsWith("staging"));
  const at = live?.replayed_events === null ? "" : ` after ${live?.replayed_events} events`;
  return [
    `read mid-replay${at}, staging then covering ${staged?.events_covered} events:`,
    sideBySide(
      `leaderboard (staging only: behind)\n${leaderboardTable(result.leaderboard_mid_replay)}`,
      `leaderboard_live (staging + raw tail: exact)\n${leaderboardTable(result.leaderboard_live)}`,
    ),
  ].join("\n");
}

export function formatReport(result: DemoResult): string {
  return [
    formatCounts(result.counts),
    `raw rows           ${result.raw_rows}`,
    `staged rows        ${result.staged_rows}`,
    `cdc messages       ${result.cdc.messages} (${result.cdc.upserts} upserts, ${result.cdc.deletes} deletes; local applier)`,
    `wiki_pages rows    ${result.cdc.pages_rows}`,
    "",
    formatStory(result.story),
    "",
    midReplayBoards(result),
    "",
    "leaderboard at the end (top 10)",
    leaderboardTable(result.leaderboard),
    "",
    `windows: tumbling rows ${result.windows.tumbling_rows}, hopping rows ${result.windows.hopping_rows}, sessions ${result.windows.sessions}`,
    "",
    formatCosts(result.ingestion_cost),
    ...(result.health ? ["", formatHealth(result.health)] : []),
  ].join("\n");
}
