/**
 * The worker's settings parser: environment variables, optionally mirrored by `--flag=value`
 * command-line flags (flag names are the lowercase, dash-separated variable names, e.g.
 * `--sse-url=...` for `SSE_URL`). Pure and on the ground floor: the worker parses its
 * environment with it at startup, and `SsePublisherService` parses the environment it deploys at
 * synth, so a value the worker would refuse never reaches Cloud Run.
 */
import {
  BIGQUERY_WRITE_LIMITS,
  DEFAULT_METRICS_PORT,
  DEFAULT_SSE_URL,
  DEFAULT_USER_AGENT,
  WORKER_ENV_VARIABLES,
  WORKER_SINKS,
  WorkerSink,
} from "./worker-contract";
import { errorTableIdFor } from "./ingestion-errors";
import { PROJECT_ID, PUBSUB_NAME } from "./naming";

/** Where to start when no checkpoint exists (`START`). */
export type StartPolicy =
  /** Stop with exit code 1: a missing checkpoint is an operator's decision, never silent. */
  | { readonly kind: "fail" }
  /** Start at the live end of the stream. */
  | { readonly kind: "live" }
  /** Start at this time (sent as `?since=`). */
  | { readonly kind: "since"; readonly since: string };

/** A BigQuery table, by project, dataset and table id. */
export interface BigQueryTableName {
  readonly projectId: string;
  readonly datasetId: string;
  readonly tableId: string;
}

/** Validated settings of one worker process. */
export interface WorkerSettings {
  /** PROJECT: Google Cloud project of the topic (or of the BigQuery client with a BigQuery sink). */
  readonly project: string;
  /** SINK: where accepted events go (`pubsub`, `storage-write` or `insert-all`). */
  readonly sink: WorkerSink;
  /** TOPIC: topic name, or its full `projects/P/topics/T` name; "" with a BigQuery sink. */
  readonly topic: string;
  /** TABLE: the raw table a BigQuery sink writes (undefined with `pubsub`). */
  readonly table?: BigQueryTableName;
  /** ERROR_TABLE: where a BigQuery sink writes rows BigQuery refuses (default `<TABLE>_errors` beside TABLE). */
  readonly errorTable?: BigQueryTableName;
  /** BIGQUERY_EMULATOR_HOST: `http://host:port` of a BigQuery emulator's REST API (insert-all and the error table). */
  readonly bigqueryEmulatorHost?: string;
  /** BIGQUERY_STORAGE_EMULATOR_HOST: `host:port` of a BigQuery emulator's gRPC API (storage-write; a committed stream, the emulator has no default stream). */
  readonly bigqueryStorageEmulatorHost?: string;
  /** BATCH_MAX_BYTES: largest BigQuery write request the worker builds, in bytes of row data. */
  readonly batchMaxBytes: number;
  /** CDC_TOPIC: topic of the page-state changes (`wiki_pages` CDC); unset: not published. */
  readonly cdcTopic?: string;
  /** SSE_URL: the event stream. */
  readonly sseUrl: string;
  /** USER_AGENT: sent with every request (Wikimedia refuses requests without a descriptive one). */
  readonly userAgent: string;
  /** CHECKPOINT_PATH: file holding the last fully published event id, as given (relative to the working directory). */
  readonly checkpointPath: string;
  /** METRICS_PORT: port of /healthz and /metrics; 0 disables the HTTP server. */
  readonly metricsPort: number;
  /** METRICS_HOST: interface the HTTP server binds (Cloud Run needs all interfaces). */
  readonly metricsHost: string;
  /** PUBSUB_EMULATOR_HOST: the client library's standard emulator switch (host:port). */
  readonly pubsubEmulatorHost?: string;
  /** START: what to do when there is no checkpoint. */
  readonly start: StartPolicy;
  /** IDLE_TIMEOUT_MS: reconnect from the last event after this long without a message event (comments do not count). */
  readonly idleTimeoutMs: number;
  /** CONNECT_TIMEOUT_MS: give up on a connection attempt that has no response headers after this long. */
  readonly connectTimeoutMs: number;
  /** BACKOFF_INITIAL_MS / BACKOFF_MAX_MS: exponential reconnect backoff (jitter); also the bounds of a Retry-After. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** MAX_FRAME_BYTES: largest SSE frame (or line) buffered; past it the frame is dead-lettered and skipped. */
  readonly maxFrameBytes: number;
  /** MAX_IN_FLIGHT_MESSAGES / MAX_IN_FLIGHT_BYTES: reading pauses while either bound is reached. */
  readonly maxInFlightMessages: number;
  readonly maxInFlightBytes: number;
  /** PUBLISH_TIMEOUT_MS: total time a publish may spend retrying before the worker stops (fatal). */
  readonly publishTimeoutMs: number;
  /** BATCH_MAX_MESSAGES / BATCH_MAX_MS: publisher batching. */
  readonly batchMaxMessages: number;
  readonly batchMaxMs: number;
  /** CHECKPOINT_INTERVAL_MS: how often the checkpoint is written when it moved. */
  readonly checkpointIntervalMs: number;
  /** CHECKPOINT_TIMEOUT_MS: time allowed to each filesystem call of the checkpoint and the dead-letter sink. */
  readonly checkpointTimeoutMs: number;
  /** HEALTH_MAX_CHECKPOINT_AGE_MS: /healthz fails when a moved checkpoint has not been written for this long. */
  readonly healthMaxCheckpointAgeMs: number;
  /** HEALTH_MAX_EVENT_AGE_MS: /healthz fails when no message event arrived for this long. */
  readonly healthMaxEventAgeMs: number;
  /** DEAD_LETTER_PATH: folder of the dead-letter records; undefined: `dead-letter/` beside the checkpoint. */
  readonly deadLetterPath?: string;
  /** SHUTDOWN_DEADLINE_MS: time allowed after SIGTERM/SIGINT to flush and exit. */
  readonly shutdownDeadlineMs: number;
  /** LOG_LEVEL: pino level. */
  readonly logLevel: string;
}

