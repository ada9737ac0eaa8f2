/**
 * The one test-support module: stacks to compose constructs in, synthesis to JSON, resource
 * look-ups, and the environment stacks with an optional edit of their configuration.
 */
import * as path from "node:path";
import { AnnotationMetadataEntryType, Testing, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { CONFIG_DIR, loadEnvironment } from "../../config/load";
import { EnvironmentConfig } from "../../config/schema";
import { LayeredDataset, LayeredDatasetProps } from "../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../constructs/bigquery/table-options";
import { StreamTopic, StreamTopicProps } from "../../constructs/pubsub/stream-topic";
import { TableSchema } from "../../schemas/table-schema";
import type { StreamingAnalyticsStack } from "../../stacks/streaming-analytics-stack";

/** The project every construct test deploys into. */
export const PROJECT = "test-project";
/** Its number (service agents are named after it). */
export const PROJECT_NUMBER = "123456789012";
/** The project's Pub/Sub service agent, as an IAM member. */
export const SERVICE_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
/** The environments under config/ (`direct`: the example environment of ingestion mode direct). */
export const ENVIRONMENTS = ["local", "dev", "prod", "direct"] as const;
/** The repository root. */
export const ROOT = path.resolve(__dirname, "../..");

/** The annotations of one level on the stack's constructs (the policy aspects' findings, once synth has run). */
export function annotationsOf(
  stack: TerraformStack,
  level: AnnotationMetadataEntryType = AnnotationMetadataEntryType.ERROR,
): string[] {
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === level)
    .map((m) => String(m.data));
}

/** Synthesizes `stack` (running the aspects as synth does), then returns its annotations of one level. */
export function synthAnnotations(
  stack: TerraformStack,
  level: AnnotationMetadataEntryType = AnnotationMetadataEntryType.ERROR,
): string[] {
  Testing.synth(stack);
  return annotationsOf(stack, level);
}

/** A fresh stack with a google provider for {@link PROJECT}, to compose constructs in. */
export function newStack(id = "test"): TerraformStack {
  const stack = new TerraformStack(Testing.app(), id);
  new GoogleProvider(stack, "google", { project: PROJECT, region: "us-central1" });
  return stack;
}

/** The stack synthesized to parsed Terraform JSON. */
export function synthStack(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack));
}

/** The stack synthesized to a string, as cdktf's jest matchers (`toHaveResourceWithProperties`) take it. */
export function synth(stack: TerraformStack): string {
  return Testing.synth(stack);
}

