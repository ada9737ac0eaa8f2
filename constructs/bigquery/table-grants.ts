/**
 * Table-level IAM bindings of the table, view and imported-table constructs. Private to the library.
 */
import { Construct, IConstruct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { grantOnce } from "../core/grants";
import { IGrantable } from "../core/principal";
import { ITable } from "../core/references";

/** Table-level role of `grantRead`. */
export const TABLE_READ_ROLE = "roles/bigquery.dataViewer";
/** Table-level role of `grantWrite`. */
export const TABLE_WRITE_ROLE = "roles/bigquery.dataEditor";

/** How a binding names its table: Terraform references when the table is created in the stack. */
export interface TableNames {
  readonly project: string;
  readonly datasetId: string;
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

/**
 * Table-level `roles/bigquery.dataEditor` on exactly `table`, not its dataset: the table's own
 * `grantWrite` when it has one (tables of this stack, imported tables), otherwise a binding under
 * `scope` naming the table. Idempotent.
 */
export function grantTableWrite(scope: IConstruct, table: ITable, grantee: IGrantable): ITerraformDependable {
  const own = (table as ITable & { grantWrite?: (grantee: IGrantable) => ITerraformDependable }).grantWrite;
  if (typeof own === "function") return own.call(table, grantee);
  return grantOnTable(
    scope as Construct,
    { project: table.project, datasetId: table.datasetId, tableId: table.tableIdRef },
    TABLE_WRITE_ROLE,
    grantee,
  );
}