/** One of the worker's settings variables. */
export type WorkerSettingName = (typeof WORKER_ENV_VARIABLES)[number];

const FULL_TOPIC = /^projects\/([^/]+)\/topics\/([^/]+)$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/;
/** What an HTTP header value may hold here: printable ASCII (space to `~`). Node's fetch refuses anything above Latin-1. */
const HEADER_VALUE = /^[\x20-\x7E]*$/;
export const LOG_LEVELS: readonly string[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Why a value cannot be an HTTP header value, or undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  if (HEADER_VALUE.test(value)) return undefined;
  const bad = [...value].find((c) => !HEADER_VALUE.test(c)) ?? "";
  const code = bad.codePointAt(0) ?? 0;
  return `contains ${JSON.stringify(bad)} (U+${code.toString(16).toUpperCase().padStart(4, "0")}) at position ${value.indexOf(bad)}: HTTP header values must be printable ASCII (space to ~)`;
}

/** Reads `--name=value` / `--name value` flags into variable names (`--sse-url` → `SSE_URL`). */
export function flagsToVariables(argv: readonly string[]): {
  values: Partial<Record<string, string>>;
  problems: string[];
} {
  const values: Partial<Record<string, string>> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match) {
      problems.push(`unexpected argument "${arg}": use --name=value flags or environment variables`);
      continue;
    }
    const name = match[1].replace(/-/g, "_").toUpperCase();
    if (!(WORKER_ENV_VARIABLES as readonly string[]).includes(name)) {
      problems.push(
        `unknown flag --${match[1]}: known flags are ${WORKER_ENV_VARIABLES.map((v) => `--${v.toLowerCase().replace(/_/g, "-")}`).join(", ")}`,
      );
      continue;
    }
    let value = match[2];
    if (value === undefined) {
      value = argv[i + 1];
      i++;
      if (value === undefined) {
        problems.push(`flag --${match[1]} needs a value`);
        continue;
      }
    }
    values[name] = value;
  }
  return { values, problems };
}