/** The bodies of the resources of one Terraform type in synthesized JSON. */
export function resources(json: any, type: string): any[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The one resource of `type` whose attribute `key` equals `value` (fails the test when absent). */
export function resourceWith(json: any, type: string, key: string, value: unknown): any {
  const found = resources(json, type).find((r) => r[key] === value);
  if (!found) throw new Error(`no ${type} with ${key} = ${JSON.stringify(value)}`);
  return found;
}

/** One environment's validated configuration, as `config/<name>.json` has it. */
export function environmentConfig(name: string): EnvironmentConfig {
  return loadEnvironment(path.join(CONFIG_DIR, `${name}.json`)).config;
}

/** An environment stack and its synthesized JSON. */
export interface SynthesizedEnvironment {
  readonly stack: StreamingAnalyticsStack;
  readonly config: EnvironmentConfig;
  readonly json: any;
}

const unedited = new Map<string, SynthesizedEnvironment>();

/**
 * The environment's stack, synthesized; `edit` changes a deep copy of its configuration first
 * (the file on disk is never touched). Without `edit`, each environment is synthesized once per
 * test file and the result shared: read it, never change it.
 */
export function synthEnvironment(
  name: string,
  edit?: (config: EnvironmentConfig) => EnvironmentConfig | void,
): SynthesizedEnvironment {
  if (!edit) {
    const cached = unedited.get(name) ?? synthEnvironment(name, (config) => config);
    unedited.set(name, cached);
    return cached;
  }
  let config: EnvironmentConfig = JSON.parse(JSON.stringify(environmentConfig(name)));
  if (edit) config = edit(config) ?? config;
  // Loaded here, not at the top: construct tests that never synthesize an environment stay light.
  const { StreamingAnalyticsStack: Stack } = require("../../stacks/streaming-analytics-stack") as {
    StreamingAnalyticsStack: typeof StreamingAnalyticsStack;
  };
  const stack = new Stack(Testing.app(), name, { environment: name, config });
  return { stack, config, json: synthStack(stack) };
}

/** A small events table: what subscriptions and Dataflow jobs write into. */
export const EVENTS_SCHEMA = new TableSchema(
  [
    { name: "event_id", type: "STRING", mode: "REQUIRED" },
    { name: "user", type: "STRING" },
    { name: "count", type: "INT64" },
    { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED" },
  ],
  { name: "events" },
);

/** A schema with every kind of column the table rules care about (partitioning, clustering, nesting). */
export const WIDE_EVENTS_SCHEMA = new TableSchema(
  [
    { name: "event_id", type: "STRING", mode: "REQUIRED" },
    { name: "user", type: "STRING" },
    { name: "event_type", type: "STRING" },
    { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED" },
    { name: "event_date", type: "DATE" },
    { name: "event_dt", type: "DATETIME" },
    { name: "shard", type: "INT64" },
    { name: "score", type: "FLOAT64" },
    { name: "payload", type: "JSON" },
    { name: "tags", type: "STRING", mode: "REPEATED" },
    { name: "geo", type: "RECORD", fields: [{ name: "country", type: "STRING" }] },
    { name: "region", type: "STRING" },
  ],
  { name: "events" },
);

/** A dataset in `stack`, in {@link PROJECT} (a literal project, so names and `fqn` are literal). */
export function newDataset(stack: TerraformStack, props: Partial<LayeredDatasetProps> = {}): LayeredDataset {
  return new LayeredDataset(stack, props.datasetId ?? "raw", {
    datasetId: "raw",
    layer: "raw",
    location: "US",
    project: PROJECT,
    ...props,
  });
}

/** A raw dataset and an ingestion-time partitioned streaming table in it, in `project`. */
export function newTable(
  stack: TerraformStack,
  options: { project?: string; schema?: TableSchema; tableId?: string } = {},
): StreamingTable {
  const project = options.project ?? PROJECT;
  const tableId = options.tableId ?? "events";
  const dataset = new LayeredDataset(stack, `raw-${project}`, {
    datasetId: "raw",
    layer: "raw",
    location: "US",
    project,
  });
  return new StreamingTable(stack, `table-${tableId}-${project}`, {
    dataset,
    tableId,
    schema: options.schema ?? EVENTS_SCHEMA,
    partitioning: Partitioning.ingestionTime("DAY"),
    deletionProtection: false,
  });
}

/** A topic (with its dead-letter topic) in {@link PROJECT}. */
export function newTopic(stack: TerraformStack, props: Partial<StreamTopicProps> = {}, id = "events"): StreamTopic {
  return new StreamTopic(stack, id, { topicName: "events", project: PROJECT, projectNumber: PROJECT_NUMBER, ...props });
}

/**
 * A synthesized string as the template it stands for: `${format("a=\"%s\"", x.y)}` (what
 * `hclSafeString` writes) becomes `a="${x.y}"`; any other value is returned as it is.
 */
export function asTemplate(value: string): string {
  const call = /^\$\{format\(("(?:[^"\\]|\\.)*"), (.*)\)\}$/s.exec(value);
  if (!call) return value;
  const literal: string = JSON.parse(call[1]);
  // The arguments are references or calls: split at the commas outside parentheses.
  const args: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of call[2]) {
    if (ch === "," && depth === 0) {
      args.push(current.trim());
      current = "";
      continue;
    }
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    current += ch;
  }
  args.push(current.trim());
  let next = 0;
  return literal.replace(/%%|%s/g, (m) => (m === "%%" ? "%" : `\${${args[next++]}}`));
}
