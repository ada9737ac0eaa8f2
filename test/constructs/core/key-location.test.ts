/**
 * One key-location rule for every construct taking a Cloud KMS key (constructs/core/key-location.ts):
 * one test per service, each citing the service's CMEK documentation.
 */
import { TerraformVariable } from "cdktf";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../../constructs/bigquery/table-options";
import { PubSubToBigQueryJob } from "../../../constructs/dataflow/pubsub-to-bigquery-job";
import { SsePublisherService } from "../../../constructs/worker/sse-publisher-service";
import { validateKeyLocation } from "../../../constructs/core/key-location";
import { EVENTS_SCHEMA, newStack, newTable, newTopic, PROJECT, synthStack } from "../../support";

const key = (location: string) => `projects/p/locations/${location}/keyRings/r/cryptoKeys/k`;

describe("key location", () => {
  // https://cloud.google.com/bigquery/docs/customer-managed-encryption: the key ring's location matches
  // the dataset's (us for US, europe for EU, the region for a regional dataset).
  test("BigQuery: a dataset's key is in the dataset's location (US → us, EU → europe, a region → that region)", () => {
    const ok = (location: string, keyLocation: string) =>
      new LayeredDataset(newStack(), "ds", { datasetId: "d", layer: "raw", location, kmsKeyName: key(keyLocation) });
    expect(() => ok("US", "us")).not.toThrow();
    expect(() => ok("EU", "europe")).not.toThrow();
    expect(() => ok("europe-west1", "europe-west1")).not.toThrow();
    expect(() => ok("EU", "europe-west1")).toThrow(
      'test/ds: kmsKeyName "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k" is in location "europe-west1" but the resource is in "EU", which needs a key in "europe"; BigQuery',
    );
    expect(() => ok("europe-west1", "europe")).toThrow(/which needs a key in "europe-west1"; BigQuery/);
    expect(() => ok("US", "global")).toThrow(/is in location "global" but the resource is in "US"/);
  });

  // Same page: a table's own key follows its dataset's location.
  test("BigQuery: a table's own key is in its dataset's location", () => {
    const stack = newStack();
    const dataset = new LayeredDataset(stack, "ds", { datasetId: "d", layer: "raw", location: "US", project: PROJECT });
    expect(
      () =>
        new StreamingTable(stack, "t", {
          dataset,
          tableId: "t",
          schema: EVENTS_SCHEMA,
          partitioning: Partitioning.ingestionTime(),
          kmsKeyName: key("us-central1"),
        }),
    ).toThrow(
      /test\/t: kmsKeyName ".*us-central1.*" is in location "us-central1" but the resource is in "US", which needs a key in "us"/,
    );
  });

  // https://cloud.google.com/pubsub/docs/encryption: a global key, or a message storage policy that keeps
  // messages inside the key's location.
  test("Pub/Sub: a regional or multi-regional key needs allowedPersistenceRegions inside it; a global key does not", () => {
    expect(() => newTopic(newStack(), { kmsKeyName: key("global") })).not.toThrow();
    expect(() =>
      newTopic(newStack(), { kmsKeyName: key("europe"), allowedPersistenceRegions: ["europe-west1"] }),
    ).not.toThrow();
    expect(() => newTopic(newStack(), { kmsKeyName: key("europe-west1") })).toThrow(
      /test\/events: kmsKeyName ".*europe-west1.*" is in location "europe-west1" but the topic may store messages in any region/,
    );
    expect(() =>
      newTopic(newStack(), { kmsKeyName: key("europe-west1"), allowedPersistenceRegions: ["us-central1"] }),
    ).toThrow(/but allowedPersistenceRegions includes "us-central1"; Pub\/Sub/);
  });

  // https://cloud.google.com/dataflow/docs/guides/customer-managed-encryption-keys (the job's region) and
  // https://cloud.google.com/storage/docs/encryption/customer-managed-keys (the temp bucket's location).
  test("Dataflow and its temp bucket: the key is in the job's region", () => {
    const build = (keyLocation: string) => {
      const stack = newStack();
      const table = newTable(stack);
      const topic = newTopic(stack);
      return new PubSubToBigQueryJob(stack, "job", {
        jobName: "events-to-bigquery",
        project: PROJECT,
        region: "us-central1",
        subscription: topic.addSubscription("events-sub"),
        outputTable: table,
        kmsKeyName: key(keyLocation),
      });
    };
    expect(() => build("us-central1")).not.toThrow();
    expect(() => build("us")).toThrow(
      /test\/job: kmsKeyName ".*" is in location "us" but the resource is in "us-central1"/,
    );
  });

  // https://cloud.google.com/storage/docs/encryption/customer-managed-keys: a multi-region bucket takes a
  // key in the same multi-region; a regional one a key in its region.
  test("Cloud Storage: the key is in the bucket's location", () => {
    expect(() => validateKeyLocation("p", "storage", key("us"), "US")).not.toThrow();
    expect(() => validateKeyLocation("p", "storage", key("us-east1"), "US-EAST1")).not.toThrow();
    expect(() => validateKeyLocation("p", "storage", key("us"), "us-east1")).toThrow(
      /p: kmsKeyName ".*" is in location "us" but the resource is in "us-east1", which needs a key in "us-east1"; Cloud Storage/,
    );
  });

  // https://cloud.google.com/artifact-registry/docs/cmek: the key is in the repository's location.
  test("Artifact Registry: the key is in the repository's location", () => {
    expect(() => validateKeyLocation("p", "artifact-registry", key("europe"), "europe")).not.toThrow();
    expect(() => validateKeyLocation("p", "artifact-registry", key("europe"), "europe-west1")).toThrow(
      /which needs a key in "europe-west1"; Artifact Registry/,
    );
  });

  // https://cloud.google.com/run/docs/securing/using-cmek: the key is in the service's region.
  test("Cloud Run (the worker): a multi-regional key is refused for the regional service, repository and bucket", () => {
    const build = (keyLocation: string) =>
      new SsePublisherService(newStack(), "worker", {
        project: PROJECT,
        region: "europe-west1",
        topic: newTopic(newStack()),
        kmsKeyName: key(keyLocation),
      });
    expect(() => build("europe-west1")).not.toThrow();
    expect(() => build("europe")).toThrow(
      /test\/worker: kmsKeyName ".*" is in location "europe" but the resource is in "europe-west1", which needs a key in "europe-west1"/,
    );
    expect(() => validateKeyLocation("p", "cloud-run", key("europe"), "europe-west1")).toThrow(/Cloud Run/);
  });

  test("a key or a location that is a token is passed through unchecked", () => {
    const stack = newStack();
    const variable = new TerraformVariable(stack, "key", { type: "string" });
    const dataset = new LayeredDataset(stack, "ds", {
      datasetId: "d",
      layer: "raw",
      location: "EU",
      kmsKeyName: variable.stringValue,
    });
    expect(dataset.resource).toBeDefined();
    const json = synthStack(stack);
    expect(Object.values<any>(json.resource.google_bigquery_dataset)[0].default_encryption_configuration).toEqual({
      kms_key_name: "${var.key}",
    });
  });
});
