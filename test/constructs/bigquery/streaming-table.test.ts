import { TerraformVariable } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { ReportingTable } from "../../../constructs/bigquery/reporting-table";
import { StreamingTable, StreamingTableProps } from "../../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../../constructs/bigquery/table-options";
import { Duration } from "../../../constructs/core/duration";
import { IGrantable, Principal } from "../../../constructs/core/principal";
import { WIDE_EVENTS_SCHEMA, newDataset, newStack, synth, synthStack } from "../../support";
import { TableSchema } from "../../../schemas/table-schema";

function table(props: Partial<StreamingTableProps> = {}) {
  const stack = newStack();
  const dataset = newDataset(stack);
  const t = new StreamingTable(stack, "events", { dataset, tableId: "events", schema: WIDE_EVENTS_SCHEMA, ...props });
  return { stack, dataset, table: t };
}

function tableResource(props: Partial<StreamingTableProps> = {}): any {
  const { stack } = table(props);
  const [resource] = Object.values(synthStack(stack).resource.google_bigquery_table) as any[];
  return resource;
}

/** A schema whose only time and integer columns are REPEATED. */
const REPEATED_TIMES = new TableSchema(
  [
    { name: "event_id", type: "STRING", mode: "REQUIRED" },
    { name: "seen_at", type: "TIMESTAMP", mode: "REPEATED" },
    { name: "shards", type: "INT64", mode: "REPEATED" },
  ],
  { name: "events" },
);

