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
  MESSAGE_ENCODINGS,
  MessageEncoding,
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
  /** MESSAGE_ENCODING: the data of each TOPIC message, `json` (plain) or `avro-json` (for a topic with the generated Avro schema). */
  readonly messageEncoding: MessageEncoding;
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

/** The settings parsed so far, while the rules run (a refused integer holds its default). */
type Draft = { -readonly [K in keyof WorkerSettings]?: WorkerSettings[K] };

/** What the rules share while the settings are parsed. */
interface ParseContext {
  /** The variable's trimmed value; undefined when unset, blank or skipped. */
  get(name: WorkerSettingName): string | undefined;
  /** Variables whose value is not known yet: neither checked nor required. */
  readonly skip: ReadonlySet<string>;
  /** One readable line per problem, naming the variable, in the order the rules run. */
  readonly problems: string[];
  readonly draft: Draft;
  /** PROJECT and TOPIC as given, and whether SINK writes BigQuery: what later rules compare against. */
  given: { project?: string; topic?: string; bigquerySink: boolean };
}

/** One rule: the variables it reads, and how it reads them into the draft (pushing any problem). */
export interface SettingRule {
  readonly variables: readonly WorkerSettingName[];
  apply(context: ParseContext): void;
}

/** A value read from its text, or why it is refused (after `NAME: `). */
type Parsed<T> = { readonly value: T } | { readonly problem: string };

/**
 * The setting `key` from `variable`: `fallback` when unset; `parse` reads (and checks) the text.
 * A refused value leaves the fallback in the draft, so relations still compare numbers.
 */
function setting<K extends keyof WorkerSettings>(
  key: K,
  variable: WorkerSettingName,
  fallback: WorkerSettings[K],
  parse?: (raw: string) => Parsed<WorkerSettings[K]>,
): SettingRule {
  return {
    variables: [variable],
    apply({ get, problems, draft }) {
      const raw = get(variable);
      const parsed = raw === undefined ? { value: fallback } : (parse?.(raw) ?? { value: raw as WorkerSettings[K] });
      if ("problem" in parsed) problems.push(`${variable}: ${parsed.problem}`);
      draft[key] = "problem" in parsed ? fallback : parsed.value;
    },
  };
}

/** The settings that are integers. */
type IntegerSetting = {
  [P in keyof WorkerSettings]-?: WorkerSettings[P] extends number ? P : never;
}[keyof WorkerSettings];

/** An integer setting in [min, max]. */
function integer(
  key: IntegerSetting,
  variable: WorkerSettingName,
  fallback: number,
  min: number,
  max: number,
): SettingRule {
  return setting(key, variable, fallback, (raw) => {
    const value = Number(raw);
    if (!/^-?[0-9]+$/.test(raw) || !Number.isInteger(value) || value < min || value > max)
      return { problem: `"${raw}" is not an integer between ${min} and ${max}` };
    return { value };
  });
}

/** A text check: the value when `pattern` matches it, else `"value" <rule>`. */
const matching =
  (pattern: RegExp, rule: string) =>
  (raw: string): Parsed<string> =>
    pattern.test(raw) ? { value: raw } : { problem: `"${raw}" ${rule}` };

/** A check across settings already read: the problem line, or undefined. */
function relation(
  variables: readonly WorkerSettingName[],
  problem: (draft: Required<Draft>) => string | undefined,
): SettingRule {
  return {
    variables,
    apply({ draft, problems }) {
      const found = problem(draft as Required<Draft>);
      if (found) problems.push(found);
    },
  };
}

/** A rule reading several variables that depend on each other. */
const rule = (variables: readonly WorkerSettingName[], apply: (context: ParseContext) => void): SettingRule => ({
  variables,
  apply,
});

/**
 * The rules, in the order their problems are reported (the validate-queue-props way: the checks
 * as data, outside the function that runs them). Every variable of `WORKER_ENV_VARIABLES` is read
 * by one of them.
 */
