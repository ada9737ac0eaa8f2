import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { BigqueryTable, BigqueryTableConfig } from "@cdktf/provider-google/lib/bigquery-table";
import { TableSchema } from "../../schemas/table-schema";
import { Duration } from "../core/duration";
import { IDataset } from "../core/references";
import { validateKeyLocation } from "../core/key-location";
import { validateLabels } from "../core/validation";
import { LayeredDataset } from "./layered-dataset";
import { TableBase } from "./table-base";
import { TableNames } from "./table-grants";
import { Partitioning } from "./table-options";
import {
  renderPartitioning,
  validateClustering,
  validatePartitionOptions,
  validatePartitioning,
  validateTableId,
} from "./table-validation";
import { checkPhysicalNames } from "../core/physical-names";

/** Options common to every native table construct. */
export interface NativeTableOptions {
  /** The dataset the table lives in. */
  readonly dataset: IDataset;
  /** Table id: letters, marks, numbers, underscores, dashes, spaces; at most 1,024 bytes. */
  readonly tableId: string;
  /** The columns, validated as a whole by {@link TableSchema}. */
  readonly schema: TableSchema;
  /**
   * Columns to cluster by: at most 4, each an existing, top-level, non-repeated column of a clusterable type.
   * @default - no clustering
   */
  readonly clustering?: string[];
  /**
   * Whether every query must filter on the partitioning column (table-level `require_partition_filter`).
   * Keep it off for tables written by streaming writers or scanned by the ELT.
   * @default false
   */
  readonly requirePartitionFilter?: boolean;
  /**
   * How long a partition is kept (time partitioning only): positive, whole milliseconds.
   * @default - partitions never expire (or the dataset's default partition expiration)
   */
  readonly partitionExpiration?: Duration;
  /**
   * Whether Terraform refuses to destroy the table. Stacks pass the environment's setting.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Description stored with the table.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Extra labels (the `layer` label of a {@link LayeredDataset} is added).
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /**
   * Cloud KMS key for this table (CMEK).
   * @default - the dataset's default key, if any
   */
  readonly kmsKeyName?: string;
}

/**
 * Shared machinery of native tables: validation of partitioning and clustering,
 * rendering of the `google_bigquery_table` and attributes; the table-level grants are
 * {@link TableBase}'s. Use {@link StreamingTable}, {@link ReportingTable} or {@link CdcTable}.
 */
export abstract class NativeTableBase extends TableBase {
  /** Table id, as given. */
  public readonly tableId: string;
  /** Table id as a reference to the `google_bigquery_table`: resources naming it are created after it. */
  public readonly tableIdRef: string;
  /** Dataset id (literal where the dataset's is). */
  public readonly datasetId: string;
  /** Project of the table (the dataset's). */
  public readonly project: string;
  /** `project.dataset.table`, for SQL and messages (no Terraform dependency). */
  public readonly fqn: string;
  /** BigQuery location (the dataset's). */
  public readonly location: string;
  /** The columns. */
  public readonly schema: TableSchema;
  /** The dataset holding the table. */
  public readonly dataset: IDataset;
  /** The underlying `google_bigquery_table`. */
  public readonly resource: BigqueryTable;
  /** The partitioning, defaults filled in. */
  public readonly partitioning: Partitioning;
  /** The clustering columns (empty when not clustered). */
  public readonly clustering: readonly string[];
  /** The primary key: none (a {@link CdcTable} has one). */
  public readonly primaryKey?: readonly string[];
  /** The `google_bigquery_table`: dependants listing it are created after the table. */
  public readonly dependables: readonly ITerraformDependable[];

  protected constructor(
    scope: Construct,
    id: string,
    options: NativeTableOptions & { partitioning: Partitioning },
    extra: Partial<BigqueryTableConfig> = {},
  ) {
    super(scope, id);
    checkPhysicalNames(this);
    const path = this.node.path;
    const { dataset, tableId, schema } = options;
    validateTableId(path, tableId);
    if (!(schema instanceof TableSchema)) throw new Error(`${path}: schema must be a TableSchema`);
    this.partitioning = validatePartitioning(path, schema, options.partitioning);
    validatePartitionOptions(path, this.partitioning, options);
    this.clustering = validateClustering(path, schema, options.clustering ?? []);
    const layer: Record<string, string> = dataset instanceof LayeredDataset ? { layer: dataset.layer } : {};
    const labels: Record<string, string> = { ...layer, ...(options.labels ?? {}) };
    validateLabels(path, labels);
    validateKeyLocation(path, "bigquery", options.kmsKeyName, dataset.location);

    this.tableId = tableId;
    this.datasetId = dataset.datasetId;
    this.project = dataset.project;
    this.location = dataset.location;
    this.schema = schema;
    this.dataset = dataset;
    this.fqn = `${this.project}.${this.datasetId}.${tableId}`;

    const partitioned = this.partitioning.type !== "NONE";
    this.resource = new BigqueryTable(this, "table", {
      project: dataset.project,
      // A reference (not the literal id) so that the table depends on its dataset.
      datasetId: dataset.datasetIdRef,
      tableId,
      description: options.description,
      labels,
      schema: schema.toJsonString(),
      ...renderPartitioning(this.partitioning, options.partitionExpiration),
      requirePartitionFilter: partitioned ? (options.requirePartitionFilter ?? false) : undefined,
      clustering: this.clustering.length > 0 ? [...this.clustering] : undefined,
      deletionProtection: options.deletionProtection ?? true,
      encryptionConfiguration: options.kmsKeyName ? { kmsKeyName: options.kmsKeyName } : undefined,
      ...extra,
    });
    this.tableIdRef = this.resource.tableId;
    this.dependables = [this.resource];
  }

  /** `project.dataset.table` as Terraform references to this table (built on first use: tokens are not free). */
  public get fqnRef(): string {
    return `${this.resource.project}.${this.resource.datasetId}.${this.resource.tableId}`;
  }

  /** Bindings name the table through references to the `google_bigquery_table`: they are created after it. */
  protected get grantTarget(): TableNames {
    return this.resource;
  }
}