describe("StreamingTable", () => {
  test("defaults: ingestion-time DAY partitioning, no partition filter required, deletion protection on", () => {
    const { stack, table: t } = table();
    expect(t.tableId).toBe("events");
    expect(t.datasetId).toBe("raw");
    expect(t.project).toBe("test-project");
    expect(t.fqn).toBe("test-project.raw.events");
    expect(t.fqnRef).toMatch(/\$\{TfToken\[/);
    expect(t.tableIdRef).toMatch(/\$\{TfToken\[/);
    expect(t.location).toBe("US");
    expect(t.partitioning).toEqual({ type: "INGESTION_TIME", granularity: "DAY" });
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryTable, {
      table_id: "events",
      project: "test-project",
      time_partitioning: { type: "DAY" },
      require_partition_filter: false,
      deletion_protection: true,
      labels: { layer: "raw" },
      schema: WIDE_EVENTS_SCHEMA.toJsonString(),
    });
    const resource = tableResource();
    expect(resource.clustering).toBeUndefined();
    expect(resource.range_partitioning).toBeUndefined();
  });

  test("the table references its dataset, so Terraform creates the dataset first", () => {
    expect(tableResource().dataset_id).toMatch(/^\$\{google_bigquery_dataset\.raw_dataset_[0-9A-F]+\.dataset_id\}$/);
  });

  test("column partitioning by DATE(event_time) with clustering and partition expiration", () => {
    const { stack } = table({
      partitioning: Partitioning.column("event_time", "DAY"),
      clustering: ["user", "event_type"],
      partitionExpiration: Duration.days(365),
      deletionProtection: false,
      description: "events",
      labels: { owner: "team-a" },
    });
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryTable, {
      time_partitioning: { type: "DAY", field: "event_time", expiration_ms: 365 * 86_400_000 },
      clustering: ["user", "event_type"],
      require_partition_filter: false,
      deletion_protection: false,
      description: "events",
      labels: { layer: "raw", owner: "team-a" },
    });
  });

  test.each([
    [Partitioning.ingestionTime("HOUR"), { type: "HOUR" }],
    [Partitioning.ingestionTime("MONTH"), { type: "MONTH" }],
    [Partitioning.column("event_date", "YEAR"), { type: "YEAR", field: "event_date" }],
    [Partitioning.column("event_dt", "HOUR"), { type: "HOUR", field: "event_dt" }],
  ])("time partitioning %j", (partitioning, expected) => {
    expect(tableResource({ partitioning }).time_partitioning).toEqual(expected);
  });

  test("integer-range partitioning", () => {
    const resource = tableResource({
      partitioning: Partitioning.integerRange("shard", 0, 100, 10),
      requirePartitionFilter: true,
    });
    expect(resource.range_partitioning).toEqual({ field: "shard", range: { start: 0, end: 100, interval: 10 } });
    expect(resource.time_partitioning).toBeUndefined();
    expect(resource.require_partition_filter).toBe(true);
  });

  test("no partitioning: no partition blocks and no require_partition_filter", () => {
    const resource = tableResource({ partitioning: Partitioning.none() });
    expect(resource.time_partitioning).toBeUndefined();
    expect(resource.range_partitioning).toBeUndefined();
    expect(resource.require_partition_filter).toBeUndefined();
  });

  test("clustering column names are matched case-insensitively and rendered as declared", () => {
    expect(tableResource({ clustering: ["USER"] }).clustering).toEqual(["user"]);
  });

  test("a table-level CMEK key", () => {
    expect(
      tableResource({ kmsKeyName: "projects/p/locations/us/keyRings/r/cryptoKeys/k" }).encryption_configuration,
    ).toEqual({
      kms_key_name: "projects/p/locations/us/keyRings/r/cryptoKeys/k",
    });
  });

  test("a Terraform variable as the partition expiration's amount synthesizes an expression, not a number", () => {
    const stack = newStack();
    const days = new TerraformVariable(stack, "partition_days", { type: "number" });
    new StreamingTable(stack, "events", {
      dataset: newDataset(stack),
      tableId: "events",
      schema: WIDE_EVENTS_SCHEMA,
      partitionExpiration: Duration.days(days.numberValue),
    });
    const [resource] = Object.values(synthStack(stack).resource.google_bigquery_table) as any[];
    expect(resource.time_partitioning.expiration_ms).toBe("${(var.partition_days * 86400000)}");
  });

  test("in an imported dataset: named by its literal id, without a layer label", () => {
    const stack = newStack();
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "shared", {
      project: "other-project",
      datasetId: "shared",
      location: "EU",
    });
    const t = new StreamingTable(stack, "events", { dataset, tableId: "events", schema: WIDE_EVENTS_SCHEMA });
    expect(t.fqn).toBe("other-project.shared.events");
    expect(t.location).toBe("EU");
    expect(t.dataset).toBe(dataset);
    const [resource] = Object.values(synthStack(stack).resource.google_bigquery_table) as any[];
    expect(resource).toMatchObject({ project: "other-project", dataset_id: "shared" });
    expect(resource.labels ?? {}).toEqual({});
  });

  test("grantRead / grantWrite add table-level members naming the table by reference", () => {
    const { stack, table: t } = table();
    t.grantWrite(Principal.serviceAccount("service-1@gcp-sa-pubsub.iam.gserviceaccount.com"));
    t.grantRead(Principal.group("analysts@example.com"));
    const out = synth(stack);
    expect(out).toHaveResourceWithProperties(BigqueryTableIamMember, {
      role: "roles/bigquery.dataEditor",
      member: "serviceAccount:service-1@gcp-sa-pubsub.iam.gserviceaccount.com",
      table_id: expect.stringMatching(/^\$\{google_bigquery_table\.events_table_[0-9A-F]+\.table_id\}$/),
      dataset_id: expect.stringMatching(/^\$\{google_bigquery_table\.events_table_[0-9A-F]+\.dataset_id\}$/),
    });
    expect(out).toHaveResourceWithProperties(BigqueryTableIamMember, {
      role: "roles/bigquery.dataViewer",
      member: "group:analysts@example.com",
    });
  });

  test("grants are idempotent and refuse public members", () => {
    const { stack, table: t } = table();
    const analysts = Principal.group("analysts@example.com");
    expect(t.grantRead(analysts)).toBe(t.grantRead(Principal.group("analysts@example.com")));
    expect(t.grantWrite(analysts)).not.toBe(t.grantRead(analysts));
    expect(Object.keys(synthStack(stack).resource.google_bigquery_table_iam_member)).toHaveLength(2);
    expect(() => Principal.fromMember("allUsers")).toThrow('refusing the public member "allUsers"');
    const publicGrantee: IGrantable = { grantPrincipal: { iamMember: "allUsers" } };
    expect(() => t.grantRead(publicGrantee)).toThrow('test/events: refusing to grant access to "allUsers"');
    expect(() => t.grantWrite({ grantPrincipal: { iamMember: "allAuthenticatedUsers" } })).toThrow(
      'test/events: refusing to grant access to "allAuthenticatedUsers"',
    );
  });

  describe("validation (each message names the construct and the rule)", () => {
    test.each<[string, Partial<StreamingTableProps>, string]>([
      [
        "unknown clustering column",
        { clustering: ["nope"] },
        'test/events: clustering column "nope" does not exist in schema events',
      ],
      [
        "nested clustering column",
        { clustering: ["geo.country"] },
        'test/events: clustering column "geo.country" is a nested field; BigQuery only allows top-level columns here',
      ],
      [
        "non-clusterable JSON column",
        { clustering: ["payload"] },
        'test/events: clustering column "payload" has type JSON, which BigQuery cannot cluster on',
      ],
      [
        "non-clusterable FLOAT64 column",
        { clustering: ["score"] },
        'clustering column "score" has type FLOAT64, which BigQuery cannot cluster on',
      ],
      [
        "RECORD clustering column",
        { clustering: ["geo"] },
        'clustering column "geo" has type RECORD, which BigQuery cannot cluster on',
      ],
      // https://cloud.google.com/bigquery/docs/partitioned-tables: "While the mode of the column can be
      // REQUIRED or NULLABLE, it cannot be REPEATED".
      [
        "REPEATED time-unit partitioning column",
        { schema: REPEATED_TIMES, partitioning: Partitioning.column("seen_at") },
        'test/events: partitioning column "seen_at" is REPEATED; BigQuery partitions only on a REQUIRED or NULLABLE column',
      ],
      [
        "REPEATED integer-range partitioning column",
        { schema: REPEATED_TIMES, partitioning: Partitioning.integerRange("shards", 0, 100, 10) },
        'test/events: partitioning column "shards" is REPEATED; BigQuery partitions only on a REQUIRED or NULLABLE column',
      ],
      [
        "REPEATED clustering column",
        { clustering: ["tags"] },
        'test/events: clustering column "tags" is REPEATED; BigQuery clusters only on non-repeated columns',
      ],
      [
        "more than 4 clustering columns",
        { clustering: ["user", "event_type", "event_id", "region", "shard"] },
        "test/events: clustering has 5 columns (user, event_type, event_id, region, shard); BigQuery allows at most 4",
      ],
      [
        "duplicate clustering column",
        { clustering: ["user", "USER"] },
        'test/events: clustering column "USER" is listed twice',
      ],
      [
        "unknown partitioning column",
        { partitioning: Partitioning.column("created") },
        'test/events: partitioning column "created" does not exist in schema events',
      ],
      [
        "STRING partitioning column",
        { partitioning: Partitioning.column("user") },
        'test/events: partitioning column "user" has type STRING; time-unit partitioning needs a DATE, TIMESTAMP or DATETIME column',
      ],
      [
        "HOUR partitioning of a DATE column",
        { partitioning: Partitioning.column("event_date", "HOUR") },
        'test/events: partitioning column "event_date" is a DATE; HOUR partitioning needs a TIMESTAMP or DATETIME column',
      ],
      [
        "bad granularity",
        { partitioning: { type: "TIME_COLUMN", column: "event_time", granularity: "WEEK" as never } },
        'test/events: partitioning granularity "WEEK" is invalid; expected HOUR, DAY, MONTH or YEAR',
      ],
      [
        "integer-range on a STRING column",
        { partitioning: Partitioning.integerRange("user", 0, 10, 1) },
        'test/events: integer-range partitioning column "user" has type STRING; it must be INT64',
      ],
      [
        "integer-range with end <= start",
        { partitioning: Partitioning.integerRange("shard", 10, 10, 1) },
        "test/events: integer-range partitioning end (10) must be greater than start (10)",
      ],
      [
        "integer-range with interval 0",
        { partitioning: Partitioning.integerRange("shard", 0, 10, 0) },
        "test/events: integer-range partitioning interval is 0; it must be positive",
      ],
      [
        "integer-range with too many partitions",
        { partitioning: Partitioning.integerRange("shard", 0, 10_001, 1) },
        "test/events: integer-range partitioning creates 10001 partitions; BigQuery allows at most 10000 per table",
      ],
      [
        "requirePartitionFilter on an unpartitioned table",
        { partitioning: Partitioning.none(), requirePartitionFilter: true },
        "test/events: requirePartitionFilter is true but the table is not partitioned; a partition filter needs partitions",
      ],
      [
        "partition expiration without partitioning",
        { partitioning: Partitioning.none(), partitionExpiration: Duration.days(30) },
        "test/events: partitionExpiration is set (30 days) but the table is not partitioned; partition expiration needs time partitioning",
      ],
      [
        "partition expiration with integer-range partitioning",
        { partitioning: Partitioning.integerRange("shard", 0, 10, 1), partitionExpiration: Duration.days(30) },
        "but the table is integer-range partitioned; partition expiration needs time partitioning",
      ],
      [
        "non-positive partition expiration",
        { partitionExpiration: Duration.seconds(0) },
        "test/events: partitionExpiration is 0 seconds; it must be positive",
      ],
      [
        "partition expiration that is not a Duration",
        { partitionExpiration: 30 as never },
        "test/events: partitionExpiration must be a Duration (e.g. Duration.days(7)), got 30",
      ],
      [
        "invalid table id",
        { tableId: "events.v2" },
        'test/events: table id "events.v2" is invalid; use letters, marks, numbers, underscores, dashes and spaces only',
      ],
      ["invalid label", { labels: { "Bad Key": "x" } }, 'test/events: label key "Bad Key" is invalid'],
    ])("%s", (_name, props, message) => {
      expect(() => table(props)).toThrow(message);
    });

    test("a table id longer than 1,024 bytes", () => {
      expect(() => table({ tableId: "é".repeat(513) })).toThrow("is 1026 bytes long; BigQuery allows at most 1024");
    });

    test("a partitioning column inside a RECORD", () => {
      expect(() => table({ partitioning: Partitioning.column("geo.country") })).toThrow(
        'test/events: partitioning column "geo.country" is a nested field; BigQuery only allows top-level columns here',
      );
    });
  });
});

describe("ReportingTable", () => {
  test("an unpartitioned table by default, validated like any table", () => {
    const stack = newStack();
    const dataset = newDataset(stack, { datasetId: "reporting", layer: "reporting" });
    const t = new ReportingTable(stack, "leaderboard", {
      dataset,
      tableId: "leaderboard",
      schema: WIDE_EVENTS_SCHEMA,
      clustering: ["user"],
    });
    expect(t.fqn).toBe("test-project.reporting.leaderboard");
    expect(t.partitioning).toEqual({ type: "NONE" });
    const [resource] = Object.values(synthStack(stack).resource.google_bigquery_table) as any[];
    expect(resource.time_partitioning).toBeUndefined();
    expect(resource.require_partition_filter).toBeUndefined();
    expect(resource.clustering).toEqual(["user"]);
    expect(resource.labels).toEqual({ layer: "reporting" });
    expect(
      () =>
        new ReportingTable(stack, "bad", {
          dataset,
          tableId: "bad",
          schema: WIDE_EVENTS_SCHEMA,
          clustering: ["payload"],
        }),
    ).toThrow('test/bad: clustering column "payload" has type JSON, which BigQuery cannot cluster on');
  });
});
