/**
 * Stand-ins for BigQuery's two write endpoints, for answers the BigQuery emulator cannot be made to
 * give on demand (a table-level refusal, an answer that never comes):
 *
 * - {@link StandInStorageWrite}: the Storage Write API's `AppendRows` (gRPC, bidirectional; plus
 *   `CreateWriteStream` for the emulator's committed-stream path). Like BigQuery it answers the
 *   appends of one connection in order: once it withholds an answer, the later appends of that
 *   connection get none either (the connection is wedged).
 * - {@link StandInInsertAll}: `tabledata.insertAll` (HTTP).
 *
 * Each answers every request from a script given by the test, and records the requests (with the
 * event ids of their rows) and the rows it wrote, so a test can count requests, connections and
 * duplicate rows.
 */
import * as http from "node:http";
import * as grpc from "@grpc/grpc-js";
import * as protobuf from "protobufjs";

// The client library's own compiled protos: the same messages the worker sends.
const root = protobuf.Root.fromJSON(require("@google-cloud/bigquery-storage/build/protos/protos.json"));
const V1 = "google.cloud.bigquery.storage.v1";
const AppendRowsRequest = root.lookupType(`${V1}.AppendRowsRequest`);
const AppendRowsResponse = root.lookupType(`${V1}.AppendRowsResponse`);
const CreateWriteStreamRequest = root.lookupType(`${V1}.CreateWriteStreamRequest`);
const WriteStream = root.lookupType(`${V1}.WriteStream`);

/** How the stand-in answers one append. */
export type AppendAnswer =
  /** Written: the rows count as written. */
  | { readonly kind: "ok" }
  /** `AppendRowsResponse.error` (and `row_errors`, when given); nothing written. */
  | {
      readonly kind: "error";
      readonly code: number;
      readonly message: string;
      readonly rowErrors?: readonly { index: number; message: string }[];
    }
  /** The stream ends with this gRPC status (the append and every later one of the connection get it). */
  | { readonly kind: "status"; readonly code: number; readonly message: string }
  /** Written, but the answer never comes; nor does any later answer of this connection. */
  | { readonly kind: "withhold" };

/** One append the stand-in received. */
export interface AppendRecord {
  /** Its connection (1, 2, …, in the order they were opened). */
  readonly connection: number;
  /** Its position among every append received (0, 1, …). */
  readonly index: number;
  /** The table's id (from the request's `write_stream`). */
  readonly table: string;
  readonly eventIds: readonly string[];
  /** What it was answered (`stuck`: behind a withheld answer of its connection, never processed). */
  answer: AppendAnswer["kind"] | "stuck";
}

/** The Storage Write API's `AppendRows` (and `CreateWriteStream`), answering from `script`. */
export class StandInStorageWrite {
  public readonly requests: AppendRecord[] = [];
  /** Rows written, by event id: how many times. */
  public readonly written = new Map<string, number>();
  public connections = 0;
  private server: grpc.Server | undefined;

  constructor(
    private readonly script: (request: AppendRecord) => AppendAnswer = () => ({ kind: "ok" }),
    /** How long each answer takes (answers stay in order). */
    private readonly latencyMs = 0,
  ) {}

