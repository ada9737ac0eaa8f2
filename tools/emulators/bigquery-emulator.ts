/**
 * Starts and stops the BigQuery emulator (goccy/bigquery-emulator v0.8.1) for tests, benchmarks
 * and the demo. The binary comes from `scripts/ensure-bigquery-emulator.sh` (built once, cached
 * under $FRESH_STREAMS_CACHE/bin); `$BIGQUERY_EMULATOR_BIN` overrides it.
 *
 * It listens on two ports, both bound to 127.0.0.1 and chosen free: HTTP (the BigQuery REST
 * API; clients use `apiEndpoint`) and gRPC (the Storage Read/Write API).
 *
 * What the emulator does not do (seen here with v0.8.1; tests must not rely on these):
 * - no insertId de-duplication on tabledata.insertAll;
 * - no `_CHANGE_TYPE` (CDC upserts/deletes through the Storage Write API);
 * - no `tables.update` (PUT); `tables.patch` works;
 * - ingestion-time partitioning is stored but `_PARTITIONTIME` is not a column it can read
 *   (see test/elt/staging-load.emulator.test.ts for the exact behaviour and the adaptation).
 *
 * Command line: `npx tsx tools/emulators/bigquery-emulator.ts [--project P]` starts one, prints
 * `BIGQUERY_EMULATOR_HOST=http://127.0.0.1:PORT` and keeps it running until SIGINT/SIGTERM.
 */
import { INGESTION_ERRORS_SCHEMA } from "../../schemas/ingestion-errors";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { DirectSink } from "../../schemas/worker-contract";
import { freePort } from "../process/free-port";
import { logTail } from "../process/log-tail";
import { serveUntilSignalled, terminate, watchExit } from "../process/terminate";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Options of {@link startBigQueryEmulator}. */
export interface BigQueryEmulatorOptions {
  /** The project the emulator serves (clients must use the same id). */
  readonly projectId: string;
  /**
   * A dataset to create at start.
   * @default - none
   */
  readonly datasetId?: string;
  /**
   * HTTP port (127.0.0.1 only).
   * @default - a free port
   */
  readonly port?: number;
  /**
   * gRPC port (127.0.0.1 only).
   * @default - a free port
   */
  readonly grpcPort?: number;
  /**
   * How long to wait until the REST API answers.
   * @default 30000
   */
  readonly readyTimeoutMs?: number;
  /**
   * File receiving the emulator's output.
   * @default - discarded
   */
  readonly logFile?: string;
  /**
   * The emulator's log level.
   * @default "error"
   */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
  /**
   * Build the binary (scripts/ensure-bigquery-emulator.sh) when it is missing. The cold build
   * takes about 11 minutes on 2 cores.
   * @default true
   */
  readonly build?: boolean;
}

/** A running emulator. */
export interface BigQueryEmulator {
  /** `http://127.0.0.1:PORT`: `apiEndpoint` of `new BigQuery({ apiEndpoint, projectId })`. */
  readonly apiEndpoint: string;
  /** HTTP port. */
  readonly port: number;
  /** gRPC port (Storage API). */
  readonly grpcPort: number;
  /** `127.0.0.1:GRPCPORT`. */
  readonly grpcEndpoint: string;
  readonly projectId: string;
  /** PID of the emulator process. */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

const REPO = path.resolve(__dirname, "..", "..");

/** The cache folder of the project's tools (same rule as scripts/lib/common.sh). */
/**
 * The worker's variable pointing a direct sink at this emulator: `insert-all` speaks its REST API
 * (`BIGQUERY_EMULATOR_HOST`), `storage-write` its gRPC API (`BIGQUERY_STORAGE_EMULATOR_HOST`).
 */
export function sinkEmulatorEnv(
  emulator: Pick<BigQueryEmulator, "apiEndpoint" | "grpcEndpoint">,
  sink: DirectSink,
): Record<string, string> {
  return sink === "insert-all"
    ? { BIGQUERY_EMULATOR_HOST: emulator.apiEndpoint }
    : { BIGQUERY_STORAGE_EMULATOR_HOST: emulator.grpcEndpoint };
}

export function freshStreamsCache(): string {
  return (
    process.env.FRESH_STREAMS_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "fresh-streams")
  );
}

