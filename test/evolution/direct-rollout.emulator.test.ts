/**
 * A mixed rollout that writes BigQuery directly, on the BigQuery emulator (goccy/bigquery-emulator):
 * - `SINK=storage-write`: an old and a new worker's BigQuerySink, each with its StorageWriteWriter
 *   opened on the contract it was built with, write wiki_changes side by side once the column exists;
 * - the CDC table: an old and a new StorageWriteCdcSink write page changes of wiki_pages side by side
 *   once the non-key column exists.
 * Every row lands, the new column NULL in the old writer's rows and set in the new one's, nothing in
 * the error table. The emulator cannot add a column in place (docs/emulator-limits.md): the step that
 * stands for the provider's in-place update recreates the table with the new schema and its rows.
 *
 * The wrong order (the new writer before the column) is refused by BigQuery when the writer opens its
 * stream or appends; the emulator instead drops the field and appends the row. That is asserted here as
 * the emulator's behaviour (docs/emulator-limits.md); the refusal on this order is shown by insertAll in
 * mixed-rollout.emulator.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BigQuerySink } from "../../app-worker/src/bigquery-sink";
import { emulatorClientOptions } from "../../app-worker/src/storage-write";
import { StorageWriteCdcSink } from "../../app-worker/src/storage-write-cdc";
import { StorageWriteWriter } from "../../app-worker/src/storage-write-writer";
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { TableSchema } from "../../schemas/table-schema";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { WIKI_PAGES_PRIMARY_KEY, WIKI_PAGES_SCHEMA } from "../../schemas/wiki-pages";
import { BigQueryEmulator, BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { pageChanges, projectV1, projectV2, Projector, WIKI_CHANGES_V2, WIKI_PAGES_V2 } from "./contract-v2";
import { addColumnsOnEmulator, rolloutEvents, TEST_SINK_LIMITS, writeAll } from "./rollout";

const PROJECT = "fresh-streams-local";
process.env.METADATA_SERVER_DETECTION ??= "none";

let emulator: BigQueryEmulator;
let bigquery: BigQueryRestClient;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-evolution-"));
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  emulator = await startBigQueryEmulator({ projectId: PROJECT, logFile: path.join(work, "emulator.log") });
  bigquery = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
}, 120_000);
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await emulator?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A worker's direct sink with SINK=storage-write, its writer opened with the contract `schema` it was built with. */
async function storageWriteSink(dataset: string, schema: TableSchema): Promise<BigQuerySink> {
  const options = { clientOptions: emulatorClientOptions(emulator.grpcEndpoint), emulatorCommittedStream: true };
  const name = (tableId: string) => ({ projectId: PROJECT, datasetId: dataset, tableId });
  const writer = await StorageWriteWriter.open(name("wiki_changes"), schema, options);
  const errorWriter = await StorageWriteWriter.open(name("wiki_changes_errors"), INGESTION_ERRORS_SCHEMA, options);
  const sink = new BigQuerySink({
    sink: "storage-write",
    writer,
    errorWriter,
    ...TEST_SINK_LIMITS,
  });
  closers.push(() => sink.close());
  return sink;
}

const rowsOf = (project: Projector, lines: readonly string[]) => lines.flatMap((line) => project(line) ?? []);
const minorOf = (line: string): boolean | null => {
  const minor = JSON.parse(line).minor;
  return typeof minor === "boolean" ? minor : null;
};

