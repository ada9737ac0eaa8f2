import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { IGrantable, Principal } from "../../../constructs/core/principal";
import { WIDE_EVENTS_SCHEMA, newDataset, newStack, synth, synthStack } from "../../support";

const ANALYSTS = Principal.group("analysts@example.com");

describe("TableReference.fromTableAttributes", () => {
  test("a table in an imported dataset: literal ids everywhere, grants in the importing scope", () => {
    const stack = newStack();
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "shared", {
      project: "other-project",
      datasetId: "shared",
      location: "EU",
    });
    const table = TableReference.fromTableAttributes(stack, "events", {
      dataset,
      tableId: "events",
      schema: WIDE_EVENTS_SCHEMA,
    });
    expect(table).toMatchObject({
      project: "other-project",
      datasetId: "shared",
      tableId: "events",
      tableIdRef: "events",
      fqn: "other-project.shared.events",
      fqnRef: "other-project.shared.events",
      location: "EU",
    });
    expect(table.dataset).toBe(dataset);
    expect(table.schema).toBe(WIDE_EVENTS_SCHEMA);
    table.grantRead(ANALYSTS);
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryTableIamMember, {
      project: "other-project",
      dataset_id: "shared",
      table_id: "events",
      role: "roles/bigquery.dataViewer",
      member: "group:analysts@example.com",
    });
    expect(table.node.children.map((c) => c.node.id)).toEqual([expect.stringMatching(/^grant-dataViewer-/)]);
    expect(synthStack(stack).resource.google_bigquery_table).toBeUndefined();
  });

  test("a table in a dataset of this stack names the dataset by reference, so its bindings come after it", () => {
    const stack = newStack();
    const table = TableReference.fromTableAttributes(stack, "events", {
      dataset: newDataset(stack),
      tableId: "events",
    });
    expect(table.fqn).toBe("test-project.raw.events");
    expect(table.fqnRef).toMatch(/^test-project\.\$\{TfToken\[TOKEN\.\d+\]\}\.events$/);
    expect(table.schema).toBeUndefined();
    table.grantRead(ANALYSTS);
    const [binding] = Object.values(synthStack(stack).resource.google_bigquery_table_iam_member) as any[];
    expect(binding.dataset_id).toMatch(/^\$\{google_bigquery_dataset\.raw_dataset_[0-9A-F]+\.dataset_id\}$/);
  });

  test("grants are idempotent and refuse public members", () => {
    const stack = newStack();
    const table = TableReference.fromTableAttributes(stack, "events", {
      dataset: newDataset(stack),
      tableId: "events",
    });
    expect(table.grantRead(ANALYSTS)).toBe(table.grantRead(Principal.group("analysts@example.com")));
    expect(Object.keys(synthStack(stack).resource.google_bigquery_table_iam_member)).toHaveLength(1);
    const publicGrantee: IGrantable = { grantPrincipal: { iamMember: "allAuthenticatedUsers" } };
    expect(() => table.grantRead(publicGrantee)).toThrow(
      'test/events: refusing to grant access to "allAuthenticatedUsers"',
    );
  });

  test("an invalid table id is refused, naming the construct", () => {
    const stack = newStack();
    expect(() =>
      TableReference.fromTableAttributes(stack, "bad", { dataset: newDataset(stack), tableId: "a.b" }),
    ).toThrow('test/bad: table id "a.b" is invalid');
  });
});
