import { Testing, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { LayeredDataset, LayeredDatasetProps } from "../../constructs/bigquery/layered-dataset";
import { TableSchema } from "../../schemas/table-schema";

// test/setup.ts only imports the matcher types; registering them is this call.
Testing.setupJest();

/** A fresh stack with a google provider, for construct tests. */
export function newStack(): TerraformStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new GoogleProvider(stack, "google", { project: "test-project", region: "us-central1" });
  return stack;
}

/** A dataset in `stack` (literal project, so `fqn` is literal). */
export function newDataset(stack: TerraformStack, props: Partial<LayeredDatasetProps> = {}): LayeredDataset {
  return new LayeredDataset(stack, props.datasetId ?? "raw", {
    datasetId: "raw",
    layer: "raw",
    location: "US",
    project: "test-project",
    ...props,
  });
}

/** Synthesizes the stack to a string (what the cdktf jest matchers take). */
export function synth(stack: TerraformStack): string {
  return Testing.synth(stack);
}

/** Synthesizes the stack to parsed JSON. */
export function synthJson(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack));
}

/** A schema exercising every kind of column the table rules care about. */
export const EVENTS = new TableSchema(
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
