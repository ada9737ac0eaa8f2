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

/** A value inside a token block: unknown at synth, not checked. */
const UNKNOWN = Symbol("unknown");

/** One place a resource must name a key: its description (for messages) and the value found there. */
interface KeySlot {
  readonly description: string;
  readonly value: unknown;
}

/** The value at `path` (blocks, then the attribute), `undefined` when a block is absent, {@link UNKNOWN} under a token. */
function at(attributes: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = attributes;
  for (const [index, step] of path.entries()) {
    if (value === undefined) return undefined;
    if (!isKnown(value)) return UNKNOWN;
    const next = (value as Record<string, unknown>)[step];
    const absent = next === undefined || next === null || (Array.isArray(next) && next.length === 0);
    value = index === path.length - 1 ? next : absent ? undefined : (block(next) ?? UNKNOWN);
    if (value === UNKNOWN) return UNKNOWN;
  }
  return value;
}

/** A resource type whose key is one attribute: the slot at `path`. */
const single =
  (...path: string[]) =>
  (attributes: Record<string, unknown>): KeySlot[] => [{ description: path.join("."), value: at(attributes, path) }];

/**
 * A secret: automatic replication names one key; user-managed replication one per replica (Secret
 * Manager encrypts each replica with its own key, in the replica's location).
 */
function secretKeys(attributes: Record<string, unknown>): KeySlot[] {
  const replication = at(attributes, ["replication"]);
  if (replication === UNKNOWN) return [{ description: "replication", value: UNKNOWN }];
  const cmek = ["customer_managed_encryption", "kms_key_name"];
  const userManaged = at(attributes, ["replication", "user_managed"]);
  if (userManaged === undefined) {
    return [
      {
        description: "replication.auto.customer_managed_encryption.kms_key_name",
        value: at(attributes, ["replication", "auto", ...cmek]),
      },
    ];
  }
  const replicas = userManaged === UNKNOWN ? UNKNOWN : (userManaged as Record<string, unknown>).replicas;
  if (!Array.isArray(replicas)) return [{ description: "replication.user_managed.replicas", value: UNKNOWN }];
  return replicas.map((replica, index) => {
    const body = block(replica);
    return {
      description: `replication.user_managed.replicas[${index}].${cmek.join(".")}`,
      value: body ? at(body, cmek) : UNKNOWN,
    };
  });
}

/** Where each encryptable resource type names its customer-managed key(s). */
const KEY_SLOTS: Record<string, (attributes: Record<string, unknown>) => KeySlot[]> = {
  google_bigquery_dataset: single("default_encryption_configuration", "kms_key_name"),
  google_pubsub_topic: single("kms_key_name"),
  google_storage_bucket: single("encryption", "default_kms_key_name"),
  google_dataflow_job: single("kms_key_name"),
  google_dataflow_flex_template_job: single("kms_key_name"),
  google_artifact_registry_repository: single("kms_key_name"),
  google_cloud_run_v2_service: single("template", "encryption_key"),
  google_cloud_run_v2_worker_pool: single("template", "encryption_key"),
  google_secret_manager_secret: secretKeys,
};

/**
 * In an environment that requires CMEK:
 * - FS-CMEK-1: every encryptable resource names a customer-managed key: BigQuery datasets (their
 *   default key, which their tables inherit), Pub/Sub topics, Cloud Storage buckets, Dataflow jobs,
 *   Artifact Registry repositories, Cloud Run services and worker pools (`template.encryption_key`) and Secret Manager
 *   secrets (the automatic replication's key, or every user-managed replica's);
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
    const slots = KEY_SLOTS[type]?.(attributes) ?? [];
    const findings: PolicyFinding[] = [];
    for (const { description, value } of slots) {
      if (value === UNKNOWN) continue;
      if (value === undefined || value === null || value === "") {
        findings.push({
          rule: "FS-CMEK-1",
          message: `no customer-managed key (${description}) although the environment requires CMEK; set it to a Cloud KMS key`,
        });
      } else if (type === "google_bigquery_dataset") {
        // Only BigQuery keys are compared with the environment's key: a Dataflow job, a bucket, a Cloud Run
        // service or a secret replica needs a key in its own region, which may differ from the datasets'.
        findings.push(...this.wrongKey(value, description));
      }
    }
    return findings;
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
