import { block, isKnown, PolicyAspect, PolicyResource } from "./policy-aspect";

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
 * In an environment that requires CMEK, every encryptable resource names a customer-managed key:
 * BigQuery datasets (their default key, which their tables inherit), Pub/Sub topics, Cloud Storage
 * buckets, Dataflow jobs and Artifact Registry repositories. A table may name its own key
 * (`encryption_configuration`); when it does, the key must be the environment's key if one is given.
 */
export class CmekAspect extends PolicyAspect {
  public readonly rule = "cmek";
  private readonly kmsKeyName?: string;

  constructor(props: CmekAspectProps = {}) {
    super();
    this.kmsKeyName = props.kmsKeyName;
  }

  protected check({ type, attributes }: PolicyResource): string[] {
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
      return [`no customer-managed key (${location.description}) although the environment requires CMEK`];
    }
    // Only BigQuery keys are compared with the environment's key: a Dataflow job or a bucket needs a
    // key in its own region, which may differ from the datasets' (multi-)region key.
    return type === "google_bigquery_dataset" ? this.wrongKey(value, location.description) : [];
  }

  private wrongKey(key: unknown, description: string): string[] {
    if (this.kmsKeyName && isKnown(key) && key !== undefined && key !== this.kmsKeyName) {
      return [`${description} is ${String(key)}, not the environment's key ${this.kmsKeyName}`];
    }
    return [];
  }
}
