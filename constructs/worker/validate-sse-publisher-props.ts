/**
 * The rules the worker's hosts ({@link SsePublisherService}, {@link SsePublisherWorkerPool}) check their props against, as tables (the aws-sqs
 * `validate-queue-props.ts` way): each rule names the prop, the check and the message. Private to
 * the library.
 */
import { BUCKET_NAME } from "../../schemas/naming";
import { DIRECT_SINKS } from "../../schemas/worker-contract";
import { headerValueProblem, parseWorkerSettings } from "../../schemas/worker-settings";
import { Duration } from "../core/duration";
import { validateKeyLocation } from "../core/key-location";
import { checkProps, PropRules } from "../core/rule-tables";
import { Size } from "../core/size";
import { fail, isKnown, validateLabels, validateServiceAccountId } from "../core/validation";
import { SsePublisherSettings, WorkerDirectSink } from "./sse-publisher-props";
import { MANAGED_ENV, workerEnvironment } from "./worker-environment";

const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;
const REPOSITORY_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const DIGEST = /@sha256:[a-f0-9]{64}$/;
/**
 * With CPU always allocated, Cloud Run takes whole vCPUs only: a service 1, 2, 4, 6 or 8, a worker pool 1, 2, 4
 * or 8 (the provider's `resources.limits` of `google_cloud_run_v2_worker_pool`).
 */
const CPU_VALUES: Readonly<Record<SsePublisherSettings["host"], readonly number[]>> = {
  service: [1, 2, 4, 6, 8],
  "worker pool": [1, 2, 4, 8],
};
/** The memory limit as Cloud Run gets it: whole mebibytes or gibibytes. */
const MEMORY = /^[0-9]+(Mi|Gi)$/;
/** The second-generation execution environment (needed for the checkpoint volume) requires at least 512 MiB. */
const MIN_MEMORY_MIB = 512;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CLOUD_RUN_RESERVED_ENV =
  /^(PORT|K_SERVICE|K_REVISION|K_CONFIGURATION|CLOUD_RUN_JOB|CLOUD_RUN_EXECUTION|CLOUD_RUN_TASK_INDEX|CLOUD_RUN_TASK_ATTEMPT|CLOUD_RUN_TASK_COUNT|CLOUD_RUN_WORKER_POOL|CLOUD_RUN_REVISION)$/;
/** One key for the repository, the bucket and the service or worker pool, all in `region`. */
const KEY_USERS = ["artifact-registry", "storage", "cloud-run"] as const;

