/**
 * Cloud Monitoring filters (https://cloud.google.com/monitoring/api/v3/filters) built from the
 * metric catalogue, and the check every filter of an alert or a chart passes: the metric type is
 * documented, the resource type is the metric's, and every label named belongs to that resource
 * or metric. Private to the library.
 */
import { fail } from "../core/validation";
import { METRIC_CATALOGUE, metricDefinition, MONITORED_RESOURCES } from "./metric-catalogue";

/** How a label is matched: equal to a value, one of several, or not matching a regular expression. */
export type LabelMatch = string | { readonly oneOf: readonly string[] } | { readonly notRegex: string };

/** What a filter selects. */
export interface MetricFilterSpec {
  /** The metric type (a catalogue entry, or `logging.googleapis.com/user/<name>` whose name may be a token). */
  readonly metric: string;
  /** Conditions on the monitored resource's labels. */
  readonly resourceLabels?: Readonly<Record<string, LabelMatch>>;
  /** Conditions on the metric's labels. */
  readonly metricLabels?: Readonly<Record<string, LabelMatch>>;
}

const quote = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

function clause(key: string, match: LabelMatch): string {
  if (typeof match === "string") return `${key}=${quote(match)}`;
  if ("oneOf" in match) return `${key}=one_of(${match.oneOf.map(quote).join(",")})`;
  return `NOT ${key}=monitoring.regex.full_match(${quote(match.notRegex)})`;
}

/** The metric type's catalogue entry, failing with the construct path when it is not documented. */
function definitionOf(path: string, type: string) {
  const definition = metricDefinition(type);
  if (!definition) {
    fail(path, `metric type "${type}" is not in the metric catalogue (constructs/monitoring/metric-catalogue.ts)`);
  }
  return definition;
}

/**
 * `metric.type="…" AND resource.type="…" AND …`, after checking the metric type and every label
 * against the catalogue.
 */
export function metricFilter(path: string, spec: MetricFilterSpec): string {
  const type = spec.metric;
  const definition = definitionOf(path, type);
  const resourceLabels: readonly string[] = MONITORED_RESOURCES[definition.resource];
  const parts = [`metric.type=${quote(type)}`, `resource.type=${quote(definition.resource)}`];
  for (const [label, match] of Object.entries(spec.resourceLabels ?? {})) {
    if (!resourceLabels.includes(label)) {
      fail(
        path,
        `resource label "${label}" does not exist on ${definition.resource} (${type}); it has ${resourceLabels.join(", ")}`,
      );
    }
    parts.push(clause(`resource.labels.${label}`, match));
  }
  for (const [label, match] of Object.entries(spec.metricLabels ?? {})) {
    if (!definition.labels.includes(label)) {
      fail(
        path,
        `metric label "${label}" does not exist on ${type}; it has ${definition.labels.length ? definition.labels.join(", ") : "none"}`,
      );
    }
    parts.push(clause(`metric.labels.${label}`, match));
  }
  return parts.join(" AND ");
}

/** Label names a group-by or a filter may name for a metric type: `resource.labels.*` and `metric.labels.*`. */
export function validGroupByFields(type: string): string[] {
  const definition = metricDefinition(type);
  if (!definition) return [];
  return [
    ...MONITORED_RESOURCES[definition.resource].map((l) => `resource.labels.${l}`),
    ...definition.labels.map((l) => `metric.labels.${l}`),
  ];
}

/**
 * The problems of a synthesized filter string (empty when it is fine): an undocumented metric type,
 * a resource type that is not the metric's, a label the resource or metric does not have.
 * Terraform references (`${…}`) inside quoted values are ignored.
 */
export function filterProblems(filter: string): string[] {
  const problems: string[] = [];
  const types = [...filter.matchAll(/metric\.type\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
  if (types.length !== 1) return [`expected exactly one metric.type in ${filter}`];
  const type = types[0];
  const definition = metricDefinition(type);
  if (!definition) return [`metric type ${type} is not in the catalogue`];
  const resources = [...filter.matchAll(/resource\.type\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
  if (resources.length !== 1 || resources[0] !== definition.resource) {
    problems.push(`resource.type of ${type} must be ${definition.resource}, got ${resources.join(", ") || "none"}`);
  }
  const unquoted = filter.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of unquoted.matchAll(/resource\.labels?\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!(MONITORED_RESOURCES[definition.resource] as readonly string[]).includes(m[1])) {
      problems.push(`resource label ${m[1]} does not exist on ${definition.resource}`);
    }
  }
  for (const m of unquoted.matchAll(/metric\.labels?\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!definition.labels.includes(m[1])) problems.push(`metric label ${m[1]} does not exist on ${type}`);
  }
  return problems;
}

const PROMETHEUS_TYPE = /^prometheus\.googleapis\.com\/([a-zA-Z_:][a-zA-Z0-9_:]*)\/(counter|gauge)$/;

/** The Prometheus name of a catalogued `prometheus.googleapis.com/<name>/<kind>` metric type, as PromQL names it. */
export function promName(type: string): string {
  const match = PROMETHEUS_TYPE.exec(type);
  if (!match || !metricDefinition(type)) throw new Error(`${type} is not a catalogued Prometheus metric type`);
  return match[1];
}

/**
 * The problems of a PromQL query of an alert (empty when it is fine): every metric it names (an
 * identifier followed by `[`, `{`, `)` or an operator, that is not a function) must be a catalogued
 * Prometheus metric; `rate` and `increase` apply to counters only.
 */
export function promqlProblems(query: string): string[] {
  const problems: string[] = [];
  const kinds = new Map<string, string>();
  const labels = new Map<string, readonly string[]>();
  for (const m of METRIC_CATALOGUE) {
    const match = PROMETHEUS_TYPE.exec(m.type);
    if (match) {
      kinds.set(match[1], match[2]);
      labels.set(match[1], m.labels);
    }
  }
  // Label matchers (`name{label="value"}`): each label must be one of the metric's; then drop them,
  // so that label names and quoted values are not read as metric names below.
  for (const m of query.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
    for (const matcher of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"/g)) {
      const known = labels.get(m[1]);
      if (known && !known.includes(matcher[1]))
        problems.push(
          `PromQL label ${matcher[1]} does not exist on ${m[1]}; it has ${known.length ? known.join(", ") : "none"}`,
        );
    }
  }
  query = query.replace(/\{[^}]*\}/g, "");
  const KEYWORDS = new Set([
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "rate",
    "increase",
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "bool",
  ]);
  for (const m of query.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)) {
    const name = m[1];
    if (KEYWORDS.has(name) || /^[0-9]/.test(name) || /^\d+[smhd]$/.test(name)) continue;
    if (!kinds.has(name)) problems.push(`PromQL metric ${name} is not a catalogued Prometheus metric`);
  }
  for (const m of query.matchAll(/\b(rate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
    if (kinds.get(m[2]) === "gauge")
      problems.push(`${m[1]}() of the gauge ${m[2]}: rate and increase apply to counters`);
  }
  return problems;
}
