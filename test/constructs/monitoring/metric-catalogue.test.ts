/**
 * Every metric type an alert or a chart of an environment uses is one Google documents (the
 * catalogue in constructs/monitoring/metric-catalogue.ts, each entry with its page), on the metric's
 * own monitored resource, naming only labels that resource or metric has.
 */
import {
  METRIC_CATALOGUE,
  METRIC_DOCS,
  MONITORED_RESOURCES,
  WORKER_METRICS,
} from "../../../constructs/monitoring/metric-catalogue";
import {
  filterProblems,
  metricFilter,
  promqlProblems,
  validGroupByFields,
} from "../../../constructs/monitoring/metric-filter";
import { asTemplate, resources, synthEnvironment } from "../../support";

/** Every filter (with its group-by fields) of the alert policies and the dashboard of a synthesized stack. */
function filtersOf(json: any): { where: string; filter: string; groupBy: string[]; promql?: string }[] {
  const out: { where: string; filter: string; groupBy: string[]; promql?: string }[] = [];
  for (const p of resources(json, "google_monitoring_alert_policy")) {
    for (const c of p.conditions) {
      if (c.condition_prometheus_query_language) {
        out.push({
          where: `policy ${p.display_name}`,
          filter: "",
          groupBy: [],
          promql: c.condition_prometheus_query_language.query,
        });
        continue;
      }
      const t = c.condition_threshold;
      out.push({
        where: `policy ${p.display_name}`,
        filter: asTemplate(t.filter),
        groupBy: (t.aggregations ?? []).flatMap((a: any) => a.group_by_fields ?? []),
      });
    }
  }
  for (const d of resources(json, "google_monitoring_dashboard")) {
    for (const tile of JSON.parse(d.dashboard_json).mosaicLayout.tiles) {
      for (const ds of tile.widget.xyChart.dataSets) {
        const f = ds.timeSeriesQuery.timeSeriesFilter;
        out.push({ where: `chart ${tile.widget.title}`, filter: f.filter, groupBy: f.aggregation.groupByFields ?? [] });
      }
    }
  }
  return out;
}

const STACKS: [string, () => any][] = [
  ["dev (Dataflow)", () => synthEnvironment("dev").json],
  ["prod (Dataflow)", () => synthEnvironment("prod").json],
  ["local", () => synthEnvironment("local").json],
  [
    "dev in BigQuery-subscription mode",
    () => synthEnvironment("dev", (c) => ({ ...c, ingestion: { ...c.ingestion, mode: "bigquery-subscription" } })).json,
  ],
  ["direct (the worker writes BigQuery)", () => synthEnvironment("direct").json],
];

