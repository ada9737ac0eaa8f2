/**
 * `--report FILE.html`: the report as one self-contained page (no script, no external resource): the
 * story table, an inline SVG chart of each object's lag at each read, the ingestion cost per mode,
 * and the plain-text report.
 */
import { DemoResult, formatReport } from "./report";
import type { StoryRow } from "./story";
import { byObject, bytesText } from "./story-report";

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"];

function storyTable(rows: readonly StoryRow[]): string {
  const head = [
    "object",
    "kind",
    "read at",
    "events sent",
    "covered",
    "exact",
    "lag (s)",
    "it said",
    "bytes scanned (est.)",
  ];
  const cell = (value: string, numeric = false) => `<td${numeric ? ' class="n"' : ""}>${escape(value)}</td>`;
  const body = byObject(rows).map((r) =>
    [
      cell(r.object),
      cell(r.kind),
      cell(r.read_at),
      cell(r.replayed_events === null ? "live" : String(r.replayed_events), true),
      cell(r.events_covered === null ? "-" : `${r.events_covered} of ${r.events_expected}`, true),
      cell(r.exact === null ? "-" : r.exact ? "yes" : "no"),
      cell(r.lag_seconds === null ? "-" : String(r.lag_seconds), true),
      cell(r.summary),
      cell(bytesText(r.bytes_scanned), true),
    ].join(""),
  );
  return `<table><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${body
    .map((b) => `<tr>${b}</tr>`)
    .join("")}</tbody></table>`;
}

/** Lag per object over the run: x = events sent at each read, y = lag in seconds; one line per object. */
export function lagChart(rows: readonly StoryRow[]): string {
  const [width, height, left, bottom, top, right] = [640, 300, 50, 40, 20, 190];
  const points = rows.filter((r) => r.lag_seconds !== null);
  const xs = [...new Set(points.map((r) => r.replayed_events ?? (r.read_at === "end" ? 2 : 1)))].sort((a, b) => a - b);
  const maxX = Math.max(1, ...xs);
  const maxY = Math.max(1, ...points.map((r) => r.lag_seconds!));
  const x = (v: number) => left + (v / maxX) * (width - left - right);
  const y = (v: number) => height - bottom - (v / maxY) * (height - bottom - top);
  const objects = [...new Set(points.map((r) => r.object))];
  const series = objects.map((object, i) => {
    const color = COLORS[i % COLORS.length];
    const own = points.filter((r) => r.object === object);
    const coords = own.map(
      (r) => `${x(r.replayed_events ?? (r.read_at === "end" ? 2 : 1)).toFixed(1)},${y(r.lag_seconds!).toFixed(1)}`,
    );
    const dots = coords.map((c) => `<circle cx="${c.split(",")[0]}" cy="${c.split(",")[1]}" r="3" fill="${color}"/>`);
    const legend = `<text x="${width - right + 10}" y="${top + 14 * i + 10}" fill="${color}">${escape(object)}</text>`;
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${coords.join(" ")}"/>${dots.join("")}${legend}`;
  });
  const axes = [
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#333"/>`,
    `<text x="${left - 6}" y="${y(maxY) + 4}" text-anchor="end">${maxY}</text>`,
    `<text x="${left - 6}" y="${y(0) + 4}" text-anchor="end">0</text>`,
    ...xs.map((v) => `<text x="${x(v)}" y="${height - bottom + 16}" text-anchor="middle">${v}</text>`),
    `<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle">events sent when read</text>`,
    `<text x="12" y="${top + (height - bottom - top) / 2}" transform="rotate(-90 12 ${top + (height - bottom - top) / 2})" text-anchor="middle">lag (s)</text>`,
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11" role="img" aria-label="lag per object at each read">${axes.join("")}${series.join("")}</svg>`;
}

export function htmlReport(result: DemoResult): string {
  const style =
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}td.n{text-align:right}pre{background:#f6f6f6;padding:1em}";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fresh-streams demo report</title><style>${style}</style></head>
<body>
<h1>fresh-streams demo</h1>
<h2>Every reporting object, mid-replay and at the end</h2>
${storyTable(result.story)}
<p>Bytes scanned are estimates from BigQuery's documented sizes per data type (the emulator cannot measure them).</p>
<h2>Lag per object</h2>
${lagChart(result.story)}
<h2>Report</h2>
<pre>${escape(formatReport(result))}</pre>
</body></html>
`;
}
