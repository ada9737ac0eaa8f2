/**
 * ZetaSQL (BigQuery's SQL front end) as a checker for the project's SQL.
 *
 * Runs the `remote_server.so` executable shipped in npm `@fivetrandevelopers/zetasql` on
 * 127.0.0.1 (a free port), talks to it over gRPC with the package's own protos, and
 * analyzes statements against a catalog built from the project's `TableSchema`s. An
 * unknown table, column or function, a type error or a syntax error comes back as
 * ZetaSQL's message with line and column.
 */
import { freePort } from "../process/free-port";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ColumnDefinition, TableSchema } from "../../schemas/table-schema";

const PACKAGE_DIR = path.dirname(require.resolve("@fivetrandevelopers/zetasql/package.json"));
const PROTO_DIR = path.join(PACKAGE_DIR, "lib", "zetasql", "protos");
/** The Linux x86-64 server; the package also ships arm64 and macOS builds. */
export const ZETASQL_SERVER = path.join(
  PACKAGE_DIR,
  "lib",
  "zetasql",
  `remote_server${process.arch === "arm64" ? "_arm" : ""}${process.platform === "darwin" ? "" : ".so"}`,
);

// ---------------------------------------------------------------------------------------
// Types and catalog
// ---------------------------------------------------------------------------------------

/** ZetaSQL's TypeProto, as the gRPC API takes it. */
export interface ZetaType {
  type_kind: string;
  array_type?: { element_type: ZetaType };
  struct_type?: { field: { field_name: string; field_type: ZetaType }[] };
  range_type?: { element_type: ZetaType };
}

const SIMPLE_TYPES: Record<string, string> = {
  STRING: "TYPE_STRING",
  BYTES: "TYPE_BYTES",
  INT64: "TYPE_INT64",
  INTEGER: "TYPE_INT64",
  FLOAT64: "TYPE_DOUBLE",
  FLOAT: "TYPE_DOUBLE",
  NUMERIC: "TYPE_NUMERIC",
  BIGNUMERIC: "TYPE_BIGNUMERIC",
  BOOL: "TYPE_BOOL",
  BOOLEAN: "TYPE_BOOL",
  TIMESTAMP: "TYPE_TIMESTAMP",
  DATE: "TYPE_DATE",
  DATETIME: "TYPE_DATETIME",
  TIME: "TYPE_TIME",
  JSON: "TYPE_JSON",
  GEOGRAPHY: "TYPE_GEOGRAPHY",
  INTERVAL: "TYPE_INTERVAL",
};

/** A simple type by its GoogleSQL name (`STRING`, `INT64`, ...). */
export function simpleType(name: string): ZetaType {
  const kind = SIMPLE_TYPES[name.toUpperCase()];
  if (!kind) throw new Error(`no ZetaSQL type for "${name}"`);
  return { type_kind: kind };
}

/** `STRUCT<...>` from name → type pairs. */
export function structType(fields: [string, ZetaType][]): ZetaType {
  return {
    type_kind: "TYPE_STRUCT",
    struct_type: { field: fields.map(([field_name, field_type]) => ({ field_name, field_type })) },
  };
}

/** `ARRAY<element>`. */
export function arrayType(element: ZetaType): ZetaType {
  return { type_kind: "TYPE_ARRAY", array_type: { element_type: element } };
}

function columnType(column: ColumnDefinition): ZetaType {
  let type: ZetaType;
  if (column.type === "RECORD") {
    type = structType((column.fields ?? []).map((f) => [f.name, columnType(f)]));
  } else if (column.type === "RANGE") {
    type = { type_kind: "TYPE_RANGE", range_type: { element_type: simpleType(column.rangeElementType ?? "DATE") } };
  } else {
    type = simpleType(column.type);
  }
  return column.mode === "REPEATED" ? arrayType(type) : type;
}

/** One column of a catalog table. */
export interface CatalogColumn {
  readonly name: string;
  readonly type: ZetaType;
  /** A pseudo-column (`_PARTITIONTIME`): readable by name, not part of `SELECT *`. */
  readonly pseudo?: boolean;
}

/** One table (or view) of the catalog, addressed by its path, e.g. `["p", "ds", "t"]`. */
export interface CatalogTable {
  readonly path: readonly string[];
  readonly columns: readonly CatalogColumn[];
}

/** The columns of a `TableSchema`. */
export function columnsOf(schema: TableSchema): CatalogColumn[] {
  return schema.columns.map((c) => ({ name: c.name, type: columnType(c) }));
}

