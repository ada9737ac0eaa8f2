/**
 * What `View` and `MaterializedView` share: the props, the attributes of an {@link ITable}, the
 * `google_bigquery_table` created after its dataset; the read grant is {@link TableBase}'s, the
 * write grant is refused. Private to the library.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { BigqueryTable, BigqueryTableConfig } from "@cdktf/provider-google/lib/bigquery-table";
import { TableSchema } from "../../schemas/table-schema";
import { IGrantable } from "../core/principal";
import { IDataset, RowWriteApi } from "../core/references";
import { fail } from "../core/validation";
import { TableBase } from "./table-base";
import { TableNames } from "./table-grants";
import { validateViewProps } from "./view-validation";
import { checkPhysicalNames } from "../core/physical-names";

/** Props every kind of view takes. */
export interface ViewBaseProps {
  /** Dataset the view is created in (the view is created after it). */
  readonly dataset: IDataset;
  /** View id, unique in the dataset. */
  readonly tableId: string;
  /**
   * The GoogleSQL query, placeholders already resolved (see `renderSqlFile`); one statement,
   * no trailing semicolon.
   */
  readonly query: string;
  /**
   * Description shown in the console and INFORMATION_SCHEMA.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Labels of the view.
   * @default - none (provider default labels still apply)
   */
  readonly labels?: Record<string, string>;
  /**
   * Resources to create first, typically the base tables the query reads (BigQuery validates
   * the query when the view is created).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Whether Terraform refuses to destroy the view. A view holds no data of its own (a
   * materialized view is recomputed from its base tables), so it is off by default.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/** A view of some kind: an {@link ITable} whose columns BigQuery derives from its query. */
export abstract class ViewBase extends TableBase {
  /** View id, as given. */
  public readonly tableId: string;
  /** View id as a reference to the `google_bigquery_table`: resources naming it are created after it. */
  public readonly tableIdRef: string;
  /** Dataset id (literal where the dataset's is). */
  public readonly datasetId: string;
  /** Project (the dataset's). */
  public readonly project: string;
  /** BigQuery location (the dataset's). */
  public readonly location: string;
  /** The dataset holding the view. */
  public readonly dataset: IDataset;
  /** `project.dataset.view`, for SQL and messages (no Terraform dependency). */
  public readonly fqn: string;
  /** The columns: unknown here (BigQuery derives them from the query). */
  public readonly schema?: TableSchema = undefined;
  /** The query the view runs. */
  public readonly query: string;
  /** A view has no primary key. */
  public readonly primaryKey?: readonly string[] = undefined;
  /** The underlying resource. */
  public readonly resource: BigqueryTable;
  /** The `google_bigquery_table`: dependants listing it are created after the view. */
  public readonly dependables: readonly ITerraformDependable[];
  /** What the view is called in messages, e.g. "materialized view". */
  private readonly kind: string;

  /**
   * @param kind what the view is called in messages, e.g. "materialized view"
   * @param kindConfig validates the kind's own props (given the construct path) and returns its part of the table
   */
  protected constructor(
    scope: Construct,
    id: string,
    kind: string,
    props: ViewBaseProps,
    kindConfig: (path: string) => Partial<BigqueryTableConfig>,
  ) {
    super(scope, id);
    checkPhysicalNames(this);
    validateViewProps(this.node.path, kind, props.tableId, props.query);
    const specific = kindConfig(this.node.path);
    const { dataset } = props;
    this.kind = kind;
    this.dataset = dataset;
    this.tableId = props.tableId;
    this.datasetId = dataset.datasetId;
    this.project = dataset.project;
    this.location = dataset.location;
    this.fqn = `${this.project}.${this.datasetId}.${this.tableId}`;
    this.query = props.query;
    this.resource = new BigqueryTable(this, "Resource", {
      project: dataset.project,
      // A reference (not the literal id) so that the view is created after its dataset.
      datasetId: dataset.datasetIdRef,
      tableId: props.tableId,
      description: props.description,
      labels: props.labels,
      deletionProtection: props.deletionProtection ?? false,
      dependsOn: props.dependsOn,
      ...specific,
    });
    this.tableIdRef = this.resource.tableId;
    this.dependables = [this.resource];
  }

  /** `project.dataset.view` as Terraform references to this view. */
  public get fqnRef(): string {
    return `${this.resource.project}.${this.resource.datasetId}.${this.resource.tableId}`;
  }

  /**
   * Refused: a view holds no rows of its own to write. Grant write on the tables its query reads.
   */
  public grantWrite(_grantee: IGrantable): ITerraformDependable {
    return fail(
      this.node.path,
      `grantWrite on ${this.kind} ${this.fqn}: a ${this.kind} holds no rows to write; grant write on the tables its query reads`,
    );
  }

  /** Refused, like {@link grantWrite}: a view holds no rows to append to. */
  public grantWriteRows(_grantee: IGrantable, _api?: RowWriteApi): ITerraformDependable {
    return fail(
      this.node.path,
      `grantWriteRows on ${this.kind} ${this.fqn}: a ${this.kind} holds no rows to write; grant it on the tables its query reads`,
    );
  }

  /**
   * Bindings name the view through references to its `google_bigquery_table`: they are created
   * after it. An authorized view aside, readers of a view also need read access to the tables the
   * query reads.
   */
  protected get grantTarget(): TableNames {
    return this.resource;
  }
}
