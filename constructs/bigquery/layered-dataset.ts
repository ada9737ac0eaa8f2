import { Construct } from "constructs";
import { Token } from "cdktf";
import { BigqueryDataset } from "@cdktf/provider-google/lib/bigquery-dataset";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { fail, shortHash, validateLabels, validateMember } from "./table-options";

/** The standard layers of the warehouse; any other lowercase name is a custom layer. */
export type WarehouseLayer = "raw" | "staging" | "reporting";

/** Props of {@link LayeredDataset}. */
export interface LayeredDatasetProps {
  /** Dataset id: letters, digits and underscores, at most 1,024 characters (e.g. `dev_raw`). */
  readonly datasetId: string;
  /**
   * The warehouse layer this dataset holds; stored as the `layer` label
   * (lowercase letters, digits, `_` and `-`, at most 63 characters).
   */
  readonly layer: WarehouseLayer | (string & {});
  /** BigQuery location: `US`, `EU` or a region such as `europe-west1`. */
  readonly location: string;
  /**
   * Project of the dataset.
   * @default - the provider's project (then {@link LayeredDataset.project} is a token)
   */
  readonly project?: string;
  /**
   * Description stored with the dataset.
   * @default - "<layer> layer of the warehouse"
   */
  readonly description?: string;
  /**
   * Extra labels (the `layer` label is always added).
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /**
   * Default lifetime of new tables, in milliseconds (at least one hour).
   * @default - tables never expire
   */
  readonly defaultTableExpirationMs?: number;
  /**
   * Default lifetime of partitions of new partitioned tables, in milliseconds.
   * @default - partitions never expire
   */
  readonly defaultPartitionExpirationMs?: number;
  /**
   * Cloud KMS key (`projects/P/locations/L/keyRings/R/cryptoKeys/K`) used as the default
   * encryption key of new tables (CMEK).
   * @default - Google-managed encryption
   */
  readonly kmsKeyName?: string;
  /**
   * Whether `terraform destroy` may delete the dataset while it still holds tables.
   * @default false
   */
  readonly deleteContentsOnDestroy?: boolean;
}

const DATASET_ID_PATTERN = /^[A-Za-z0-9_]{1,1024}$/;
const LAYER_PATTERN = /^[a-z0-9_-]{1,63}$/;
const LOCATION_PATTERN = /^(US|EU|[a-z]+(-[a-z]+)+[0-9]+)$/;
const KMS_KEY_PATTERN = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const ONE_HOUR_MS = 3_600_000;

/** Dataset-level role granted by {@link LayeredDataset.grantRead}. */
export const DATASET_READ_ROLE = "roles/bigquery.dataViewer";
/** Dataset-level role granted by {@link LayeredDataset.grantWrite}. */
export const DATASET_WRITE_ROLE = "roles/bigquery.dataEditor";

/**
 * A BigQuery dataset holding one layer of the warehouse (`raw`, `staging`, `reporting`
 * or a custom layer), labelled with its layer.
 *
 * @example
 * const raw = new LayeredDataset(this, "raw", { datasetId: "dev_raw", layer: "raw", location: "US" });
 * raw.grantWrite(`serviceAccount:${dataflowSa.email}`);
 */
export class LayeredDataset extends Construct {
  /** The dataset id, as given. */
  public readonly datasetId: string;
  /** The project of the dataset (a token when the provider's default project is used). */
  public readonly project: string;
  /** BigQuery location. */
  public readonly location: string;
  /** The layer label. */
  public readonly layer: string;
  /** The underlying `google_bigquery_dataset`. */
  public readonly resource: BigqueryDataset;
  private readonly grants = new Map<string, BigqueryDatasetIamMember>();

  constructor(scope: Construct, id: string, props: LayeredDatasetProps) {
    super(scope, id);
    const path = this.node.path;
    const { datasetId, layer, location } = props;
    if (!Token.isUnresolved(datasetId) && !DATASET_ID_PATTERN.test(datasetId)) {
      fail(path, `dataset id "${datasetId}" is invalid; use letters, digits and underscores only (at most 1,024)`);
    }
    if (!Token.isUnresolved(layer) && !LAYER_PATTERN.test(layer)) {
      fail(path, `layer "${layer}" is invalid; it becomes a label value: lowercase letters, digits, _ and - (max 63)`);
    }
    if (!Token.isUnresolved(location) && !LOCATION_PATTERN.test(location)) {
      fail(path, `location "${location}" is invalid; expected US, EU or a region such as europe-west1`);
    }
    if (
      props.kmsKeyName !== undefined &&
      !Token.isUnresolved(props.kmsKeyName) &&
      !KMS_KEY_PATTERN.test(props.kmsKeyName)
    ) {
      fail(
        path,
        `kmsKeyName "${props.kmsKeyName}" is invalid; expected projects/P/locations/L/keyRings/R/cryptoKeys/K`,
      );
    }
    const tableExpiration = props.defaultTableExpirationMs;
    if (
      tableExpiration !== undefined &&
      !Token.isUnresolved(tableExpiration) &&
      !(Number.isInteger(tableExpiration) && tableExpiration >= ONE_HOUR_MS)
    ) {
      fail(
        path,
        `defaultTableExpirationMs is ${tableExpiration}; BigQuery needs an integer of at least ${ONE_HOUR_MS} (one hour)`,
      );
    }
    const partitionExpiration = props.defaultPartitionExpirationMs;
    if (
      partitionExpiration !== undefined &&
      !Token.isUnresolved(partitionExpiration) &&
      !(Number.isInteger(partitionExpiration) && partitionExpiration > 0)
    ) {
      fail(
        path,
        `defaultPartitionExpirationMs is ${partitionExpiration}; it must be a positive integer number of milliseconds`,
      );
    }
    const labels = { ...(props.labels ?? {}), layer };
    validateLabels(path, labels);

    this.datasetId = datasetId;
    this.location = location;
    this.layer = layer;
    this.resource = new BigqueryDataset(this, "dataset", {
      datasetId,
      project: props.project,
      location,
      description: props.description ?? `${layer} layer of the warehouse`,
      labels,
      defaultTableExpirationMs: tableExpiration,
      defaultPartitionExpirationMs: partitionExpiration,
      defaultEncryptionConfiguration: props.kmsKeyName ? { kmsKeyName: props.kmsKeyName } : undefined,
      deleteContentsOnDestroy: props.deleteContentsOnDestroy ?? false,
    });
    this.project = props.project ?? this.resource.project;
  }

  /** Lets `member` (e.g. `serviceAccount:x@p.iam.gserviceaccount.com`) read every table of this dataset. */
  public grantRead(member: string): BigqueryDatasetIamMember {
    return this.grant(member, DATASET_READ_ROLE, "read");
  }

  /** Lets `member` read and write (insert, update, delete rows, create tables in) this dataset. */
  public grantWrite(member: string): BigqueryDatasetIamMember {
    return this.grant(member, DATASET_WRITE_ROLE, "write");
  }

  private grant(member: string, role: string, kind: string): BigqueryDatasetIamMember {
    validateMember(this.node.path, member);
    const key = `${role}|${member}`;
    const existing = this.grants.get(key);
    if (existing) return existing;
    const resource = new BigqueryDatasetIamMember(
      this,
      `${kind}-${shortHash(Token.isUnresolved(member) ? `${this.grants.size}` : member)}`,
      {
        project: this.project,
        datasetId: this.resource.datasetId,
        role,
        member,
      },
    );
    this.grants.set(key, resource);
    return resource;
  }
}