/** Path of the emulator binary, building it first when missing and `build` is true. */
export function bigQueryEmulatorBinary(build = true): string {
  const fromEnv = process.env.BIGQUERY_EMULATOR_BIN;
  if (fromEnv) return fromEnv;
  const cached = path.join(freshStreamsCache(), "bin", "bigquery-emulator");
  if (fs.existsSync(cached)) return cached;
  if (!build)
    throw new Error(`the BigQuery emulator is not built (${cached}); run scripts/ensure-bigquery-emulator.sh`);
  return execFileSync("bash", [path.join(REPO, "scripts", "ensure-bigquery-emulator.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

export { freePort } from "../process/free-port";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(port: number, projectId: string): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/bigquery/v2/projects/${projectId}/datasets`, {
      signal: AbortSignal.timeout(1000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the emulator on 127.0.0.1 (free HTTP and gRPC ports) and resolves once its REST API answers. */
export async function startBigQueryEmulator(options: BigQueryEmulatorOptions): Promise<BigQueryEmulator> {
  const binary = bigQueryEmulatorBinary(options.build ?? true);
  const port = options.port ?? (await freePort());
  let grpcPort = options.grpcPort ?? (await freePort());
  while (grpcPort === port) grpcPort = await freePort();
  if (await answers(port, options.projectId)) throw new Error(`port ${port} already answers; refusing to share it`);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;

  const args = [
    `--project=${options.projectId}`,
    "--host=127.0.0.1",
    `--port=${port}`,
    `--grpc-port=${grpcPort}`,
    `--log-level=${options.logLevel ?? "error"}`,
  ];
  if (options.datasetId) args.push(`--dataset=${options.datasetId}`);
  const out = options.logFile ? fs.openSync(options.logFile, "a") : "ignore";
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", out, out] });
  if (typeof out === "number") fs.closeSync(out);
  const { exited, info: exitInfo } = watchExit(child);

  const stop = async (): Promise<void> => {
    if (exitInfo() === undefined) await terminate(child, exited);
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitInfo() !== undefined) {
      throw new Error(`the BigQuery emulator exited before it was ready (${exitInfo()})${logTail(options.logFile)}`);
    }
    if (await answers(port, options.projectId)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the BigQuery emulator did not answer on 127.0.0.1:${port} within ${readyTimeoutMs} ms`);
    }
    await sleep(100);
  }

  return {
    apiEndpoint: `http://127.0.0.1:${port}`,
    port,
    grpcPort,
    grpcEndpoint: `127.0.0.1:${grpcPort}`,
    projectId: options.projectId,
    pid: child.pid ?? -1,
    stop,
  };
}

// ---------------------------------------------------------------------------------------
// A minimal REST client (fetch only). The Node client library works against the emulator
// too, but under jest its HTTP layer fails ("dynamic import callback was invoked without
// --experimental-vm-modules"), so tests use this.
// ---------------------------------------------------------------------------------------

/** A query parameter: a name and a GoogleSQL scalar type. */
export interface RestQueryParameter {
  readonly name: string;
  readonly type: "STRING" | "INT64" | "FLOAT64" | "BOOL" | "TIMESTAMP" | "DATE";
  readonly value: string | number | boolean | Date;
}

interface RestField {
  name: string;
  type: string;
  mode?: string;
  fields?: RestField[];
}

/** The result of a query: rows as plain objects (INT64 → number, TIMESTAMP → ISO string). */
export interface RestQueryResult {
  readonly rows: Record<string, unknown>[];
  /** Rows a DML statement changed, when the emulator reports it. */
  readonly numDmlAffectedRows?: number;
}

function convert(field: RestField, cell: unknown): unknown {
  if (field.mode === "REPEATED") {
    return ((cell as { v: unknown }[]) ?? []).map((item) => convert({ ...field, mode: "NULLABLE" }, item.v));
  }
  if (cell === null || cell === undefined) return null;
  switch (field.type) {
    case "INTEGER":
    case "INT64":
    case "FLOAT":
    case "FLOAT64":
      return Number(cell);
    case "BOOLEAN":
    case "BOOL":
      return cell === true || cell === "true";
    case "TIMESTAMP":
      return new Date(Math.round(Number(cell) * 1000)).toISOString();
    case "RECORD":
    case "STRUCT":
      return rowObject(field.fields ?? [], (cell as { f: { v: unknown }[] }).f);
    default:
      return cell;
  }
}

