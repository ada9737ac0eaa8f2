/**
 * The demo's scanned-bytes estimate on the BigQuery emulator: BigQuery's documented size per data type
 * (STRING 2 + UTF-8 bytes, INT64 and TIMESTAMP 8, BOOL 1, NUMERIC 16, STRUCT its fields, a repeated
 * column its values, NULL 0), computed from the rows the emulator holds.
 */
import * as os from "node:os";
import * as path from "node:path";
import { columnBytes, RunQuery, viewScanParts } from "../../demo/scan-bytes";
import { BigQueryEmulator, BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";

const PROJECT = "scan-bytes-test";
const schema = [
  { name: "s", type: "STRING" },
  { name: "n", type: "INTEGER" },
  { name: "b", type: "BOOLEAN" },
  { name: "t", type: "TIMESTAMP" },
  { name: "d", type: "NUMERIC" },
  { name: "r", type: "INTEGER", mode: "REPEATED" },
  {
    name: "st",
    type: "RECORD",
    fields: [
      { name: "x", type: "STRING" },
      { name: "y", type: "INTEGER" },
    ],
  },
];
const table = { datasetId: "ds", tableId: "sized", schema };

let emulator: BigQueryEmulator;
let bigquery: RunQuery;

beforeAll(async () => {
  emulator = await startBigQueryEmulator({ projectId: PROJECT, logFile: path.join(os.tmpdir(), "scan-bytes-bq.log") });
  const client = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
  bigquery = async (sql) => (await client.query(sql)).rows;
  await client.createDataset("ds");
  await client.createTable("ds", "sized", { schema: { fields: schema } });
  await client.insertAll("ds", "sized", [
    { s: "héllo", n: 1, b: true, t: "2024-06-01T12:00:00Z", d: "1.5", r: [1, 2, 3], st: { x: "ab", y: 7 } },
    { s: null, n: null, b: null, t: null, d: null, r: [], st: null },
  ]);
});

afterAll(async () => {
  await emulator?.stop();
});

test("every column: the documented size of each value, NULL counted as 0", async () => {
  // "héllo" is 6 UTF-8 bytes: 2 + 6; INT64 8; BOOL 1; TIMESTAMP 8; NUMERIC 16; 3 × INT64; STRUCT (2 + 2) + 8.
  expect(await columnBytes(bigquery, PROJECT, { table })).toBe(8 + 8 + 1 + 8 + 16 + 24 + 12);
});

test("only the columns a query reads", async () => {
  expect(await columnBytes(bigquery, PROJECT, { table, columns: ["s", "n"] })).toBe(8 + 8);
  expect(await columnBytes(bigquery, PROJECT, { table, columns: ["b"] })).toBe(1);
});

test("a subquery standing in for a table (the materialized view on the emulator)", async () => {
  const from = "(SELECT 'abc' AS `user`, 5 AS changes_count UNION ALL SELECT 'de', 2)";
  const mv = {
    datasetId: "",
    tableId: "mv",
    schema: [
      { name: "user", type: "STRING" },
      { name: "changes_count", type: "INT64" },
    ],
  };
  expect(await columnBytes(bigquery, PROJECT, { table: mv, from })).toBe(2 + 3 + 8 + 2 + 2 + 8);
});

test("a view's parts: the tables it names and the columns of each it mentions", () => {
  const other = { datasetId: "ds", tableId: "other", schema: [{ name: "s", type: "STRING" }] };
  const sql = "-- comment naming b and d\nSELECT s, n FROM `scan-bytes-test`.`ds`.`sized` WHERE st.x = 'a'";
  expect(viewScanParts(sql, PROJECT, [table, other])).toEqual([{ table, columns: ["s", "n", "st"] }]);
});
