/**
 * Where hashicorp/google 6.50.0 (what @cdktf/provider-google 16.12.1 wraps, what users deploy with) and
 * the provider built here (8.0.0: the Go module proxy refuses 6.50.0) disagree on whether changing an
 * attribute of a resource type the library uses forces a replacement, and the correction the upgrade
 * lane applies to a plan before the guard reads it, so that the lane answers as 6.50.0 would.
 *
 * How the table was made: for every resource type the four environments and the library synthesize,
 * the `ForceNew: true` attributes of `google/services/<product>/resource_<type>.go` at the v6.50.0 tag
 * were compared with those of the built commit (module version v1.20.1-0.20260828184646-f3721fb45fa3,
 * CHANGELOG "8.0.0 (August 26, 2026)"), and the `CustomizeDiff` lists of both. Every attribute the
 * library sets forces (or does not force) a replacement alike in both; the differences are attributes
 * 8.0.0 added (absent from 6.50.0, so never in a 6.50.0 plan) and one 6.50.0 block 8.0.0 made updatable.
 * The `CustomizeDiff` lists differ only by 8.0.0's provider-wide `deletion_policy` default, which forces
 * nothing. What the table cannot correct is listed in {@link UNCORRECTABLE} and in docs/upgrades.md.
 */

/** How a version of the provider treats a change of the attribute. */
export type AttributeBehaviour = "forces replacement" | "updates in place" | "absent";

/** One attribute whose behaviour differs between the two versions. */
export interface ProviderDifference {
  /** The resource type. */
  readonly type: string;
  /** The attribute's path, nested blocks by name, e.g. "remote_repository_config.upstream_credentials". */
  readonly attribute: string;
  /** Its behaviour in 6.50.0: the answer the lane gives. */
  readonly v6_50_0: AttributeBehaviour;
  /** Its behaviour in the built 8.0.0. */
  readonly v8_0_0: AttributeBehaviour;
  /** Where it is written. */
  readonly source: string;
}

const SOURCE = (file: string) =>
  `hashicorp/terraform-provider-google google/services/${file} at v6.50.0 and at 8.0.0 (f3721fb45fa3)`;

/** The differences, by the comparison described above. */
export const PROVIDER_DIFFERENCES: readonly ProviderDifference[] = [
  {
    type: "google_artifact_registry_repository",
    attribute: "remote_repository_config.upstream_credentials",
    v6_50_0: "forces replacement",
    v8_0_0: "updates in place",
    source: SOURCE("artifactregistry/resource_artifact_registry_repository.go"),
  },
  ...[
    [
      "google_artifact_registry_repository",
      "remote_repository_config.no_cache",
      "artifactregistry/resource_artifact_registry_repository.go",
    ],
    ["google_bigquery_job", "query.connection_properties", "bigquery/resource_bigquery_job.go"],
    [
      "google_bigquery_reservation_assignment",
      "principal",
      "bigqueryreservation/resource_bigquery_reservation_assignment.go",
    ],
    ["google_cloud_run_v2_service", "tags", "cloudrunv2/resource_cloud_run_v2_service.go"],
    ["google_pubsub_subscription", "tags", "pubsub/resource_pubsub_subscription.go"],
    ["google_pubsub_topic", "tags", "pubsub/resource_pubsub_topic.go"],
    ["google_secret_manager_secret_version", "project", "secretmanager/resource_secret_manager_secret_version.go"],
  ].map(([type, attribute, file]): ProviderDifference => ({
    type,
    attribute,
    v6_50_0: "absent",
    v8_0_0: "forces replacement",
    source: SOURCE(file),
  })),
];

/** Behaviour the lane cannot give 6.50.0's answer for: said plainly in every report. */
export const UNCORRECTABLE: readonly string[] = [
  "google_bigquery_table: dropping a column is planned in place by both versions offline; on a table with row " +
    "access policies 8.0.0 asks the API and plans a replacement instead (6.50.0 never asks). The lane cannot " +
    "ask the API, so it gives 6.50.0's answer here by construction, not by correction.",
  "Behaviour inside the provider's Create/Update functions and the API (a Dataflow job update refused as " +
    "incompatible, a schema revision limit of 20, a reservation resize beyond quota) shows only on apply, in " +
    "either version.",
  "Defaults and diff suppressions that changed between 6.50.0 and 8.0.0 (e.g. table schema `collation` " +
    "inherited from the dataset, a permadiff fixed in 7.x) can make 6.50.0 plan an update in place where " +
    "8.0.0 plans none; neither forces a replacement.",
];

/** A correction applied to one planned change. */
export interface Correction {
  readonly address: string;
  /** The action 8.0.0 planned and the one 6.50.0 would plan. */
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** The dotted attribute path of a plan path (list indexes dropped): ["a", 0, "b"] → "a.b". */
export function attributePath(path: readonly (string | number)[]): string {
  return path.filter((step) => typeof step === "string").join(".");
}

function matches(difference: ProviderDifference, type: string, path: string): boolean {
  return difference.type === type && (path === difference.attribute || path.startsWith(`${difference.attribute}.`));
}

/** The 6.50.0 behaviour of changing `path` of `type`, when it differs from 8.0.0's. */
export function differenceFor(type: string, path: string): ProviderDifference | undefined {
  return PROVIDER_DIFFERENCES.find((difference) => matches(difference, type, path));
}
