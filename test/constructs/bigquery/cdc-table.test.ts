import { TerraformVariable } from "cdktf";
import { BigqueryJob } from "@cdktf/provider-google/lib/bigquery-job";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { CdcTable, CdcTableProps, recommendedMaxStaleness } from "../../../constructs/bigquery/cdc-table";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { Duration } from "../../../constructs/core/duration";
import { Partitioning } from "../../../constructs/bigquery/table-options";
import { ColumnType, TableSchema } from "../../../schemas/table-schema";
import { WIDE_EVENTS_SCHEMA, newDataset, newStack, synth, synthStack } from "../../support";

const EMPLOYEES = new TableSchema(
  [
    { name: "id", type: "INT64", mode: "REQUIRED" },
    { name: "name", type: "STRING" },
    { name: "salary", type: "NUMERIC" },
  ],
  { name: "employees" },
);

function cdc(props: Partial<CdcTableProps> = {}) {
  const stack = newStack();
  const dataset = newDataset(stack);
  const table = new CdcTable(stack, "employees", {
    dataset,
    tableId: "employees",
    schema: EMPLOYEES,
    primaryKey: ["id"],
    maxStaleness: Duration.minutes(10),
    ...props,
  });
  return { stack, table };
}

function resources(props: Partial<CdcTableProps> = {}): { table: any; jobs: any[] } {
  const out = synthStack(cdc(props).stack).resource;
  return { table: Object.values(out.google_bigquery_table)[0], jobs: Object.values(out.google_bigquery_job ?? {}) };
}

/** 17 INT64 columns k0..k16. */
const WIDE = new TableSchema(
  Array.from({ length: 17 }, (_, i) => ({ name: `k${i}`, type: "INT64" as const })),
  { name: "wide" },
);

describe("Duration as BigQuery's INTERVAL (max_staleness)", () => {
  test.each([
    [Duration.minutes(10), "0-0 0 0:10:0"],
    [Duration.seconds(0), "0-0 0 0:0:0"],
    [Duration.seconds(59), "0-0 0 0:0:59"],
    [Duration.hours(4), "0-0 0 4:0:0"],
    [Duration.minutes(90), "0-0 0 1:30:0"],
    [Duration.days(1), "0-0 1 0:0:0"],
    [Duration.seconds(93_784), "0-0 1 2:3:4"],
  ])("%j renders as BigQuery INTERVAL %s", (duration, interval) => {
    expect(duration.toBigQueryInterval()).toBe(interval);
  });

  test("human-readable form and equality", () => {
    expect(Duration.seconds(93_784).toHumanString()).toBe("1 day 2 hours 3 minutes 4 seconds");
    expect(Duration.minutes(1).toHumanString()).toBe("1 minute");
    expect(Duration.minutes(60).equals(Duration.hours(1))).toBe(true);
    expect(Duration.minutes(15).toMinutes()).toBe(15);
  });

  test("rejects negative and non-finite durations", () => {
    expect(() => Duration.minutes(-1)).toThrow("Duration: -1 minutes is not a non-negative finite length of time");
    expect(() => Duration.seconds(Number.NaN)).toThrow(
      "Duration: NaN seconds is not a non-negative finite length of time",
    );
  });
});

describe("recommendedMaxStaleness", () => {
  test.each([
    [0, 7],
    [1, 8],
    [30, 8],
    [150, 12],
    [151, 13],
    [600, 27],
  ])("p95 apply of %ss → %s minutes (2 × p95 in minutes, rounded up, + 7)", (p95, minutes) => {
    expect(recommendedMaxStaleness(p95).toSeconds()).toBe(minutes * 60);
  });

  test("rejects a negative p95", () => {
    expect(() => recommendedMaxStaleness(-1)).toThrow(
      "recommendedMaxStaleness: p95ApplySeconds is -1; it must be a non-negative number of seconds",
    );
  });
});