describe("SINK=storage-write through a mixed rollout", () => {
  test("the column first, then old and new workers side by side: every row lands, none refused", async () => {
    await bigquery.createRawTables("rollout_sw");
    const events = rolloutEvents(600);
    const oldLines = events.filter((e) => e.writer === "old").map((e) => e.data);
    const newLines = events.filter((e) => e.writer === "new").map((e) => e.data);
    const oldWorker = await storageWriteSink("rollout_sw", WIKI_CHANGES_SCHEMA);
    const before = await writeAll(oldWorker, rowsOf(projectV1, oldLines.slice(0, 100)));

    const table = { datasetId: "rollout_sw", tableId: "wiki_changes", timePartitioning: { type: "DAY" } };
    expect(await addColumnsOnEmulator(emulator.apiEndpoint, PROJECT, table, WIKI_CHANGES_V2)).toBe(100);
    const newWorker = await storageWriteSink("rollout_sw", WIKI_CHANGES_V2);
    const [oldReport, newReport] = await Promise.all([
      writeAll(oldWorker, rowsOf(projectV1, oldLines.slice(100))),
      writeAll(newWorker, rowsOf(projectV2, newLines)),
    ]);
    expect([before, oldReport, newReport].map((r) => r.counts)).toEqual([
      { written: 100 },
      { written: oldLines.length - 100 },
      { written: newLines.length },
    ]);

    const rows = (await bigquery.query(`SELECT event_id, minor FROM \`${PROJECT}.rollout_sw.wiki_changes\``)).rows.map(
      (r) => [r.event_id, r.minor],
    );
    const expected = [
      ...oldLines.map((line) => [projectV1(line)!.eventId, null]),
      ...newLines.map((line) => [projectV1(line)!.eventId, minorOf(line)]),
    ];
    expect(rows.sort()).toEqual(expected.sort());
    expect(newLines.some((line) => minorOf(line) === true)).toBe(true);
    const errors = await bigquery.query(`SELECT COUNT(*) AS n FROM \`${PROJECT}.rollout_sw.wiki_changes_errors\``);
    expect(errors.rows).toEqual([{ n: 0 }]);
  });

  test("the emulator's answer to the wrong order: it drops the field the table lacks (BigQuery refuses the append)", async () => {
    await bigquery.createRawTables("misordered_sw");
    const line = rolloutEvents(40).find((e) => minorOf(e.data) === true)!.data;
    const newWorker = await storageWriteSink("misordered_sw", WIKI_CHANGES_V2);
    expect((await writeAll(newWorker, rowsOf(projectV2, [line]))).counts).toEqual({ written: 1 });
    const rows = await bigquery.query(`SELECT * FROM \`${PROJECT}.misordered_sw.wiki_changes\``);
    expect(rows.rows).toHaveLength(1);
    expect(Object.keys(rows.rows[0])).not.toContain("minor");
  });
});

describe("a CDC table's non-key column through a mixed rollout (Storage Write CDC)", () => {
  const cdcSink = (schema: TableSchema) =>
    StorageWriteCdcSink.open({
      projectId: PROJECT,
      datasetId: "rollout_cdc",
      tableId: "wiki_pages",
      schema,
      primaryKey: WIKI_PAGES_PRIMARY_KEY,
      clientOptions: emulatorClientOptions(emulator.grpcEndpoint),
      emulatorCommittedStream: true,
    });

  test("the column first, then old and new writers side by side: every change is appended, the column set by the new one", async () => {
    await bigquery.createDataset("rollout_cdc");
    await bigquery.createTable("rollout_cdc", "wiki_pages", { schema: { fields: WIKI_PAGES_SCHEMA.toBigQueryJson() } });
    const events = rolloutEvents(600);
    const received = Date.parse("2024-06-01T13:00:00Z");
    const changes = (writer: "old" | "new") =>
      events.filter((e) => e.writer === writer).flatMap((e) => pageChanges(e.data, writer === "old" ? 1 : 2, received));
    const [oldChanges, newChanges] = [changes("old"), changes("new")];
    expect(newChanges.filter((c) => c.row.minor === true).length).toBeGreaterThan(0);

    const oldWriter = await cdcSink(WIKI_PAGES_SCHEMA);
    closers.push(() => oldWriter.close());
    await oldWriter.write(oldChanges.slice(0, 50));
    const table = { datasetId: "rollout_cdc", tableId: "wiki_pages" };
    expect(await addColumnsOnEmulator(emulator.apiEndpoint, PROJECT, table, WIKI_PAGES_V2)).toBe(50);
    const newWriter = await cdcSink(WIKI_PAGES_V2);
    closers.push(() => newWriter.close());
    // Interleaved in turns of 20 changes: the emulator keeps one SQLite file, and two appends at the same
    // instant fail with "database is locked" (docs/emulator-limits.md); BigQuery takes them concurrently.
    const appended = { old: 0, new: 0 };
    const rest = oldChanges.slice(50);
    for (let i = 0; i < Math.max(rest.length, newChanges.length); i += 20) {
      if (i < rest.length) appended.old += (await oldWriter.write(rest.slice(i, i + 20))).appended;
      if (i < newChanges.length) appended.new += (await newWriter.write(newChanges.slice(i, i + 20))).appended;
    }
    expect(appended).toEqual({ old: rest.length, new: newChanges.length });

    // The emulator appends every change as a row (BigQuery would apply them by key): count them by their column.
    const rows = await bigquery.query(`SELECT minor FROM \`${PROJECT}.rollout_cdc.wiki_pages\``);
    const tally = (values: unknown[]) =>
      values.reduce<Record<string, number>>((t, v) => ({ ...t, [String(v)]: (t[String(v)] ?? 0) + 1 }), {});
    expect(tally(rows.rows.map((r) => r.minor))).toEqual(
      tally([...oldChanges.map(() => null), ...newChanges.map((c) => c.row.minor ?? null)]),
    );
  });
});