/** The pseudo-columns of an ingestion-time partitioned table. */
export const INGESTION_TIME_PSEUDO_COLUMNS: readonly CatalogColumn[] = [
  { name: "_PARTITIONTIME", type: simpleType("TIMESTAMP"), pseudo: true },
  { name: "_PARTITIONDATE", type: simpleType("DATE"), pseudo: true },
];

const S = simpleType("STRING");
const I = simpleType("INT64");
const T = simpleType("TIMESTAMP");
const B = simpleType("BOOL");
const F = simpleType("FLOAT64");
const TABLE_REF = structType([
  ["project_id", S],
  ["dataset_id", S],
  ["table_id", S],
]);
const ERROR_PROTO = structType([
  ["reason", S],
  ["location", S],
  ["debug_info", S],
  ["message", S],
]);

/** `<dataset>.INFORMATION_SCHEMA.TABLES` (the columns the SQL uses, plus the documented neighbours). */
export const INFORMATION_SCHEMA_TABLES: readonly CatalogColumn[] = [
  { name: "table_catalog", type: S },
  { name: "table_schema", type: S },
  { name: "table_name", type: S },
  { name: "table_type", type: S },
  { name: "is_insertable_into", type: S },
  { name: "is_typed", type: S },
  { name: "creation_time", type: T },
  { name: "base_table_catalog", type: S },
  { name: "base_table_schema", type: S },
  { name: "base_table_name", type: S },
  { name: "snapshot_time_ms", type: T },
  { name: "ddl", type: S },
  { name: "default_collation_name", type: S },
  { name: "upsert_stream_apply_watermark", type: T },
  { name: "replica_source_catalog", type: S },
  { name: "replica_source_schema", type: S },
  { name: "replica_source_name", type: S },
  { name: "replication_status", type: S },
  { name: "replication_error", type: S },
  { name: "is_change_history_enabled", type: S },
  {
    name: "sync_status",
    type: structType([
      ["last_completion_time", T],
      ["error_time", T],
      ["error", ERROR_PROTO],
    ]),
  },
];

/** `<dataset>.INFORMATION_SCHEMA.TABLE_OPTIONS`. */
export const INFORMATION_SCHEMA_TABLE_OPTIONS: readonly CatalogColumn[] = [
  { name: "table_catalog", type: S },
  { name: "table_schema", type: S },
  { name: "table_name", type: S },
  { name: "option_name", type: S },
  { name: "option_type", type: S },
  { name: "option_value", type: S },
];

const JOB_COMMON: CatalogColumn[] = [
  { name: "project_id", type: S },
  { name: "project_number", type: I },
  { name: "user_email", type: S },
  { name: "job_id", type: S },
  { name: "job_type", type: S },
  { name: "statement_type", type: S },
  { name: "priority", type: S },
  { name: "state", type: S },
  { name: "reservation_id", type: S },
  { name: "destination_table", type: TABLE_REF },
  { name: "error_result", type: ERROR_PROTO },
  { name: "parent_job_id", type: S },
];

/** `region-xx.INFORMATION_SCHEMA.JOBS` (alias of JOBS_BY_PROJECT). */
export const INFORMATION_SCHEMA_JOBS: readonly CatalogColumn[] = [
  ...JOB_COMMON,
  { name: "creation_time", type: T },
  { name: "start_time", type: T },
  { name: "end_time", type: T },
  { name: "total_bytes_processed", type: I },
  { name: "total_bytes_billed", type: I },
  { name: "total_slot_ms", type: I },
  { name: "cache_hit", type: B },
  { name: "referenced_tables", type: arrayType(TABLE_REF) },
  {
    name: "labels",
    type: arrayType(
      structType([
        ["key", S],
        ["value", S],
      ]),
    ),
  },
  { name: "query", type: S },
  { name: "transaction_id", type: S },
];

/** `region-xx.INFORMATION_SCHEMA.JOBS_TIMELINE_BY_PROJECT`. */
export const INFORMATION_SCHEMA_JOBS_TIMELINE: readonly CatalogColumn[] = [
  ...JOB_COMMON,
  { name: "period_start", type: T },
  { name: "period_slot_ms", type: I },
  { name: "period_shuffle_ram_usage_ratio", type: F },
  { name: "job_creation_time", type: T },
  { name: "job_start_time", type: T },
  { name: "job_end_time", type: T },
  { name: "period_estimated_runnable_units", type: I },
  { name: "total_bytes_processed", type: I },
];

