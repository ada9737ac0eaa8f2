/**
 * A change data capture sink on the BigQuery Storage Write API, for changes that come from code
 * rather than from Pub/Sub: UPSERT and DELETE rows, with optional sequence numbers, appended to
 * the table's default stream (what BigQuery CDC requires), protobuf-encoded from a descriptor
 * that carries the `_CHANGE_TYPE` and `_CHANGE_SEQUENCE_NUMBER` pseudo-columns.
 *
 * ```ts
 * const sink = await StorageWriteCdcSink.open({ projectId, datasetId: "raw", tableId: "employees",
 *   schema: EMPLOYEES_SCHEMA, primaryKey: ["id"] });
 * await sink.write([
 *   { type: "UPSERT", row: { id: 101, name: "Tal", salary: "8000" }, sequenceNumber: "0000000000000002" },
 *   { type: "DELETE", row: { id: 100 }, sequenceNumber: "0000000000000003" },
 * ]);
 * await sink.close();
 * ```
 *
 * What only real BigQuery shows: that the changes are applied by key (the BigQuery emulator
 * appends every row and ignores the pseudo-columns), `max_staleness`, and the ordering by
 * sequence number. The encoding ({@link cdcRows}) is pure and unit-tested; the emulator shows the
 * connection, the descriptor and the append of the data columns.
 */
import { adapt } from "@google-cloud/bigquery-storage";
import {
  CHANGE_SEQUENCE_NUMBER_COLUMN,
  CHANGE_TYPE_COLUMN,
  ChangeType,
  sequenceNumberProblem,
} from "../../schemas/cdc-sequence";
import { TableSchema } from "../../schemas/table-schema";
import { protoDescriptorFor, StorageWriteError, StorageWriteStream, WriterClientOptions } from "./storage-write";

export { StorageWriteError };
export type { WriterClientOptions };

/** A column value as the sink takes it (TIMESTAMP and DATETIME columns also take ISO strings). */
export type CdcValue = string | number | bigint | boolean | Date | null;

/** One change of a row. */
export interface CdcChange {
  readonly type: ChangeType;
  /** The row: every primary key column; for an UPSERT, the whole row (missing columns become NULL). */
  readonly row: Readonly<Record<string, CdcValue>>;
  /**
   * BigQuery's `_CHANGE_SEQUENCE_NUMBER` (up to four `/`-separated sections of 1 to 16 hexadecimal
   * digits; see `encodeSequenceNumber`). Either every change of a write has one, or none does.
   * @default - none: BigQuery orders a key's changes by arrival
   */
  readonly sequenceNumber?: string;
}

/** Raised for a change that BigQuery would refuse, before anything is sent. */
export class CdcChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CdcChangeError";
  }
}

/**
 * The rows to append for `changes`: the row's columns plus `_CHANGE_TYPE` (and
 * `_CHANGE_SEQUENCE_NUMBER` when given). Pure. Throws {@link CdcChangeError} naming the change's
 * index and the rule for: an unknown change type, a missing key column, a column the table lacks,
 * an invalid sequence number, or sequence numbers on some changes only.
 */
export function cdcRows(
  schema: TableSchema,
  primaryKey: readonly string[],
  changes: readonly CdcChange[],
): Record<string, CdcValue>[] {
  const withSequence = changes.filter((c) => c.sequenceNumber !== undefined).length;
  if (withSequence !== 0 && withSequence !== changes.length) {
    throw new CdcChangeError(
      `${withSequence} of ${changes.length} changes have a sequence number; give every change one or none (BigQuery would otherwise order some by sequence number and some by arrival)`,
    );
  }
  const timeColumns = new Set(
    schema.columns.filter((c) => c.type === "TIMESTAMP" || c.type === "DATETIME").map((c) => c.name),
  );
  return changes.map((change, index) => {
    if (change.type !== "UPSERT" && change.type !== "DELETE") {
      throw new CdcChangeError(`change ${index}: type "${String(change.type)}" is not UPSERT or DELETE`);
    }
    const missing = primaryKey.filter((column) => change.row[column] === undefined || change.row[column] === null);
    if (missing.length > 0) {
      throw new CdcChangeError(
        `change ${index}: primary key column(s) ${missing.join(", ")} missing; every change names its row`,
      );
    }
    const row: Record<string, CdcValue> = {};
    for (const [column, value] of Object.entries(change.row)) {
      if (!schema.hasColumn(column))
        throw new CdcChangeError(`change ${index}: column "${column}" is not in table ${schema.name}`);
      if (value === undefined) continue;
      row[column] = timeColumns.has(column) && typeof value === "string" ? toDate(value, index, column) : value;
    }
    row[CHANGE_TYPE_COLUMN] = change.type;
    if (change.sequenceNumber !== undefined) {
      const problem = sequenceNumberProblem(change.sequenceNumber);
      if (problem !== undefined) throw new CdcChangeError(`change ${index}: ${problem}`);
      row[CHANGE_SEQUENCE_NUMBER_COLUMN] = change.sequenceNumber;
    }
    return row;
  });
}

