/** The story's part of the report: the side-by-side table, the ingestion cost per mode, and the counts. */
import type { IngestionCostLine } from "../tools/cost/ingestion";
import type { StoryRow } from "./story";

/** What happened to the events, from the worker's counters and the tables. */
export interface EventCounts {
  /** SSE events the worker received. */
  received: number;
  /** Events it published (pubsub mode) or BigQuery acknowledged (direct mode). */
  published: number;
  /** Events it did not publish, by reason (canary, malformed). */
  dropped: Record<string, number>;
  /** Rows BigQuery refused, written to the error table instead (direct mode). */
  refused: number;
  /** Rows of the raw error table. */
  error_rows: number;
  /** Raw rows the staging load removed as duplicates (at-least-once delivery). */
  duplicates_removed: number;
}

/** Formats a plain-text table: left-aligned columns, right-aligned where `right[c]`. */
export function textTable(header: string[], body: string[][], right: boolean[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

const thousands = (n: number) => n.toLocaleString("en-US");
const yesNo = (b: boolean | null) => (b === null ? "-" : b ? "yes" : "NO");

/** Bytes in B, KiB or MiB. */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The rows ordered by object (in pipeline order), each object's reads next to each other. */
export function byObject(rows: readonly StoryRow[]): StoryRow[] {
  const order = [...new Set(rows.map((r) => r.object))];
  return [...rows].sort((a, b) => order.indexOf(a.object) - order.indexOf(b.object));
}

/** The side-by-side story table. */
export function formatStory(rows: readonly StoryRow[]): string {
  const header = ["object", "read at", "sent", "covered", "exact", "lag s", "it said", "bytes scanned*"];
  const body = byObject(rows).map((r) => [
    r.object,
    r.read_at,
    r.replayed_events === null ? "live" : thousands(r.replayed_events),
    r.events_covered === null ? "-" : `${thousands(r.events_covered)} of ${thousands(r.events_expected ?? 0)}`,
    yesNo(r.exact),
    r.lag_seconds === null ? "-" : String(r.lag_seconds),
    r.summary,
    bytesText(r.bytes_scanned),
  ]);
  return [
    "story: every reporting object read mid-replay and at the end",
    textTable(header, body, [false, false, true, true, false, true, false, true]),
    "sent: events the replay had sent; covered: what its figures include, of what raw held then; lag: event-time",
    "seconds behind the newest event sent. * estimated from BigQuery's documented sizes per data type (the emulator",
    "cannot measure scanned bytes); on-demand billing rounds each table read up to 10 MB.",
  ].join("\n");
}

/** One line per ingestion mode: its monthly list cost at each rate. */
export function formatCosts(lines: readonly IngestionCostLine[]): string {
  const rates = [...new Set(lines.map((l) => l.eventsPerSecond))];
  const modes = [...new Set(lines.map((l) => l.mode))];
  const usd = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const body = modes.map((mode) => [
    mode,
    ...rates.map((rate) => usd(lines.find((l) => l.mode === mode && l.eventsPerSecond === rate)?.monthlyUsd ?? NaN)),
  ]);
  const pages = [...new Set(lines.flatMap((l) => l.source.match(/https:\/\/\S+ \(read [^)]*\)/g) ?? []))];
  return [
    "ingestion cost a month (list prices before free tiers, worker host excluded; docs/ingestion-cost.md)",
    textTable(["mode", ...rates.map((r) => `${thousands(r)} events/s`)], body, [false, ...rates.map(() => true)]),
    `prices: ${pages.join("; ")}`,
  ].join("\n");
}

/** The counts that matter: received, published, dropped and why, refused, duplicates. */
export function formatCounts(counts: EventCounts): string {
  const reasons = Object.entries(counts.dropped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason}`);
  const dropped = Object.values(counts.dropped).reduce((a, b) => a + b, 0);
  return [
    `events received    ${counts.received}`,
    `events published   ${counts.published}`,
    `events dropped     ${dropped}${reasons.length > 0 ? ` (${reasons.join(", ")}: the worker skips them)` : ""}`,
    `rows refused       ${counts.refused} (to the error table; error-table rows ${counts.error_rows})`,
    `duplicates removed ${counts.duplicates_removed} (by the staging load: delivery is at least once)`,
  ].join("\n");
}
