import { LoggingMetric } from "@cdktf/provider-google/lib/logging-metric";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { healthCheckQuery, SqlHealthCheck, SqlHealthCheckProps } from "../../../constructs/monitoring/sql-health-check";
import { newStack, PROJECT, PROJECT_NUMBER, resources, synth, synthStack } from "../../support";

function check(props: Partial<SqlHealthCheckProps> = {}) {
  const stack = newStack();
  const results = new LayeredDataset(stack, "mon", {
    datasetId: "mon",
    layer: "monitoring",
    location: "US",
    project: PROJECT,
  });
  const raw = new LayeredDataset(stack, "raw", { datasetId: "raw", layer: "raw", location: "US", project: PROJECT });
  const c = new SqlHealthCheck(stack, "late", {
    project: PROJECT,
    projectNumber: PROJECT_NUMBER,
    location: "US",
    checkId: "quality-late-events",
    measureSql: "SELECT 3 AS beyond_lookback",
    valueExpression: "SUM(beyond_lookback)",
    threshold: 0,
    resultsDataset: results,
    readDatasets: [raw],
    ...props,
  });
  return { stack, check: c };
}

describe("SqlHealthCheck", () => {
  test("a scheduled query appending to health_checks, failing with the marker above the threshold", () => {
    const { stack } = check();
    const json = synthStack(stack);
    const [transfer] = resources(json, "google_bigquery_data_transfer_config");
    expect(transfer.schedule).toBe("every 10 minutes");
    expect(transfer.params).toEqual({
      query: healthCheckQuery("quality-late-events", "SELECT 3 AS beyond_lookback", "SUM(beyond_lookback)", 0),
      destination_table_name_template: "health_checks",
      write_disposition: "WRITE_APPEND",
    });
    expect(transfer.params.query).toContain(
      "IF(value > 0, ERROR(CONCAT('FRESH_STREAMS_CHECK_FAILED quality-late-events: value ', CAST(value AS STRING), ' exceeds 0')), FALSE) AS breached",
    );
    // Read access on what it measures, write access on the results dataset only.
    const roles = resources(json, "google_bigquery_dataset_iam_member")
      .map((b) => b.role)
      .sort();
    expect(roles).toEqual(["roles/bigquery.dataEditor", "roles/bigquery.dataViewer"]);
  });

  test("a log-based counter metric on the check's own runs, named after the check", () => {
    const { stack, check: c } = check();
    expect(synth(stack)).toHaveResourceWithProperties(LoggingMetric, {
      name: "fresh-streams-check-quality-late-events",
      metric_descriptor: { metric_kind: "DELTA", value_type: "INT64", unit: "1" },
    });
    expect(c.metricType).toMatch(/^logging\.googleapis\.com\/user\/\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });

  test.each<[string, Partial<SqlHealthCheckProps>, string]>([
    ["an invalid check id", { checkId: "Late Events" }, 'test/late: checkId "Late Events" is invalid'],
    [
      "a negative threshold",
      { threshold: -1 },
      "test/late: threshold -1 is invalid; a check's threshold is a finite number ≥ 0",
    ],
  ])("%s fails synthesis", (_name, props, message) => {
    expect(() => check(props)).toThrow(message);
  });
});
