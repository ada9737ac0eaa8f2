/**
 * The worker's configuration: environment variables, optionally mirrored by `--flag=value`
 * command-line flags (flag names are the lowercase, dash-separated variable names, e.g.
 * `--sse-url=...` for `SSE_URL`). Parsing is pure: it returns the settings or one line per problem.
 */
import * as path from "node:path";
import {
  DEFAULT_METRICS_PORT,
  DEFAULT_SSE_URL,
  DEFAULT_USER_AGENT,
  WORKER_ENV_VARIABLES,
} from "../../schemas/worker-contract";
import { PROJECT_ID, PUBSUB_NAME } from "../../schemas/naming";

export { DEFAULT_SSE_URL, DEFAULT_USER_AGENT };

/** Validated settings of one worker process. */
export interface WorkerConfig {
  /** PROJECT: Google Cloud project of the topic. */
  readonly project: string;
  /** TOPIC: topic name, or its full `projects/P/topics/T` name. */
  readonly topic: string;
  /** CDC_TOPIC: topic of the page-state changes (`wiki_pages` CDC); unset: not published. */
  readonly cdcTopic?: string;
  /** SSE_URL: the event stream. */
  readonly sseUrl: string;
  /** USER_AGENT: sent with every request (Wikimedia refuses requests without a descriptive one). */
  readonly userAgent: string;
  /** CHECKPOINT_PATH: file holding the last fully published event id. */
  readonly checkpointPath: string;
  /** METRICS_PORT: port of /healthz and /metrics; 0 disables the HTTP server. */
  readonly metricsPort: number;
  /** METRICS_HOST: interface the HTTP server binds (Cloud Run needs all interfaces). */
  readonly metricsHost: string;
  /** PUBSUB_EMULATOR_HOST: the client library's standard emulator switch (host:port). */
  readonly pubsubEmulatorHost?: string;
  /** SINCE: start time (ISO-8601 or Unix ms) used as `?since=` when there is no checkpoint. */
  readonly since?: string;
  /** IDLE_TIMEOUT_MS: reconnect when no bytes arrive for this long. */
  readonly idleTimeoutMs: number;
  /** CONNECT_TIMEOUT_MS: give up on a connection attempt that has no response headers after this long. */
  readonly connectTimeoutMs: number;
  /** BACKOFF_INITIAL_MS / BACKOFF_MAX_MS: exponential reconnect backoff (full jitter). */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
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
  /** SHUTDOWN_DEADLINE_MS: time allowed after SIGTERM/SIGINT to flush and exit. */
  readonly shutdownDeadlineMs: number;
  /** LOG_LEVEL: pino level. */
  readonly logLevel: string;
}

/** The environment variables the worker reads, in documentation order. */
export const CONFIG_VARIABLES = WORKER_ENV_VARIABLES;

export type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

