/**
 * The SQL behind the SQL-sourced alerts, as the local stack deploys it (the health checks'
 * scheduled queries), run on the BigQuery emulator against rows with a known answer: events
 * beyond the staging lookback, duplicates that survived into staging, and how far staging is
 * behind raw. A value above the threshold fails the query with the marker the log-based metric
 * counts; a value within it returns the row the check appends to `health_checks`.
 *
 * Not run here: the CDC staleness check (the emulator has no CDC apply and no
 * INFORMATION_SCHEMA.TABLES.upsert_stream_apply_watermark; ZetaSQL analyzes it instead). As in
 * the staging-load test, the emulator evaluates `_PARTITIONTIME` to the time of the query, so every
 * raw row "arrives" now: the late-arrival delay is measured from event_time alone.
 */
import { HEALTH_CHECK_MARKER } from "../../../constructs/monitoring/sql-health-check";
import {
  BigQueryEmulator,
  BigQueryRestClient,
  startBigQueryEmulator,
} from "../../../tools/emulators/bigquery-emulator";
import { synthEnvironment } from "../../support";

const { config, stack, json } = synthEnvironment("local");
const PROJECT = config.projectId;
const HOUR = 3_600_000;
const NOW = Date.now();

let emulator: BigQueryEmulator;
let bq: BigQueryRestClient;

/** The deployed query of a health check (its transfer config's params.query). */
function checkQuery(checkId: "elt-freshness" | "quality-late-events" | "quality-staging-duplicates"): string {
  const check = stack.monitoring!.checks[checkId]!;
  return json.resource.google_bigquery_data_transfer_config[check.query.resource.friendlyUniqueId].params.query;
}

function valueQuery(checkId: "elt-freshness" | "quality-late-events" | "quality-staging-duplicates"): string {
  const sql = stack.monitoring!.checks[checkId]!.valueQuery;
  expect(sql).not.toMatch(/\$\{/); // literal names only, as the emulator needs
  return sql;
}

function row(eventId: string, user: string, hoursAgo: number, extra: Record<string, unknown> = {}) {
  const at = new Date(NOW - hoursAgo * HOUR).toISOString();
  return {
    event_id: eventId,
    id: Number(eventId.replace(/\D/g, "")),
    type: "edit",
    wiki: "enwiki",
    user,
    title: `Page ${eventId}`,
    bot: false,
    namespace: 0,
    timestamp: at,
    event_time: at,
    ...extra,
  };
}

const staged = (eventId: string, user: string, hoursAgo: number) =>
  row(eventId, user, hoursAgo, { ingested_at: new Date(NOW).toISOString(), staged_at: new Date(NOW).toISOString() });

const value = async (checkId: Parameters<typeof valueQuery>[0]) =>
  Number((await bq.query(valueQuery(checkId))).rows[0].value);

beforeAll(async () => {
  emulator = await startBigQueryEmulator({ projectId: PROJECT });
  bq = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
  for (const table of [stack.warehouse.wikiChanges, stack.warehouse.wikiStaged]) {
    const body = (Object.values(json.resource.google_bigquery_table) as any[]).find(
      (t) => t.table_id === table.tableId,
    );
    await bq.createDataset(table.datasetId, config.location);
    await bq.createTable(table.datasetId, table.tableId, {
      schema: { fields: JSON.parse(body.schema) },
      timePartitioning: body.time_partitioning
        ? { type: body.time_partitioning.type, field: body.time_partitioning.field }
        : undefined,
    });
  }
  const raw = stack.warehouse.wikiChanges;
  await bq.insertAll(raw.datasetId, raw.tableId, [
    row("e1", "alice", 1),
    row("e1", "alice", 1), // a duplicate in raw: expected, the staging load removes it
    row("e2", "bob", 2),
    row("e3", "carol", 50), // beyond the 48-hour lookback
    row("e4", "dave", 60), // beyond the lookback
  ]);
  const stagedTable = stack.warehouse.wikiStaged;
  await bq.insertAll(stagedTable.datasetId, stagedTable.tableId, [
    staged("e1", "alice", 1),
    staged("e2", "bob", 2),
    staged("e2", "bob", 2), // a duplicate that survived into staging
  ]);
}, 20 * 60_000);

afterAll(async () => {
  await emulator?.stop();
});

describe("SQL health checks on the BigQuery emulator", () => {
  test("the local lookback is 48 hours (the fixture's late rows depend on it)", () => {
    expect(config.elt.lookbackHours).toBe(48);
  });

  test("quality-late-events: SUM(beyond_lookback) of sql/quality/late_arrivals.sql counts the two events older than the lookback", async () => {
    expect(await value("quality-late-events")).toBe(2);
  });

  test("quality-staging-duplicates: surplus rows in staging", async () => {
    expect(await value("quality-staging-duplicates")).toBe(1);
  });

  test("elt-freshness: staging has the newest raw event in the window: lag 0", async () => {
    expect(await value("elt-freshness")).toBe(0);
  });

  test("a check above its threshold fails with the marker and the value; within it, it returns its row", async () => {
    await expect(bq.query(checkQuery("quality-late-events"))).rejects.toThrow(
      new RegExp(`${HEALTH_CHECK_MARKER} quality-late-events: value 2(\\.0)? exceeds 0`),
    );
    await expect(bq.query(checkQuery("quality-staging-duplicates"))).rejects.toThrow(
      new RegExp(`${HEALTH_CHECK_MARKER} quality-staging-duplicates: value 1(\\.0)? exceeds 0`),
    );
    const { rows } = await bq.query(checkQuery("elt-freshness"));
    expect(rows).toEqual([
      expect.objectContaining({ check_id: "elt-freshness", value: 0, threshold: 3600, breached: false }),
    ]);
  });

  test("elt-freshness: a raw event 50 minutes newer than anything staged gives a lag of 3000 s", async () => {
    const raw = stack.warehouse.wikiChanges;
    await bq.insertAll(raw.datasetId, raw.tableId, [row("e5", "erin", 1 - 50 / 60)]);
    expect(await value("elt-freshness")).toBe(3000);
  });
});
