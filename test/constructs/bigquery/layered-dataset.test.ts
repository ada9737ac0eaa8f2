import { Construct } from "constructs";
import { TerraformVariable } from "cdktf";
import { BigqueryDataset } from "@cdktf/provider-google/lib/bigquery-dataset";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { Duration } from "../../../constructs/core/duration";
import { IGrantable, Principal } from "../../../constructs/core/principal";
import { newDataset, newStack, synth, synthStack } from "../../support";

const READER = Principal.serviceAccount("reader@test-project.iam.gserviceaccount.com");
const WRITER = Principal.serviceAccount("writer@test-project.iam.gserviceaccount.com");

/** A construct running as a service account created in the stack (its member is a token). */
class Workload extends Construct implements IGrantable {
  public readonly grantPrincipal: Principal;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const account = new ServiceAccount(this, "sa", { accountId: id });
    this.grantPrincipal = Principal.serviceAccount(account.email);
  }
}

const bindings = (stack: any): any[] =>
  Object.values(synthStack(stack).resource.google_bigquery_dataset_iam_member ?? {}) as any[];

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
    const [resource] = Object.values(synthStack(stack).resource.google_bigquery_dataset) as any[];
    expect(resource.default_encryption_configuration).toBeUndefined();
    expect(resource.default_table_expiration_ms).toBeUndefined();
  });

  test("passes expirations, CMEK key and deleteContentsOnDestroy through", () => {
    const stack = newStack();
    newDataset(stack, {
      datasetId: "scratch",
      layer: "sandbox",
      location: "europe-west1",
      defaultTableExpiration: Duration.days(1),
      defaultPartitionExpiration: Duration.hours(1),
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

  test("a Terraform variable as an expiration's amount synthesizes an expression, not a number", () => {
    const stack = newStack();
    const days = new TerraformVariable(stack, "table_ttl_days", { type: "number" });
    newDataset(stack, { defaultTableExpiration: Duration.days(days.numberValue) });
    const [resource] = Object.values(synthStack(stack).resource.google_bigquery_dataset) as any[];
    expect(resource.default_table_expiration_ms).toBe("${(var.table_ttl_days * 86400000)}");
  });

  test("the dataset attributes: a literal id for SQL, a reference that orders dependants after the dataset", () => {
    const dataset = newDataset(newStack());
    expect(dataset.datasetId).toBe("raw");
    expect(dataset.datasetIdRef).toMatch(/\$\{TfToken\[/);
  });

  test("grantRead / grantWrite add dataset-level members naming the dataset by reference", () => {
    const stack = newStack();
    const dataset = newDataset(stack);
    dataset.grantRead(READER);
    dataset.grantWrite(WRITER);
    const out = synth(stack);
    expect(out).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      role: "roles/bigquery.dataViewer",
      member: "serviceAccount:reader@test-project.iam.gserviceaccount.com",
      project: "test-project",
      dataset_id: expect.stringMatching(/^\$\{google_bigquery_dataset\.raw_dataset_[0-9A-F]+\.dataset_id\}$/),
    });
    expect(out).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      role: "roles/bigquery.dataEditor",
      member: "serviceAccount:writer@test-project.iam.gserviceaccount.com",
    });
    expect(bindings(stack)).toHaveLength(2);
  });

  test("grants are idempotent: the same grantee and role twice is one binding, returned again", () => {
    const stack = newStack();
    const dataset = newDataset(stack);
    const workload = new Workload(stack, "workload");
    const first = dataset.grantRead(READER);
    // Another Principal object for the same member is the same grantee.
    expect(dataset.grantRead(Principal.serviceAccount("reader@test-project.iam.gserviceaccount.com"))).toBe(first);
    const forWorkload = dataset.grantWrite(workload);
    expect(dataset.grantWrite(workload)).toBe(forWorkload);
    // Another role is another binding.
    expect(dataset.grantWrite(READER)).not.toBe(first);
    expect(bindings(stack)).toHaveLength(3);
    const ids = dataset.node.children.map((c) => c.node.id).filter((id) => id.startsWith("grant-"));
    expect(ids.sort()).toEqual([
      expect.stringMatching(/^grant-dataEditor-[0-9a-f]{10}$/),
      expect.stringMatching(/^grant-dataEditor-[0-9a-f]{10}$/),
      expect.stringMatching(/^grant-dataViewer-[0-9a-f]{10}$/),
    ]);
  });

  test("fromDatasetAttributes: an imported dataset whose grants name it by its literal id", () => {
    const stack = newStack();
    const shared = LayeredDataset.fromDatasetAttributes(stack, "shared", {
      project: "other-project",
      datasetId: "shared_events",
      location: "EU",
    });
    expect(shared.datasetId).toBe("shared_events");
    expect(shared.datasetIdRef).toBe("shared_events");
    expect(shared.location).toBe("EU");
    const binding = shared.grantRead(READER);
    expect(shared.grantRead(READER)).toBe(binding);
    expect(bindings(stack)).toEqual([
      expect.objectContaining({
        project: "other-project",
        dataset_id: "shared_events",
        role: "roles/bigquery.dataViewer",
        member: "serviceAccount:reader@test-project.iam.gserviceaccount.com",
      }),
    ]);
    expect(synthStack(stack).resource.google_bigquery_dataset).toBeUndefined();
    expect(() =>
      LayeredDataset.fromDatasetAttributes(stack, "bad", { project: "p", datasetId: "a-b", location: "US" }),
    ).toThrow('test/bad: dataset id "a-b" is invalid');
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
      expect(() => newDataset(newStack(), { defaultTableExpiration: Duration.minutes(1) })).toThrow(
        "test/raw: defaultTableExpiration is 1 minute; BigQuery needs at least 1 hour",
      );
      expect(() => newDataset(newStack(), { defaultTableExpiration: Duration.hours(1) })).not.toThrow();
    });
    test("rejects a non-positive default partition expiration", () => {
      expect(() => newDataset(newStack(), { defaultPartitionExpiration: Duration.seconds(0) })).toThrow(
        "test/raw: defaultPartitionExpiration is 0 seconds; it must be positive",
      );
    });
    test("rejects an expiration that is not a whole number of milliseconds", () => {
      expect(() => newDataset(newStack(), { defaultPartitionExpiration: Duration.millis(0.5) })).toThrow(
        "test/raw: defaultPartitionExpiration is 0.5 milliseconds; it must be a whole number of milliseconds",
      );
    });
    test("rejects an expiration that is not a Duration", () => {
      expect(() => newDataset(newStack(), { defaultTableExpiration: 86_400_000 as never })).toThrow(
        "test/raw: defaultTableExpiration must be a Duration (e.g. Duration.days(7)), got 86400000",
      );
    });
    test("rejects invalid labels", () => {
      expect(() => newDataset(newStack(), { labels: { Team: "x" } })).toThrow('test/raw: label key "Team" is invalid');
    });
    test("refuses public members and members without a type prefix", () => {
      const dataset = newDataset(newStack());
      expect(() => Principal.fromMember("allUsers")).toThrow('refusing the public member "allUsers"');
      const grantee = (iamMember: string): IGrantable => ({ grantPrincipal: { iamMember } });
      expect(() => dataset.grantRead(grantee("allUsers"))).toThrow(
        'test/raw: refusing to grant access to "allUsers"; grant access to specific principals only, never the public',
      );
      expect(() => dataset.grantWrite(grantee("allAuthenticatedUsers"))).toThrow(
        'test/raw: refusing to grant access to "allAuthenticatedUsers"',
      );
      expect(() => dataset.grantRead(grantee("someone@example.com"))).toThrow(
        'test/raw: IAM member "someone@example.com" is not an IAM member; expected one of',
      );
      expect(() => dataset.grantRead("serviceAccount:x@p.iam.gserviceaccount.com" as never)).toThrow(
        "test/raw: a grant needs an IGrantable",
      );
      expect(bindings(dataset.node.scope)).toHaveLength(0);
    });
  });
});