describe("the metric catalogue", () => {
  test("every entry names a documented page, a known monitored resource and its labels", () => {
    const docs = new Set<string>(Object.values(METRIC_DOCS));
    for (const m of METRIC_CATALOGUE) {
      expect([m.type, docs.has(m.doc)]).toEqual([m.type, true]);
      expect(Object.keys(MONITORED_RESOURCES)).toContain(m.resource);
      expect(m.type).toMatch(/^[a-z]+\.googleapis\.com\/[a-z_/]+$/);
    }
    expect(new Set(METRIC_CATALOGUE.map((m) => m.type)).size).toBe(METRIC_CATALOGUE.length);
  });

  test("worker metrics follow Managed Service for Prometheus naming: prometheus.googleapis.com/<name>/<kind>", () => {
    expect(WORKER_METRICS.eventsPublished).toBe(
      "prometheus.googleapis.com/fresh_streams_worker_events_published_total/counter",
    );
    expect(WORKER_METRICS.checkpointAge).toBe(
      "prometheus.googleapis.com/fresh_streams_worker_checkpoint_age_seconds/gauge",
    );
    for (const m of METRIC_CATALOGUE.filter((m) => m.type.startsWith("prometheus.googleapis.com/"))) {
      expect(m.resource).toBe("prometheus_target");
      expect(m.type.endsWith("_total/counter") || m.type.endsWith("/gauge")).toBe(true);
    }
  });

  test.each(STACKS)("%s: every alert filter and chart uses catalogued metrics with valid labels", (_name, json) => {
    const filters = filtersOf(json());
    expect(filters.length).toBeGreaterThan(0);
    const problems = filters.flatMap(({ where, filter, groupBy, promql }) => {
      if (promql !== undefined) return promqlProblems(promql).map((p) => `${where}: ${p}`);
      const type = /metric\.type="([^"]+)"/.exec(filter)?.[1] ?? "";
      const allowed = validGroupByFields(type);
      return [
        ...filterProblems(filter),
        ...groupBy.filter((g) => !allowed.includes(g)).map((g) => `group-by field ${g} does not exist on ${type}`),
      ].map((p) => `${where}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  test("the check catches an undocumented metric, a wrong resource and a label the metric lacks", () => {
    expect(
      filterProblems(
        'metric.type="pubsub.googleapis.com/subscription/oldest_unacked_age" AND resource.type="pubsub_subscription"',
      ),
    ).toEqual(["metric type pubsub.googleapis.com/subscription/oldest_unacked_age is not in the catalogue"]);
    expect(
      filterProblems('metric.type="dataflow.googleapis.com/job/system_lag" AND resource.type="pubsub_subscription"'),
    ).toEqual([
      "resource.type of dataflow.googleapis.com/job/system_lag must be dataflow_job, got pubsub_subscription",
    ]);
    expect(
      filterProblems(
        'metric.type="dataflow.googleapis.com/job/system_lag" AND resource.type="dataflow_job" AND resource.labels.job_id="x" AND metric.labels.stage="y"',
      ),
    ).toEqual([
      "resource label job_id does not exist on dataflow_job",
      "metric label stage does not exist on dataflow.googleapis.com/job/system_lag",
    ]);
  });

  test("the PromQL check catches an unknown metric and rate() of a gauge", () => {
    expect(promqlProblems("max(fresh_streams_worker_event_lag_seconds) > 300")).toEqual([]);
    expect(promqlProblems("max(fresh_streams_worker_lag_seconds) > 300")).toEqual([
      "PromQL metric fresh_streams_worker_lag_seconds is not a catalogued Prometheus metric",
    ]);
    expect(promqlProblems("sum(rate(fresh_streams_worker_event_lag_seconds[5m])) > 1")).toEqual([
      "rate() of the gauge fresh_streams_worker_event_lag_seconds: rate and increase apply to counters",
    ]);
  });

  test("the PromQL check reads label matchers: catalogued labels pass, their values are not metric names", () => {
    expect(
      promqlProblems('sum(increase(fresh_streams_worker_sink_requests_total{outcome=~"failed|retried"}[10m])) > 10'),
    ).toEqual([]);
    expect(
      promqlProblems('sum(increase(fresh_streams_worker_sink_requests_total{status="failed"}[10m])) > 10'),
    ).toEqual(["PromQL label status does not exist on fresh_streams_worker_sink_requests_total; it has sink, outcome"]);
  });

  test("building a filter with an unknown metric or label fails naming the construct path", () => {
    expect(() => metricFilter("s/m", { metric: "pubsub.googleapis.com/subscription/backlog" })).toThrow(
      's/m: metric type "pubsub.googleapis.com/subscription/backlog" is not in the metric catalogue',
    );
    expect(() =>
      metricFilter("s/m", {
        metric: "pubsub.googleapis.com/subscription/num_undelivered_messages",
        resourceLabels: { subscription: "x" },
      }),
    ).toThrow('s/m: resource label "subscription" does not exist on pubsub_subscription');
    expect(() =>
      metricFilter("s/m", {
        metric: "bigquerydatatransfer.googleapis.com/transfer_config/completed_runs",
        metricLabels: { state: "FAILED" },
      }),
    ).toThrow(
      's/m: metric label "state" does not exist on bigquerydatatransfer.googleapis.com/transfer_config/completed_runs; it has completion_state, run_cause',
    );
  });
});
