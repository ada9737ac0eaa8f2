/**
 * Applies a JSONL file of CDC changes to a BigQuery CDC table through the Storage Write API
 * (app-worker/src/storage-write-cdc.ts): one change per line, in the CDC topic's message form —
 * the row's columns plus `_CHANGE_TYPE` (`UPSERT` or `DELETE`) and, on every line or on none,
 * `_CHANGE_SEQUENCE_NUMBER`:
 *
 *   npx tsx tools/cdc-apply.ts --project P --dataset D --table employees|wiki_pages --file changes.jsonl
 *       [--batch 500] [--emulator HOST:GRPCPORT]
 *
 * The table's schema and primary key come from schemas/ (`employees`, `wiki_pages`). Every line
 * is checked before the first append. Exit codes: 0 applied, 1 bad usage or input, 2 an append failed.
 * With `--emulator` the changes go to a new COMMITTED stream (the BigQuery emulator has no default
 * stream and appends every row): that shows the connection and the appends, never the CDC apply.
 */
import * as fs from "node:fs";
import { credentials } from "@grpc/grpc-js";
import { CHANGE_SEQUENCE_NUMBER_COLUMN, CHANGE_TYPE_COLUMN, ChangeType } from "../schemas/cdc-sequence";
import { EMPLOYEES_SCHEMA } from "../schemas/employees";
import { TableSchema } from "../schemas/table-schema";
import { WIKI_PAGES_PRIMARY_KEY, WIKI_PAGES_SCHEMA } from "../schemas/wiki-pages";
import {
  CdcChange,
  CdcChangeError,
  cdcRows,
  CdcValue,
  StorageWriteCdcSink,
  WriterClientOptions,
} from "../app-worker/src/storage-write-cdc";

/** The CDC tables this command knows: schema and primary key. */
export const CDC_TABLES: Record<string, { schema: TableSchema; primaryKey: readonly string[] }> = {
  employees: { schema: EMPLOYEES_SCHEMA, primaryKey: ["id"] },
  wiki_pages: { schema: WIKI_PAGES_SCHEMA, primaryKey: WIKI_PAGES_PRIMARY_KEY },
};

export const USAGE =
  "usage: npx tsx tools/cdc-apply.ts --project P --dataset D --table employees|wiki_pages --file FILE.jsonl [--batch N] [--emulator HOST:GRPCPORT]";

/** Parses a JSONL file of changes in message form; throws with the line number on the first bad line. */
export function readChanges(text: string, table: string): CdcChange[] {
  const known = CDC_TABLES[table];
  const changes: CdcChange[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let message: Record<string, CdcValue>;
    try {
      message = JSON.parse(line);
    } catch (error) {
      throw new CdcChangeError(`line ${index + 1}: not JSON (${(error as Error).message})`);
    }
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      throw new CdcChangeError(`line ${index + 1}: not a JSON object`);
    }
    const { [CHANGE_TYPE_COLUMN]: type, [CHANGE_SEQUENCE_NUMBER_COLUMN]: sequenceNumber, ...row } = message;
    const change: CdcChange = {
      type: type as ChangeType,
      row,
      sequenceNumber: sequenceNumber === undefined || sequenceNumber === null ? undefined : String(sequenceNumber),
    };
    try {
      cdcRows(known.schema, known.primaryKey, [change]);
    } catch (error) {
      throw new CdcChangeError(`line ${index + 1}: ${(error as Error).message.replace(/^change 0: /, "")}`);
    }
    changes.push(change);
  });
  if (changes.length === 0) throw new CdcChangeError("the file has no changes");
  cdcRows(known.schema, known.primaryKey, changes); // every change with a sequence number, or none
  return changes;
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
      process.stderr.write(`${USAGE}\n`);
      return 1;
    }
    args.set(argv[i].slice(2), argv[i + 1]);
  }
  const [project, dataset, table, file] = ["project", "dataset", "table", "file"].map((k) => args.get(k));
  const batch = Number(args.get("batch") ?? 500);
  if (!project || !dataset || !table || !file || !Number.isInteger(batch) || batch < 1) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const known = CDC_TABLES[table];
  if (!known) {
    process.stderr.write(`cdc-apply: unknown table "${table}"; known: ${Object.keys(CDC_TABLES).join(", ")}\n`);
    return 1;
  }
  let changes: CdcChange[];
  try {
    changes = readChanges(fs.readFileSync(file, "utf8"), table);
  } catch (error) {
    process.stderr.write(`cdc-apply: ${file}: ${(error as Error).message}\n`);
    return 1;
  }
  const emulator = args.get("emulator");
  let clientOptions: WriterClientOptions;
  if (emulator) {
    const [host, port] = emulator.split(":");
    clientOptions = { servicePath: host, port: Number(port), sslCreds: credentials.createInsecure() };
  }
  const sink = await StorageWriteCdcSink.open({
    projectId: project,
    datasetId: dataset,
    tableId: table,
    schema: known.schema,
    primaryKey: known.primaryKey,
    sequenceNumbers: changes[0].sequenceNumber !== undefined,
    clientOptions,
    // The BigQuery emulator has no default stream: a committed stream shows the appends (not the CDC apply).
    emulatorCommittedStream: emulator !== undefined,
  });
  let appended = 0;
  try {
    for (let i = 0; i < changes.length; i += batch)
      appended += (await sink.write(changes.slice(i, i + batch))).appended;
  } catch (error) {
    process.stderr.write(`cdc-apply: ${(error as Error).message} (${appended} of ${changes.length} appended)\n`);
    return 2;
  } finally {
    await sink.close();
  }
  const counts = { upserts: changes.filter((c) => c.type === "UPSERT").length, deletes: 0 };
  counts.deletes = changes.length - counts.upserts;
  process.stdout.write(`${JSON.stringify({ table: sink.destinationTable, appended, ...counts })}\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`cdc-apply: ${error.message}\n`);
      process.exit(2);
    },
  );
}