/** The region-qualified `INFORMATION_SCHEMA` tables under `project.region-xx`. */
export function regionInformationSchema(project: string, location: string): CatalogTable[] {
  const region = `region-${location.toLowerCase()}`;
  return [
    { path: [project, region, "INFORMATION_SCHEMA", "JOBS"], columns: INFORMATION_SCHEMA_JOBS },
    { path: [project, region, "INFORMATION_SCHEMA", "JOBS_BY_PROJECT"], columns: INFORMATION_SCHEMA_JOBS },
    {
      path: [project, region, "INFORMATION_SCHEMA", "JOBS_TIMELINE_BY_PROJECT"],
      columns: INFORMATION_SCHEMA_JOBS_TIMELINE,
    },
  ];
}

/** The dataset-qualified `INFORMATION_SCHEMA` tables under `project.dataset`. */
export function datasetInformationSchema(project: string, datasetId: string): CatalogTable[] {
  return [
    { path: [project, datasetId, "INFORMATION_SCHEMA", "TABLES"], columns: INFORMATION_SCHEMA_TABLES },
    { path: [project, datasetId, "INFORMATION_SCHEMA", "TABLE_OPTIONS"], columns: INFORMATION_SCHEMA_TABLE_OPTIONS },
  ];
}

interface CatalogProto {
  name: string;
  table: unknown[];
  catalog: CatalogProto[];
  builtin_function_options?: unknown;
}

let serializationId = 1;

/** Nests tables into ZetaSQL SimpleCatalogProtos: every path part but the last is a sub-catalog. */
function catalogProto(tables: readonly CatalogTable[], languageOptions: unknown): CatalogProto {
  const root: CatalogProto = {
    name: "root",
    table: [],
    catalog: [],
    builtin_function_options: { language_options: languageOptions },
  };
  for (const table of tables) {
    let node = root;
    for (const part of table.path.slice(0, -1)) {
      let child = node.catalog.find((c) => c.name === part);
      if (!child) {
        child = { name: part, table: [], catalog: [] };
        node.catalog.push(child);
      }
      node = child;
    }
    const name = table.path[table.path.length - 1];
    node.table.push({
      name,
      full_name: table.path.join("."),
      serialization_id: serializationId++,
      column: table.columns.map((c) => ({
        name: c.name,
        type: c.type,
        is_pseudo_column: c.pseudo ?? false,
        is_writable_column: !c.pseudo,
      })),
    });
  }
  return root;
}

// ---------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------

export { freePort } from "../process/free-port";

/** Statement kinds the checker accepts (everything under sql/ is one of these). */
const STATEMENT_KINDS = [
  "RESOLVED_QUERY_STMT",
  "RESOLVED_MERGE_STMT",
  "RESOLVED_INSERT_STMT",
  "RESOLVED_UPDATE_STMT",
  "RESOLVED_DELETE_STMT",
  "RESOLVED_TRUNCATE_STMT",
  "RESOLVED_CREATE_VIEW_STMT",
  "RESOLVED_CREATE_MATERIALIZED_VIEW_STMT",
  "RESOLVED_CREATE_TABLE_AS_SELECT_STMT",
];

/** A query parameter the statements may use, e.g. `@run_time` of scheduled queries. */
export interface QueryParameter {
  readonly name: string;
  readonly type: ZetaType;
}

/** The result of analyzing one statement. */
export interface AnalysisResult {
  readonly ok: boolean;
  /** ZetaSQL's message, with `[at line:column]` and a caret line, when `ok` is false. */
  readonly error?: string;
  /** The resolved statement's kind, e.g. `resolved_merge_stmt_node`, when `ok` is true. */
  readonly statementKind?: string;
}

type Unary = (request: unknown, callback: (error: grpc.ServiceError | null, response: any) => void) => void;

/**
 * A running ZetaSQL server plus a client. `await ZetaSqlAnalyzer.start()`, then
 * `setCatalog(tables)` and `analyze(sql)`; `stop()` kills the server by PID.
 */
