import { Construct } from "constructs";
import { Token } from "cdktf";
import { BigqueryTable, BigqueryTableConfig } from "@cdktf/provider-google/lib/bigquery-table";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { LayeredDataset } from "./layered-dataset";
import { TableSchema } from "./table-schema";
import {
  Partitioning,
  renderPartitioning,
  shortHash,
  validateClustering,
  validateLabels,
  validateMember,
  validatePartitionOptions,
  validatePartitioning,
  validateTableId,
} from "./table-options";

/** What other constructs need to know about a BigQuery table (views, subscriptions, SQL). */
export interface IBigQueryTable {
  /** Table id (literal when given as a literal). */
  readonly tableId: string;
  /** Dataset id (literal when given as a literal). */
  readonly datasetId: string;
  /** Project id (a token when the dataset uses the provider's project). */
  readonly project: string;
  /** `project.dataset.table`, for SQL (literal where the parts are literal; carries no Terraform dependency). */
  readonly fqn: string;
  /** `project.dataset.table` built from the resource's attributes: a Terraform reference that depends on the table. */
  readonly fqnRef: string;
  /** BigQuery location (the dataset's). */
  readonly location: string;
  /** The table's columns. */
  readonly schema: TableSchema;
  /** The dataset holding the table. */
  readonly dataset: LayeredDataset;
  /** The underlying `google_bigquery_table`. */
  readonly resource: BigqueryTable;
}

/** Table-level role granted by {@link NativeTableBase.grantRead}. */
export const TABLE_READ_ROLE = "roles/bigquery.dataViewer";
/** Table-level role granted by {@link NativeTableBase.grantWrite}. */
export const TABLE_WRITE_ROLE = "roles/bigquery.dataEditor";

/** Options common to every native table construct. */
export interface NativeTableOptions {
  /** The dataset the table lives in. */
  readonly dataset: LayeredDataset;
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
   * Days after which a partition is deleted (time partitioning only).
   * @default - partitions never expire (or the dataset's default partition expiration)
   */
  readonly partitionExpirationDays?: number;
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
   * Extra labels (a `layer` label from the dataset is added).
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
 * rendering of the `google_bigquery_table`, attributes and table-level grants.
 * Use {@link StreamingTable} or {@link CdcTable}.
 */
export abstract class NativeTableBase extends Construct implements IBigQueryTable {
  public readonly tableId: string;
  public readonly datasetId: string;
  public readonly project: string;
  public readonly fqn: string;
  public readonly location: string;
  public readonly schema: TableSchema;
  public readonly dataset: LayeredDataset;
  public readonly resource: BigqueryTable;
  /** The partitioning, defaults filled in. */
  public readonly partitioning: Partitioning;
  /** The clustering columns (empty when not clustered). */
  public readonly clustering: readonly string[];
  private readonly grants = new Map<string, BigqueryTableIamMember>();

  protected constructor(
    scope: Construct,
    id: string,
    options: NativeTableOptions & { partitioning: Partitioning },
    extra: Partial<BigqueryTableConfig> = {},
  ) {
    super(scope, id);
    const path = this.node.path;
    const { dataset, tableId, schema } = options;
    validateTableId(path, tableId);
    if (!(schema instanceof TableSchema)) throw new Error(`${path}: schema must be a TableSchema`);
    this.partitioning = validatePartitioning(path, schema, options.partitioning);
    validatePartitionOptions(path, this.partitioning, options);
    this.clustering = validateClustering(path, schema, options.clustering ?? []);
    const labels = { layer: dataset.layer, ...(options.labels ?? {}) };
    validateLabels(path, labels);

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
      datasetId: dataset.resource.datasetId,
      tableId,
      description: options.description,
      labels,
      schema: schema.toJsonString(),
      ...renderPartitioning(this.partitioning, options.partitionExpirationDays),
      requirePartitionFilter: partitioned ? (options.requirePartitionFilter ?? false) : undefined,
      clustering: this.clustering.length > 0 ? [...this.clustering] : undefined,
      deletionProtection: options.deletionProtection ?? true,
      encryptionConfiguration: options.kmsKeyName ? { kmsKeyName: options.kmsKeyName } : undefined,
      ...extra,
    });
  }

  /** `project.dataset.table` as Terraform references to this table (built on first use: tokens are not free). */
  public get fqnRef(): string {
    return `${this.resource.project}.${this.resource.datasetId}.${this.resource.tableId}`;
  }

  /** Lets `member` read this table only (table-level `roles/bigquery.dataViewer`). */
  public grantRead(member: string): BigqueryTableIamMember {
    return this.grant(member, TABLE_READ_ROLE, "read");
  }

  /** Lets `member` write rows to this table only (table-level `roles/bigquery.dataEditor`), e.g. a BigQuery subscription's service agent. */
  public grantWrite(member: string): BigqueryTableIamMember {
    return this.grant(member, TABLE_WRITE_ROLE, "write");
  }

  private grant(member: string, role: string, kind: string): BigqueryTableIamMember {
    validateMember(this.node.path, member);
    const key = `${role}|${member}`;
    const existing = this.grants.get(key);
    if (existing) return existing;
    const resource = new BigqueryTableIamMember(
      this,
      `${kind}-${shortHash(Token.isUnresolved(member) ? `${this.grants.size}` : member)}`,
      {
        project: this.resource.project,
        datasetId: this.resource.datasetId,
        tableId: this.resource.tableId,
        role,
        member,
      },
    );
    this.grants.set(key, resource);
    return resource;
  }
}
