/**
 * The Storage Write API CDC sink against the BigQuery emulator (goccy/bigquery-emulator v0.8.1).
 *
 * What the emulator shows: the gRPC connection to a table's default stream, that the protobuf
 * descriptor with the pseudo-columns is accepted, and that the data columns of each change are
 * appended. What it cannot show (asserted here as the emulator's behaviour, so a change is noticed):
 * the apply by primary key — the emulator keeps every change as a row, DELETEs included. That
 * BigQuery applies UPSERT/DELETE by key, newest sequence number first, only real BigQuery proves.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { credentials } from "@grpc/grpc-js";
import { StorageWriteCdcSink } from "../../app-worker/src/storage-write-cdc";
import { EMPLOYEES_SCHEMA } from "../../schemas/employees";
import { encodeSequenceNumber } from "../../schemas/cdc-sequence";
import { BigQueryEmulator, BigQueryRestClient, startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";
import { main as cdcApply } from "../../tools/cdc-apply";

const PROJECT = "fresh-streams-local";
process.env.METADATA_SERVER_DETECTION ??= "none";

describe("StorageWriteCdcSink on the BigQuery emulator", () => {
  let emulator: BigQueryEmulator;
  let bigquery: BigQueryRestClient;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-cdc-sink-"));

  beforeAll(async () => {
    emulator = await startBigQueryEmulator({ projectId: PROJECT, logFile: path.join(work, "emulator.log") });
    bigquery = new BigQueryRestClient(emulator.apiEndpoint, PROJECT);
    await bigquery.createDataset("raw");
    await bigquery.createTable("raw", "employees", { schema: { fields: EMPLOYEES_SCHEMA.toBigQueryJson() } });
  });
  afterAll(async () => {
    await emulator?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const rows = async (table: string) =>
    (
      await bigquery.query(
        `SELECT id, name, CAST(salary AS STRING) AS salary FROM \`${PROJECT}.raw.${table}\` ORDER BY id, name`,
      )
    ).rows;

  const options = () => ({
    projectId: PROJECT,
    datasetId: "raw",
    tableId: "employees",
    schema: EMPLOYEES_SCHEMA,
    primaryKey: ["id"],
    clientOptions: { servicePath: "127.0.0.1", port: emulator.grpcPort, sslCreds: credentials.createInsecure() },
  });

  test("connects, accepts the CDC descriptor and appends the data columns (committed stream on the emulator)", async () => {
    const sink = await StorageWriteCdcSink.open({ ...options(), emulatorCommittedStream: true });
    expect(sink.destinationTable).toBe(`projects/${PROJECT}/datasets/raw/tables/employees`);
    try {
      expect(
        await sink.write([
          {
            type: "UPSERT",
            row: { id: 100, name: "Charlie", salary: "2000" },
            sequenceNumber: encodeSequenceNumber([1]),
          },
          { type: "UPSERT", row: { id: 101, name: "Tal", salary: "3000" }, sequenceNumber: encodeSequenceNumber([1]) },
        ]),
      ).toEqual({ appended: 2 });
      await sink.write([
        { type: "DELETE", row: { id: 100 }, sequenceNumber: encodeSequenceNumber([2]) },
        { type: "UPSERT", row: { id: 101, name: "Tal", salary: "8000" }, sequenceNumber: encodeSequenceNumber([2]) },
      ]);
    } finally {
      await sink.close();
    }
    // The emulator appends: 4 rows. Real BigQuery would hold one row (101, Tal, 8000).
    expect(await rows("employees")).toEqual([
      { id: 100, name: null, salary: null },
      { id: 100, name: "Charlie", salary: "2000" },
      { id: 101, name: "Tal", salary: "3000" },
      { id: 101, name: "Tal", salary: "8000" },
    ]);
  });

  test("tools/cdc-apply.ts appends a JSONL file of changes in the CDC message form", async () => {
    const file = path.join(work, "changes.jsonl");
    fs.writeFileSync(
      file,
      [
        { id: 1, name: "Ada", salary: "10", _CHANGE_TYPE: "UPSERT", _CHANGE_SEQUENCE_NUMBER: "1" },
        { id: 2, name: "Bo", salary: "20", _CHANGE_TYPE: "UPSERT", _CHANGE_SEQUENCE_NUMBER: "2" },
        { id: 1, _CHANGE_TYPE: "DELETE", _CHANGE_SEQUENCE_NUMBER: "3" },
      ]
        .map((line) => JSON.stringify(line))
        .join("\n"),
    );
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(chunk), true)) as never;
    let code: number;
    try {
      code = await cdcApply([
        "--project",
        PROJECT,
        "--dataset",
        "raw",
        "--table",
        "employees",
        "--file",
        file,
        "--emulator",
        emulator.grpcEndpoint,
        "--batch",
        "2",
      ]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    expect((await rows("employees")).filter((r: any) => r.id < 100)).toEqual([
      { id: 1, name: null, salary: null },
      { id: 1, name: "Ada", salary: "10" },
      { id: 2, name: "Bo", salary: "20" },
    ]);
    expect(JSON.parse(out.join(""))).toEqual({
      table: `projects/${PROJECT}/datasets/raw/tables/employees`,
      appended: 3,
      upserts: 2,
      deletes: 1,
    });
  });
  // Last: a refused default stream leaves the emulator's gRPC side unusable for later streams.
  test("the emulator has no default stream: an append to it is refused", async () => {
    const sink = await StorageWriteCdcSink.open(options());
    try {
      await expect(sink.write([{ type: "UPSERT", row: { id: 1, name: "x" }, sequenceNumber: "1" }])).rejects.toThrow(
        /default|stream/,
      );
    } finally {
      await sink.close();
    }
  });
});
