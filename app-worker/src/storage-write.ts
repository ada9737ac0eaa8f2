/**
 * The BigQuery Storage Write API, as both of the worker's writers use it: the raw-table sink
 * (`SINK=storage-write`) and the CDC sink (`storage-write-cdc.ts`). One stream connection to one
 * table, JSON rows encoded with a protobuf descriptor built from the table's schema, and every
 * append answered with what BigQuery said: written, per-row errors, or a request error with its
 * gRPC code (so the caller can tell a retry from a refusal).
 *
 * Streams: the table's default stream (`…/streams/_default`: at-least-once, rows visible on
 * acknowledgement, what BigQuery CDC requires). The BigQuery emulator has no default stream; with
 * `emulatorCommittedStream` a new COMMITTED stream stands in (also visible on acknowledgement).
 */
import { credentials } from "@grpc/grpc-js";
import { adapt, managedwriter } from "@google-cloud/bigquery-storage";
import { TableSchema } from "../../schemas/table-schema";

/** Options of the Storage Write client (google-gax `ClientOptions`). */
export type WriterClientOptions = ConstructorParameters<typeof managedwriter.WriterClient>[0];
type JsonRows = Parameters<managedwriter.JSONWriter["appendRows"]>[0];
type ProtoDescriptor = ReturnType<typeof adapt.normalizeDescriptor>;
type AppendResult = Awaited<ReturnType<ReturnType<managedwriter.JSONWriter["appendRows"]>["getResult"]>>;

/** gRPC codes about the request's content: one of the rows is at fault (INVALID_ARGUMENT, OUT_OF_RANGE). */
const CONTENT_CODES: ReadonlySet<number> = new Set([3, 11]);
/**
 * gRPC codes no retry or refusal can help: NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
 * FAILED_PRECONDITION, UNIMPLEMENTED, UNAUTHENTICATED. Every other code (UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN, CANCELLED) or none is retried.
 */
const STOP_CODES: ReadonlySet<number> = new Set([5, 6, 7, 9, 12, 16]);

/** One row BigQuery refused in an append (the whole append is then refused: nothing was written). */
export interface StorageRowError {
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/** Raised when the Storage Write API refuses or fails an append, or a stream cannot be opened. */
export class StorageWriteError extends Error {
  constructor(
    message: string,
    public readonly rowErrors: readonly StorageRowError[] = [],
    /** The gRPC status code, when BigQuery answered with one. */
    public readonly code?: number,
  ) {
    super(message);
    this.name = "StorageWriteError";
  }

