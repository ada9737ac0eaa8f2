/**
 * The Storage Write API as a {@link TableWriter}: appends to the table's default stream
 * (at-least-once; no de-duplication: the staging load de-duplicates by event id). When BigQuery
 * refuses rows of an append, it refuses the whole append and lists the rows (`row_errors`): those
 * are refused, the others are sent again.
 */
import { TableSchema } from "../../schemas/table-schema";
import { BigQueryTableName } from "../../schemas/worker-settings";
import {
  protoDescriptorFor,
  storageRow,
  StorageWriteError,
  StorageWriteStream,
  WriterClientOptions,
} from "./storage-write";
import { ALL_WRITTEN, TableWriteError, TableWriter, TableWriteResult } from "./table-writer";

export class StorageWriteWriter implements TableWriter {
  public static async open(
    name: BigQueryTableName,
    schema: TableSchema,
    options: { clientOptions?: WriterClientOptions; emulatorCommittedStream?: boolean; openTimeoutMs?: number } = {},
  ): Promise<StorageWriteWriter> {
    const stream = await StorageWriteStream.open({ ...name, ...options, protoDescriptor: protoDescriptorFor(schema) });
    return new StorageWriteWriter(stream, schema);
  }

  private constructor(
    private readonly stream: StorageWriteStream,
    private readonly schema: TableSchema,
  ) {}

  get table(): string {
    return this.stream.destinationTable;
  }

  async write(
    rows: readonly Record<string, unknown>[],
    _insertIds?: readonly string[],
    signal?: AbortSignal,
  ): Promise<TableWriteResult> {
    let encoded;
    try {
      encoded = rows.map((row) => storageRow(this.schema, row));
    } catch (error) {
      throw new TableWriteError(`cannot encode rows for ${this.table}: ${(error as Error).message}`, "isolate");
    }
    try {
      await this.stream.append(encoded, signal);
      return ALL_WRITTEN;
    } catch (error) {
      if (!(error instanceof StorageWriteError)) throw error;
      if (error.rowErrors.length === 0) throw new TableWriteError(error.message, error.failure);
      const refused = new Map(
        error.rowErrors.map((e) => [e.index, { reason: e.code.toLowerCase(), message: e.message || e.code }]),
      );
      return { refused, retry: rows.map((_row, index) => index).filter((index) => !refused.has(index)) };
    }
  }

  async close(): Promise<void> {
    await this.stream.close();
  }
}