describe("CdcTable", () => {
  test("declares the primary key NOT ENFORCED, max_staleness as an INTERVAL and clusters by the key", () => {
    const { stack, table } = cdc();
    expect(table.primaryKey).toEqual(["id"]);
    expect(table.maxStalenessInterval).toBe("0-0 0 0:10:0");
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryTable, {
      table_id: "employees",
      table_constraints: { primary_key: { columns: ["id"] } },
      max_staleness: "0-0 0 0:10:0",
      clustering: ["id"],
      deletion_protection: true,
    });
    const { table: resource } = resources();
    expect(resource.time_partitioning).toBeUndefined();
    expect(resource.require_partition_filter).toBeUndefined();
  });

  test("a google_bigquery_job applies max_staleness with ALTER TABLE (the provider may drop it)", () => {
    const { stack } = cdc();
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryJob, {
      location: "US",
      query: {
        query: expect.stringMatching(
          /^ALTER TABLE `\$\{google_bigquery_table\.employees_table_[0-9A-F]+\.project\}\.\$\{google_bigquery_table\.employees_table_[0-9A-F]+\.dataset_id\}\.\$\{google_bigquery_table\.employees_table_[0-9A-F]+\.table_id\}` SET OPTIONS \(max_staleness = INTERVAL '0-0 0 0:10:0' YEAR TO SECOND\)$/,
        ),
        use_legacy_sql: false,
        create_disposition: "",
        write_disposition: "",
      },
    });
  });

  test("the job id changes with the value and with the table's creation time, and only then", () => {
    const jobId = (minutes: number) => resources({ maxStaleness: Duration.minutes(minutes) }).jobs[0].job_id as string;
    expect(jobId(10)).toMatch(
      /^fresh_streams_max_staleness_employees_[0-9a-f]{10}_\$\{google_bigquery_table\.employees_table_[0-9A-F]+\.creation_time\}$/,
    );
    expect(jobId(10)).toBe(jobId(10));
    expect(jobId(15)).not.toBe(jobId(10));
  });

  test("the job id also changes with the labels (a job's labels force its replacement, and job ids are single-use)", () => {
    const jobId = (labels: Record<string, string>) => resources({ labels }).jobs[0].job_id as string;
    expect(jobId({ env: "dev" })).toBe(jobId({ env: "dev" }));
    expect(jobId({ env: "dev", team: "data" })).not.toBe(jobId({ env: "dev" }));
    expect(resources({ labels: { env: "dev" } }).jobs[0].labels).toEqual({ env: "dev", purpose: "max-staleness" });
  });

  test("max staleness 0 is allowed, with a warning that the BACKGROUND reservation goes unused", () => {
    const { table } = cdc({ maxStaleness: Duration.seconds(0) });
    expect(table.maxStalenessInterval).toBe("0-0 0 0:0:0");
    const warnings = table.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings).toEqual([
      expect.stringContaining("maxStaleness is 0: every query merges pending changes at run time"),
    ]);
    expect(cdc().table.node.metadata.filter((m) => m.type === "@cdktf/warn")).toHaveLength(0);
  });

  test("a Terraform variable as the staleness amount: Terraform computes the INTERVAL and the job id's hash", () => {
    const stack = newStack();
    const minutes = new TerraformVariable(stack, "staleness_minutes", { type: "number" });
    new CdcTable(stack, "employees", {
      dataset: newDataset(stack),
      tableId: "employees",
      schema: EMPLOYEES,
      primaryKey: ["id"],
      maxStaleness: Duration.minutes(minutes.numberValue),
    });
    const out = synthStack(stack).resource;
    const [table] = Object.values(out.google_bigquery_table) as any[];
    const [job] = Object.values(out.google_bigquery_job) as any[];
    expect(table.max_staleness).toBe("0-0 0 0:0:${(var.staleness_minutes * 60)}");
    expect(job.query.query).toContain("INTERVAL '0-0 0 0:0:${(var.staleness_minutes * 60)}' YEAR TO SECOND");
    expect(job.job_id).toMatch(/^fresh_streams_max_staleness_employees_\$\{substr\(sha256\(join\(/);
    expect(job.job_id).toContain("(var.staleness_minutes * 60)");
  });

  test("on the provider's project (a token): the job id is stable (a new table has a new creation_time anyway)", () => {
    const stack = newStack();
    const dataset = new LayeredDataset(stack, "raw", { datasetId: "raw", layer: "raw", location: "US" });
    new CdcTable(stack, "employees", {
      dataset,
      tableId: "employees",
      schema: EMPLOYEES,
      primaryKey: ["id"],
      maxStaleness: Duration.minutes(10),
    });
    const [job] = Object.values(synthStack(stack).resource.google_bigquery_job) as any[];
    expect(job.job_id).toMatch(
      /^fresh_streams_max_staleness_employees_[0-9a-f]{10}_\$\{google_bigquery_table\.employees_table_[0-9A-F]+\.creation_time\}$/,
    );
  });

  test("enforceMaxStaleness: false leaves only the table option", () => {
    const { table, jobs } = resources({ enforceMaxStaleness: false });
    expect(jobs).toHaveLength(0);
    expect(table.max_staleness).toBe("0-0 0 0:10:0");
  });

  test("default clustering keeps the first 4 key columns (every key type is clusterable); explicit clustering wins", () => {
    const schema = new TableSchema(
      [
        { name: "a", type: "STRING" },
        { name: "f", type: "NUMERIC" },
        { name: "b", type: "INT64" },
        { name: "c", type: "DATE" },
        { name: "d", type: "BOOL" },
        { name: "e", type: "STRING" },
      ],
      { name: "keys" },
    );
    expect(resources({ schema, primaryKey: ["a", "f", "b", "c", "d", "e"] }).table.clustering).toEqual([
      "a",
      "f",
      "b",
      "c",
    ]);
    expect(resources({ schema, primaryKey: ["a", "b"], clustering: ["e"] }).table.clustering).toEqual(["e"]);
  });

  test("a 16-column key is accepted", () => {
    const key = Array.from({ length: 16 }, (_, i) => `k${i}`);
    expect(resources({ schema: WIDE, primaryKey: key }).table.table_constraints.primary_key.columns).toEqual(key);
  });

  test("partitioning is optional and validated like any table", () => {
    const { table } = resources({
      schema: WIDE_EVENTS_SCHEMA,
      primaryKey: ["event_id"],
      partitioning: Partitioning.column("event_time"),
    });
    expect(table.time_partitioning).toEqual({ type: "DAY", field: "event_time" });
  });

  describe("validation (each message names the construct and the rule)", () => {
    test("17 key columns", () => {
      expect(() => cdc({ schema: WIDE, primaryKey: Array.from({ length: 17 }, (_, i) => `k${i}`) })).toThrow(
        "test/employees: primary key has 17 columns; BigQuery allows at most 16",
      );
    });
    test("an empty key", () => {
      expect(() => cdc({ primaryKey: [] })).toThrow(
        "test/employees: primary key is empty; a CDC table needs 1 to 16 key columns",
      );
    });
    test("a key column that does not exist", () => {
      expect(() => cdc({ primaryKey: ["employee_id"] })).toThrow(
        'test/employees: primary key column "employee_id" does not exist in schema employees (columns: id, name, salary)',
      );
    });
    test("a REPEATED key column", () => {
      expect(() => cdc({ schema: WIDE_EVENTS_SCHEMA, primaryKey: ["tags"] })).toThrow(
        'test/employees: primary key column "tags" is REPEATED; key columns must be non-repeated',
      );
    });
    // https://cloud.google.com/datastream/docs/destination-bigquery (Known limitations): "Primary keys in
    // BigQuery must be of the following data types: DATE, BOOL, GEOGRAPHY, INT64, NUMERIC, BIGNUMERIC,
    // STRING, TIMESTAMP, DATETIME".
    test.each([
      ["score", "FLOAT64"],
      ["payload", "JSON"],
      ["geo", "RECORD"],
    ])("a key column of a type BigQuery refuses for primary keys (%s, %s)", (column, type) => {
      expect(() => cdc({ schema: WIDE_EVENTS_SCHEMA, primaryKey: ["event_id", column] })).toThrow(
        `test/employees: primary key column "${column}" has type ${type}; BigQuery primary key columns are DATE, BOOL, GEOGRAPHY, INT64, NUMERIC, BIGNUMERIC, STRING, TIMESTAMP, DATETIME`,
      );
    });
    test("every key type BigQuery accepts is accepted", () => {
      const schema = new TableSchema(
        ["DATE", "BOOL", "GEOGRAPHY", "INT64", "NUMERIC", "BIGNUMERIC", "STRING", "TIMESTAMP", "DATETIME"].map(
          (type) => ({ name: `k_${type.toLowerCase()}`, type: type as ColumnType }),
        ),
        { name: "keys" },
      );
      expect(() => cdc({ schema, primaryKey: schema.fieldNames })).not.toThrow();
    });
    test("a nested key column", () => {
      expect(() => cdc({ schema: WIDE_EVENTS_SCHEMA, primaryKey: ["geo.country"] })).toThrow(
        'test/employees: primary key column "geo.country" is a nested field',
      );
    });
    test("a key column listed twice", () => {
      expect(() => cdc({ primaryKey: ["id", "ID"] })).toThrow(
        'test/employees: primary key column "ID" is listed twice',
      );
    });
    test("max staleness beyond BigQuery's INTERVAL range", () => {
      expect(() => cdc({ maxStaleness: Duration.days(3_660_001) })).toThrow(
        "test/employees: maxStaleness is 3660001 days; BigQuery's INTERVAL accepts 0 seconds to 3660000 days",
      );
      expect(() => cdc({ maxStaleness: Duration.days(3_660_000) })).not.toThrow();
    });
    test("requirePartitionFilter (not supported once queries fall back to runtime merges)", () => {
      expect(() =>
        cdc({
          schema: WIDE_EVENTS_SCHEMA,
          primaryKey: ["event_id"],
          partitioning: Partitioning.column("event_time"),
          requirePartitionFilter: true,
        }),
      ).toThrow(
        "test/employees: requirePartitionFilter is true; CDC tables whose queries fall back to runtime merge jobs do not support the requirePartitionFilter option",
      );
    });
    test("more than 2,000 top-level columns", () => {
      const wide = new TableSchema(
        Array.from({ length: 2001 }, (_, i) => ({ name: `c${i}`, type: "INT64" as const })),
        { name: "very_wide" },
      );
      expect(() => cdc({ schema: wide, primaryKey: ["c0"] })).toThrow(
        "test/employees: schema has 2001 top-level columns; tables with active CDC allow at most 2000",
      );
    });
    test("max staleness that is not a Duration", () => {
      expect(() => cdc({ maxStaleness: "10 minutes" as never })).toThrow(
        'test/employees: maxStaleness must be a Duration (e.g. Duration.days(7)), got "10 minutes"',
      );
    });
    test("max staleness that is not a whole number of seconds (INTERVAL literals here have whole seconds)", () => {
      expect(() => cdc({ maxStaleness: Duration.millis(1500) })).toThrow(
        "test/employees: maxStaleness is 1 second 500 milliseconds; it must be a whole number of seconds",
      );
    });
    test("a clustering column that does not exist", () => {
      expect(() => cdc({ clustering: ["department"] })).toThrow(
        'test/employees: clustering column "department" does not exist in schema employees',
      );
    });
  });
});