  /** What the failure calls for (see `WriteFailure` in table-writer.ts). */
  get failure(): "retry" | "isolate" | "stop" {
    if (this.rowErrors.length > 0 || (this.code !== undefined && CONTENT_CODES.has(this.code))) return "isolate";
    if (this.code !== undefined && STOP_CODES.has(this.code)) return "stop";
    return "retry";
  }
}

/** Client options for an emulator's gRPC endpoint (`host:port`, plaintext, no credentials). */
export function emulatorClientOptions(hostPort: string): WriterClientOptions {
  const separator = hostPort.lastIndexOf(":");
  return {
    servicePath: hostPort.slice(0, separator).replace(/^\[|\]$/g, ""),
    port: Number(hostPort.slice(separator + 1)),
    sslCreds: credentials.createInsecure(),
  };
}

/** The protobuf descriptor of a table's rows (plus the CDC pseudo-columns when `adaptOptions` add them). */
export function protoDescriptorFor(
  schema: TableSchema,
  adaptOptions: ReturnType<typeof adapt.withChangeType>[] = [],
): ProtoDescriptor {
  const storageSchema = adapt.convertBigQuerySchemaToStorageTableSchema({ fields: schema.toBigQueryJson() as never });
  return adapt.normalizeDescriptor(
    adapt.convertStorageSchemaToProto2Descriptor(storageSchema, "root", ...adaptOptions),
  );
}

/** Options of {@link StorageWriteStream.open}. */
export interface StorageWriteStreamOptions {
  readonly projectId: string;
  readonly datasetId: string;
  readonly tableId: string;
  /** The rows' descriptor ({@link protoDescriptorFor}). */
  readonly protoDescriptor: ProtoDescriptor;
  /**
   * Options of the Storage Write client (e.g. {@link emulatorClientOptions}).
   * @default - Google's endpoint with Application Default Credentials
   */
  readonly clientOptions?: WriterClientOptions;
  /**
   * FOR EMULATORS ONLY: append to a new COMMITTED stream instead of the default stream.
   * @default false
   */
  readonly emulatorCommittedStream?: boolean;
  /**
   * How long opening a stream may take before it fails (retried by the caller like any append).
   * @default 60000
   */
  readonly openTimeoutMs?: number;
}

/** One stream connection and the appends waiting for its answers. */
interface Connection {
  readonly client: managedwriter.WriterClient;
  readonly writer: managedwriter.JSONWriter;
  /** Rejects each append still waiting for an answer on this connection. */
  readonly waiting: Set<(error: StorageWriteError) => void>;
  /** Failed or dropped: the next append opens a new connection. */
  broken: boolean;
}

/** gRPC UNAVAILABLE: what an append left without an answer by its closed connection fails with (retried). */
const UNAVAILABLE = 14;

/**
 * One connection at a time appending JSON rows to one table. Open with {@link StorageWriteStream.open}.
 *
 * A connection is closed only after every append waiting on it is settled: the client library's
 * `close()` drops the connection's listeners, so an append still waiting would never hear back.
 * Those appends fail at once with UNAVAILABLE (their rows may have been written: at-least-once)
 * and the caller sends them again on the next connection.
 */
export class StorageWriteStream {
  /** Connects to the table's default stream (or, on an emulator, a new committed stream). */
  public static async open(options: StorageWriteStreamOptions): Promise<StorageWriteStream> {
    const stream = new StorageWriteStream(options);
    stream.current = await stream.connect();
    return stream;
  }

  /** `projects/P/datasets/D/tables/T`. */
  public readonly destinationTable: string;
  private current: Connection | undefined;
  /** A connection being opened (appends that find the current one broken share it). */
  private opening: Promise<Connection> | undefined;
  private closed = false;

  private constructor(private readonly options: StorageWriteStreamOptions) {
    this.destinationTable = `projects/${options.projectId}/datasets/${options.datasetId}/tables/${options.tableId}`;
  }