  /** Starts listening on 127.0.0.1; resolves with `host:port`. */
  async start(): Promise<string> {
    const server = new grpc.Server();
    const service = `/${V1}.BigQueryWrite`;
    const codec = <T>(type: protobuf.Type) => ({
      serialize: (value: T) => Buffer.from(type.encode(type.fromObject(value as object)).finish()),
      deserialize: (bytes: Buffer) => type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as T,
    });
    const [request, response] = [codec(AppendRowsRequest), codec(AppendRowsResponse)];
    const [create, stream] = [codec(CreateWriteStreamRequest), codec(WriteStream)];
    const definition: grpc.ServiceDefinition = {
      AppendRows: {
        path: `${service}/AppendRows`,
        requestStream: true,
        responseStream: true,
        requestSerialize: request.serialize,
        requestDeserialize: request.deserialize,
        responseSerialize: response.serialize,
        responseDeserialize: response.deserialize,
      },
      CreateWriteStream: {
        path: `${service}/CreateWriteStream`,
        requestStream: false,
        responseStream: false,
        requestSerialize: create.serialize,
        requestDeserialize: create.deserialize,
        responseSerialize: stream.serialize,
        responseDeserialize: stream.deserialize,
      },
    };
    server.addService(definition, {
      AppendRows: (call: grpc.ServerDuplexStream<Record<string, unknown>, object>) => this.connection(call),
      CreateWriteStream: (
        call: grpc.ServerUnaryCall<{ parent: string }, object>,
        callback: grpc.sendUnaryData<object>,
      ) => callback(null, { name: `${call.request.parent}/streams/stand-in`, type: 1 }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
    return `127.0.0.1:${port}`;
  }

  private connection(call: grpc.ServerDuplexStream<Record<string, unknown>, object>): void {
    const connection = ++this.connections;
    let wedged = false;
    let table = "";
    call.on("data", (message: Record<string, unknown>) => {
      table = /\/tables\/([^/]+)/.exec(String(message.writeStream ?? ""))?.[1] ?? table;
      const record: AppendRecord = {
        connection,
        index: this.requests.length,
        table,
        eventIds: eventIdsOf(message),
        answer: "stuck",
      };
      this.requests.push(record);
      if (wedged || call.cancelled || call.destroyed) return;
      const answer = this.script(record);
      record.answer = answer.kind;
      if (written(record)) for (const id of record.eventIds) this.written.set(id, (this.written.get(id) ?? 0) + 1);
      if (answer.kind === "withhold") {
        wedged = true;
        return;
      }
      setTimeout(() => {
        if (call.cancelled || call.destroyed) return;
        if (answer.kind === "ok") call.write({ appendResult: { offset: null } });
        else if (answer.kind === "error")
          call.write({
            error: { code: answer.code, message: answer.message },
            rowErrors: (answer.rowErrors ?? []).map((e) => ({ index: e.index, code: 1, message: e.message })),
          });
        else call.emit("error", { code: answer.code, details: answer.message });
      }, this.latencyMs);
    });
    call.on("end", () => call.end());
    call.on("error", () => undefined);
  }

  /** Rows written more than once whose first writing append was answered (not withheld): a healthy request's duplicates. */
  healthyDuplicates(): string[] {
    const first = new Map<string, AppendRecord["answer"]>();
    for (const r of this.requests)
      for (const id of r.eventIds) if (!first.has(id) && written(r)) first.set(id, r.answer);
    return [...this.written].filter(([id, n]) => n > 1 && first.get(id) === "ok").map(([id]) => id);
  }

  async stop(): Promise<void> {
    this.server?.forceShutdown();
  }
}

const written = (r: AppendRecord) => r.answer === "ok" || r.answer === "withhold";

/**
 * The event ids of an append's rows: field `event_id` (raw table) or the `event_id` of an error
 * row's payload, read from the serialized protobuf rows with the request's own descriptor.
 */
function eventIdsOf(message: Record<string, unknown>): string[] {
  const protoRows = message.protoRows as {
    writerSchema?: { protoDescriptor?: { field?: { name: string; number: number }[] } };
    rows?: { serializedRows?: Uint8Array[] };
  };
  const fields = protoRows?.writerSchema?.protoDescriptor?.field ?? [];
  const eventId = fields.find((f) => f.name === "event_id")?.number;
  const payload = fields.find((f) => f.name === "payloadString")?.number;
  return (protoRows?.rows?.serializedRows ?? []).map((bytes) => {
    const reader = protobuf.Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === eventId && (tag & 7) === 2) return reader.string();
      if (tag >>> 3 === payload && (tag & 7) === 2) return String(JSON.parse(reader.string()).event_id);
      reader.skipType(tag & 7);
    }
    return "?";
  });
}

/** How the insertAll stand-in answers one request: an HTTP status and body. */
export type InsertAllAnswer = { readonly status: number; readonly body: object };

/** `tabledata.insertAll`, answering from `script` (every other REST call: 404). */
export class StandInInsertAll {
  public readonly requests: { table: string; eventIds: string[]; status: number }[] = [];
  public readonly written = new Map<string, number>();
  private server: http.Server | undefined;

  constructor(private readonly script: (table: string, eventIds: readonly string[]) => InsertAllAnswer) {}

  /** Starts listening on 127.0.0.1; resolves with the API endpoint (`http://127.0.0.1:PORT`). */
  async start(): Promise<string> {
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        if (!request.url?.includes("/insertAll")) {
          response.writeHead(404, { "content-type": "application/json" }).end('{"error":{"code":404}}');
          return;
        }
        type Row = { insertId: string; json: { event_id?: string; attributes?: { key: string; value: string }[] } };
        const rows = (JSON.parse(body).rows ?? []) as Row[];
        // A raw row's event_id, or an error row's event_id attribute.
        const eventIds = rows.map(
          (r) => r.json.event_id ?? r.json.attributes?.find((a) => a.key === "event_id")?.value ?? r.insertId,
        );
        const table = /\/tables\/([^/]+)\/insertAll/.exec(request.url)?.[1] ?? "";
        const answer = this.script(table, eventIds);
        this.requests.push({ table, eventIds, status: answer.status });
        if (answer.status === 200) for (const id of eventIds) this.written.set(id, (this.written.get(id) ?? 0) + 1);
        response.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
