/**
 * ZetaSQL (BigQuery's SQL front end) analyzes the health checks' queries: the measurement files
 * wrapped as the checks deploy them, with ERROR() on a breach. A check whose value expression
 * names a column its measurement lacks is rejected.
 */
import { renderSqlFile } from "../../../constructs/bigquery/sql-template";
import { healthCheckQuery } from "../../../constructs/monitoring/sql-health-check";
import { HEALTH_CHECKS } from "../../../stacks/monitoring";
import { ZetaSqlAnalyzer } from "../../../tools/zetasql/analyzer";
import { BINDINGS, CATALOG } from "../../sql/catalog";

let analyzer: ZetaSqlAnalyzer;

beforeAll(async () => {
  analyzer = await ZetaSqlAnalyzer.start();
  await analyzer.setCatalog(CATALOG);
}, 60_000);

afterAll(async () => {
  await analyzer?.stop();
});

describe("health-check queries under ZetaSQL", () => {
  test.each(Object.entries(HEALTH_CHECKS).map(([id, spec]) => [id, spec.file, spec.value]))(
    "%s: sql/%s aggregated by %s",
    async (checkId, file, value) => {
      const sql = healthCheckQuery(checkId, renderSqlFile(file, BINDINGS), value, 600);
      await expect(analyzer.analyze(sql)).resolves.toMatchObject({
        ok: true,
        statementKind: "resolved_query_stmt_node",
      });
    },
  );

  test("a value expression naming a column the measurement lacks is rejected", async () => {
    const sql = healthCheckQuery(
      "quality-late-events",
      renderSqlFile("quality/late_arrivals.sql", BINDINGS),
      "SUM(late_beyond_lookback)",
      0,
    );
    const result = await analyzer.analyze(sql);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Unrecognized name: late_beyond_lookback/);
  });
});
