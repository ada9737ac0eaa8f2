/**
 * One policy rule: a stable id (what messages, suppressions and the docs name), the aspect that
 * checks it, what it checks and why.
 */
export interface PolicyRule {
  /** Stable id, `FS-<AREA>-<n>`, e.g. `FS-PROD-1`. Never reused for another check. */
  readonly id: string;
  /** Class name of the aspect that checks it, e.g. `ProductionSafetyAspect`. */
  readonly aspect: string;
  /** What the rule checks, in one sentence. */
  readonly summary: string;
  /** Why: what goes wrong when the rule is broken. */
  readonly explanation: string;
  /**
   * What a finding does: `error` fails synthesis, `warning` is reported and synthesis goes on (a cost to
   * review, not a risk to data).
   * @default "error"
   */
  readonly level?: "error" | "warning";
}

const rule = (
  id: string,
  aspect: string,
  summary: string,
  explanation: string,
  level: "error" | "warning" = "error",
): PolicyRule => Object.freeze({ id, aspect, summary, explanation, level });

/**
 * Every rule the project's policy aspects check, in catalogue order (docs/policy.md lists the
 * same rules). A violation fails synthesis with a message starting `[<id> <aspect name>]`; a
 * deliberate exception is recorded with `PolicySuppressions.of(construct).add({ id, reason })`.
 */