/** Names, sizes and images: one rule per line of the table, in the order they are checked. */
const SETTINGS_RULES: PropRules<SsePublisherSettings> = [
  {
    prop: "name",
    valid: (name) => SERVICE_NAME.test(name),
    message: (name, { host }) =>
      `${host} name "${name}" is invalid: Cloud Run ${host} names are 1-49 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
  },
  {
    prop: "repositoryId",
    valid: (id) => REPOSITORY_ID.test(id),
    message: (id) =>
      `repository id "${id}" is invalid: 1-63 lowercase letters, digits and hyphens, starting with a letter`,
  },
  {
    prop: "checkpointBucketName",
    valid: (name) => BUCKET_NAME.test(name) && !name.includes("..") && !name.startsWith("goog"),
    message: (name) =>
      `checkpoint bucket name "${name}" is invalid: 3-63 lowercase letters, digits, dots, hyphens and underscores, starting and ending with a letter or digit, not starting with "goog"`,
  },
  {
    prop: "checkpointObject",
    valid: (object) => OBJECT_NAME.test(object),
    message: (object) =>
      `checkpoint object "${object}" is invalid: a file name (letters, digits, ".", "_", "-"), no folders`,
  },
  {
    prop: "port",
    valid: (port) => Number.isInteger(port) && port >= 1 && port <= 65535,
    message: (port) => `port ${port} is invalid: an integer from 1 to 65535`,
  },
  {
    prop: "cpu",
    valid: (cpu, { host }) => CPU_VALUES[host].includes(cpu),
    message: (cpu, { host }) =>
      `cpu ${JSON.stringify(cpu)} is invalid: with CPU always allocated a Cloud Run ${host} takes whole vCPUs: ${CPU_VALUES[host].join(", ")}`,
  },
  {
    prop: "memory",
    valid: (memory) => Size.isSize(memory),
    message: (memory) => `memory must be a Size (e.g. Size.mebibytes(512)), got ${JSON.stringify(memory)}`,
  },
  {
    prop: "memory",
    valid: (memory) => memory.isUnresolved() || MEMORY.test(memory.toQuantityString()),
    message: (memory) => `memory "${memory.toQuantityString()}" is invalid: a size such as 512Mi or 1Gi`,
  },
  {
    prop: "memory",
    valid: (memory) => memory.isUnresolved() || memory.toMebibytes() >= MIN_MEMORY_MIB,
    message: (memory) =>
      `memory "${memory.toQuantityString()}" is too small: the second-generation execution environment (needed for the checkpoint volume) requires at least ${MIN_MEMORY_MIB}Mi`,
  },
  {
    prop: "keepImageVersions",
    valid: (keep) => Number.isInteger(keep) && keep >= 1,
    message: (keep) => `keepImageVersions ${keep} is invalid: at least 1`,
  },
  {
    prop: "userAgent",
    valid: (userAgent) => headerValueProblem(userAgent) === undefined,
    message: (userAgent) => `userAgent ${JSON.stringify(userAgent)} ${headerValueProblem(userAgent)}`,
  },
  {
    prop: "image",
    valid: (image) => IMAGE.test(image),
    message: (image) =>
      `image "${image}" is not an image reference such as REGION-docker.pkg.dev/PROJECT/REPOSITORY/app-worker:TAG`,
  },
  {
    prop: "imageToRun",
    valid: (image, { requireImageDigest }) => !requireImageDigest || DIGEST.test(image),
    message: (image) =>
      `image "${image}" is named by a mutable tag; requireImageDigest (production) needs IMAGE@sha256:<64 hex digits>, the digest docker push prints`,
  },
  {
    prop: "metricsScrapeInterval",
    valid: (interval) => Duration.isDuration(interval),
    message: (interval) =>
      `metricsScrapeInterval must be a Duration (e.g. Duration.seconds(30)), got ${JSON.stringify(interval)}`,
  },
  {
    prop: "metricsScrapeInterval",
    valid: (interval) => interval.isUnresolved() || (interval.isWhole("seconds") && interval.toSeconds() >= 1),
    message: (interval) =>
      `metricsScrapeInterval "${interval.toPubsubString()}" is invalid: whole seconds such as "30s"`,
  },
];

/** One variable of the `environment` prop. */
interface EnvironmentEntry {
  readonly name: string;
  readonly value: string;
}

/** Each variable of `environment`: a name the construct neither sets itself nor Cloud Run reserves. */
const ENVIRONMENT_RULES: PropRules<EnvironmentEntry> = [
  {
    prop: "name",
    valid: (name) => ENV_NAME.test(name),
    message: (name) =>
      `environment variable name "${name}" is invalid: letters, digits and underscores, not starting with a digit`,
  },
  {
    prop: "name",
    valid: (name) => !MANAGED_ENV.has(name),
    message: (name, { value }) =>
      `environment variable ${name}=${JSON.stringify(value)} is refused: ${name} is managed by the construct (${MANAGED_ENV.get(name)})`,
  },
  {
    prop: "name",
    valid: (name) => !CLOUD_RUN_RESERVED_ENV.test(name),
    message: (name) => `environment variable ${name} is reserved by Cloud Run`,
  },
];

/** A direct sink names two different tables, and an API the worker has. */
const DIRECT_SINK_RULES: PropRules<WorkerDirectSink> = [
  {
    prop: "api",
    valid: (api) => (DIRECT_SINKS as readonly string[]).includes(api),
    message: (api) => `directSink.api "${api}" is invalid: one of ${DIRECT_SINKS.join(", ")}`,
  },
  {
    prop: "errorTable",
    valid: (errorTable, { table }) => !(isKnown(table.fqn) && isKnown(errorTable.fqn) && table.fqn === errorTable.fqn),
    message: (_errorTable, { table }) =>
      `directSink.errorTable is the raw table ${table.fqn}: rows BigQuery refuses need a table of their own (e.g. ${table.tableId}_errors)`,
  },
];

/**
 * Checks the settings of a worker host (its props with defaults filled in) and
 * fails with `<path>: <the value and the rule>` at the first problem; unresolved tokens are skipped.
 */
export function validateSsePublisherProps(path: string, settings: SsePublisherSettings): void {
  checkProps(path, settings, SETTINGS_RULES);
  validateServiceAccountId(path, settings.serviceAccountId);
  for (const [name, value] of Object.entries(settings.environment)) {
    checkProps(path, { name, value }, ENVIRONMENT_RULES);
  }
  for (const service of KEY_USERS) validateKeyLocation(path, service, settings.kmsKeyName, settings.region);
  validateLabels(path, settings.labels);
  validateSink(path, settings);
  validateWorkerEnvironment(path, workerEnvironment(settings));
}

/** Exactly one of `topic` and `directSink`, and a direct sink the worker can write. */
function validateSink(path: string, { topic, directSink }: SsePublisherSettings): void {
  if ((topic === undefined) === (directSink === undefined)) {
    fail(
      path,
      `${topic ? "both topic and directSink are given" : "neither topic nor directSink is given"}: the worker writes to exactly one sink (a topic to publish to, or the raw table to write directly)`,
    );
  }
  if (directSink) checkProps(path, directSink, DIRECT_SINK_RULES);
}

/** The worker's own parser: a value it would refuse at startup is refused here, at synth. */
function validateWorkerEnvironment(path: string, environment: Readonly<Record<string, string>>): void {
  const unresolved = new Set(Object.keys(environment).filter((name) => !isKnown(environment[name])));
  const settings = parseWorkerSettings(environment, [], { skip: unresolved });
  if (!settings.settings) fail(path, `the worker would refuse its environment:\n  ${settings.problems.join("\n  ")}`);
}
