/**
 * docs/alerts.md's generated parts: the alert catalogue's table and its runbooks, from
 * constructs/monitoring/alert-catalogue.ts (and, for the health checks, the SQL each environment runs,
 * from stacks/monitoring.ts).
 */
import { AlertDefinition, ALERT_CATALOGUE, WORKER_METRICS } from "../../../constructs";
import { thresholdSource } from "../../../constructs/monitoring/alert-catalogue";
import { LabelMatch, promName } from "../../../constructs/monitoring/metric-filter";
import { WATCHED_KINDS } from "../../../constructs/monitoring/monitored";
import { fillTemplate, runbookTexts } from "../../../constructs/monitoring/runbook";
import { HEALTH_CHECKS } from "../../../stacks/monitoring";
import type { DocSection } from "../doc-section";

const FILE = "docs/alerts.md";
const AGGREGATION: Record<string, string> = {
  ALIGN_MAX: "max",
  ALIGN_MEAN: "mean",
  ALIGN_SUM: "sum",
  ALIGN_RATE: "rate",
};
const COMPARISON: Record<string, string> = { COMPARISON_GT: ">", COMPARISON_GE: "≥", COMPARISON_LT: "<" };
/** The worker's metrics by their `WORKER_METRICS` key, as PromQL names them. */
const PROM_NAMES = Object.fromEntries(Object.entries(WORKER_METRICS).map(([key, type]) => [key, promName(type)]));

const code = (text: string) => `\`${text}\``;
const minutes = (seconds: number) => (seconds > 0 ? `${seconds / 60} min` : "at once");
/** A table cell: pipes escaped, one line. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function labelText(label: string, match: LabelMatch): string {
  if (typeof match === "string") return `${code(label)} = ${code(match)}`;
  if ("oneOf" in match) return `${code(label)} one of ${match.oneOf.map(code).join(", ")}`;
  return `${code(label)} not matching ${code(match.notRegex)}`;
}

/** What an alert reads and how it compares, in words. */
function signalText(a: AlertDefinition): string {
  const s = a.signal;
  if ("promql" in s) {
    const window = `${(a.durationSeconds || 600) / 60}m`;
    return `PromQL ${code(fillTemplate(s.promql, { ...PROM_NAMES, threshold: "threshold", window }, a.id))}`;
  }
  const metric = s.metric ? code(s.metric) : healthCheckMetric(a.id);
  const labels = Object.entries(s.metricLabels ?? {}).map(([l, m]) => labelText(l, m));
  const over = s.alignmentSeconds && s.alignmentSeconds !== 60 ? ` over ${minutes(s.alignmentSeconds)}` : "";
  const value = `${AGGREGATION[s.aligner]}${over}${s.reducer ? ` (${AGGREGATION[s.reducer.replace("REDUCE", "ALIGN")]} across series)` : ""}`;
  const threshold = s.conditionThreshold === undefined ? "threshold" : String(s.conditionThreshold);
  return [metric, ...labels, `${value} ${COMPARISON[s.comparison]} ${threshold}`].join(", ");
}

/** A health check's log-based metric, and the SQL this project's environments measure it with. */
function healthCheckMetric(id: string): string {
  const spec = (HEALTH_CHECKS as Record<string, { file: string; value: string }>)[id];
  const metric = code(`logging.googleapis.com/user/fresh-streams-check-${id}`);
  return spec ? `${metric}: breaches of the check on ${code(`sql/${spec.file}`)} (${code(spec.value)})` : metric;
}

function thresholdText(a: AlertDefinition): string {
  const amount = `${a.threshold.toLocaleString("en-US")} ${a.unit}`;
  const level = WATCHED_KINDS[a.signal.watches].levelDoc;
  switch (thresholdSource(a.signal)) {
    case "watched":
      return `${level} (${amount} unless set)`;
    case "settings-or-watched":
      return `${level}`;
    default:
      return amount;
  }
}

/** Rows padded to their columns' widths. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The catalogue's table: one row per alert. */
export function renderAlertTable(catalogue: readonly AlertDefinition[] = ALERT_CATALOGUE): string {
  const header = ["alert id", "signal", "metric", "default threshold", "for", "severity", "watches", "chart"];
  const rows = catalogue.map((a) => [
    code(a.id),
    a.title,
    signalText(a),
    thresholdText(a),
    minutes(a.durationSeconds),
    a.severity,
    code(WATCHED_KINDS[a.signal.watches].prop),
    a.tile ? fillTemplate(a.tile.title, { title: a.title, level: "…" }, a.id) : "—",
  ]);
  return table(
    header,
    rows.map((r) => r.map(cell)),
  );
}

/** The runbooks, in the library's own (generic) words; the placeholders an application may word its own way. */
export function renderRunbooks(catalogue: readonly AlertDefinition[] = ALERT_CATALOGUE): string {
  return catalogue
    .map((a) => {
      const { meaning, firstChecks } = runbookTexts(a);
      const words = Object.entries(a.words ?? {});
      return [
        `### ${code(a.id)}: ${a.title}`,
        "",
        meaning,
        "",
        "First three things to check:",
        "",
        ...firstChecks.map((check, i) => `${i + 1}. ${check}`),
        ...(words.length
          ? [
              "",
              `Words an application may give (\`runbookWords\`): ${words.map(([w, d]) => `${code(w)} (“${d}”)`).join(", ")}.`,
            ]
          : []),
      ].join("\n");
    })
    .join("\n\n");
}

export const SECTIONS: DocSection[] = [
  { file: FILE, name: "alert-catalogue", render: () => renderAlertTable() },
  { file: FILE, name: "alert-runbooks", render: () => renderRunbooks() },
];
