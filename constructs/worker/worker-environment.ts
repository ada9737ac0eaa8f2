/**
 * The worker's environment as {@link SsePublisherService} deploys it: the variables the construct
 * sets from its props, then the user's `environment`. Private to the library.
 */
import { Token } from "cdktf";
import { WorkerEnvVariable } from "../../schemas/worker-contract";
import { ITable } from "../core/references";
import { SsePublisherSettings } from "./sse-publisher-props";

/** Where the checkpoint bucket is mounted in the worker's container. */
export const CHECKPOINT_MOUNT = "/checkpoint";

/** The worker's variables this construct sets itself, or that must never be set in Cloud Run: `environment` may not override them. */
export const MANAGED_ENV: ReadonlyMap<string, string> = new Map<WorkerEnvVariable, string>([
  ["PROJECT", "set from the project prop"],
  ["SINK", "set from the topic or directSink prop"],
  ["TOPIC", "set from the topic prop"],
  ["TABLE", "set from the directSink prop"],
  ["ERROR_TABLE", "set from the directSink prop"],
  ["SSE_URL", "set from the sseUrl prop"],
  ["USER_AGENT", "set from the userAgent prop"],
  ["CHECKPOINT_PATH", "the checkpoint is the bucket mounted by the construct (checkpointObject prop)"],
  ["DEAD_LETTER_PATH", "dead-letter records go to the mounted checkpoint bucket"],
  ["METRICS_PORT", "set from the port prop (Cloud Run probes it)"],
  ["METRICS_HOST", "Cloud Run reaches the probes on all interfaces"],
  ["SHUTDOWN_DEADLINE_MS", "set to fit Cloud Run's 10 s between SIGTERM and SIGKILL"],
  ["LOG_LEVEL", "set from the logLevel prop"],
  ["PUBSUB_EMULATOR_HOST", "the deployed worker publishes to Pub/Sub, never to an emulator"],
  ["BIGQUERY_EMULATOR_HOST", "the deployed worker writes BigQuery, never an emulator"],
  ["BIGQUERY_STORAGE_EMULATOR_HOST", "the deployed worker writes BigQuery, never an emulator"],
]);

/** The environment variables of the worker's container, in the order they are deployed. */
export function workerEnvironment(settings: SsePublisherSettings): Record<string, string> {
  const { directSink, port } = settings;
  // Keyed by the worker's contract: a name the worker does not read fails compilation.
  const fromProps: { readonly [name in WorkerEnvVariable]?: string } = {
    PROJECT: settings.project,
    // SINK is left to the worker's default (pubsub) with a topic.
    SINK: directSink ? settings.sink : undefined,
    TOPIC: settings.topic?.topicName,
    // Literal names (the worker's full form): the service depends on the grants, which reference the tables.
    TABLE: directSink ? tableResourceName(directSink.table) : undefined,
    ERROR_TABLE: directSink ? tableResourceName(directSink.errorTable) : undefined,
    CHECKPOINT_PATH: `${CHECKPOINT_MOUNT}/${settings.checkpointObject}`,
    DEAD_LETTER_PATH: `${CHECKPOINT_MOUNT}/dead-letter`,
    // A number token printed with String() is a garbage number; Token.asString keeps it a token.
    METRICS_PORT: Token.isUnresolved(port) ? Token.asString(port) : String(port),
    METRICS_HOST: "0.0.0.0",
    // Cloud Run allows 10 s between SIGTERM and SIGKILL.
    SHUTDOWN_DEADLINE_MS: "8000",
    LOG_LEVEL: settings.logLevel,
    // Unset: the worker's defaults (DEFAULT_SSE_URL, DEFAULT_USER_AGENT).
    SSE_URL: settings.sseUrl || undefined,
    USER_AGENT: settings.userAgent || undefined,
  };
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(fromProps)) if (value !== undefined) environment[name] = value;
  return { ...environment, ...settings.environment };
}

/** `projects/P/datasets/D/tables/T`: the worker's full form of a table name. */
function tableResourceName(table: ITable): string {
  return `projects/${table.project}/datasets/${table.datasetId}/tables/${table.tableId}`;
}