/** Parses a time given as ISO-8601 or Unix milliseconds into ISO-8601, or undefined. */
function parseTime(text: string): string | undefined {
  const asNumber = Number(text);
  const date = Number.isFinite(asNumber) ? new Date(asNumber) : new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * Parses the settings from environment variables overlaid with flags. Returns the settings, or
 * every problem found (one readable line each, naming the variable).
 *
 * `options.skip` names variables whose value is not known yet (a Terraform token at synth): they
 * are neither checked nor required.
 */
export function parseWorkerSettings(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
  options: { readonly skip?: ReadonlySet<string> } = {},
): { settings: WorkerSettings; problems: [] } | { settings?: undefined; problems: string[] } {
  const flags = flagsToVariables(argv);
  const problems = [...flags.problems];
  const skip = options.skip ?? new Set<string>();
  const get = (name: WorkerSettingName): string | undefined => {
    if (skip.has(name)) return undefined;
    const value = flags.values[name] ?? env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const int = (name: WorkerSettingName, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?[0-9]+$/.test(raw) || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}: "${raw}" is not an integer between ${min} and ${max}`);
      return fallback;
    }
    return value;
  };

  let project = get("PROJECT");
  let topic = get("TOPIC");
  const full = topic ? FULL_TOPIC.exec(topic) : null;
  if (full) {
    if (project && project !== full[1])
      problems.push(`TOPIC: "${topic}" is in project "${full[1]}" but PROJECT is "${project}"`);
    project = project ?? full[1];
    topic = full[2];
  }
  if (!project) {
    if (!skip.has("PROJECT")) problems.push("PROJECT: is required (the Google Cloud project of the topic)");
  } else if (!PROJECT_ID.test(project))
    problems.push(
      `PROJECT: "${project}" is not a valid project id (6-30 lowercase letters, digits and hyphens, starting with a letter)`,
    );
  const sinkText = get("SINK") ?? "pubsub";
  const sink = (WORKER_SINKS as readonly string[]).includes(sinkText) ? (sinkText as WorkerSink) : "pubsub";
  if (sink !== sinkText) problems.push(`SINK: "${sinkText}" must be one of ${WORKER_SINKS.join(", ")}`);
  const bigquerySink = sink !== "pubsub" && sink === sinkText;
  if (bigquerySink && topic)
    problems.push(
      `TOPIC: is set but SINK=${sink} writes BigQuery directly (TABLE); unset TOPIC, or set SINK=pubsub to publish`,
    );
  if (bigquerySink) {
    // No topic with a BigQuery sink.
  } else if (!topic) {
    if (!skip.has("TOPIC")) problems.push("TOPIC: is required (the Pub/Sub topic to publish to)");
  } else if (!PUBSUB_NAME.test(topic) || topic.toLowerCase().startsWith("goog")) {
    problems.push(
      `TOPIC: "${topic}" is not a valid topic id (3-255 characters, starting with a letter, not with "goog")`,
    );
  }

  const cdcTopic = parseCdcTopic(get("CDC_TOPIC"), project, topic, problems);

  let table: BigQueryTableName | undefined;
  let errorTable: BigQueryTableName | undefined;
  const tableText = get("TABLE");
  const errorTableText = get("ERROR_TABLE");
  if (bigquerySink) {
    if (tableText === undefined) {
      if (!skip.has("TABLE"))
        problems.push(
          `TABLE: is required with SINK=${sink} (the raw table, e.g. raw.wiki_changes or P.raw.wiki_changes)`,
        );
    } else table = parseTableName("TABLE", tableText, project, undefined, problems);
    if (errorTableText !== undefined)
      errorTable = parseTableName("ERROR_TABLE", errorTableText, project, table, problems);
    else if (table) errorTable = { ...table, tableId: errorTableIdFor(table.tableId) };
    if (table && errorTable && sameTable(table, errorTable))
      problems.push(`ERROR_TABLE: "${errorTableText}" is TABLE as well; refused rows need a table of their own`);
  } else {
    for (const [name, value] of [
      ["TABLE", tableText],
      ["ERROR_TABLE", errorTableText],
    ] as const)
      if (value !== undefined)
        problems.push(
          `${name}: is set but SINK is pubsub (Dataflow or a BigQuery subscription writes the table); set SINK=storage-write or insert-all to write it directly`,
        );
  }
  const bigqueryEmulatorHost = get("BIGQUERY_EMULATOR_HOST");
  if (bigqueryEmulatorHost !== undefined && !/^https?:\/\/[A-Za-z0-9.[\]:-]+:[0-9]{1,5}\/?$/.test(bigqueryEmulatorHost))
    problems.push(
      `BIGQUERY_EMULATOR_HOST: "${bigqueryEmulatorHost}" must be http://host:port, e.g. http://127.0.0.1:9050`,
    );
  const bigqueryStorageEmulatorHost = get("BIGQUERY_STORAGE_EMULATOR_HOST");
  if (bigqueryStorageEmulatorHost !== undefined && !HOST_PORT.test(bigqueryStorageEmulatorHost))
    problems.push(
      `BIGQUERY_STORAGE_EMULATOR_HOST: "${bigqueryStorageEmulatorHost}" must be host:port, e.g. 127.0.0.1:9060`,
    );

  const sseUrl = get("SSE_URL") ?? DEFAULT_SSE_URL;
  try {
    const url = new URL(sseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:")
      problems.push(`SSE_URL: "${sseUrl}" must be an http(s) URL`);
  } catch {
    problems.push(`SSE_URL: "${sseUrl}" is not a URL`);
  }

  const userAgent = get("USER_AGENT") ?? DEFAULT_USER_AGENT;
  const userAgentProblem = headerValueProblem(userAgent);
  if (userAgentProblem) problems.push(`USER_AGENT: ${userAgentProblem}`);

  const checkpointPath = get("CHECKPOINT_PATH") ?? ".checkpoint/recentchange.json";
  const metricsPort = int("METRICS_PORT", DEFAULT_METRICS_PORT, 0, 65535);

  const pubsubEmulatorHost = get("PUBSUB_EMULATOR_HOST");
  if (pubsubEmulatorHost !== undefined && !HOST_PORT.test(pubsubEmulatorHost)) {
    problems.push(`PUBSUB_EMULATOR_HOST: "${pubsubEmulatorHost}" must be host:port, e.g. 127.0.0.1:8085`);
  }

  let start: StartPolicy = { kind: "fail" };
  const startText = get("START");
  if (startText === "live" || startText === "fail") start = { kind: startText };
  else if (startText !== undefined) {
    const since = startText.startsWith("since:") ? parseTime(startText.slice("since:".length)) : undefined;
    if (since) start = { kind: "since", since };
    else
      problems.push(
        `START: "${startText}" must be live, fail or since:<time> (ISO-8601 or Unix milliseconds, e.g. since:2024-06-01T12:00:00Z)`,
      );
  }

  const logLevel = get("LOG_LEVEL") ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: "${logLevel}" must be one of ${LOG_LEVELS.join(", ")}`);

  const backoffInitialMs = int("BACKOFF_INITIAL_MS", 1000, 1, 600_000);
  const backoffMaxMs = int("BACKOFF_MAX_MS", 60_000, 1, 3_600_000);
  if (backoffMaxMs < backoffInitialMs)
    problems.push(`BACKOFF_MAX_MS: ${backoffMaxMs} is below BACKOFF_INITIAL_MS (${backoffInitialMs})`);

  const checkpointIntervalMs = int("CHECKPOINT_INTERVAL_MS", 5_000, 10, 3_600_000);
  const healthMaxCheckpointAgeMs = int("HEALTH_MAX_CHECKPOINT_AGE_MS", 300_000, 1_000, 86_400_000);
  if (healthMaxCheckpointAgeMs <= checkpointIntervalMs)
    problems.push(
      `HEALTH_MAX_CHECKPOINT_AGE_MS: ${healthMaxCheckpointAgeMs} must exceed CHECKPOINT_INTERVAL_MS (${checkpointIntervalMs})`,
    );
  const idleTimeoutMs = int("IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000);
  const healthMaxEventAgeMs = int("HEALTH_MAX_EVENT_AGE_MS", 300_000, 1_000, 86_400_000);
  if (healthMaxEventAgeMs <= idleTimeoutMs)
    problems.push(
      `HEALTH_MAX_EVENT_AGE_MS: ${healthMaxEventAgeMs} must exceed IDLE_TIMEOUT_MS (${idleTimeoutMs}), so a reconnect can heal a stall first`,
    );

  const settings: WorkerSettings = {
    project: project ?? "",
    sink,
    topic: bigquerySink ? "" : (topic ?? ""),
    table,
    errorTable,
    bigqueryEmulatorHost,
    bigqueryStorageEmulatorHost,
    batchMaxBytes: int("BATCH_MAX_BYTES", 5_000_000, 1024, BIGQUERY_WRITE_LIMITS.maxBatchBytes),
    cdcTopic,
    sseUrl,
    userAgent,
    checkpointPath,
    metricsPort,
    metricsHost: get("METRICS_HOST") ?? "0.0.0.0",
    pubsubEmulatorHost,
    start,
    idleTimeoutMs,
    connectTimeoutMs: int("CONNECT_TIMEOUT_MS", 30_000, 100, 600_000),
    backoffInitialMs,
    backoffMaxMs,
    // At most 16 MiB: a frame, its parsed event and its message live together in the 96 MB heap of the image.
    maxFrameBytes: int("MAX_FRAME_BYTES", 1024 * 1024, 1024, 16 * 1024 * 1024),
    maxInFlightMessages: int("MAX_IN_FLIGHT_MESSAGES", 1_000, 1, 1_000_000),
    maxInFlightBytes: int("MAX_IN_FLIGHT_BYTES", 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    publishTimeoutMs: int("PUBLISH_TIMEOUT_MS", 600_000, 1_000, 3_600_000),
    batchMaxMessages: int("BATCH_MAX_MESSAGES", 500, 1, 1000),
    batchMaxMs: int("BATCH_MAX_MS", 25, 0, 10_000),
    checkpointIntervalMs,
    checkpointTimeoutMs: int("CHECKPOINT_TIMEOUT_MS", 10_000, 10, 600_000),
    healthMaxCheckpointAgeMs,
    healthMaxEventAgeMs,
    deadLetterPath: get("DEAD_LETTER_PATH"),
    shutdownDeadlineMs: int("SHUTDOWN_DEADLINE_MS", 8_000, 100, 3_600_000),
    logLevel,
  };
  if (problems.length > 0) return { problems };
  return { settings, problems: [] };
}

/** CDC_TOPIC: a topic id or full name in PROJECT, not TOPIC itself; returns the topic id. */
function parseCdcTopic(
  raw: string | undefined,
  project: string | undefined,
  topic: string | undefined,
  problems: string[],
): string | undefined {
  if (raw === undefined) return undefined;
  let name = raw;
  const full = FULL_TOPIC.exec(raw);
  if (full) {
    if (project && project !== full[1])
      problems.push(`CDC_TOPIC: "${raw}" is in project "${full[1]}" but PROJECT is "${project}"`);
    name = full[2];
  }
  if (!PUBSUB_NAME.test(name) || name.toLowerCase().startsWith("goog")) {
    problems.push(
      `CDC_TOPIC: "${raw}" is not a valid topic id (3-255 characters, starting with a letter, not with "goog")`,
    );
  } else if (name === topic) {
    problems.push(`CDC_TOPIC: "${raw}" is TOPIC as well; page-state changes need a topic of their own`);
  }
  return name;
}

const DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/;
/** Table ids: letters, digits, `_` and `-` (BigQuery allows more Unicode; the stack's tables use these). */
const TABLE_ID = /^[A-Za-z0-9_-]{1,1024}$/;

/**
 * TABLE / ERROR_TABLE: `projects/P/datasets/D/tables/T`, `P.D.T`, `P:D.T` or `D.T` (in PROJECT);
 * ERROR_TABLE may also be a bare table id (in TABLE's dataset).
 */
function parseTableName(
  name: "TABLE" | "ERROR_TABLE",
  raw: string,
  project: string | undefined,
  beside: BigQueryTableName | undefined,
  problems: string[],
): BigQueryTableName | undefined {
  const full = /^projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(raw);
  const parts = full ? full.slice(1) : raw.replace(":", ".").split(".");
  let result: BigQueryTableName | undefined;
  if (parts.length === 3) result = { projectId: parts[0], datasetId: parts[1], tableId: parts[2] };
  else if (parts.length === 2 && project) result = { projectId: project, datasetId: parts[0], tableId: parts[1] };
  else if (parts.length === 1 && beside) result = { ...beside, tableId: parts[0] };
  const forms = `projects/P/datasets/D/tables/T, P.D.T or D.T${beside ? ", or a table id beside TABLE" : ""}`;
  if (!result) {
    problems.push(`${name}: "${raw}" is not a table name (${forms})`);
    return undefined;
  }
  if (!PROJECT_ID.test(result.projectId))
    problems.push(`${name}: "${raw}" names project "${result.projectId}", which is not a valid project id`);
  if (!DATASET_ID.test(result.datasetId))
    problems.push(`${name}: "${raw}" names dataset "${result.datasetId}": dataset ids use only letters, digits and _`);
  if (!TABLE_ID.test(result.tableId))
    problems.push(`${name}: "${raw}" names table "${result.tableId}": use letters, digits, _ and -`);
  return result;
}

function sameTable(a: BigQueryTableName, b: BigQueryTableName): boolean {
  return a.projectId === b.projectId && a.datasetId === b.datasetId && a.tableId === b.tableId;
}
