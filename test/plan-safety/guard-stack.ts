/**
 * A small stack of the library's constructs for the plan guard's end-to-end test: a dataset, a partitioned
 * streaming table, a view over it and a topic, each variant one routine change away from the base.
 */
import { Testing, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../constructs/bigquery/table-options";
import { View } from "../../constructs/bigquery/view";
import { StreamTopic } from "../../constructs/pubsub/stream-topic";
import { TableSchema } from "../../schemas/table-schema";
import { PROJECT, PROJECT_NUMBER } from "../support";

/** The addresses of a StreamTopic's resources that hold something. */
export interface TopicAddresses {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly deadLetterSubscription: string;
}

/** What differs from the base stack. */
export interface GuardStackVariant {
  /** The table's partitioning column. */
  readonly partitionColumn?: "event_time" | "ingest_time";
  /** Columns left out of the table's schema. */
  readonly dropColumns?: readonly string[];
  /** The view's query filter. */
  readonly viewFilter?: string;
  /** The construct id of the topic (a new id is a new address). */
  readonly topicId?: string;
  /** The view's table id (a new id replaces the view). */
  readonly viewTableId?: string;
  /** The addresses the topic's resources had before, for cdktf's move support (`moveFromId`). */
  readonly topicMovedFrom?: TopicAddresses;
}

const COLUMNS = [
  { name: "event_id", type: "STRING", mode: "REQUIRED" },
  { name: "title", type: "STRING" },
  { name: "comment", type: "STRING" },
  { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED" },
  { name: "ingest_time", type: "TIMESTAMP" },
] as const;

/** The stack of `variant`, its id `guard`. */
export function guardStack(variant: GuardStackVariant = {}): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "guard");
  new GoogleProvider(stack, "google", { project: PROJECT, region: "us-central1" });
  const dataset = new LayeredDataset(stack, "raw", {
    datasetId: "raw",
    layer: "raw",
    location: "US",
    project: PROJECT,
  });
  const drop = new Set(variant.dropColumns ?? []);
  const table = new StreamingTable(stack, "events", {
    dataset,
    tableId: "events",
    schema: new TableSchema(
      COLUMNS.filter((c) => !drop.has(c.name)),
      { name: "events" },
    ),
    partitioning: Partitioning.column(variant.partitionColumn ?? "event_time", "DAY"),
    deletionProtection: false,
  });
  new View(stack, "recent", {
    dataset,
    tableId: variant.viewTableId ?? "recent_events",
    query: `SELECT event_id, title FROM \`${table.fqn}\` WHERE ${variant.viewFilter ?? "TRUE"}`,
  });
  const topic = new StreamTopic(stack, variant.topicId ?? "topic", {
    topicName: "events",
    project: PROJECT,
    projectNumber: PROJECT_NUMBER,
  });
  const from = variant.topicMovedFrom;
  if (from !== undefined) {
    topic.resource.moveFromId(from.topic);
    topic.deadLetterTopicResource.moveFromId(from.deadLetterTopic);
    topic.deadLetterSubscription.resource.moveFromId(from.deadLetterSubscription);
  }
  return stack;
}
