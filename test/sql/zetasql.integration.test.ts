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
import { BINDINGS, CATALOG, RESERVATION_BINDINGS, SCHEDULED_QUERY_PARAMETERS, WINDOW_BINDINGS } from "./catalog";

let analyzer: ZetaSqlAnalyzer;

beforeAll(async () => {
  analyzer = await ZetaSqlAnalyzer.start();
  await analyzer.setCatalog(CATALOG);
}, 60_000);

afterAll(async () => {
  await analyzer?.stop();
});

/** The bindings a file is rendered with: the ELT's, or each windowed aggregate's that runs it. */
function renderingsOf(file: string): { what: string; sql: string }[] {
  const windows = WINDOW_BINDINGS.filter((w) => w.files.includes(file));
  if (windows.length === 0) return [{ what: `sql/${file}`, sql: renderSqlFile(file, RESERVATION_BINDINGS) }];
  return windows.map((w) => ({ what: `sql/${file} (${w.name})`, sql: renderSqlFile(file, w.bindings) }));
}

async function analyzeFile(file: string): Promise<string> {
  const kinds = new Set<string>();
  for (const { what, sql } of renderingsOf(file)) {
    const result = await analyzer.analyze(sql, SCHEDULED_QUERY_PARAMETERS);
    if (!result.ok) throw new Error(`${what}: ZetaSQL rejects it:\n${result.error}`);
    kinds.add(result.statementKind ?? "");
  }
  return [...kinds].join(",");
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
      "analytics/window_late_events.sql",
      "analytics/window_very_late_events.sql",
      "analytics/window_fixed.sql",
      "analytics/window_sessions.sql",
      "reporting/leaderboard_live.sql",
      "staging/wiki_staged_watermark.sql",
      "cdc/apply_watermark.sql",
      "cdc/recommended_max_staleness.sql",
      "cdc/background_slot_usage.sql",
      "cdc/reservation_sizing.sql",
    ]),
  );
});

describe("ZetaSQL analysis of every sql/ file", () => {
  test.each(FILES)("sql/%s", async (file) => {
    await expect(analyzeFile(file)).resolves.toMatch(/^resolved_/);
  });

  const WRITES: Record<string, string> = {
    "staging/wiki_staged.sql": "resolved_merge_stmt_node",
    "staging/wiki_staged_watermark.sql": "resolved_insert_stmt_node",
    "reporting/leaderboard.sql": "resolved_merge_stmt_node",
    "analytics/window_late_events.sql": "resolved_insert_stmt_node",
    "analytics/window_very_late_events.sql": "resolved_insert_stmt_node",
    "analytics/window_fixed.sql": "resolved_merge_stmt_node",
    "analytics/window_sessions.sql": "resolved_merge_stmt_node",
  };

  test("the scheduled statements write (MERGE or INSERT); everything else is a query", async () => {
    for (const [file, kind] of Object.entries(WRITES)) expect([file, await analyzeFile(file)]).toEqual([file, kind]);
    for (const file of FILES.filter((f) => !(f in WRITES))) {
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

describe("partition filters: each partitioned table a statement reads has a constant bound on its partitioning column", () => {
  /** The partitioned tables the new statements read, with their partitioning column. */
  const PARTITIONED = [
    { table: "wiki_changes", column: "_PARTITIONTIME" },
    { table: "wiki_staged", column: "event_time" },
  ];
  const envs = ["local", "dev", "prod"].map((name) => deployedSql(name));

  /** `column >= <expr>` bounds in a statement: the expression runs to the end of its line. */
  function lowerBounds(sql: string, column: string): string[] {
    const pattern = new RegExp(`(?:[\\w\`]+\\.)?\`?${column}\`?\\s*>=\\s*(.+)$`, "gm");
    return [...sql.matchAll(pattern)].map((m) => m[1].replace(/,\s*$/, "").trim());
  }

  test.each(envs)(
    "$name: leaderboard_live, the staging load and the window scripts prune on constant bounds",
    async ({ statements }) => {
      const checked = statements.filter(
        (s) => /leaderboard_live|staging load|windows/.test(s.what) && !/wiki_staged_watermark` \(/.test(s.sql),
      );
      expect(checked.length).toBeGreaterThanOrEqual(8);
      for (const { what, sql } of checked) {
        for (const { table, column } of PARTITIONED) {
          if (!new RegExp(`\\.\`${table}\`(\\s+AS\\s+\\w+)?\\s*$`, "m").test(sql)) continue; // does not read it
          // Constant: ZetaSQL resolves the bound with no table in scope, only the scheduled query's
          // parameters. Row filters (bounds from the watermark tables, join conditions) do not prune
          // and do not count.
          const constant: string[] = [];
          for (const bound of lowerBounds(sql, column)) {
            const result = await analyzer.analyze(`SELECT ${bound} AS bound`, SCHEDULED_QUERY_PARAMETERS);
            if (result.ok) constant.push(bound);
          }
          expect({ what, table, column, constant: constant.length > 0 }).toEqual({
            what,
            table,
            column,
            constant: true,
          });
          for (const bound of constant) expect(bound).toMatch(/@run_time|CURRENT_TIMESTAMP\(\)/);
        }
      }
    },
  );

  test("a bound that depends on a row is not constant (the check can fail)", async () => {
    const result = await analyzer.analyze("SELECT TIMESTAMP_SUB(state.through, INTERVAL 1 HOUR) AS bound");
    expect(result.ok).toBe(false);
  });
});
