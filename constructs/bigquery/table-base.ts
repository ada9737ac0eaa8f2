/**
 * What every {@link ITable} of the library shares, whether it creates the table (`StreamingTable`,
 * `ReportingTable`, `CdcTable`, `View`, `MaterializedView`) or imports one
 * (`TableReference.fromTableAttributes`): the table-level grants.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { TableSchema } from "../../schemas/table-schema";
import { IGrantable } from "../core/principal";
import { IDataset, ITable, RowWriteApi } from "../core/references";
import { grantOnTable, TABLE_READ_ROLE, TABLE_WRITE_ROLE, TableNames } from "./table-grants";
import { TableRowWriterRole } from "./table-row-writer-role";

/**
 * The base of every `ITable` of the library, created or imported: the table-level grants, written once;
 * extend it for a table of your own. Subclasses give the attributes and how a binding names the
 * table ({@link grantTarget}). Every binding is created in this construct.
 */
export abstract class TableBase extends Construct implements ITable {
  /** Project holding the table. */
  public abstract readonly project: string;
  /** Dataset id (literal where given as one). */
  public abstract readonly datasetId: string;
  /** Table id (literal where given as one). */
  public abstract readonly tableId: string;
  /** Table id as a Terraform reference when the table is created in this stack. */
  public abstract readonly tableIdRef: string;
  /** `project.dataset.table`, for SQL and messages. */
  public abstract readonly fqn: string;
  /** `project.dataset.table` as Terraform references when the table is created in this stack. */
  public abstract readonly fqnRef: string;
  /** BigQuery location (the dataset's). */
  public abstract readonly location: string;
  /** The dataset holding the table. */
  public abstract readonly dataset: IDataset;
  /** The table's columns, when known. */
  public abstract readonly schema?: TableSchema;
  /** The primary key columns, when the table has one. */
  public abstract readonly primaryKey?: readonly string[];
  /** What creates the table in this stack (empty when imported). */
  public abstract readonly dependables: readonly ITerraformDependable[];

  /**
   * How the table's IAM bindings name it: Terraform references to the table when it is created in
   * this stack (so a binding is created after it), its literal names otherwise.
   */
  protected abstract readonly grantTarget: TableNames;

  /** Lets `grantee` read this table only (table-level `roles/bigquery.dataViewer`). Idempotent. */
  public grantRead(grantee: IGrantable): ITerraformDependable {
    return grantOnTable(this, this.grantTarget, TABLE_READ_ROLE, grantee);
  }

  /**
   * Lets `grantee` write to this table only (table-level `roles/bigquery.dataEditor`: rows, but also the
   * table's metadata, its deletion and reading its rows), e.g. a BigQuery subscription's writer, for which
   * Pub/Sub documents that role. A writer that only appends rows takes {@link grantWriteRows}. Idempotent.
   */
  public grantWrite(grantee: IGrantable): ITerraformDependable {
    return grantOnTable(this, this.grantTarget, TABLE_WRITE_ROLE, grantee);
  }

  /**
   * Lets `grantee` append rows to this table and nothing else: a project-level custom role with only what
   * `api` needs (`bigquery.tables.updateData`; insertAll also `bigquery.tables.get`), bound on this table.
   * It reads no rows and cannot update or delete the table. The role is created once per API, project and
   * stack, and the binding waits for it. Idempotent.
   * @param api how the grantee writes: `storage-write` (the Storage Write API) or `insert-all` (`tabledata.insertAll`)
   */
  public grantWriteRows(grantee: IGrantable, api: RowWriteApi = "storage-write"): ITerraformDependable {
    const role = TableRowWriterRole.of(this, this.project, api);
    return grantOnTable(
      this,
      this.grantTarget,
      { role: role.roleName, key: role.roleId, dependsOn: role.resource },
      grantee,
    );
  }
}
