import { TerraformStack } from "cdktf";
import { ReportingTable } from "../../../constructs/bigquery/reporting-table";
import { scriptStatements, sqlScript } from "../../../constructs/bigquery/sql-script";
import { StreamingTable } from "../../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../../constructs/bigquery/table-options";
import { WindowKind } from "../../../constructs/bigquery/window-kind";
import { WindowedAggregate, WindowedAggregateProps } from "../../../constructs/bigquery/windowed-aggregate";
import { Duration } from "../../../constructs/core/duration";
import { WIKI_CHANGES_SCHEMA, WIKI_STAGED_SCHEMA, WIKI_STAGED_WATERMARK_SCHEMA } from "../../../schemas";
import { newDataset, newStack, PROJECT, PROJECT_NUMBER, resources, resourceWith, synthStack } from "../../support";

/** A staging dataset with wiki_staged and its watermark, and a reporting dataset, in a fresh stack. */
function setup(): { stack: TerraformStack; props: WindowedAggregateProps } {
  const stack = newStack();
  const staging = newDataset(stack, { datasetId: "staging", layer: "staging" });
  const reporting = newDataset(stack, { datasetId: "reporting", layer: "reporting" });
  const source = new StreamingTable(stack, "staged", {
    dataset: staging,
    tableId: "wiki_staged",
    schema: WIKI_STAGED_SCHEMA,
    partitioning: Partitioning.column("event_time", "DAY"),
    deletionProtection: false,
  });
  const mark = new ReportingTable(stack, "mark", {
    dataset: staging,
    tableId: "wiki_staged_watermark",
    schema: WIKI_STAGED_WATERMARK_SCHEMA,
    deletionProtection: false,
  });
  return {
    stack,
    props: {
      source,
      sourceMark: { table: mark },
      dataset: reporting,
      tableId: "changes_per_minute",
      window: WindowKind.tumbling(Duration.minutes(1)),
      keyColumn: "wiki",
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      deletionProtection: false,
    },
  };
}

