import { TerraformStack, Testing } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../../constructs/bigquery/table-options";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { CUSTOM_ROLE_ID, roleIdFor } from "../../../constructs/bigquery/table-row-writer-role";
import { View } from "../../../constructs/bigquery/view";
import { Principal } from "../../../constructs/core/principal";
import { expectApplyOrder } from "../../../constructs/testing/apply-order";
import { INGESTION_ERRORS_SCHEMA } from "../../../schemas/ingestion-errors";
import { newStack, newTable, PROJECT, resources, synthStack } from "../../support";

const WRITER = Principal.serviceAccount("writer@test-project.iam.gserviceaccount.com");
const OTHER = Principal.serviceAccount("other@test-project.iam.gserviceaccount.com");

/**
 * `ITable.grantWriteRows`: what a workload that only appends rows gets, instead of `grantWrite`'s
 * table-level `roles/bigquery.dataEditor` (which also updates and deletes the table and reads its rows).
 * BigQuery: "To use the Storage Write API, you must have bigquery.tables.updateData permissions"
 * ("Introduction to the BigQuery Storage Write API", Required permissions); `tabledata.insertAll` needs
 * bigquery.tables.updateData and bigquery.tables.get on the table ("Use the legacy streaming API").
 */
describe("grantWriteRows: a custom role with only what appending rows needs", () => {
  test("one role per API and project, at the stack's root, bound on each table; the binding waits for the role", () => {
    const stack = newStack();
    const events = newTable(stack, { tableId: "events" });
    const errors = new StreamingTable(stack, "errors", {
      dataset: events.dataset,
      tableId: "errors",
      schema: INGESTION_ERRORS_SCHEMA,
      partitioning: Partitioning.column("timestamp", "DAY"),
    });
    events.grantWriteRows(WRITER);
    errors.grantWriteRows(WRITER);
    events.grantWriteRows(OTHER, "insert-all");
    const json = synthStack(stack);
    const roles = Object.entries<any>(json.resource.google_project_iam_custom_role);
    expect(roles.map(([, r]) => [r.role_id, r.project, r.permissions]).sort()).toEqual([
      ["freshStreams_insertAllAppender_test", PROJECT, ["bigquery.tables.get", "bigquery.tables.updateData"]],
      ["freshStreams_storageWriteAppender_test", PROJECT, ["bigquery.tables.updateData"]],
    ]);
    // Each binding names its role literally and depends on that role's resource.
    const roleIdAt = Object.fromEntries(
      roles.map(([address, r]) => [`google_project_iam_custom_role.${address}`, r.role_id]),
    );
    const bindings = resources(json, "google_bigquery_table_iam_member");
    expect(bindings.map((b) => [b.member, b.role, b.depends_on.map((d: string) => roleIdAt[d])]).sort()).toEqual([
      [
        OTHER.iamMember,
        `projects/${PROJECT}/roles/freshStreams_insertAllAppender_test`,
        ["freshStreams_insertAllAppender_test"],
      ],
      [
        WRITER.iamMember,
        `projects/${PROJECT}/roles/freshStreams_storageWriteAppender_test`,
        ["freshStreams_storageWriteAppender_test"],
      ],
      [
        WRITER.iamMember,
        `projects/${PROJECT}/roles/freshStreams_storageWriteAppender_test`,
        ["freshStreams_storageWriteAppender_test"],
      ],
    ]);
    expect(JSON.stringify(json)).not.toContain("roles/bigquery.dataEditor");
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });

  test("idempotent: the same grantee and API on the same table is one binding", () => {
    const stack = newStack();
    const table = newTable(stack);
    const first = table.grantWriteRows(WRITER);
    expect(table.grantWriteRows(WRITER, "storage-write")).toBe(first);
    expect(table.grantWriteRows(WRITER, "insert-all")).not.toBe(first);
  });

  test("a table of another project gets the role of that project (a custom role is bound in its own project only)", () => {
    const stack = newStack();
    newTable(stack, { project: "other-project", tableId: "t" }).grantWriteRows(WRITER);
    newTable(stack).grantWriteRows(WRITER);
    const json = synthStack(stack);
    expect(resources(json, "google_project_iam_custom_role").map((r) => r.project)).toEqual(["other-project", PROJECT]);
    expect(
      resources(json, "google_bigquery_table_iam_member")
        .map((b) => b.role)
        .sort(),
    ).toEqual([
      "projects/other-project/roles/freshStreams_storageWriteAppender_test",
      `projects/${PROJECT}/roles/freshStreams_storageWriteAppender_test`,
    ]);
  });

  test("an imported table names itself literally; a dataset in the provider's project names the role by reference", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    new GoogleProvider(stack, "google", { project: PROJECT });
    const dataset = new LayeredDataset(stack, "raw", { datasetId: "raw", layer: "raw", location: "US" });
    TableReference.fromTableAttributes(stack, "t", { dataset, tableId: "events" }).grantWriteRows(WRITER);
    const json = synthStack(stack);
    const [[roleAddress]] = Object.entries<any>(json.resource.google_project_iam_custom_role);
    const [binding] = resources(json, "google_bigquery_table_iam_member");
    expect(binding).toMatchObject({
      table_id: "events",
      role: `\${google_project_iam_custom_role.${roleAddress}.name}`,
    });
  });

  test("a view refuses it, naming the view and the rule", () => {
    const stack = newStack();
    const table = newTable(stack);
    const view = new View(stack, "v", { dataset: table.dataset, tableId: "dedup", query: "SELECT 1" });
    expect(() => view.grantWriteRows(WRITER)).toThrow(
      /test\/v: grantWriteRows on view test-project\.raw\.dedup: a view holds no rows to write/,
    );
  });

  test("role ids follow IAM's rule (letters, digits, underscores, periods; 3 to 64 characters) for any stack name", () => {
    expect(roleIdFor("storage-write", "prod")).toBe("freshStreams_storageWriteAppender_prod");
    expect(roleIdFor("insert-all", "eu-west.ingest")).toBe("freshStreams_insertAllAppender_eu_west.ingest");
    const long = roleIdFor("storage-write", "x".repeat(80));
    expect(long).toMatch(CUSTOM_ROLE_ID);
    expect(long).toHaveLength(64);
    expect(roleIdFor("storage-write", "x".repeat(80))).toBe(long);
    expect(roleIdFor("storage-write", `${"x".repeat(79)}y`)).not.toBe(long);
    expect("freshStreams-writer").not.toMatch(CUSTOM_ROLE_ID);
  });
});