export class ZetaSqlAnalyzer {
  private catalogId: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: grpc.Client & Record<string, Unary>,
    public readonly port: number,
    private readonly languageOptions: Record<string, unknown>,
    private readonly output: string[],
  ) {}

  /** Starts the server on a free 127.0.0.1 port and waits (up to `timeoutMs`) until it answers. */
  public static async start(options: { timeoutMs?: number } = {}): Promise<ZetaSqlAnalyzer> {
    if (!fs.existsSync(ZETASQL_SERVER)) throw new Error(`ZetaSQL server not found at ${ZETASQL_SERVER}`);
    const port = await freePort();
    const child = spawn(ZETASQL_SERVER, ["127.0.0.1", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    child.stdout?.on("data", (d: Buffer) => output.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => output.push(d.toString()));
    const definition = protoLoader.loadSync("local_service.proto", {
      includeDirs: [PROTO_DIR],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    });
    const proto = grpc.loadPackageDefinition(definition) as any;
    const client = new proto.zetasql.local_service.ZetaSqlLocalService(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
      {
        "grpc.max_send_message_length": 64 * 1024 * 1024,
        "grpc.max_receive_message_length": 64 * 1024 * 1024,
      },
    );
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let exited: number | null = null;
    child.on("exit", (code) => (exited = code ?? -1));
    for (;;) {
      if (exited !== null) throw new Error(`ZetaSQL server exited with ${exited}: ${output.join("")}`);
      try {
        await call(client.FormatSql.bind(client), { sql: "SELECT 1" }, 2000);
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          child.kill("SIGKILL");
          throw new Error(`ZetaSQL server on 127.0.0.1:${port} did not answer: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const max = await call(client.GetLanguageOptions.bind(client), { maximum_features: true }, 10_000);
    const languageOptions = {
      name_resolution_mode: "NAME_RESOLUTION_DEFAULT",
      product_mode: "PRODUCT_EXTERNAL",
      error_on_deprecated_syntax: false,
      enabled_language_features: max.enabled_language_features ?? [],
      supported_statement_kinds: STATEMENT_KINDS,
    };
    return new ZetaSqlAnalyzer(child, client, port, languageOptions, output);
  }

  /** Registers the catalog every later `analyze` resolves names in (replacing the previous one). */
  public async setCatalog(tables: readonly CatalogTable[]): Promise<void> {
    if (this.catalogId !== undefined) {
      await call(this.client.UnregisterCatalog.bind(this.client), { registered_id: this.catalogId }, 10_000).catch(
        () => undefined,
      );
    }
    const response = await call(
      this.client.RegisterCatalog.bind(this.client),
      { simple_catalog: catalogProto(tables, this.languageOptions) },
      30_000,
    );
    this.catalogId = response.registered_id;
  }

  /** Analyzes one statement; `parameters` are the named query parameters it may use. */
  public async analyze(sql: string, parameters: readonly QueryParameter[] = []): Promise<AnalysisResult> {
    if (this.catalogId === undefined) throw new Error("setCatalog first");
    try {
      const response = await call(
        this.client.Analyze.bind(this.client),
        {
          registered_catalog_id: this.catalogId,
          sql_statement: sql,
          options: {
            language_options: this.languageOptions,
            error_message_mode: "ERROR_MESSAGE_MULTI_LINE_WITH_CARET",
            default_timezone: "UTC",
            parameter_mode: "PARAMETER_NAMED",
            query_parameters: parameters.map((p) => ({ name: p.name, type: p.type })),
          },
        },
        30_000,
      );
      const statement = response.resolved_statement ?? {};
      return { ok: true, statementKind: statement.node ?? Object.keys(statement)[0] };
    } catch (error) {
      const e = error as grpc.ServiceError;
      if (
        e.code === grpc.status.INVALID_ARGUMENT ||
        e.code === grpc.status.NOT_FOUND ||
        e.code === grpc.status.UNIMPLEMENTED
      ) {
        return { ok: false, error: e.details || e.message };
      }
      throw error;
    }
  }

  /** Stops the server (by its PID) and closes the client. */
  public async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null && this.child.pid !== undefined) {
      const exited = new Promise((r) => this.child.once("exit", r));
      process.kill(this.child.pid, "SIGTERM");
      const timer = setTimeout(
        () => this.child.pid && this.child.exitCode === null && process.kill(this.child.pid, "SIGKILL"),
        2000,
      );
      await exited;
      clearTimeout(timer);
    }
  }

  /** What the server printed (for diagnosing a failed start). */
  public get serverOutput(): string {
    return this.output.join("");
  }
}

function call(fn: Unary, request: unknown, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + timeoutMs);
    (fn as any)(request, { deadline }, (error: grpc.ServiceError | null, response: unknown) =>
      error ? reject(error) : resolve(response),
    );
  });
}