  private async connect(): Promise<Connection> {
    const client = new managedwriter.WriterClient(this.options.clientOptions);
    const destinationTable = this.destinationTable;
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.options.openTimeoutMs ?? 60_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 4 /* DEADLINE_EXCEEDED */ })),
        timeoutMs,
      );
    });
    try {
      const streamId = this.options.emulatorCommittedStream
        ? await Promise.race([
            client.createWriteStream({ streamType: managedwriter.CommittedStream, destinationTable }),
            timeout,
          ])
        : managedwriter.DefaultStream;
      const stream = await Promise.race([client.createStreamConnection({ streamId, destinationTable }), timeout]);
      const writer = new managedwriter.JSONWriter({
        connection: stream,
        protoDescriptor: this.options.protoDescriptor,
      });
      const connection: Connection = { client, writer, waiting: new Set(), broken: false };
      // Errors of the bidirectional stream also arrive as events: without a listener they would
      // crash the process. The pending append rejects with the same error; the next one reconnects.
      stream.on("error", () => (connection.broken = true));
      return connection;
    } catch (error) {
      client.close();
      const code = (error as { code?: unknown }).code;
      throw new StorageWriteError(
        `cannot open a stream to ${destinationTable}: ${(error as Error).message}`,
        [],
        typeof code === "number" ? code : undefined,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** The connection to append on: the current one, or a new one when it failed or was dropped. */
  private async connection(): Promise<Connection> {
    if (this.current && !this.current.broken) return this.current;
    if (this.current) this.drop(this.current, "it failed");
    this.current = undefined;
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    const connection = await this.opening;
    if (this.closed) {
      this.drop(connection, "the stream was closed");
      throw new StorageWriteError(`the stream to ${this.destinationTable} is closed`, [], UNAVAILABLE);
    }
    this.current ??= connection;
    return connection;
  }

  /**
   * Appends `rows` in one request. Resolves once BigQuery acknowledged them; rejects with a
   * {@link StorageWriteError}: with `rowErrors` when BigQuery refused some rows (then none of the
   * request was written), or with the request's gRPC code. A connection that failed is replaced
   * before the next append. When `signal` aborts (no answer in time), the append's connection is
   * dropped: the other appends waiting on it fail with UNAVAILABLE at once.
   */
  public async append(rows: readonly Record<string, unknown>[], signal?: AbortSignal): Promise<void> {
    const connection = await this.connection();
    let result: AppendResult;
    let settle: ((error: StorageWriteError) => void) | undefined;
    const dropIt = () => this.drop(connection, "an append on it got no answer in time");
    try {
      result = await new Promise<AppendResult>((resolve, reject) => {
        settle = reject;
        connection.waiting.add(reject);
        connection.writer
          .appendRows(rows as JsonRows)
          .getResult()
          .then(resolve, reject);
        signal?.addEventListener("abort", dropIt, { once: true });
      });
    } catch (error) {
      if (error instanceof StorageWriteError) throw error;
      connection.broken = true;
      const code = (error as { code?: number }).code;
      throw new StorageWriteError(
        `append to ${this.destinationTable} failed: ${(error as Error).message}`,
        [],
        typeof code === "number" ? code : undefined,
      );
    } finally {
      connection.waiting.delete(settle!);
      signal?.removeEventListener("abort", dropIt);
    }
    const rowErrors = (result.rowErrors ?? []).map((e) => ({
      index: Number(e.index ?? -1),
      code: String(e.code ?? "ROW_ERROR_CODE_UNSPECIFIED"),
      message: e.message ?? "",
    }));
    if (result.error || rowErrors.length > 0) {
      throw new StorageWriteError(
        `append to ${this.destinationTable} failed: ${result.error?.message ?? `${rowErrors.length} row error(s): ${rowErrors.map((e) => `#${e.index} ${e.message}`).join("; ")}`}`,
        rowErrors,
        result.error?.code ?? undefined,
      );
    }
  }

  /** Settles every append waiting on `connection` (UNAVAILABLE: send again), then closes it. */
  private drop(connection: Connection, why: string): void {
    connection.broken = true;
    if (this.current === connection) this.current = undefined;
    const waiting = [...connection.waiting];
    connection.waiting.clear();
    for (const reject of waiting)
      reject(
        new StorageWriteError(
          `append to ${this.destinationTable} got no answer: its connection was closed because ${why}; send it again`,
          [],
          UNAVAILABLE,
        ),
      );
    connection.writer.close();
    connection.client.close();
  }

  /** Closes the stream connection and the client (appends still waiting fail with UNAVAILABLE). */
  public async close(): Promise<void> {
    this.closed = true;
    if (this.current) this.drop(this.current, "the stream was closed");
    this.current = undefined;
  }
}

/**
 * A row as the JSON writer encodes it: TIMESTAMP and DATETIME strings become dates, BYTES given as
 * base64 text become buffers (records are converted field by field). Pure.
 */
export function storageRow(schema: TableSchema, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return convertFields(schema.toBigQueryJson() as BigQueryField[], row);
}

interface BigQueryField {
  name: string;
  type: string;
  mode?: string;
  fields?: BigQueryField[];
}

function convertFields(fields: readonly BigQueryField[], row: Readonly<Record<string, unknown>>) {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    const field = fields.find((f) => f.name === name);
    out[name] = field === undefined || value === null || value === undefined ? value : convert(field, value);
  }
  return out;
}

function convert(field: BigQueryField, value: unknown): unknown {
  if (field.mode === "REPEATED" && Array.isArray(value))
    return value.map((item) => convert({ ...field, mode: "NULLABLE" }, item));
  switch (field.type) {
    case "TIMESTAMP":
    case "DATETIME":
      return typeof value === "string" ? new Date(value) : value;
    case "BYTES":
      return typeof value === "string" ? Buffer.from(value, "base64") : value;
    case "RECORD":
    case "STRUCT":
      return typeof value === "object" ? convertFields(field.fields ?? [], value as Record<string, unknown>) : value;
    default:
      return value;
  }
}
