import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { TableSchema } from "../../schemas/table-schema";
import { IDataset, ITable } from "../core/references";
import { validatePrimaryKey } from "./primary-key";
import { TableBase } from "./table-base";
import { TableNames } from "./table-grants";
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
  /**
   * The table's primary key, for a CDC BigQuery subscription writing into it: 1 to 16 columns
   * (checked against `schema` when it is given).
   * @default - no primary key
   */
  readonly primaryKey?: readonly string[];
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
   * A table known by its dataset and id. Its grants create table-level bindings under the returned
   * construct, naming the dataset through `dataset.datasetIdRef` (so after the dataset when it is
   * created in the same stack) and the table by its literal id. Nothing waits for it (`dependables`
   * is empty): it exists already.
   */
  public static fromTableAttributes(scope: Construct, id: string, attributes: TableAttributes): ITable {
    return new ImportedTable(scope, id, attributes);
  }

  private constructor() {}
}

/** A table known by its attributes only. */
class ImportedTable extends TableBase {
  public readonly project: string;
  public readonly datasetId: string;
  public readonly tableId: string;
  public readonly tableIdRef: string;
  public readonly fqn: string;
  public readonly fqnRef: string;
  public readonly location: string;
  public readonly dataset: IDataset;
  public readonly schema?: TableSchema;
  public readonly primaryKey?: readonly string[];
  public readonly dependables: readonly ITerraformDependable[] = [];

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
    this.primaryKey =
      attributes.primaryKey === undefined
        ? undefined
        : validatePrimaryKey(this.node.path, attributes.primaryKey, schema);
    this.fqn = `${this.project}.${this.datasetId}.${tableId}`;
    this.fqnRef = `${this.project}.${dataset.datasetIdRef}.${tableId}`;
  }

  /** Bindings name the dataset through `datasetIdRef`, the table by its literal id. */
  protected get grantTarget(): TableNames {
    return { project: this.project, datasetId: this.dataset.datasetIdRef, tableId: this.tableId };
  }
}