describe("WindowedAggregate", () => {
  test("creates the window table, its late-events table and a two-statement scheduled script, after all four tables", () => {
    const { stack, props } = setup();
    const aggregate = new WindowedAggregate(stack, "tumbling", props);
    const json = synthStack(stack);
    const table = resourceWith(json, "google_bigquery_table", "table_id", "changes_per_minute");
    expect(table.time_partitioning).toMatchObject({ type: "DAY", field: "window_start" });
    expect(table.clustering).toEqual(["wiki"]);
    expect(JSON.parse(table.schema).map((c: any) => c.name)).toEqual([
      "wiki",
      "window_start",
      "window_end",
      "changes",
      "is_final",
      "watermark",
      "staged_through",
      "computed_at",
    ]);
    resourceWith(json, "google_bigquery_table", "table_id", "changes_per_minute_late_events");
    const [transfer] = resources(json, "google_bigquery_data_transfer_config");
    expect(transfer.schedule).toBe("every 15 minutes");
    const statements = scriptStatements(transfer.params.query);
    expect(statements).toEqual([...aggregate.statements]);
    expect(statements[0]).toContain("INSERT INTO `test-project`.`reporting`.`changes_per_minute_late_events`");
    expect(statements[1]).toContain("MERGE `test-project`.`reporting`.`changes_per_minute` AS target");
    expect(statements[1]).toContain("INTERVAL 600 SECOND"); // default lateness: 10 minutes
    expect(transfer.params.query).not.toMatch(/\{\{/);
    for (const id of ["changes_per_minute", "changes_per_minute_late_events", "wiki_staged", "wiki_staged_watermark"]) {
      const key = Object.entries(json.resource.google_bigquery_table).find(([, t]: any) => t.table_id === id)![0];
      expect(transfer.depends_on).toContain(`google_bigquery_table.${key}`);
    }
  });

  test("its service account reads the source's dataset and writes the window dataset, nothing more", () => {
    const { stack, props } = setup();
    new WindowedAggregate(stack, "tumbling", props);
    const json = synthStack(stack);
    const grants = resources(json, "google_bigquery_dataset_iam_member").map((g) => [g.dataset_id, g.role]);
    expect(grants).toEqual(
      expect.arrayContaining([
        [expect.stringMatching(/^\$\{google_bigquery_dataset\.staging_/), "roles/bigquery.dataViewer"],
        [expect.stringMatching(/^\$\{google_bigquery_dataset\.reporting_/), "roles/bigquery.dataEditor"],
      ]),
    );
    expect(grants).toHaveLength(2);
  });

  test("with an ingestion log: a third statement finds arrivals older than the horizon there, by ingestion time", () => {
    const { stack, props } = setup();
    const raw = newDataset(stack, { datasetId: "raw", layer: "raw" });
    const log = new StreamingTable(stack, "raw-changes", {
      dataset: raw,
      tableId: "wiki_changes",
      schema: WIKI_CHANGES_SCHEMA,
      partitioning: Partitioning.ingestionTime("DAY"),
      deletionProtection: false,
    });
    const aggregate = new WindowedAggregate(stack, "tumbling", { ...props, ingestionLog: { table: log } });
    const json = synthStack(stack);
    const [transfer] = resources(json, "google_bigquery_data_transfer_config");
    const statements = scriptStatements(transfer.params.query);
    expect(statements).toHaveLength(3);
    expect(statements[1]).toContain("INSERT INTO `test-project`.`reporting`.`changes_per_minute_late_events`");
    expect(statements[1]).toContain("FROM `test-project`.`raw`.`wiki_changes` AS log");
    expect(statements[1]).toContain(
      "_PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(@run_time, INTERVAL 96 HOUR), DAY)",
    );
    expect(statements[2]).toContain("MERGE `test-project`.`reporting`.`changes_per_minute` AS target");
    expect(aggregate.statements).toHaveLength(3);
    const key = Object.entries(json.resource.google_bigquery_table).find(
      ([, t]: any) => t.table_id === "wiki_changes",
    )!;
    expect(transfer.depends_on).toContain(`google_bigquery_table.${key[0]}`);
    const grants = resources(json, "google_bigquery_dataset_iam_member").map((g) => [g.dataset_id, g.role]);
    expect(grants).toContainEqual([
      expect.stringMatching(/^\$\{google_bigquery_dataset\.raw_/),
      "roles/bigquery.dataViewer",
    ]);
    // Without one: two statements, no raw read (the default keeps the construct's earlier behaviour).
    expect(new WindowedAggregate(stack, "plain", { ...props, tableId: "plain" }).statements).toHaveLength(2);
  });

  test("hopping windows: every minute over five, counting distinct users; sessions by user", () => {
    const { stack, props } = setup();
    const hopping = new WindowedAggregate(stack, "hopping", {
      ...props,
      tableId: "active_editors",
      window: WindowKind.hopping(Duration.minutes(5), Duration.minutes(1)),
      measure: "active_editors",
      countDistinct: "user",
    });
    expect(hopping.statements[1]).toContain("GENERATE_ARRAY(0, DIV(300, 60) - 1)");
    expect(hopping.statements[1]).toContain("source.`user` AS counted");
    const sessions = new WindowedAggregate(stack, "sessions", {
      ...props,
      tableId: "sessions",
      window: WindowKind.session(Duration.minutes(30)),
      keyColumn: "user",
      allowedLateness: Duration.minutes(5),
      schedule: "every 30 minutes",
    });
    expect(sessions.statements[1]).toContain("<= 1800 * 1000000");
    expect(sessions.table.schema.fieldNames.slice(0, 3)).toEqual(["user", "session_start", "session_end"]);
    expect(sessions.query.schedule).toBe("every 30 minutes");
  });

  describe("refuses bad props, naming the construct, the value and the rule", () => {
    const cases: [string, (p: WindowedAggregateProps) => WindowedAggregateProps, RegExp][] = [
      [
        "a window size that is not whole minutes",
        (p) => ({ ...p, window: WindowKind.tumbling(Duration.seconds(90)) }),
        /test\/bad: window size 1 minute 30 seconds is not a positive whole number of minutes; windows are aligned on whole minutes \(UTC\)/,
      ],
      [
        "a hop longer than the size",
        (p) => ({ ...p, window: WindowKind.hopping(Duration.minutes(1), Duration.minutes(5)) }),
        /hop 5 minutes is longer than the window size 1 minute/,
      ],
      [
        "a size that is not a multiple of the hop",
        (p) => ({ ...p, window: WindowKind.hopping(Duration.minutes(5), Duration.minutes(2)) }),
        /window size 5 minutes is not a whole multiple of the hop 2 minutes/,
      ],
      [
        "a zero session gap",
        (p) => ({ ...p, window: WindowKind.session(Duration.minutes(0)) }),
        /session gap 0 seconds must be a positive whole number of seconds/,
      ],
      [
        "a window that is not a WindowKind",
        (p) => ({ ...p, window: { kind: "tumbling" } as unknown as WindowKind }),
        /test\/bad: window must be a WindowKind \(tumbling, hopping or session\)/,
      ],
      [
        "a measure named like the key",
        (p) => ({ ...p, measure: "WIKI" }),
        /keyColumn and measure are both "WIKI"; the window table needs two columns/,
      ],
      [
        "an event-time column that is not a TIMESTAMP",
        (p) => ({ ...p, timeColumn: "wiki" }),
        /"wiki" of the source is STRING; it must be a TIMESTAMP/,
      ],
      [
        "a horizon that is not whole hours",
        (p) => ({ ...p, sourceHorizon: Duration.minutes(90) }),
        /sourceHorizon 1 hour 30 minutes is not a positive whole number of hours/,
      ],
      [
        "a key the source does not have",
        (p) => ({ ...p, keyColumn: "page" }),
        /keyColumn "page" is not a column of the source test-project.staging.wiki_staged/,
      ],
      [
        "a key that is not a STRING",
        (p) => ({ ...p, keyColumn: "namespace" }),
        /keyColumn "namespace" is INT64; it must be a STRING/,
      ],
      [
        "a measure named like a window column",
        (p) => ({ ...p, measure: "is_final" }),
        /measure "is_final" is a column the window table defines itself/,
      ],
      [
        "a column name that is not one",
        (p) => ({ ...p, measure: "changes; DROP" }),
        /measure "changes; DROP" is not a column name/,
      ],
      [
        "fractional lateness",
        (p) => ({ ...p, allowedLateness: Duration.millis(1500) }),
        /allowedLateness 1 second 500 milliseconds is not a whole number of seconds/,
      ],
      [
        "a horizon shorter than lateness plus size",
        (p) => ({ ...p, window: WindowKind.session(Duration.hours(2)), sourceHorizon: Duration.hours(2) }),
        /sourceHorizon 2 hours is shorter than the allowed lateness plus the window's gap \(2 hours 10 minutes\)/,
      ],
      [
        "a schedule more often than every 10 minutes",
        (p) => ({ ...p, schedule: "every 5 minutes" }),
        /schedule "every 5 minutes" runs every 5 minutes; scheduled queries run at most every 10 minutes/,
      ],
    ];
    test.each(cases)("%s", (_what, edit, message) => {
      const { stack, props } = setup();
      expect(() => new WindowedAggregate(stack, "bad", edit(props))).toThrow(message);
    });
  });
});

describe("sqlScript and scriptStatements", () => {
  test("round trip, ignoring semicolons in comments, strings and quoted names", () => {
    const statements = ["-- a; comment\nSELECT 'a;b' AS `x;y`", 'INSERT INTO t (a) VALUES ("c;d")'];
    const script = sqlScript(statements);
    expect(script).toBe(`${statements[0]};\n\n${statements[1]};`);
    expect(scriptStatements(script)).toEqual(statements);
    expect(scriptStatements("SELECT 1")).toEqual(["SELECT 1"]);
  });
});
