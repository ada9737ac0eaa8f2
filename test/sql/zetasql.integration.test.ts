/**
 * Every statement under sql/, rendered the way the stacks render it, analyzed by ZetaSQL
 * (BigQuery's SQL front end) against a catalog built from the warehouse's TableSchemas.
 * An unknown table/column/function, a type error or a syntax error fails with ZetaSQL's
 * message and the file name.
 */
import { listSqlFiles, renderSqlFile } from "../../constructs/bigquery/sql-template";
import { ZetaSqlAnalyzer } from "../../tools/zetasql/analyzer";
import { deployedSql } from "../../tools/zetasql/deployed-sql";
import { ELT_VIEWS } from "../../stacks/elt";
import { BINDINGS, CATALOG, SCHEDULED_QUERY_PARAMETERS } from "./catalog";

let analyzer: ZetaSqlAnalyzer;

beforeAll(async () => {
  analyzer = await ZetaSqlAnalyzer.start();
  await analyzer.setCatalog(CATALOG);
}, 60_000);

afterAll(async () => {
  await analyzer?.stop();
});

async function analyzeFile(file: string): Promise<string> {
  const sql = renderSqlFile(file, BINDINGS);
  const result = await analyzer.analyze(sql, SCHEDULED_QUERY_PARAMETERS);
  if (!result.ok) throw new Error(`sql/${file}: ZetaSQL rejects it:\n${result.error}`);
  return result.statementKind ?? "";
}

const FILES = listSqlFiles();

test("the sql/ folder holds the statements of every layer", () => {
  expect(FILES).toEqual(
    expect.arrayContaining([
      "staging/wiki_staged.sql",
      "reporting/leaderboard.sql",
      "reporting/leaderboard_mv.sql",
      "quality/duplicate_check.sql",
      "quality/dedup_view.sql",
      "quality/late_arrivals.sql",
      "analytics/realtime_dashboard.sql",
      "analytics/traffic_anomalies.sql",
      "cdc/apply_watermark.sql",
      "cdc/recommended_max_staleness.sql",
      "cdc/background_slot_usage.sql",
    ]),
  );
});

describe("ZetaSQL analysis of every sql/ file", () => {
  test.each(FILES)("sql/%s", async (file) => {
    await expect(analyzeFile(file)).resolves.toMatch(/^resolved_/);
  });

  test("the staging load and the leaderboard refresh are MERGE statements; everything else is a query", async () => {
    expect(await analyzeFile("staging/wiki_staged.sql")).toBe("resolved_merge_stmt_node");
    expect(await analyzeFile("reporting/leaderboard.sql")).toBe("resolved_merge_stmt_node");
    for (const file of FILES.filter((f) => !["staging/wiki_staged.sql", "reporting/leaderboard.sql"].includes(f))) {
      expect([file, await analyzeFile(file)]).toEqual([file, "resolved_query_stmt_node"]);
    }
  });

  test.each(Object.entries(ELT_VIEWS))(
    "view %s is valid as CREATE VIEW (no scheduled-query parameters)",
    async (viewId, spec) => {
      const sql = `CREATE VIEW \`p\`.\`d\`.\`${viewId}\` AS\n${renderSqlFile(spec.file, BINDINGS)}`;
      const result = await analyzer.analyze(sql);
      expect({ file: spec.file, ...result }).toMatchObject({
        ok: true,
        statementKind: "resolved_create_statement_node",
      });
    },
  );

  test("the leaderboard materialized view is valid as CREATE MATERIALIZED VIEW", async () => {
    const sql = `CREATE MATERIALIZED VIEW \`p\`.\`d\`.\`leaderboard\` AS\n${renderSqlFile("reporting/leaderboard_mv.sql", BINDINGS)}`;
    await expect(analyzer.analyze(sql)).resolves.toMatchObject({ ok: true });
  });
});

describe("broken statements are caught, with ZetaSQL's message", () => {
  const staging = () => renderSqlFile("staging/wiki_staged.sql", BINDINGS);

  test("an unknown column", async () => {
    const broken = staging().replace("fresh.title,", "fresh.page_title,");
    const result = await analyzer.analyze(broken, SCHEDULED_QUERY_PARAMETERS);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Name page_title not found inside fresh/);
    expect(result.error).toMatch(/\[at \d+:\d+\]/);
  });

  test("a type error", async () => {
    const broken = staging().replace("staged.event_id = fresh.event_id", "staged.event_id = fresh.namespace");
    const result = await analyzer.analyze(broken, SCHEDULED_QUERY_PARAMETERS);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/No matching signature for operator =/);
  });

  test("a syntax error", async () => {
    const broken = staging().replace("WHEN NOT MATCHED BY TARGET THEN", "WHEN NOT MATCHED BY TARGET");
    const result = await analyzer.analyze(broken, SCHEDULED_QUERY_PARAMETERS);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Syntax error/);
  });

  test("an unknown table", async () => {
    const result = await analyzer.analyze("SELECT COUNT(*) FROM `fresh-streams-check`.`check_raw`.`wiki_change`");
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/Table not found/) });
  });

  test("_PARTITIONTIME on a column-partitioned table (it only exists on ingestion-time partitioned tables)", async () => {
    const result = await analyzer.analyze(
      "SELECT COUNT(*) FROM `fresh-streams-check`.`check_staging`.`wiki_staged` WHERE _PARTITIONTIME IS NULL",
    );
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/Unrecognized name: _PARTITIONTIME/) });
  });

  test("the file name comes with the message", async () => {
    const original = analyzer.analyze.bind(analyzer);
    const spy = jest
      .spyOn(analyzer, "analyze")
      .mockImplementation((sql, params) => original(sql.replace("`user`,", "usr,"), params));
    await expect(analyzeFile("reporting/leaderboard_mv.sql")).rejects.toThrow(
      /^sql\/reporting\/leaderboard_mv.sql: ZetaSQL rejects it:\nUnrecognized name: usr/,
    );
    spy.mockRestore();
  });
});

describe("the SQL exactly as each environment deploys it", () => {
  const envs = ["local", "dev", "prod"].map((name) => deployedSql(name));

  test.each(envs)(
    "$name: every scheduled query, view and materialized view analyzes",
    async ({ statements, catalog }) => {
      expect(statements.length).toBeGreaterThanOrEqual(11);
      await analyzer.setCatalog(catalog);
      try {
        for (const { what, sql } of statements) {
          const result = await analyzer.analyze(sql, SCHEDULED_QUERY_PARAMETERS);
          expect({ what, error: result.error }).toEqual({ what, error: undefined });
        }
      } finally {
        await analyzer.setCatalog(CATALOG);
      }
    },
  );
});
