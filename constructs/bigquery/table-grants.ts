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
/** Table-level role of `grantWrite`. */
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

/** Grants `role` on one table to `grantee`, once, with the binding in `scope` (the table's construct). */
export function grantOnTable(
  scope: Construct,
  table: TableNames,
  role: string,
  grantee: IGrantable,
): ITerraformDependable {
  return grantOnce(
    scope,
    role,
    grantee,
    (id, member) =>
      new BigqueryTableIamMember(scope, id, {
        project: table.project,
        datasetId: table.datasetId,
        tableId: table.tableId,
        role,
        member,
      }),
  );
}