export const WORKER_SETTING_RULES: readonly SettingRule[] = [
  rule(["PROJECT", "TOPIC", "SINK"], readProjectTopicAndSink),
  rule(["CDC_TOPIC"], ({ get, given, problems, draft }) => {
    draft.cdcTopic = parseCdcTopic(get("CDC_TOPIC"), given.project, given.topic, problems);
  }),
  rule(["TABLE", "ERROR_TABLE"], readTables),
  rule(["MESSAGE_ENCODING"], readMessageEncoding),
  setting(
    "bigqueryEmulatorHost",
    "BIGQUERY_EMULATOR_HOST",
    undefined,
    matching(/^https?:\/\/[A-Za-z0-9.[\]:-]+:[0-9]{1,5}\/?$/, "must be http://host:port, e.g. http://127.0.0.1:9050"),
  ),
  setting(
    "bigqueryStorageEmulatorHost",
    "BIGQUERY_STORAGE_EMULATOR_HOST",
    undefined,
    matching(HOST_PORT, "must be host:port, e.g. 127.0.0.1:9060"),
  ),
  setting("sseUrl", "SSE_URL", DEFAULT_SSE_URL, parseHttpUrl),
  setting("userAgent", "USER_AGENT", DEFAULT_USER_AGENT, (raw) => {
    const problem = headerValueProblem(raw);
    return problem ? { problem } : { value: raw };
  }),
  setting("checkpointPath", "CHECKPOINT_PATH", ".checkpoint/recentchange.json"),
  integer("metricsPort", "METRICS_PORT", DEFAULT_METRICS_PORT, 0, 65535),
  setting(
    "pubsubEmulatorHost",
    "PUBSUB_EMULATOR_HOST",
    undefined,
    matching(HOST_PORT, "must be host:port, e.g. 127.0.0.1:8085"),
  ),
  setting("start", "START", { kind: "fail" }, parseStart),
  setting("logLevel", "LOG_LEVEL", "info", (raw) =>
    LOG_LEVELS.includes(raw) ? { value: raw } : { problem: `"${raw}" must be one of ${LOG_LEVELS.join(", ")}` },
  ),
  integer("backoffInitialMs", "BACKOFF_INITIAL_MS", 1000, 1, 600_000),
  integer("backoffMaxMs", "BACKOFF_MAX_MS", 60_000, 1, 3_600_000),
  relation(["BACKOFF_MAX_MS", "BACKOFF_INITIAL_MS"], (s) =>
    s.backoffMaxMs < s.backoffInitialMs
      ? `BACKOFF_MAX_MS: ${s.backoffMaxMs} is below BACKOFF_INITIAL_MS (${s.backoffInitialMs})`
      : undefined,
  ),
  integer("checkpointIntervalMs", "CHECKPOINT_INTERVAL_MS", 5_000, 10, 3_600_000),
  integer("healthMaxCheckpointAgeMs", "HEALTH_MAX_CHECKPOINT_AGE_MS", 300_000, 1_000, 86_400_000),
  relation(["HEALTH_MAX_CHECKPOINT_AGE_MS", "CHECKPOINT_INTERVAL_MS"], (s) =>
    s.healthMaxCheckpointAgeMs <= s.checkpointIntervalMs
      ? `HEALTH_MAX_CHECKPOINT_AGE_MS: ${s.healthMaxCheckpointAgeMs} must exceed CHECKPOINT_INTERVAL_MS (${s.checkpointIntervalMs})`
      : undefined,
  ),
  integer("idleTimeoutMs", "IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000),
  integer("healthMaxEventAgeMs", "HEALTH_MAX_EVENT_AGE_MS", 300_000, 1_000, 86_400_000),
  relation(["HEALTH_MAX_EVENT_AGE_MS", "IDLE_TIMEOUT_MS"], (s) =>
    s.healthMaxEventAgeMs <= s.idleTimeoutMs
      ? `HEALTH_MAX_EVENT_AGE_MS: ${s.healthMaxEventAgeMs} must exceed IDLE_TIMEOUT_MS (${s.idleTimeoutMs}), so a reconnect can heal a stall first`
      : undefined,
  ),
  integer("batchMaxBytes", "BATCH_MAX_BYTES", 5_000_000, 1024, BIGQUERY_WRITE_LIMITS.maxBatchBytes),
  setting("metricsHost", "METRICS_HOST", "0.0.0.0"),
  integer("connectTimeoutMs", "CONNECT_TIMEOUT_MS", 30_000, 100, 600_000),
  // At most 16 MiB: a frame, its parsed event and its message live together in the 96 MB heap of the image.
  integer("maxFrameBytes", "MAX_FRAME_BYTES", 1024 * 1024, 1024, 16 * 1024 * 1024),
  integer("maxInFlightMessages", "MAX_IN_FLIGHT_MESSAGES", 1_000, 1, 1_000_000),
  integer("maxInFlightBytes", "MAX_IN_FLIGHT_BYTES", 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  integer("publishTimeoutMs", "PUBLISH_TIMEOUT_MS", 600_000, 1_000, 3_600_000),
  integer("batchMaxMessages", "BATCH_MAX_MESSAGES", 500, 1, 1000),
  integer("batchMaxMs", "BATCH_MAX_MS", 25, 0, 10_000),
  integer("checkpointTimeoutMs", "CHECKPOINT_TIMEOUT_MS", 10_000, 10, 600_000),
  setting("deadLetterPath", "DEAD_LETTER_PATH", undefined),
  integer("shutdownDeadlineMs", "SHUTDOWN_DEADLINE_MS", 8_000, 100, 3_600_000),
];

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
  const skip = options.skip ?? new Set<string>();
  const context: ParseContext = {
    get: (name) => {
      if (skip.has(name)) return undefined;
      const value = flags.values[name] ?? env[name];
      return value === undefined || value.trim() === "" ? undefined : value.trim();
    },
    skip,
    problems: [...flags.problems],
    draft: {},
    given: { bigquerySink: false },
  };
  for (const each of WORKER_SETTING_RULES) each.apply(context);
  if (context.problems.length > 0) return { problems: context.problems };
  return { settings: context.draft as WorkerSettings, problems: [] };
}

/** PROJECT, TOPIC (a topic id, or a full name that also gives the project) and SINK. */
function readProjectTopicAndSink({ get, skip, problems, draft, given }: ParseContext): void {
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
  Object.assign(given, { project, topic, bigquerySink });
  draft.project = project ?? "";
  draft.sink = sink;
  draft.topic = bigquerySink ? "" : (topic ?? "");
}

/** MESSAGE_ENCODING: one of {@link MESSAGE_ENCODINGS}; `avro-json` only with SINK=pubsub (BigQuery sinks write rows, not messages). */
function readMessageEncoding({ get, problems, draft, given }: ParseContext): void {
  const raw = get("MESSAGE_ENCODING");
  let encoding: MessageEncoding = "json";
  if (raw !== undefined && !(MESSAGE_ENCODINGS as readonly string[]).includes(raw))
    problems.push(`MESSAGE_ENCODING: "${raw}" must be one of ${MESSAGE_ENCODINGS.join(", ")}`);
  else if (raw !== undefined) encoding = raw as MessageEncoding;
  if (encoding === "avro-json" && given.bigquerySink)
    problems.push(
      `MESSAGE_ENCODING: avro-json is set but SINK=${draft.sink} writes BigQuery rows, not Pub/Sub messages; unset MESSAGE_ENCODING, or set SINK=pubsub`,
    );
  draft.messageEncoding = encoding;
}

/** TABLE and ERROR_TABLE: required (TABLE) with a BigQuery sink, refused with Pub/Sub. */
function readTables({ get, skip, problems, draft, given }: ParseContext): void {
  let table: BigQueryTableName | undefined;
  let errorTable: BigQueryTableName | undefined;
  const tableText = get("TABLE");
  const errorTableText = get("ERROR_TABLE");
  if (given.bigquerySink) {
    if (tableText === undefined) {
      if (!skip.has("TABLE"))
        problems.push(
          `TABLE: is required with SINK=${draft.sink} (the raw table, e.g. raw.wiki_changes or P.raw.wiki_changes)`,
        );
    } else table = parseTableName("TABLE", tableText, given.project, undefined, problems);
    if (errorTableText !== undefined)
      errorTable = parseTableName("ERROR_TABLE", errorTableText, given.project, table, problems);
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
  draft.table = table;
  draft.errorTable = errorTable;
}

/** SSE_URL: an http(s) URL. */
function parseHttpUrl(raw: string): Parsed<string> {
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: `"${raw}" must be an http(s) URL` };
  } catch {
    return { problem: `"${raw}" is not a URL` };
  }
  return { value: raw };
}

/** START: live, fail or since:<ISO-8601 or Unix milliseconds>. */
function parseStart(raw: string): Parsed<StartPolicy> {
  if (raw === "live" || raw === "fail") return { value: { kind: raw } };
  const since = raw.startsWith("since:") ? parseTime(raw.slice("since:".length)) : undefined;
  if (since) return { value: { kind: "since", since } };
  return {
    problem: `"${raw}" must be live, fail or since:<time> (ISO-8601 or Unix milliseconds, e.g. since:2024-06-01T12:00:00Z)`,
  };
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
