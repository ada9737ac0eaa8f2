import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { TableSchema } from "../../schemas/table-schema";
import { IGrantable } from "../core/principal";
import { IDataset, ITable } from "../core/references";
import { grantOnTable, TABLE_READ_ROLE, TABLE_WRITE_ROLE } from "./table-grants";
import { validateTableId } from "./table-validation";

/** What identifies a table created elsewhere, for {@link TableReference.fromTableAttributes}. */
export interface TableAttributes {
  /** The dataset holding the table: a `LayeredDataset` of this stack, or one imported with `LayeredDataset.fromDatasetAttributes`. */
  readonly dataset: IDataset;
  /** Table id. */
  readonly tableId: string;
  /**
   * The table's columns, for constructs that need them (a BigQuery subscription's schema, a topic schema).
   * @default - unknown
   */
  readonly schema?: TableSchema;
}

/**
 * Tables (or views) created elsewhere, for constructs that take an {@link ITable}.
 *
 * @example
 * const events = TableReference.fromTableAttributes(this, "events", {
 *   dataset: LayeredDataset.fromDatasetAttributes(this, "shared", { project: "p", datasetId: "shared", location: "US" }),
 *   tableId: "events",
 * });
 * events.grantRead(Principal.group("analysts@example.com"));
 */
export class TableReference {
  /**
   * A table known by its dataset and id. Its grants create table-level bindings in `scope`,
   * naming the dataset through `dataset.datasetIdRef` (so after the dataset when it is created
   * in the same stack) and the table by its literal id.
   */
  public static fromTableAttributes(scope: Construct, id: string, attributes: TableAttributes): ITable {
    return new ImportedTable(scope, id, attributes);
  }

  private constructor() {}
}

class ImportedTable extends Construct implements ITable {
  public readonly project: string;
  public readonly datasetId: string;
  public readonly tableId: string;
  public readonly tableIdRef: string;
  public readonly fqn: string;
  public readonly fqnRef: string;
  public readonly location: string;
  public readonly dataset: IDataset;
  public readonly schema?: TableSchema;

  constructor(scope: Construct, id: string, attributes: TableAttributes) {
    super(scope, id);
    const { dataset, tableId, schema } = attributes;
    validateTableId(this.node.path, tableId);
    if (schema !== undefined && !(schema instanceof TableSchema)) {
      throw new Error(`${this.node.path}: schema must be a TableSchema`);
    }
    this.dataset = dataset;
    this.project = dataset.project;
    this.datasetId = dataset.datasetId;
    this.location = dataset.location;
    this.tableId = tableId;
    this.tableIdRef = tableId;
    this.schema = schema;
    this.fqn = `${this.project}.${this.datasetId}.${tableId}`;
    this.fqnRef = `${this.project}.${dataset.datasetIdRef}.${tableId}`;
  }

  public grantRead(grantee: IGrantable): ITerraformDependable {
    return grantOnTable(
      this,
      { project: this.project, datasetId: this.dataset.datasetIdRef, tableId: this.tableId },
      TABLE_READ_ROLE,
      grantee,
    );
  }

  /** Lets `grantee` write rows to this table only (table-level `roles/bigquery.dataEditor`). Idempotent. */
  public grantWrite(grantee: IGrantable): ITerraformDependable {
    return grantOnTable(
      this,
      { project: this.project, datasetId: this.dataset.datasetIdRef, tableId: this.tableId },
      TABLE_WRITE_ROLE,
      grantee,
    );
  }
}
