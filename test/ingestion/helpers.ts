import { Testing, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../constructs/bigquery/table-options";
import { TableSchema } from "../../schemas/table-schema";
import { StreamTopic, StreamTopicProps } from "../../constructs/pubsub/stream-topic";

// Registers cdktf's jest matchers (toHaveResourceWithProperties, ...).
Testing.setupJest();

export const PROJECT = "test-project";
export const PROJECT_NUMBER = "123456789012";
export const SERVICE_AGENT = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;

/** A fresh stack with a google provider. */
export function newStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "test");
  new GoogleProvider(stack, "google", { project: PROJECT, region: "us-central1" });
  return stack;
}

/** A topic with the test project's identity. */
export function newTopic(stack: TerraformStack, props: Partial<StreamTopicProps> = {}, id = "events"): StreamTopic {
  return new StreamTopic(stack, id, { topicName: "events", project: PROJECT, projectNumber: PROJECT_NUMBER, ...props });
}

export const EVENTS_SCHEMA = new TableSchema(
  [
    { name: "event_id", type: "STRING", mode: "REQUIRED" },
    { name: "user", type: "STRING" },
    { name: "count", type: "INT64" },
    { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED" },
  ],
  { name: "events" },
);

/** A real raw dataset and streaming table (constructs/bigquery), in `project`. */
export function newTable(
  stack: TerraformStack,
  options: { project?: string; schema?: TableSchema; tableId?: string } = {},
): StreamingTable {
  const dataset = new LayeredDataset(stack, `raw-${options.project ?? PROJECT}`, {
    datasetId: "raw",
    layer: "raw",
    location: "US",
    project: options.project ?? PROJECT,
  });
  return new StreamingTable(stack, `table-${options.tableId ?? "events"}-${options.project ?? PROJECT}`, {
    dataset,
    tableId: options.tableId ?? "events",
    schema: options.schema ?? EVENTS_SCHEMA,
    partitioning: Partitioning.ingestionTime("DAY"),
    deletionProtection: false,
  });
}

/** Synthesized stack as parsed JSON. */
export function synthJson(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack));
}

/** Resources of one type, as a list of bodies. */
export function resources(json: any, type: string): any[] {
  return Object.values(json.resource?.[type] ?? {});
}
