/**
 * The inventory of a stack: what a reviewer needs to see of a synthesized configuration, in the
 * way cloud-foundation-fabric's tests keep `inventory.yaml`. It lists every resource address, and
 * for each the few attributes that state intent (a table's dataset, id, partitioning, clustering and
 * deletion protection; an IAM member's role and member; a subscription's topic, ack deadline and
 * dead-letter policy…), plus the number of resources of each type and the outputs.
 *
 * Kept as a test snapshot (`expect(inventory(stack)).toMatchSnapshot()`), it is a few hundred lines
 * a reviewer can read where a whole-configuration snapshot is thousands: an address that changes
 * (a resource Terraform would replace), a resource that appears or goes, a changed role, retention
 * or partitioning show up as one line each. SQL bodies, schemas, dashboards and alert runbooks are
 * left to the tests that read them.
 */
import { TerraformStack, Testing } from "cdktf";
import type { SynthesizedStack } from "./apply-order";

/** Attributes kept per resource type, as dotted paths into the synthesized body (`bigquery_config.table`). */
export type InventoryAttributes = Readonly<Record<string, readonly string[]>>;

const IAM = ["role", "member"];

/**
 * The attributes {@link inventory} keeps for each resource type unless told otherwise. A type not
 * listed here still has its addresses listed and counted, with no attributes.
 */
export const DEFAULT_INVENTORY_ATTRIBUTES: InventoryAttributes = {
  google_artifact_registry_repository: ["repository_id", "format", "location", "kms_key_name"],
  google_bigquery_capacity_commitment: ["slot_count", "plan", "renewal_plan", "edition"],
  google_bigquery_data_transfer_config: [
    "display_name",
    "data_source_id",
    "schedule",
    "destination_dataset_id",
    "params.destination_table_name_template",
    "params.write_disposition",
    "notification_pubsub_topic",
  ],
  google_bigquery_dataset: [
    "dataset_id",
    "location",
    "default_table_expiration_ms",
    "default_partition_expiration_ms",
    "delete_contents_on_destroy",
    "default_encryption_configuration",
  ],
  google_bigquery_dataset_iam_member: ["dataset_id", ...IAM],
  google_bigquery_job: ["query.query"],
  google_bigquery_reservation: ["name", "location", "edition", "slot_capacity", "autoscale"],
  google_bigquery_reservation_assignment: ["assignee", "job_type", "reservation"],
  google_bigquery_table: [
    "dataset_id",
    "table_id",
    "time_partitioning",
    "range_partitioning",
    "clustering",
    "require_partition_filter",
    "table_constraints",
    "max_staleness",
    "deletion_protection",
    "encryption_configuration",
    "materialized_view.enable_refresh",
    "materialized_view.refresh_interval_ms",
    "materialized_view.allow_non_incremental_definition",
  ],
  google_bigquery_table_iam_member: ["table_id", ...IAM],
  google_cloud_run_v2_service: [
    "name",
    "location",
    "ingress",
    "deletion_protection",
    "template.service_account",
    "template.scaling",
    "template.containers.0.image",
    "template.containers.0.resources",
  ],
  google_cloud_run_v2_worker_pool: [
    "name",
    "location",
    "deletion_protection",
    "scaling",
    "template.service_account",
    "template.containers.0.image",
    "template.containers.0.resources",
    "template.volumes",
  ],
  google_dataflow_job: [
    "name",
    "template_gcs_path",
    "machine_type",
    "max_workers",
    "enable_streaming_engine",
    "ip_configuration",
    "on_delete",
    "parameters",
    "kms_key_name",
  ],
  google_kms_crypto_key_iam_member: ["crypto_key_id", ...IAM],
  google_logging_metric: ["name"],
  google_monitoring_alert_policy: ["display_name", "severity"],
  google_monitoring_notification_channel: ["type", "display_name"],
  google_project_iam_member: IAM,
  google_project_service: ["service"],
  google_pubsub_schema: ["name", "type"],
  google_pubsub_subscription: [
    "name",
    "topic",
    "ack_deadline_seconds",
    "message_retention_duration",
    "enable_exactly_once_delivery",
    "enable_message_ordering",
    "filter",
    "dead_letter_policy",
    "bigquery_config",
    "push_config",
  ],
  google_pubsub_subscription_iam_member: ["subscription", ...IAM],
  google_pubsub_topic: ["name", "message_retention_duration", "schema_settings", "kms_key_name"],
  google_pubsub_topic_iam_member: ["topic", ...IAM],
  google_secret_manager_secret: ["secret_id"],
  google_secret_manager_secret_iam_member: ["secret_id", ...IAM],
  google_service_account: ["account_id"],
  google_service_account_iam_member: ["service_account_id", ...IAM],
  google_storage_bucket: [
    "name",
    "location",
    "force_destroy",
    "public_access_prevention",
    "uniform_bucket_level_access",
    "encryption",
  ],
  google_storage_bucket_iam_member: ["bucket", ...IAM],
};