export const POLICY_RULES: readonly PolicyRule[] = Object.freeze([
  rule(
    "FS-LABELS-1",
    "RequiredLabelsAspect",
    "Every resource that takes labels (it has `effective_labels`) carries the required labels with the required values, from its own `labels` or its provider's `default_labels`.",
    "Billing exports, budgets and ownership queries find a resource by its labels: an unlabelled resource is missing from the cost and ownership reports of its environment and team.",
  ),
  rule(
    "FS-PROD-1",
    "ProductionSafetyAspect",
    "In production, a `google_bigquery_table` does not set `deletion_protection` to false; views and materialized views are exempt.",
    "Terraform cannot recreate a table's data: a careless `terraform destroy`, or a replacement forced by a changed attribute, would delete it. Views and materialized views hold no data of their own.",
  ),
  rule(
    "FS-PROD-2",
    "ProductionSafetyAspect",
    "In production, a `google_bigquery_dataset` does not set `delete_contents_on_destroy` to true.",
    "With it, destroying or replacing the dataset deletes every table in it, including tables Terraform does not manage.",
  ),
  rule(
    "FS-PROD-3",
    "ProductionSafetyAspect",
    "In production, a `google_storage_bucket` does not set `force_destroy` to true.",
    "With it, destroying or replacing the bucket deletes every object in it.",
  ),
  rule(
    "FS-PROD-4",
    "ProductionSafetyAspect",
    "In production, a Dataflow job (`google_dataflow_job`, `google_dataflow_flex_template_job`) sets `ip_configuration` to `WORKER_IP_PRIVATE`.",
    "Without it Dataflow gives every worker an external IP address: the workers, which hold the pipeline's credentials and data, are reachable from and can reach the internet. Private workers reach Google APIs through Private Google Access on their subnetwork.",
  ),
  rule(
    "FS-PROD-5",
    "ProductionSafetyAspect",
    "In production, a Dataflow job's Google-provided template path names a release folder (e.g. `2025-01-07-00_RC00`), not `latest`.",
    "`latest` is moved by every template release: the next `terraform apply` that updates the job runs code nobody reviewed or tested, and no two environments are known to run the same pipeline.",
  ),
  rule(
    "FS-STREAM-1",
    "StreamingTablesAspect",
    "A table written by streaming (a `StreamingTable`, a `markStreamingTable()` table, the target of a Pub/Sub BigQuery subscription, a table named in a Dataflow job's parameters) has `time_partitioning` or `range_partitioning`.",
    "A streaming table grows without bound: unpartitioned, every query and every incremental ELT run scans all of it, and old data cannot expire by partition.",
  ),
  rule(
    "FS-STREAM-2",
    "StreamingTablesAspect",
    "A table sets `require_partition_filter` at table level, not in the deprecated `time_partitioning.require_partition_filter`.",
    "The google provider deprecates the block-level attribute in favour of the table-level one and will remove it, so the filter requirement would silently disappear on an upgrade.",
  ),
  rule(
    "FS-STREAM-3",
    "StreamingTablesAspect",
    "A table that requires a partition filter is not written by a scheduled query's `MERGE`, `UPDATE` or `DELETE` that never names its partition column.",
    "BigQuery rejects a DML statement on such a table without a filter it can use for partition elimination, so every scheduled run would fail. Streaming writers run no query and are not affected.",
  ),
  rule(
    "FS-IAM-1",
    "LeastPrivilegeIamAspect",
    "No primitive role (`roles/owner`, `roles/editor`, `roles/viewer`) in an `*_iam_member`, an `*_iam_binding` or a `google_iam_policy` document.",
    "A primitive role carries thousands of permissions across every service of the project; a workload needs a few, which a predefined or custom role grants.",
  ),
  rule(
    "FS-IAM-2",
    "LeastPrivilegeIamAspect",
    "No `allUsers` or `allAuthenticatedUsers` in IAM members and bindings, `google_iam_policy` documents, BigQuery dataset `access` blocks, `google_bigquery_dataset_access` or Cloud Storage ACLs.",
    "These members make the resource public: anyone on the internet, or anyone with a Google account, gets the role.",
  ),
  rule(
    "FS-IAM-3",
    "LeastPrivilegeIamAspect",
    "No `roles/bigquery.dataEditor` or `roles/bigquery.dataOwner` on a whole project, folder or organization.",
    "At that level the role covers every dataset, present and future; granted on a dataset (`LayeredDataset.grantWrite`) it covers only the data the principal writes.",
  ),
  rule(
    "FS-ALERT-1",
    "AlertingAspect",
    "In production, a `google_monitoring_alert_policy` notifies at least one notification channel.",
    "An alert without a channel only shows up in the console: nobody is told that the pipeline is late, stuck or losing data.",
  ),
  rule(
    "FS-ALERT-2",
    "AlertingAspect",
    "A `google_monitoring_alert_policy` has a documentation `content` (its runbook), a `severity` and an `alert_strategy.auto_close`.",
    "Whoever is paged needs to know what the alert means and what to check first; without a severity an incident cannot be triaged; without auto-close one whose data stopped stays open forever.",
  ),
  rule(
    "FS-CMEK-1",
    "CmekAspect",
    "Where the environment requires CMEK, BigQuery datasets, Pub/Sub topics, Cloud Storage buckets, Dataflow jobs, Artifact Registry repositories, Cloud Run services and worker pools (`template.encryption_key`) and Secret Manager secrets (the automatic replication's key, or every user-managed replica's) name a customer-managed key.",
    "The environment's data must be encrypted with keys the project controls (rotation, revocation, audit of every use); a Google-managed key gives none of that.",
  ),
  rule(
    "FS-CMEK-2",
    "CmekAspect",
    "Where the environment requires CMEK and names its BigQuery key, a dataset's default key and a table's own key are that key.",
    "Data under another key escapes the environment's key rotation and revocation.",
  ),
  rule(
    "FS-COST-1",
    "IdleCostAspect",
    "Outside production, a `google_bigquery_reservation` has no baseline (`slot_capacity` 0, autoscaling only) and no `google_bigquery_capacity_commitment` is bought (a warning, not an error).",
    "Baseline and committed slots are billed every hour whether or not a job runs, so an idle development environment pays for them around the clock; its CDC apply jobs fit in autoscaled slots, billed only while they run.",
    "warning",
  ),
]);

/** The built-in rules an aspect checks, by the aspect's class name. */
export function rulesOf(aspect: string): readonly PolicyRule[] {
  return POLICY_RULES.filter((r) => r.aspect === aspect);
}
