import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { BigqueryDataset } from "@cdktf/provider-google/lib/bigquery-dataset";
import { Duration } from "../core/duration";
import { BIGQUERY_LOCATION } from "../../schemas/naming";
import { IDataset } from "../core/references";
import { validateKeyLocation } from "../core/key-location";
import { fail, requireProps, validateLabels } from "../core/validation";
import { validateExpiration } from "./table-validation";
import { checkPhysicalNames } from "../core/physical-names";
import { DatasetBase } from "./dataset-base";

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
   * Default lifetime of new tables: at least one hour, whole milliseconds.
   * @default - tables never expire
   */
  readonly defaultTableExpiration?: Duration;
  /**
   * Default lifetime of partitions of new partitioned tables: positive, whole milliseconds.
   * @default - partitions never expire
   */
  readonly defaultPartitionExpiration?: Duration;
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

/** What identifies a dataset created elsewhere, for {@link LayeredDataset.fromDatasetAttributes}. */
export interface DatasetAttributes {
  /** Project holding the dataset. */
  readonly project: string;
  /** Dataset id. */
  readonly datasetId: string;
  /** BigQuery location of the dataset: `US`, `EU` or a region. */
  readonly location: string;
}

const DATASET_ID_PATTERN = /^[A-Za-z0-9_]{1,1024}$/;
const LAYER_PATTERN = /^[a-z0-9_-]{1,63}$/;

/**
 * A BigQuery dataset holding one layer of the warehouse (`raw`, `staging`, `reporting`
 * or a custom layer), labelled with its layer.
 *
 * @example
 * const raw = new LayeredDataset(this, "raw", { datasetId: "dev_raw", layer: "raw", location: "US" });
 * raw.grantWrite(dataflowJob);
 * raw.grantRead(Principal.group("analysts@example.com"));
 */
export class LayeredDataset extends DatasetBase {
  /**
   * A dataset created elsewhere (another stack, the console), for constructs that take an
   * {@link IDataset}. Its grants create bindings in `scope`, naming the dataset by its literal id.
   */
  public static fromDatasetAttributes(scope: Construct, id: string, attributes: DatasetAttributes): IDataset {
    return new ImportedDataset(scope, id, attributes);
  }

  /** The dataset id, as given. */
  public readonly datasetId: string;
  /** The dataset id as a reference to the `google_bigquery_dataset`: resources naming it are created after it. */
  public readonly datasetIdRef: string;
  /** The project of the dataset (a token when the provider's default project is used). */
  public readonly project: string;
  /** BigQuery location. */
  public readonly location: string;
  /** The layer label. */
  public readonly layer: string;
  /** The underlying `google_bigquery_dataset`. */
  public readonly resource: BigqueryDataset;
  /** The `google_bigquery_dataset`: dependants listing it are created after the dataset. */
  public readonly dependables: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: LayeredDatasetProps) {
    super(scope, id);
    requireProps(this.node.path, "LayeredDataset", props, ["datasetId", "layer", "location"]);
    checkPhysicalNames(this);
    const path = this.node.path;
    const { datasetId, layer, location } = props;
    validateDatasetAttributes(path, datasetId, location);
    if (!Token.isUnresolved(layer) && !LAYER_PATTERN.test(layer)) {
      fail(path, `layer "${layer}" is invalid; it becomes a label value: lowercase letters, digits, _ and - (max 63)`);
    }
    validateKeyLocation(path, "bigquery", props.kmsKeyName, location);
    const tableExpiration = props.defaultTableExpiration;
    if (tableExpiration !== undefined) {
      validateExpiration(
        path,
        "defaultTableExpiration",
        tableExpiration,
        Duration.hours(1),
        "BigQuery needs at least 1 hour",
      );
    }
    const partitionExpiration = props.defaultPartitionExpiration;
    if (partitionExpiration !== undefined) {
      validateExpiration(
        path,
        "defaultPartitionExpiration",
        partitionExpiration,
        Duration.millis(1),
        "it must be positive",
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
      defaultTableExpirationMs: tableExpiration?.toMilliseconds(),
      defaultPartitionExpirationMs: partitionExpiration?.toMilliseconds(),
      defaultEncryptionConfiguration: props.kmsKeyName ? { kmsKeyName: props.kmsKeyName } : undefined,
      deleteContentsOnDestroy: props.deleteContentsOnDestroy ?? false,
    });
    this.project = props.project ?? this.resource.project;
    this.datasetIdRef = this.resource.datasetId;
    this.dependables = [this.resource];
  }
}

/** A dataset known by its attributes only: its grants name it by its literal id; nothing waits for it. */
class ImportedDataset extends DatasetBase {
  public readonly project: string;
  public readonly datasetId: string;
  public readonly datasetIdRef: string;
  public readonly location: string;
  public readonly dependables: readonly ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, attributes: DatasetAttributes) {
    super(scope, id);
    validateDatasetAttributes(this.node.path, attributes.datasetId, attributes.location);
    this.project = attributes.project;
    this.datasetId = attributes.datasetId;
    this.datasetIdRef = attributes.datasetId;
    this.location = attributes.location;
  }
}

function validateDatasetAttributes(path: string, datasetId: string, location: string): void {
  if (!Token.isUnresolved(datasetId) && !DATASET_ID_PATTERN.test(datasetId)) {
    fail(path, `dataset id "${datasetId}" is invalid; use letters, digits and underscores only (at most 1,024)`);
  }
  if (!Token.isUnresolved(location) && !BIGQUERY_LOCATION.test(location)) {
    fail(path, `location "${location}" is invalid; expected US, EU or a region such as europe-west1`);
  }
}
