/**
 * Helpers shared by the ingestion constructs for IAM members and service agents.
 */
import { ITerraformDependable, Token } from "cdktf";
import { TableSchema } from "../bigquery/table-schema";

const MEMBER_PREFIXES = ["user:", "serviceAccount:", "group:", "domain:", "principal:", "principalSet:"];
const PUBLIC_MEMBERS = new Set(["allUsers", "allAuthenticatedUsers"]);

/**
 * Checks an IAM member string such as `serviceAccount:sa@p.iam.gserviceaccount.com`.
 * Public members (`allUsers`, `allAuthenticatedUsers`) are refused; unresolved tokens are accepted.
 */
export function validateMember(path: string, member: string): void {
  if (Token.isUnresolved(member)) return;
  if (PUBLIC_MEMBERS.has(member)) {
    throw new Error(`${path}: member "${member}" is public; grant access to specific principals only`);
  }
  if (!MEMBER_PREFIXES.some((prefix) => member.startsWith(prefix) && member.length > prefix.length)) {
    throw new Error(
      `${path}: member "${member}" is not an IAM member; expected one of ${MEMBER_PREFIXES.map((p) => `${p}…`).join(", ")}`,
    );
  }
}

/** The Pub/Sub service agent of a project: it publishes dead letters and writes BigQuery subscriptions by default. */
export function pubsubServiceAgentEmail(projectNumber: string): string {
  return `service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
}

/**
 * A construct-id-safe fragment naming a grant: derived from the member when it is a literal, or
 * the grant's position when it is a token (token numbers change with unrelated code, positions do not).
 */
export function memberIdFragment(member: string, position: number): string {
  if (Token.isUnresolved(member)) return `${position}`;
  return member
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 80);
}

/**
 * What the ingestion constructs need from a BigQuery table: its identity, its schema and a way to
 * grant write access on its dataset. `StreamingTable` (constructs/bigquery) satisfies it.
 */
export interface BigQueryTableTarget {
  /** Project holding the table. */
  readonly project: string;
  /** Dataset id. */
  readonly datasetId: string;
  /** Table id. */
  readonly tableId: string;
  /** `project.dataset.table`. */
  readonly fqn: string;
  /** Columns of the table. */
  readonly schema: TableSchema;
  /** The table's dataset, able to grant dataset-level write access. */
  readonly dataset: { grantWrite(member: string): unknown };
  /**
   * The table resource, so that consumers are created after it.
   * @default - no explicit dependency
   */
  readonly resource?: ITerraformDependable;
}

/** Whether a value returned by a `grant*` method can be depended upon (a Terraform resource). */
export function isDependable(value: unknown): value is ITerraformDependable {
  return typeof value === "object" && value !== null && typeof (value as { fqn?: unknown }).fqn === "string";
}
