import { BigqueryDataset } from "@cdktf/provider-google/lib/bigquery-dataset";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { newDataset, newStack, synth, synthJson } from "./helpers";

describe("LayeredDataset", () => {
  test("creates a dataset with its layer label, location and safe defaults", () => {
    const stack = newStack();
    const dataset = newDataset(stack, { datasetId: "dev_raw", layer: "raw", labels: { team: "data" } });
    expect(dataset.datasetId).toBe("dev_raw");
    expect(dataset.project).toBe("test-project");
    expect(dataset.location).toBe("US");
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryDataset, {
      dataset_id: "dev_raw",
      location: "US",
      labels: { layer: "raw", team: "data" },
      description: "raw layer of the warehouse",
      delete_contents_on_destroy: false,
    });
    const [resource] = Object.values(synthJson(stack).resource.google_bigquery_dataset) as any[];
    expect(resource.default_encryption_configuration).toBeUndefined();
    expect(resource.default_table_expiration_ms).toBeUndefined();
  });

  test("passes expirations, CMEK key and deleteContentsOnDestroy through", () => {
    const stack = newStack();
    newDataset(stack, {
      datasetId: "scratch",
      layer: "sandbox",
      location: "europe-west1",
      defaultTableExpirationMs: 86_400_000,
      defaultPartitionExpirationMs: 3_600_000,
      kmsKeyName: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
      deleteContentsOnDestroy: true,
    });
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryDataset, {
      dataset_id: "scratch",
      location: "europe-west1",
      labels: { layer: "sandbox" },
      default_table_expiration_ms: 86_400_000,
      default_partition_expiration_ms: 3_600_000,
      default_encryption_configuration: { kms_key_name: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k" },
      delete_contents_on_destroy: true,
    });
  });

  test("project defaults to the provider's (a token)", () => {
    const stack = newStack();
    const dataset = new LayeredDataset(stack, "d", { datasetId: "d", layer: "raw", location: "US" });
    expect(dataset.project).toMatch(/\$\{TfToken\[/);
  });

  test("grantRead / grantWrite add dataset-level members, once per member and role", () => {
    const stack = newStack();
    const dataset = newDataset(stack);
    const first = dataset.grantRead("serviceAccount:reader@test-project.iam.gserviceaccount.com");
    const again = dataset.grantRead("serviceAccount:reader@test-project.iam.gserviceaccount.com");
    dataset.grantWrite("serviceAccount:writer@test-project.iam.gserviceaccount.com");
    expect(again).toBe(first);
    const out = synth(stack);
    expect(out).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      role: "roles/bigquery.dataViewer",
      member: "serviceAccount:reader@test-project.iam.gserviceaccount.com",
      dataset_id: expect.stringMatching(/^\$\{google_bigquery_dataset\.raw_dataset_[0-9A-F]+\.dataset_id\}$/),
    });
    expect(out).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      role: "roles/bigquery.dataEditor",
      member: "serviceAccount:writer@test-project.iam.gserviceaccount.com",
    });
    expect(Object.keys(JSON.parse(out).resource.google_bigquery_dataset_iam_member)).toHaveLength(2);
  });

  describe("validation", () => {
    test("rejects an invalid dataset id", () => {
      expect(() => newDataset(newStack(), { datasetId: "dev-raw" })).toThrow(
        'test/dev-raw: dataset id "dev-raw" is invalid; use letters, digits and underscores only (at most 1,024)',
      );
    });
    test("rejects a layer that cannot be a label value", () => {
      expect(() => newDataset(newStack(), { layer: "Raw Layer" })).toThrow(
        'test/raw: layer "Raw Layer" is invalid; it becomes a label value',
      );
    });
    test("rejects an invalid location", () => {
      expect(() => newDataset(newStack(), { location: "Europe" })).toThrow(
        'test/raw: location "Europe" is invalid; expected US, EU or a region such as europe-west1',
      );
    });
    test("rejects a malformed KMS key", () => {
      expect(() => newDataset(newStack(), { kmsKeyName: "my-key" })).toThrow(
        'test/raw: kmsKeyName "my-key" is invalid',
      );
    });
    test("rejects a default table expiration under one hour", () => {
      expect(() => newDataset(newStack(), { defaultTableExpirationMs: 60_000 })).toThrow(
        "test/raw: defaultTableExpirationMs is 60000; BigQuery needs an integer of at least 3600000 (one hour)",
      );
    });
    test("rejects a non-positive default partition expiration", () => {
      expect(() => newDataset(newStack(), { defaultPartitionExpirationMs: 0 })).toThrow(
        "test/raw: defaultPartitionExpirationMs is 0; it must be a positive integer number of milliseconds",
      );
    });
    test("rejects invalid labels", () => {
      expect(() => newDataset(newStack(), { labels: { Team: "x" } })).toThrow('test/raw: label key "Team" is invalid');
    });
    test("refuses public members and members without a type prefix", () => {
      const dataset = newDataset(newStack());
      expect(() => dataset.grantRead("allUsers")).toThrow(
        'test/raw: refusing to grant access to "allUsers"; public access to warehouse data is not allowed',
      );
      expect(() => dataset.grantWrite("allAuthenticatedUsers")).toThrow(
        'refusing to grant access to "allAuthenticatedUsers"',
      );
      expect(() => dataset.grantRead("someone@example.com")).toThrow(
        'test/raw: IAM member "someone@example.com" needs a type prefix such as serviceAccount:, user:, group: or domain:',
      );
    });
  });
});