const FULL_TOPIC = /^projects\/([^/]+)\/topics\/([^/]+)$/;
const HOST_PORT = /^[A-Za-z0-9.\-]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/;
const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

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
    if (!(CONFIG_VARIABLES as readonly string[]).includes(name)) {
      problems.push(
        `unknown flag --${match[1]}: known flags are ${CONFIG_VARIABLES.map((v) => `--${v.toLowerCase().replace(/_/g, "-")}`).join(", ")}`,
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

/**
 * Parses the configuration from environment variables overlaid with flags.
 * Returns the settings, or every problem found (one readable line each).
 */
export function parseConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
  cwd: string = process.cwd(),
): { config: WorkerConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const flags = flagsToVariables(argv);
  const problems = [...flags.problems];
  const get = (name: ConfigVariable): string | undefined => {
    const value = flags.values[name] ?? env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const int = (name: ConfigVariable, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
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
  if (!project) problems.push("PROJECT: is required (the Google Cloud project of the topic)");
  else if (!PROJECT_ID.test(project))
    problems.push(
      `PROJECT: "${project}" is not a valid project id (6-30 lowercase letters, digits and hyphens, starting with a letter)`,
    );
  if (!topic) problems.push("TOPIC: is required (the Pub/Sub topic to publish to)");
  else if (!PUBSUB_NAME.test(topic) || topic.toLowerCase().startsWith("goog")) {
    problems.push(
      `TOPIC: "${topic}" is not a valid topic id (3-255 characters, starting with a letter, not with "goog")`,
    );
  }

  const cdcTopic = parseCdcTopic(get("CDC_TOPIC"), project, topic, problems);

  const sseUrl = get("SSE_URL") ?? DEFAULT_SSE_URL;
  try {
    const url = new URL(sseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:")
      problems.push(`SSE_URL: "${sseUrl}" must be an http(s) URL`);
  } catch {
    problems.push(`SSE_URL: "${sseUrl}" is not a URL`);
  }

  const userAgent = get("USER_AGENT") ?? DEFAULT_USER_AGENT;
  if (/[\r\n]/.test(userAgent)) problems.push("USER_AGENT: must be a single line");

  const checkpointPath = path.resolve(cwd, get("CHECKPOINT_PATH") ?? ".checkpoint/recentchange.json");
  const metricsPort = int("METRICS_PORT", DEFAULT_METRICS_PORT, 0, 65535);

  const pubsubEmulatorHost = get("PUBSUB_EMULATOR_HOST");
  if (pubsubEmulatorHost !== undefined && !HOST_PORT.test(pubsubEmulatorHost)) {
    problems.push(`PUBSUB_EMULATOR_HOST: "${pubsubEmulatorHost}" must be host:port, e.g. 127.0.0.1:8085`);
  }

  let since = get("SINCE");
  if (since !== undefined) {
    const asNumber = Number(since);
    const date = Number.isFinite(asNumber) ? new Date(asNumber) : new Date(since);
    if (Number.isNaN(date.getTime()))
      problems.push(`SINCE: "${since}" is neither an ISO-8601 time nor Unix milliseconds`);
    else since = date.toISOString();
  }

  const logLevel = get("LOG_LEVEL") ?? "info";
  if (!LOG_LEVELS.has(logLevel)) problems.push(`LOG_LEVEL: "${logLevel}" must be one of ${[...LOG_LEVELS].join(", ")}`);

  const backoffInitialMs = int("BACKOFF_INITIAL_MS", 1000, 1, 600_000);
  const backoffMaxMs = int("BACKOFF_MAX_MS", 60_000, 1, 3_600_000);
  if (backoffMaxMs < backoffInitialMs)
    problems.push(`BACKOFF_MAX_MS: ${backoffMaxMs} is below BACKOFF_INITIAL_MS (${backoffInitialMs})`);

  const config: WorkerConfig = {
    project: project ?? "",
    topic: topic ?? "",
    cdcTopic,
    sseUrl,
    userAgent,
    checkpointPath,
    metricsPort,
    metricsHost: get("METRICS_HOST") ?? "0.0.0.0",
    pubsubEmulatorHost,
    since,
    idleTimeoutMs: int("IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000),
    connectTimeoutMs: int("CONNECT_TIMEOUT_MS", 30_000, 100, 600_000),
    backoffInitialMs,
    backoffMaxMs,
    maxInFlightMessages: int("MAX_IN_FLIGHT_MESSAGES", 2_000, 1, 1_000_000),
    maxInFlightBytes: int("MAX_IN_FLIGHT_BYTES", 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    publishTimeoutMs: int("PUBLISH_TIMEOUT_MS", 600_000, 1_000, 3_600_000),
    batchMaxMessages: int("BATCH_MAX_MESSAGES", 500, 1, 1000),
    batchMaxMs: int("BATCH_MAX_MS", 25, 0, 10_000),
    checkpointIntervalMs: int("CHECKPOINT_INTERVAL_MS", 5_000, 10, 3_600_000),
    shutdownDeadlineMs: int("SHUTDOWN_DEADLINE_MS", 8_000, 100, 3_600_000),
    logLevel,
  };
  if (problems.length > 0) return { problems };
  return { config, problems: [] };
}

/** The SSE client's connection settings from a worker configuration (resume point not included). */
export function sseConnectionSettings(config: WorkerConfig) {
  return {
    url: config.sseUrl,
    userAgent: config.userAgent,
    idleTimeoutMs: config.idleTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    backoffInitialMs: config.backoffInitialMs,
    backoffMaxMs: config.backoffMaxMs,
  };
}

/** CDC_TOPIC: a topic id, or `projects/P/topics/T` in the worker's project; it must differ from TOPIC. */
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
