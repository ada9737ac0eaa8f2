/**
 * What every {@link ITable} of the library shares, whether it creates the table (`StreamingTable`,
 * `ReportingTable`, `CdcTable`, `View`, `MaterializedView`) or imports one
 * (`TableReference.fromTableAttributes`): the table-level grants.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { TableSchema } from "../../schemas/table-schema";
import { IGrantable } from "../core/principal";
import { IDataset, ITable } from "../core/references";
import { grantOnTable, TABLE_READ_ROLE, TABLE_WRITE_ROLE, TableNames } from "./table-grants";

/**
 * A BigQuery table or view, created or imported: subclasses give the attributes and how a binding
 * names the table ({@link grantTarget}), this class grants. Every binding is created in this construct.
 */
export abstract class TableBase extends Construct implements ITable {
  public abstract readonly project: string;
  public abstract readonly datasetId: string;
  public abstract readonly tableId: string;
  public abstract readonly tableIdRef: string;
  public abstract readonly fqn: string;
  public abstract readonly fqnRef: string;
  public abstract readonly location: string;
  public abstract readonly dataset: IDataset;
  public abstract readonly schema?: TableSchema;
  public abstract readonly primaryKey?: readonly string[];
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
   * Lets `grantee` write rows to this table only (table-level `roles/bigquery.dataEditor`), e.g. a
   * BigQuery subscription's writer. Idempotent.
   */
  public grantWrite(grantee: IGrantable): ITerraformDependable {
    return grantOnTable(this, this.grantTarget, TABLE_WRITE_ROLE, grantee);
  }
}
