// The README's ingestion example, compiled by tsc and run by readme-example.test.ts.
// README.md shows the code between the markers, with the import from "fresh-streams".
// README-EXAMPLE-START
import { App, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import {
  LayeredDataset,
  Partitioning,
  ProjectServices,
  PubSubToBigQueryJob,
  StreamTopic,
  StreamingTable,
  TableSchema,
} from "../../constructs";

export function buildExample(app: App): TerraformStack {
  const project = "my-project";
  const stack = new TerraformStack(app, "events");
  new GoogleProvider(stack, "google", { project, region: "europe-west1" });
  new ProjectServices(stack, "services", { project }).applyTo(stack);

  const raw = new LayeredDataset(stack, "raw", { datasetId: "raw", layer: "raw", location: "EU", project });
  const schema = new TableSchema(
    [
      { name: "event_id", type: "STRING", mode: "REQUIRED" },
      { name: "user", type: "STRING" },
      { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED" },
    ],
    { name: "events" },
  );
  const events = new StreamingTable(stack, "events", {
    dataset: raw,
    tableId: "events",
    schema,
    partitioning: Partitioning.ingestionTime("DAY"),
    clustering: ["user"],
  });

  // A topic with its dead-letter topic, a subscription keeping dead letters, and the service-agent grants.
  const topic = new StreamTopic(stack, "topic", {
    topicName: "events",
    project,
    projectNumber: "123456789012",
    allowedPersistenceRegions: ["europe-west1"],
  });
  topic.grantPublish("serviceAccount:publisher@my-project.iam.gserviceaccount.com");

  // Dataflow's "Pub/Sub Subscription to BigQuery" template reading a dead-lettering subscription...
  const subscription = topic.addSubscription("events-dataflow", { maxDeliveryAttempts: 10 });
  new PubSubToBigQueryJob(stack, "job", {
    jobName: "events-to-bigquery",
    project,
    region: "europe-west1",
    subscription,
    outputTable: events,
  });
  // ...or, without Dataflow, a BigQuery subscription:
  // topic.addBigQuerySubscription(events, { subscriptionName: "events-bigquery" });
  return stack;
}
// README-EXAMPLE-END
