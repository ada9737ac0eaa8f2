/**
 * Physical names that must be unique where Google Cloud looks them up: two resources of a stack
 * that would get the same service account id, bucket name, dataset, table, topic, subscription,
 * job, service or repository name (often both from a construct's default) make the second
 * `terraform apply` fail with "already exists", or, worse, make two constructs share one resource.
 * Synthesis fails instead, naming both construct paths, the name and the rule. Private to the library.
 *
 * Each library construct that creates named resources calls {@link checkPhysicalNames} on itself:
 * the check is added to its stack once, and looks at every resource of the stack when it is
 * synthesized (those written by hand too).
 */
import { IConstruct } from "constructs";
import { Aspects, IAspect, TerraformResource, TerraformStack, Token } from "cdktf";
import { synthesizedAttributes } from "./synthesized-attributes";

/** How one resource type is named, and where its name must be unique. */
interface NameRule {
  /** What the name is, for messages. */
  readonly kind: string;
  /** The attributes that together must be unique (the scope first, the name last). */
  readonly key: readonly string[];
  /** The rule, with its source. */
  readonly rule: string;
}

const PROJECT_SCOPED = "unique within a project";
const NAME_RULES: Readonly<Record<string, NameRule>> = {
  // https://cloud.google.com/iam/docs/service-accounts-create: the account id is unique within the project.
  google_service_account: {
    kind: "service account id",
    key: ["project", "account_id"],
    rule: `service account ids are ${PROJECT_SCOPED}`,
  },
  // https://cloud.google.com/storage/docs/buckets#naming: one namespace shared by every project.
  google_storage_bucket: {
    kind: "bucket name",
    key: ["name"],
    rule: "bucket names are globally unique across every project",
  },
  // https://cloud.google.com/bigquery/docs/datasets#dataset-naming: unique per project.
  google_bigquery_dataset: {
    kind: "dataset id",
    key: ["project", "dataset_id"],
    rule: `dataset ids are ${PROJECT_SCOPED}`,
  },
  // https://cloud.google.com/bigquery/docs/tables#table_naming: unique within the dataset.
  google_bigquery_table: {
    kind: "table id",
    key: ["project", "dataset_id", "table_id"],
    rule: "table ids are unique within a dataset",
  },
  // https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names: projects/P/topics/T, projects/P/subscriptions/S.
  google_pubsub_topic: { kind: "topic name", key: ["project", "name"], rule: `topic names are ${PROJECT_SCOPED}` },
  google_pubsub_subscription: {
    kind: "subscription name",
    key: ["project", "name"],
    rule: `subscription names are ${PROJECT_SCOPED}`,
  },
  google_pubsub_schema: { kind: "schema name", key: ["project", "name"], rule: `schema names are ${PROJECT_SCOPED}` },
  // https://cloud.google.com/dataflow/docs/reference/rest/v1b3/projects.jobs#Job: a running job's name is unique in its project and region.
  google_dataflow_job: {
    kind: "Dataflow job name",
    key: ["project", "region", "name"],
    rule: "running Dataflow jobs have unique names within a project and region",
  },
  // https://cloud.google.com/run/docs/resource-model: services are named within a project and region.
  google_cloud_run_v2_service: {
    kind: "Cloud Run service name",
    key: ["project", "location", "name"],
    rule: "Cloud Run service names are unique within a project and region",
  },
  // https://cloud.google.com/run/docs/resource-model: worker pools, like services, are named within a project and region.
  google_cloud_run_v2_worker_pool: {
    kind: "Cloud Run worker pool name",
    key: ["project", "location", "name"],
    rule: "Cloud Run worker pool names are unique within a project and region",
  },
  // https://cloud.google.com/artifact-registry/docs/repositories/create-repos: unique per project and location.
  google_artifact_registry_repository: {
    kind: "repository id",
    key: ["project", "location", "repository_id"],
    rule: "Artifact Registry repository ids are unique within a project and location",
  },
  // https://cloud.google.com/bigquery/docs/running-jobs#generate-jobid: a job id is unique within its project.
  google_bigquery_job: {
    kind: "BigQuery job id",
    key: ["project", "job_id"],
    rule: "job ids are unique within a project (and single-use)",
  },
  // https://cloud.google.com/bigquery/docs/reservations-tasks: a reservation is named within its admin project and location.
  google_bigquery_reservation: {
    kind: "reservation name",
    key: ["project", "location", "name"],
    rule: "reservation names are unique within an administration project and location",
  },
};

/** An attribute as a key part: its text (a token's text names the same value everywhere), or the provider's default. */
function keyPart(attribute: string, value: unknown): string {
  if (value === undefined || value === null) return attribute === "project" ? "(the provider's project)" : "(unset)";
  return String(value);
}

/** Checks that no two resources of a stack share a physical name; see the module comment. */
class PhysicalNamesAspect implements IAspect {
  /** key → path of the resource that claimed it. */
  private readonly claims = new Map<string, string>();

  public visit(node: IConstruct): void {
    if (!TerraformResource.isTerraformResource(node)) return;
    const resource = node as TerraformResource;
    const rule = NAME_RULES[resource.terraformResourceType];
    if (!rule) return;
    const attributes = synthesizedAttributes(resource);
    if (!attributes) return;
    const parts = rule.key.map((attribute) => keyPart(attribute, attributes[attribute]));
    const name = parts[parts.length - 1];
    const key = [resource.terraformResourceType, ...parts].join("\u0000");
    const path = resource.node.path;
    const other = this.claims.get(key);
    // Aspects may run more than once on a stack: a resource meeting itself again is no clash.
    if (other === undefined) {
      this.claims.set(key, path);
      return;
    }
    if (other === path) return;
    const scope = rule.key
      .slice(0, -1)
      .map((attribute, i) => `${attribute} "${Token.isUnresolved(parts[i]) ? "(a Terraform reference)" : parts[i]}"`)
      .join(", ");
    throw new Error(
      `${path}: ${rule.kind} "${name}"${scope ? ` (${scope})` : ""} is already used by ${other}; ${rule.rule}: give one of them another name`,
    );
  }
}

const checked = new WeakSet<TerraformStack>();

/** Adds the physical-name check to the stack of `scope` (once per stack). */
export function checkPhysicalNames(scope: IConstruct): void {
  const stack = TerraformStack.of(scope);
  if (checked.has(stack)) return;
  checked.add(stack);
  Aspects.of(stack).add(new PhysicalNamesAspect());
}
