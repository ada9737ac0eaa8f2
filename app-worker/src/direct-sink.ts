/**
 * Opens the direct sink a worker configuration asks for (`SINK=storage-write` or `insert-all`):
 * the raw table's writer and the error table's, on Google's endpoints or on a BigQuery emulator.
 */
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { BigQueryTableName, WorkerSettings } from "../../schemas/worker-settings";
import { BigQuerySink, SinkObserver } from "./bigquery-sink";
import { InsertAllWriter } from "./insert-all-writer";
import { emulatorClientOptions } from "./storage-write";
import { StorageWriteWriter } from "./storage-write-writer";
import { TableWriter } from "./table-writer";

/** The raw table's TIMESTAMP columns: checked against BigQuery's range before a row is sent. */
const TIMESTAMP_COLUMNS = WIKI_CHANGES_SCHEMA.columns.filter((c) => c.type === "TIMESTAMP").map((c) => c.name);

/** Opens the writers of `settings.sink` and returns the sink; throws when a writer cannot be opened. */
export async function openDirectSink(settings: WorkerSettings, observer?: SinkObserver): Promise<BigQuerySink> {
  if (settings.sink === "pubsub" || !settings.table || !settings.errorTable)
    throw new Error(`SINK=${settings.sink} with TABLE ${JSON.stringify(settings.table)} is not a direct sink`);
  const { table, errorTable } = settings;
  // An emulator needs no credentials: keep the auth library from probing for a metadata server.
  if ((settings.bigqueryEmulatorHost || settings.bigqueryStorageEmulatorHost) && !process.env.METADATA_SERVER_DETECTION)
    process.env.METADATA_SERVER_DETECTION = "none";
  let writer: TableWriter;
  let errorWriter: TableWriter;
  if (settings.sink === "insert-all") {
    const apiEndpoint = settings.bigqueryEmulatorHost;
    writer = new InsertAllWriter(table, { apiEndpoint });
    errorWriter = new InsertAllWriter(errorTable, { apiEndpoint });
  } else {
    const host = settings.bigqueryStorageEmulatorHost;
    // The emulator has no default stream: a committed stream stands in (rows visible on acknowledgement too).
    const options = {
      // Opening counts against the same budget as a write's retries.
      openTimeoutMs: settings.publishTimeoutMs,
      ...(host ? { clientOptions: emulatorClientOptions(host), emulatorCommittedStream: true } : {}),
    };
    writer = await StorageWriteWriter.open(table, WIKI_CHANGES_SCHEMA, options);
    try {
      errorWriter = await StorageWriteWriter.open(errorTable, INGESTION_ERRORS_SCHEMA, options);
    } catch (error) {
      await writer.close();
      throw error;
    }
  }
  return new BigQuerySink({
    ...settings,
    sink: settings.sink,
    writer,
    errorWriter,
    timestampColumns: TIMESTAMP_COLUMNS,
    // An answer takes well under a second; a minute without one is a wedged connection.
    requestTimeoutMs: Math.min(60_000, settings.publishTimeoutMs),
    observer,
  });
}

/** `P.D.T` for logs. */
export function tableLabel(name: BigQueryTableName | undefined): string | undefined {
  return name && `${name.projectId}.${name.datasetId}.${name.tableId}`;
}
