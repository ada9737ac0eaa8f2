/**
 * Table-level IAM bindings of the table, view and imported-table constructs ({@link TableBase}).
 * Private to the library.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { grantOnce } from "../core/grants";
import { IGrantable } from "../core/principal";

/** Table-level role of `grantRead`. */
export const TABLE_READ_ROLE = "roles/bigquery.dataViewer";
/** Table-level role of `grantWrite` (the general case: a writer that may also manage the table). */
export const TABLE_WRITE_ROLE = "roles/bigquery.dataEditor";

/** How a `TableBase`'s bindings name the table: Terraform references when the table is created in the stack. */
export interface TableNames {
  /** Project of the table. */
  readonly project: string;
  /** Dataset id: a reference to the dataset when it is created in this stack. */
  readonly datasetId: string;
  /** Table id: a reference to the table when it is created in this stack. */
  readonly tableId: string;
}

/**
 * Grants `role` on one table to `grantee`, once, with the binding in `scope` (the table's construct).
 * A custom role is given as `{ role: its name, key: its id, dependsOn: its resource }`: the binding names it
 * literally where it can (a readable plan) and waits for it; `key` (a literal) keeps the binding's id stable
 * when the name is a token.
 */
export function grantOnTable(
  scope: Construct,
  table: TableNames,
  role: string | { readonly role: string; readonly key: string; readonly dependsOn: ITerraformDependable },
  grantee: IGrantable,
): ITerraformDependable {
  const custom = typeof role === "string" ? undefined : role;
  const name = custom?.role ?? (role as string);
  return grantOnce(
    scope,
    custom?.key ?? name,
    grantee,
    (id, member) =>
      new BigqueryTableIamMember(scope, id, {
        project: table.project,
        datasetId: table.datasetId,
        tableId: table.tableId,
        role: name,
        member,
        dependsOn: custom ? [custom.dependsOn] : undefined,
      }),
  );
}