function rowObject(fields: RestField[], cells: { v: unknown }[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  fields.forEach((field, i) => (row[field.name] = convert(field, cells[i]?.v)));
  return row;
}

/** Datasets, tables, insertAll and queries against an emulator (or any BigQuery REST endpoint without auth). */
export class BigQueryRestClient {
  constructor(
    private readonly apiEndpoint: string,
    public readonly projectId: string,
  ) {}

  private async call(method: string, resource: string, body?: unknown): Promise<any> {
    const url = `${this.apiEndpoint}/bigquery/v2/projects/${encodeURIComponent(this.projectId)}${resource}`;
    const response = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : {};
    if (!response.ok || json.error) {
      throw new Error(`BigQuery ${method} ${resource}: ${response.status} ${json.error?.message ?? text}`);
    }
    return json;
  }

  /** Creates a dataset. */
  async createDataset(datasetId: string, location?: string): Promise<void> {
    await this.call("POST", "/datasets", { datasetReference: { projectId: this.projectId, datasetId }, location });
  }

  /** Creates a table from a `tables.insert` body (schema, timePartitioning, clustering...). */
  async createTable(datasetId: string, tableId: string, table: Record<string, unknown>): Promise<void> {
    await this.call("POST", `/datasets/${datasetId}/tables`, {
      ...table,
      tableReference: { projectId: this.projectId, datasetId, tableId },
    });
  }

  /**
   * A fresh dataset with the worker's direct-mode tables: `wiki_changes` (today's schema, ingestion-time
   * partitioned as the stack declares it) and its error table `wiki_changes_errors`.
   */
  async createRawTables(datasetId: string): Promise<void> {
    await this.createDataset(datasetId);
    await this.createTable(datasetId, "wiki_changes", {
      schema: { fields: WIKI_CHANGES_SCHEMA.toBigQueryJson() },
      timePartitioning: { type: "DAY" },
    });
    await this.createTable(datasetId, "wiki_changes_errors", {
      schema: { fields: INGESTION_ERRORS_SCHEMA.toBigQueryJson() },
    });
  }

  /** Streams rows in (tabledata.insertAll); throws on any row error. */
  async insertAll(datasetId: string, tableId: string, rows: readonly object[]): Promise<void> {
    const response = await this.call("POST", `/datasets/${datasetId}/tables/${tableId}/insertAll`, {
      rows: rows.map((json) => ({ json })),
    });
    if (response.insertErrors?.length) throw new Error(`insertAll: ${JSON.stringify(response.insertErrors)}`);
  }

  /** Runs one GoogleSQL statement (jobs.query) with named parameters and returns its rows. */
  async query(sql: string, parameters: RestQueryParameter[] = []): Promise<RestQueryResult> {
    const response = await this.call("POST", "/queries", {
      query: sql,
      useLegacySql: false,
      parameterMode: parameters.length ? "NAMED" : undefined,
      queryParameters: parameters.map((p) => ({
        name: p.name,
        parameterType: { type: p.type },
        parameterValue: { value: p.value instanceof Date ? p.value.toISOString() : String(p.value) },
      })),
      timeoutMs: 60_000,
    });
    if (response.jobComplete === false) throw new Error(`query did not complete: ${sql.slice(0, 200)}`);
    const fields: RestField[] = response.schema?.fields ?? [];
    return {
      rows: (response.rows ?? []).map((r: { f: { v: unknown }[] }) => rowObject(fields, r.f)),
      numDmlAffectedRows: response.numDmlAffectedRows === undefined ? undefined : Number(response.numDmlAffectedRows),
    };
  }
}

if (require.main === module) {
  const projectArg = process.argv.indexOf("--project");
  const projectId = projectArg > 0 ? process.argv[projectArg + 1] : "fresh-streams-local";
  serveUntilSignalled(
    startBigQueryEmulator({ projectId }),
    (emulator) =>
      `BIGQUERY_EMULATOR_HOST=${emulator.apiEndpoint}\nBIGQUERY_STORAGE_EMULATOR_HOST=${emulator.grpcEndpoint}\n`,
  );
}
