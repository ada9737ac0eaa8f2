/**
 * The `local` environment's stack, synthesized, and the parts of it the demo provisions into
 * the emulators: datasets, tables (with their synthesized schemas), topics and subscriptions.
 * Nothing here defines a resource of its own: every name and schema comes from the constructs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { loadEnvironment } from "../config/load";
import { EnvironmentConfig } from "../config/schema";
import { StreamingAnalyticsStack } from "../stacks/streaming-analytics-stack";

type Json = Record<string, any>;

export interface LocalDataset {
  readonly datasetId: string;
  readonly location: string;
}
export interface LocalTable {
  readonly datasetId: string;
  readonly tableId: string;
  /** BigQuery JSON schema fields. */
  readonly schema: Json[];
  readonly timePartitioning?: { type: string; field?: string; expirationMs?: string };
  readonly clustering?: string[];
}
export interface LocalTopic {
  readonly name: string;
}
export interface LocalSubscription {
  readonly name: string;
  readonly topic: string;
  readonly ackDeadlineSeconds?: number;
  readonly deadLetterTopic?: string;
  readonly maxDeliveryAttempts?: number;
  /** Set when the stack declares a BigQuery subscription: the table it writes to (dataset.table). */
  readonly bigQueryTable?: string;
}
export interface LocalResources {
  readonly config: EnvironmentConfig;
  readonly stack: StreamingAnalyticsStack;
  /** The synthesized Terraform JSON of the stack. */
  readonly synthesized: Json;
  readonly datasets: LocalDataset[];
  readonly tables: LocalTable[];
  readonly topics: LocalTopic[];
  readonly subscriptions: LocalSubscription[];
}

/** `${type.name.attribute}`: a Terraform reference, as a whole value or embedded in a string. */
const REFERENCE_PATTERN = String.raw`\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}`;
const REFERENCE = new RegExp(`^${REFERENCE_PATTERN}$`);
const EMBEDDED_REFERENCE = new RegExp(REFERENCE_PATTERN, "g");

/**
 * Resolves `${type.name.attribute}` references between resources of one synthesized stack, whole
 * values or embedded in a string (`${a.b.project}.${a.b.dataset_id}.${a.b.table_id}`).
 */
function resolver(synthesized: Json, projectId: string): (value: unknown) => any {
  const resources: Json = synthesized.resource ?? {};
  const resolve = (value: unknown): any => {
    if (typeof value !== "string") return value;
    const match = REFERENCE.exec(value);
    if (!match) return value.replace(EMBEDDED_REFERENCE, (reference) => String(resolve(reference)));
    const [, type, name, attribute] = match;
    const resource = resources[type]?.[name];
    if (!resource) throw new Error(`the local stack refers to ${type}.${name}, which it does not declare`);
    if (attribute in resource) return resolve(resource[attribute]);
    const project = resolve(resource.project ?? projectId);
    if (attribute === "project") return project;
    if (attribute === "id" && type === "google_pubsub_topic")
      return `projects/${project}/topics/${resolve(resource.name)}`;
    if (attribute === "id" && type === "google_pubsub_subscription")
      return `projects/${project}/subscriptions/${resolve(resource.name)}`;
    if (attribute === "id" && type === "google_bigquery_dataset")
      return `projects/${project}/datasets/${resolve(resource.dataset_id)}`;
    throw new Error(`cannot resolve ${value} without Google Cloud (computed attribute)`);
  };
  return resolve;
}

/** The last path segment of a Pub/Sub id (`projects/p/topics/name` → `name`). */
const shortName = (id: string): string => id.split("/").pop() as string;

/**
 * Synthesizes the `local` stack through the cdktf app and lists what the emulators need.
 * `ingestion` replaces the environment's ingestion mode (the demo's `--mode direct`: the stack then
 * declares no ingestion topic or subscription, and the raw error table).
 */
export function synthesizeLocalStack(
  configFile = path.resolve(__dirname, "../config/local.json"),
  ingestion?: Pick<EnvironmentConfig["ingestion"], "mode" | "direct">,
): LocalResources {
  const loaded = loadEnvironment(configFile);
  const name = loaded.name;
  const config: EnvironmentConfig = ingestion
    ? { ...loaded.config, ingestion: { ...loaded.config.ingestion, ...ingestion } }
    : loaded.config;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-demo-synth-"));
  try {
    const app = new App({ outdir });
    const stack = new StreamingAnalyticsStack(app, name, { environment: name, config });
    app.synth();
    const synthesized: Json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
    const resolve = resolver(synthesized, config.projectId);
    const of = (type: string): Json[] => Object.values(synthesized.resource?.[type] ?? {});

    const datasets = of("google_bigquery_dataset").map((d) => ({
      datasetId: resolve(d.dataset_id),
      location: resolve(d.location) ?? config.location,
    }));
    const tables = of("google_bigquery_table")
      .filter((t) => t.schema !== undefined && t.view === undefined && t.materialized_view === undefined)
      .map((t) => {
        const partitioning = t.time_partitioning;
        return {
          datasetId: resolve(t.dataset_id),
          tableId: resolve(t.table_id),
          schema: JSON.parse(resolve(t.schema)),
          timePartitioning: partitioning
            ? {
                type: partitioning.type,
                field: partitioning.field,
                expirationMs: partitioning.expiration_ms?.toString(),
              }
            : undefined,
          clustering: t.clustering,
        };
      });
    const topics = of("google_pubsub_topic").map((t) => ({ name: resolve(t.name) }));
    const subscriptions = of("google_pubsub_subscription").map((s) => {
      const deadLetter = s.dead_letter_policy;
      const bigquery = s.bigquery_config;
      return {
        name: resolve(s.name),
        topic: shortName(resolve(s.topic)),
        ackDeadlineSeconds: s.ack_deadline_seconds,
        deadLetterTopic: deadLetter ? shortName(resolve(deadLetter.dead_letter_topic)) : undefined,
        maxDeliveryAttempts: deadLetter?.max_delivery_attempts,
        bigQueryTable: bigquery ? String(resolve(bigquery.table)).replace(/^[^.:]+[.:]/, "") : undefined,
      };
    });
    return { config, stack, synthesized, datasets, tables, topics, subscriptions };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
