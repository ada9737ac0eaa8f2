/**
 * The staging step of docs/schema-evolution.md on the BigQuery emulator, with the staging load the
 * `local` stack deploys (its scheduled query, run with the emulator adaptations of
 * tools/emulators/emulator-sql.ts): once raw and staging have the new column, today's SQL keeps
 * staging both workers' rows (it names its columns), and the SQL edited as step 1 says stages the
 * new column — NULL for the old worker's events, the event's value for the new one's — each event once.
 */
import { BigQueryEmulator, BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { mergeOnEmulator, scriptOnEmulator } from "../../tools/emulators/emulator-sql";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { WIKI_STAGED_SCHEMA } from "../../schemas/wiki-staged";
import { synthEnvironment } from "../support";
import { projectV1, projectV2, WIKI_CHANGES_V2 } from "./contract-v2";
import { addColumnsOnEmulator, rolloutEvents } from "./rollout";

const { config, json } = synthEnvironment("local");
const PROJECT = config.projectId;
const RAW = { datasetId: `${config.datasetPrefix}raw`, tableId: "wiki_changes" };
const STAGED = { datasetId: `${config.datasetPrefix}staging`, tableId: "wiki_staged" };
const resources = json.resource;
const stagingLoadSql: string = (Object.values(resources.google_bigquery_data_transfer_config) as any[]).find((c) =>
  c.display_name.includes("staging load"),
).params.query;

/** The staging SQL with `minor` selected from raw and inserted: the edit step 1 describes. */
function withMinor(sql: string): string {
  const edits: Array<[string, string]> = [
    [
      "      event_time,\n      _PARTITIONTIME AS ingested_at,",
      "      event_time,\n      minor,\n      _PARTITIONTIME AS ingested_at,",
    ],
    ["`timestamp`, event_time, ingested_at, staged_at)", "`timestamp`, event_time, minor, ingested_at, staged_at)"],
    [
      "    fresh.event_time,\n    fresh.ingested_at,",
      "    fresh.event_time,\n    fresh.minor,\n    fresh.ingested_at,",
    ],
  ];
  return edits.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`the staging SQL no longer contains ${JSON.stringify(from)}`);
    return text.replace(from, to);
  }, sql);
}

let emulator: BigQueryEmulator;
let bq: BigQueryRestClient;
let scratch = 0;

const datasetIdOf = (ref: string) => {
  const match = /^\$\{google_bigquery_dataset\.([^.]+)\.dataset_id\}$/.exec(ref);
  return match ? resources.google_bigquery_dataset[match[1]].dataset_id : ref;
};
/** The synthesized table's partitioning, as the emulator takes it. */
const partitioningOf = (tableId: string) => {
  const table = (Object.values(resources.google_bigquery_table) as any[]).find((t) => t.table_id === tableId);
  const tp = table.time_partitioning;
  return tp ? { type: tp.type, field: tp.field } : undefined;
};

beforeAll(async () => {
  emulator = await startBigQueryEmulator({ projectId: PROJECT });
  bq = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
  for (const dataset of Object.values(resources.google_bigquery_dataset) as any[])
    await bq.createDataset(dataset.dataset_id, dataset.location);
  for (const table of Object.values(resources.google_bigquery_table) as any[]) {
    if (!table.schema || table.view || table.materialized_view) continue;
    await bq.createTable(datasetIdOf(table.dataset_id), table.table_id, {
      schema: { fields: JSON.parse(table.schema) },
      timePartitioning: partitioningOf(table.table_id),
    });
  }
  await bq.createDataset("emulator_scratch", config.location);
}, 120_000);
afterAll(async () => {
  await emulator?.stop();
});

async function stagingLoad(sql: string, runTime: Date): Promise<void> {
  const table = () => `\`${PROJECT}\`.\`emulator_scratch\`.\`merge_source_${++scratch}\``;
  const run = (statement: string) => bq.query(statement);
  if (/;\s*$/.test(sql)) await scriptOnEmulator(sql, runTime, table, run);
  else await mergeOnEmulator(sql, runTime, table(), run);
}

test("today's staging SQL, then the edited one, through a mixed rollout: every event staged once, minor where sent", async () => {
  const events = rolloutEvents(300);
  const oldRows = events.filter((e) => e.writer === "old").map((e) => projectV1(e.data)!);
  const newRows = events.filter((e) => e.writer === "new").map((e) => projectV2(e.data)!);
  const last = Math.max(...events.map((e) => Date.parse(JSON.parse(e.data).meta.dt)));
  const [run1, run2] = [new Date(last + 3_600_000), new Date(last + 2 * 3_600_000)];
  const insert = (rows: typeof oldRows) =>
    bq.insertAll(
      RAW.datasetId,
      RAW.tableId,
      rows.map((r) => r.row),
    );

  await insert(oldRows.slice(0, 50));
  // Release 1: the raw and staging columns (staging's schema is raw's columns, then its own).
  await addColumnsOnEmulator(
    emulator.apiEndpoint,
    PROJECT,
    { ...RAW, timePartitioning: partitioningOf("wiki_changes") },
    WIKI_CHANGES_V2,
  );
  await addColumnsOnEmulator(
    emulator.apiEndpoint,
    PROJECT,
    { ...STAGED, timePartitioning: partitioningOf("wiki_staged") },
    WIKI_CHANGES_V2.withColumns(WIKI_STAGED_SCHEMA.columns.slice(WIKI_CHANGES_SCHEMA.columns.length)),
  );
  await stagingLoad(stagingLoadSql, run1);
  // Release 2: both workers write; the staging SQL selects minor.
  await insert([...oldRows.slice(50), ...newRows]);
  await stagingLoad(withMinor(stagingLoadSql), run2);

  const staged = await bq.query(
    `SELECT event_id, minor, COUNT(*) AS copies FROM \`${PROJECT}.${STAGED.datasetId}.${STAGED.tableId}\` GROUP BY event_id, minor`,
  );
  const expected = [
    ...oldRows.map((r) => [r.eventId, null, 1]),
    ...newRows.map((r) => [r.eventId, (r.row as { minor: boolean | null }).minor, 1]),
  ];
  const byId = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
  expect(staged.rows.map((r) => [r.event_id, r.minor, r.copies]).sort(byId)).toEqual(expected.sort(byId));
  expect(newRows.some((r) => (r.row as { minor: boolean | null }).minor === true)).toBe(true);
});