function toDate(value: string, index: number, column: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new CdcChangeError(`change ${index}: column "${column}" is not a time: "${value}"`);
  return date;
}

/**
 * The protobuf descriptor of the appended rows: the table's columns plus the CDC pseudo-columns
 * (`withChangeType`, `withChangeSequenceNumber` of the client library), normalised for the API.
 */
export function cdcProtoDescriptor(schema: TableSchema, options: { sequenceNumbers?: boolean } = {}) {
  const adaptOptions = [adapt.withChangeType()];
  if (options.sequenceNumbers ?? true) adaptOptions.push(adapt.withChangeSequenceNumber());
  return protoDescriptorFor(schema, adaptOptions);
}

/** Options of {@link StorageWriteCdcSink.open}. */
export interface StorageWriteCdcSinkOptions {
  readonly projectId: string;
  readonly datasetId: string;
  readonly tableId: string;
  /** The table's columns (e.g. `EMPLOYEES_SCHEMA`). */
  readonly schema: TableSchema;
  /** The table's primary key. */
  readonly primaryKey: readonly string[];
  /**
   * Whether the changes carry `_CHANGE_SEQUENCE_NUMBER`.
   * @default true
   */
  readonly sequenceNumbers?: boolean;
  /**
   * Options of the Storage Write client (e.g. `{ servicePath, port, sslCreds }` for an emulator).
   * @default - Google's endpoint with Application Default Credentials
   */
  readonly clientOptions?: WriterClientOptions;
  /**
   * FOR EMULATORS ONLY: append to a new COMMITTED stream instead of the default stream. BigQuery
   * applies CDC on the default stream only; the BigQuery emulator has no default stream.
   * @default false
   */
  readonly emulatorCommittedStream?: boolean;
}

/** Appends CDC changes to one table's default stream. Open with {@link StorageWriteCdcSink.open}. */
export class StorageWriteCdcSink {
  /** Connects to the table's default stream (`…/streams/_default`). */
  public static async open(options: StorageWriteCdcSinkOptions): Promise<StorageWriteCdcSink> {
    const stream = await StorageWriteStream.open({
      ...options,
      protoDescriptor: cdcProtoDescriptor(options.schema, { sequenceNumbers: options.sequenceNumbers }),
    });
    return new StorageWriteCdcSink(options, stream);
  }

  private constructor(
    private readonly options: StorageWriteCdcSinkOptions,
    private readonly stream: StorageWriteStream,
  ) {}

  /** `projects/P/datasets/D/tables/T`. */
  public get destinationTable(): string {
    return this.stream.destinationTable;
  }

  /**
   * Appends `changes` in one request and resolves once BigQuery acknowledged them (at-least-once:
   * retry a failed write with the same changes and sequence numbers; re-applying is harmless).
   */
  public async write(changes: readonly CdcChange[]): Promise<{ appended: number }> {
    if (changes.length === 0) return { appended: 0 };
    if ((this.options.sequenceNumbers ?? true) === false && changes.some((c) => c.sequenceNumber !== undefined)) {
      throw new CdcChangeError("the sink was opened with sequenceNumbers: false but a change has one");
    }
    const rows = cdcRows(this.options.schema, this.options.primaryKey, changes);
    await this.stream.append(rows);
    return { appended: rows.length };
  }

  /** Closes the stream connection and the client. */
  public async close(): Promise<void> {
    await this.stream.close();
  }
}
