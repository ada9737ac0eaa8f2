import { synthEnvironment } from "../support";
import { DEFAULT_ASSUMPTIONS } from "../../tools/cost/line";
import { costReport, type CostReport } from "../../tools/cost/model";

/** The model on the shipped environments: each one's ingestion path and host found in its own stack. */
const report = (env: string): CostReport => {
  const { json, config } = synthEnvironment(env);
  return costReport(env, json, config, { ...DEFAULT_ASSUMPTIONS, eventsPerSecond: 50 });
};
const lines = (r: CostReport, category: string) => r.categories.find((c) => c.category === category)!.lines;

describe("the shipped environments", () => {
  test("local: a BigQuery subscription writes the raw table; no worker, reservation or alerting is priced", () => {
    const r = report("local");
    expect(lines(r, "ingestion").map((l) => l.item)).toEqual([
      "Pub/Sub publish",
      "Pub/Sub BigQuery subscription throughput",
      "Pub/Sub publish of page-state changes",
      "BigQuery subscription applying page-state changes",
    ]);
    expect(lines(r, "ingestion")[1].resource).toMatch(/^google_pubsub_subscription\.ingestion_wiki-changes_bigquery/);
    for (const category of ["worker", "reservation", "monitoring"]) expect(lines(r, category)).toEqual([]);
  });

  test("direct: the worker writes through the Storage Write API, its host priced for the whole month", () => {
    const r = report("direct");
    expect(lines(r, "ingestion")[0]).toMatchObject({
      item: "BigQuery Storage Write API (gRPC) ingestion",
      resource: expect.stringMatching(/^google_bigquery_table\.warehouse_wiki_changes/),
    });
    expect(lines(r, "worker").length).toBeGreaterThan(0);
    expect(lines(r, "worker").every((l) => l.quantity > 0)).toBe(true);
    expect(lines(r, "scheduled-queries").length).toBeGreaterThanOrEqual(4);
  });
});
