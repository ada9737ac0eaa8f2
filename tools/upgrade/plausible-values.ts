/**
 * Plausible values for what a plan leaves unknown until apply (IDs, names, etags, timestamps…), so that
 * a state built offline looks like one the API wrote. The values only need to be consistent: a
 * resource that refers to another reads the value filled here, and the next plan resolves it (see
 * offline-state.ts). Where the API's format is documented, the ID follows it (the provider's
 * documentation, "Import" section of each resource).
 */
import type { CtyType, SchemaBlock } from "./provider-schema";

/** What a value is being filled for. */
export interface FillContext {
  readonly type: string;
  /** The resource's known values (top level), for templates. */
  readonly values: Record<string, unknown>;
  /** The provider's default project, when the resource names none. */
  readonly project: string;
}

/** Import ID formats of the resource types the library uses ({{attr}} from the resource's values). */
const ID_FORMATS: Record<string, string> = {
  google_artifact_registry_repository: "projects/{{project}}/locations/{{location}}/repositories/{{repository_id}}",
  google_bigquery_data_transfer_config:
    "projects/{{project}}/locations/{{location}}/transferConfigs/6a7b8c9d-0000-4000-8000-{{#}}",
  google_bigquery_dataset: "projects/{{project}}/datasets/{{dataset_id}}",
  google_bigquery_job: "projects/{{project}}/jobs/{{job_id}}",
  google_bigquery_reservation: "projects/{{project}}/locations/{{location}}/reservations/{{name}}",
  google_bigquery_reservation_assignment:
    "projects/{{project}}/locations/{{location}}/reservations/{{reservation}}/assignments/{{#}}",
  google_bigquery_table: "projects/{{project}}/datasets/{{dataset_id}}/tables/{{table_id}}",
  google_cloud_run_v2_service: "projects/{{project}}/locations/{{location}}/services/{{name}}",
  google_dataflow_job: "2026-01-01_00_00_00-{{#}}",
  google_logging_metric: "{{name}}",
  google_monitoring_alert_policy: "projects/{{project}}/alertPolicies/{{#}}",
  google_monitoring_dashboard: "projects/{{project}}/dashboards/{{#}}",
  google_monitoring_notification_channel: "projects/{{project}}/notificationChannels/{{#}}",
  google_project_iam_custom_role: "projects/{{project}}/roles/{{role_id}}",
  google_project_service: "{{project}}/{{service}}",
  google_pubsub_schema: "projects/{{project}}/schemas/{{name}}",
  google_pubsub_subscription: "projects/{{project}}/subscriptions/{{name}}",
  google_pubsub_topic: "projects/{{project}}/topics/{{name}}",
  google_secret_manager_secret: "projects/{{project}}/secrets/{{secret_id}}",
  google_secret_manager_secret_version: "{{secret}}/versions/1",
  google_service_account: "projects/{{project}}/serviceAccounts/{{email}}",
  google_storage_bucket: "{{name}}",
};

/** Attributes that repeat the ID, or a fixed value, per resource type. */
const SAME_AS_ID: Record<string, string[]> = {
  google_bigquery_data_transfer_config: ["name"],
  google_bigquery_reservation_assignment: ["name"],
  google_dataflow_job: ["job_id"],
  google_monitoring_alert_policy: ["name"],
  google_monitoring_dashboard: [],
  google_monitoring_notification_channel: ["name"],
  google_secret_manager_secret: ["name"],
  google_secret_manager_secret_version: ["name"],
  google_service_account: ["name"],
};

const FIXED: Record<string, Record<string, unknown>> = {
  google_dataflow_job: { state: "JOB_STATE_RUNNING", type: "JOB_TYPE_STREAMING" },
  google_bigquery_reservation_assignment: { state: "ACTIVE" },
  google_secret_manager_secret_version: { version: "1" },
  google_bigquery_job: { job_type: "QUERY" },
  google_storage_bucket: { rpo: "DEFAULT" },
};

/** A stable number derived from a string (for IDs the API allocates). */
export function stableNumber(text: string, digits = 12): string {
  let hash = 1469598103934665603n;
  for (const ch of text) hash = ((hash ^ BigInt(ch.codePointAt(0)!)) * 1099511628211n) & ((1n << 64n) - 1n);
  return hash.toString().padStart(digits, "7").slice(-digits);
}

function template(format: string, context: FillContext, seed: string): string {
  return format.replace(/\{\{([#a-z_]+)\}\}/g, (_, key: string) => {
    if (key === "#") return stableNumber(seed);
    const value = key === "project" ? (context.values.project ?? context.project) : context.values[key];
    return typeof value === "string" || typeof value === "number" ? String(value) : `offline-${key}`;
  });
}

/** The value an unknown top-level string attribute `name` of the resource gets. */
function plausibleString(name: string, context: FillContext, seed: string): string {
  const fixed = FIXED[context.type]?.[name];
  if (typeof fixed === "string") return fixed;
  if (name === "id" || SAME_AS_ID[context.type]?.includes(name)) {
    return template(ID_FORMATS[context.type] ?? `offline/${context.type}/{{#}}`, context, seed);
  }
  if (name === "etag") return `BwY${stableNumber(seed, 8)}=`;
  if (name.endsWith("_time") || name === "create_time") return "2026-01-01T00:00:00Z";
  if (name === "self_link")
    return `https://offline.invalid/${template(ID_FORMATS[context.type] ?? "{{#}}", context, seed)}`;
  if (name === "email" && typeof context.values.account_id === "string") {
    return `${context.values.account_id}@${context.values.project ?? context.project}.iam.gserviceaccount.com`;
  }
  if (name === "unique_id" || name === "project_number") return stableNumber(seed, 21);
  if (name === "location" || name === "primary_location" || name === "original_primary_location") return "US";
  if (name === "uri") return `https://${context.values.name ?? "service"}-${stableNumber(seed, 10)}-uc.a.run.app`;
  if (name === "name") return template(ID_FORMATS[context.type] ?? "offline-{{#}}", context, seed);
  return `offline-${name}-${stableNumber(seed, 8)}`;
}

/** A plausible value of `type` for the attribute `name` (top level when `topLevel`). */
export function plausibleValue(
  type: CtyType | undefined,
  name: string,
  context: FillContext,
  seed: string,
  topLevel: boolean,
): unknown {
  const fixed = FIXED[context.type]?.[name];
  if (topLevel && fixed !== undefined) return fixed;
  if (type === "string")
    return topLevel ? plausibleString(name, context, seed) : `offline-${name}-${stableNumber(seed, 8)}`;
  if (type === "number") return name.endsWith("_time") ? 1767225600000 : 0;
  if (type === "bool") return false;
  if (Array.isArray(type)) {
    if (type[0] === "list" || type[0] === "set") return [];
    if (type[0] === "map") return {};
    if (type[0] === "object") return Object.fromEntries(Object.keys(type[1] as object).map((key) => [key, null]));
  }
  return null;
}

/** The empty value of a nested block left unknown as a whole. */
export function emptyBlock(block: { nesting_mode: string; block: SchemaBlock } | undefined): unknown {
  if (!block) return null;
  return block.nesting_mode === "single" || block.nesting_mode === "group" ? null : [];
}