/** Options of {@link inventory}. */
export interface InventoryOptions {
  /**
   * Attributes to keep per resource type, as dotted paths into the synthesized body (a number
   * indexes a list: `template.containers.0.image`). A type given here replaces its default list;
   * an empty list keeps no attribute. Attributes the resource does not set are left out.
   * @default DEFAULT_INVENTORY_ATTRIBUTES
   */
  readonly attributes?: InventoryAttributes;
  /**
   * Resource types left out of `values` (still counted in `counts`), e.g. to keep a long list of
   * project services out of a review.
   * @default - none
   */
  readonly countOnly?: readonly string[];
  /**
   * Whether the inventory lists the outputs (name → value).
   * @default true
   */
  readonly outputs?: boolean;
}

/** The inventory of a stack: plain data, ready for a snapshot or a `toEqual`. */
export interface Inventory {
  /** Number of resources of each Terraform type, by type. */
  readonly counts: Record<string, number>;
  /** The chosen attributes of every resource, by Terraform address (`type.name`), sorted. */
  readonly values: Record<string, Record<string, unknown>>;
  /**
   * The outputs, name → value.
   * @default - absent when `outputs: false`
   */
  readonly outputs?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/**
 * The inventory of a stack (or its synthesized Terraform JSON, as text or parsed): every resource
 * address with the attributes that state its intent, the count of each type and the outputs.
 * Keys are sorted, so that the same configuration always gives the same inventory.
 */
export function inventory(stack: SynthesizedStack, options: InventoryOptions = {}): Inventory {
  const json = toJson(stack);
  const attributes = { ...DEFAULT_INVENTORY_ATTRIBUTES, ...options.attributes };
  const countOnly = new Set(options.countOnly ?? []);
  const counts: Record<string, number> = {};
  const values: Record<string, Record<string, unknown>> = {};
  const resources = (json.resource ?? {}) as Record<string, Record<string, Json>>;
  for (const type of Object.keys(resources).sort()) {
    const names = Object.keys(resources[type]).sort();
    counts[type] = names.length;
    if (countOnly.has(type)) continue;
    for (const name of names) {
      values[`${type}.${name}`] = pick(resources[type][name], attributes[type] ?? []);
    }
  }
  if (options.outputs === false) return { counts, values };
  const outputs: Record<string, unknown> = {};
  const declared = (json.output ?? {}) as Record<string, Json>;
  for (const name of Object.keys(declared).sort()) outputs[name] = declared[name].value;
  return { counts, values, outputs };
}

function toJson(stack: SynthesizedStack): Json {
  if (typeof stack === "string") return JSON.parse(stack) as Json;
  if (stack instanceof TerraformStack) return JSON.parse(Testing.synth(stack)) as Json;
  return stack;
}

/** The attributes of `body` at `paths` that are set, by path. */
function pick(body: Json, paths: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const path of paths) {
    let value: unknown = body;
    for (const key of path.split(".")) {
      value = value !== null && typeof value === "object" ? (value as Json)[key] : undefined;
    }
    if (value !== undefined) picked[path] = value;
  }
  return picked;
}
