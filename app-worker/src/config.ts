/**
 * The worker's configuration: the ground floor's settings parser (`schemas/worker-settings.ts`,
 * the same one `SsePublisherService` runs at synth) plus what only a running process knows: the
 * working directory that relative paths resolve against.
 */
import * as path from "node:path";
import { DEFAULT_SSE_URL, DEFAULT_USER_AGENT, WORKER_ENV_VARIABLES } from "../../schemas/worker-contract";
import { flagsToVariables, parseWorkerSettings, StartPolicy, WorkerSettings } from "../../schemas/worker-settings";

export { DEFAULT_SSE_URL, DEFAULT_USER_AGENT, flagsToVariables };
export type { StartPolicy };

/** Validated settings of one worker process, with absolute paths. */
export interface WorkerConfig extends WorkerSettings {
  /** Absolute path of the checkpoint file. */
  readonly checkpointPath: string;
  /** Absolute folder of the dead-letter records (`dead-letter/` beside the checkpoint by default). */
  readonly deadLetterPath: string;
}

/** The environment variables the worker reads, in documentation order. */
export const CONFIG_VARIABLES = WORKER_ENV_VARIABLES;

export type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

/**
 * Parses the configuration from environment variables overlaid with flags.
 * Returns the settings, or every problem found (one readable line each).
 */
export function parseConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
  cwd: string = process.cwd(),
): { config: WorkerConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const parsed = parseWorkerSettings(env, argv);
  if (!parsed.settings) return { problems: parsed.problems };
  const checkpointPath = path.resolve(cwd, parsed.settings.checkpointPath);
  const deadLetterPath = path.resolve(
    cwd,
    parsed.settings.deadLetterPath ?? path.join(path.dirname(checkpointPath), "dead-letter"),
  );
  return { config: { ...parsed.settings, checkpointPath, deadLetterPath }, problems: [] };
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
    maxFrameBytes: config.maxFrameBytes,
  };
}
