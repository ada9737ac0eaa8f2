import { PolicyAspect, PolicyFinding } from "./policy-aspect";
import { block, isKnown, PolicyResource } from "./resource-attributes";
import { rulesOf } from "./rules";

/** Props of {@link CmekAspect}. */
export interface CmekAspectProps {
  /**
   * The key the environment's BigQuery data uses. When set, a dataset or table whose key is known
   * at synth and differs from it is reported too.
   * @default - any key is accepted, only its presence is checked
   */
  readonly kmsKeyName?: string;
}

/** Where each encryptable resource type names its customer-managed key: block path, then attribute. */
const KEY_LOCATIONS: Record<string, { path: string[]; description: string }> = {
  google_bigquery_dataset: {
    path: ["default_encryption_configuration", "kms_key_name"],
    description: "default_encryption_configuration.kms_key_name",
  },
  google_pubsub_topic: { path: ["kms_key_name"], description: "kms_key_name" },
  google_storage_bucket: {
    path: ["encryption", "default_kms_key_name"],
    description: "encryption.default_kms_key_name",
  },
  google_dataflow_job: { path: ["kms_key_name"], description: "kms_key_name" },
  google_dataflow_flex_template_job: { path: ["kms_key_name"], description: "kms_key_name" },
  google_artifact_registry_repository: { path: ["kms_key_name"], description: "kms_key_name" },
};

/**
 * In an environment that requires CMEK:
 * - FS-CMEK-1: every encryptable resource names a customer-managed key: BigQuery datasets (their
 *   default key, which their tables inherit), Pub/Sub topics, Cloud Storage buckets, Dataflow jobs
 *   and Artifact Registry repositories;
 * - FS-CMEK-2: when the environment's key is given, a dataset's default key is that key, and so is
 *   a table's own key (`encryption_configuration`) when it names one.
 */
export class CmekAspect extends PolicyAspect {
  public readonly name = "cmek";
  public readonly rules = rulesOf("CmekAspect");
  private readonly kmsKeyName?: string;

  constructor(props: CmekAspectProps = {}) {
    super();
    this.kmsKeyName = props.kmsKeyName;
  }

  protected check({ type, attributes }: PolicyResource): PolicyFinding[] {
    if (type === "google_bigquery_table") {
      const key = block(attributes.encryption_configuration)?.kms_key_name;
      return this.wrongKey(key, "encryption_configuration.kms_key_name");
    }
    const location = KEY_LOCATIONS[type];
    if (!location) return [];
    let value: unknown = attributes;
    for (const step of location.path) {
      if (value === undefined) break;
      if (!isKnown(value)) return []; // a token block: unknown here
      value =
        step === location.path[location.path.length - 1]
          ? (value as Record<string, unknown>)[step]
          : block((value as Record<string, unknown>)[step]);
    }
    if (value === undefined || value === null || value === "") {
      return [
        {
          rule: "FS-CMEK-1",
          message: `no customer-managed key (${location.description}) although the environment requires CMEK; set it to a Cloud KMS key`,
        },
      ];
    }
    // Only BigQuery keys are compared with the environment's key: a Dataflow job or a bucket needs a
    // key in its own region, which may differ from the datasets' (multi-)region key.
    return type === "google_bigquery_dataset" ? this.wrongKey(value, location.description) : [];
  }

  private wrongKey(key: unknown, description: string): PolicyFinding[] {
    if (this.kmsKeyName && isKnown(key) && key !== undefined && key !== this.kmsKeyName) {
      return [
        {
          rule: "FS-CMEK-2",
          message: `${description} is ${String(key)}, not the environment's key ${this.kmsKeyName}; use the environment's key`,
        },
      ];
    }
    return [];
  }
}
