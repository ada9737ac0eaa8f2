/**
 * The resource types that hold data or a position, as a table: for each, what a delete loses, when an instance
 * holds nothing (a view), and the attributes that identify the cloud object (to pair a delete with the create of
 * the same object at a new address). Private to the library.
 */

type Attributes = Readonly<Record<string, unknown>>;

/** One kind of resource the guard refuses to delete or replace. */
export interface StatefulResource {
  /** The Terraform resource type. */
  readonly type: string;
  /** What a delete or replacement loses, for the refusal's text. */
  readonly loses: (before: Attributes) => string;
  /**
   * Whether this instance holds something; a view holds no data.
   * @default - every instance holds data
   */
  readonly holdsData?: (before: Attributes) => boolean;
  /** When an instance is refused, in words (for docs/plan-guard.md). */
  readonly when: string;
  /** Attributes naming the cloud object: a create with the same values is the same object at a new address. */
  readonly identity: readonly string[];
}

const nonEmpty = (value: unknown): boolean =>
  Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null && value !== "";

/** The `on_delete` a Dataflow job is stopped with: its state's value, else the provider's default for the type. */
export function dataflowOnDelete(type: string, before: Attributes): string {
  const value = before.on_delete;
  if (typeof value === "string" && value !== "") return value;
  // google_dataflow_job defaults to "drain"; google_dataflow_flex_template_job to "cancel" (the provider's docs).
  return type === "google_dataflow_job" ? "drain" : "cancel";
}

/** Whether a Dataflow job's state says it is a batch job (an unknown type counts as streaming). */
const isBatch = (before: Attributes) => before.type === "JOB_TYPE_BATCH";

const dataflowJob = (type: string): StatefulResource => ({
  type,
  holdsData: (before) => !isBatch(before) && dataflowOnDelete(type, before) === "cancel",
  when:
    type === "google_dataflow_job"
      ? 'a streaming job with on_delete = "cancel" (the provider\'s default is "drain")'
      : 'a streaming job with on_delete = "cancel" (the provider\'s default for this type)',
  loses: () =>
    'the running streaming job is cancelled (on_delete = "cancel"), not drained: messages it has pulled and acknowledged but not yet written, and its windows and other state, are dropped',
  identity: ["name", "region", "project"],
});

/** Every resource kind that holds data or a position, by Terraform type. */
export const STATEFUL_RESOURCES: readonly StatefulResource[] = [
  {
    type: "google_bigquery_dataset",
    when: "always",
    loses: (b) =>
      b.delete_contents_on_destroy === true
        ? "every table, view and routine in the dataset (delete_contents_on_destroy is true)"
        : "the dataset with its access grants and defaults (a dataset that still holds tables fails to delete, half-way through the apply)",
    identity: ["project", "dataset_id"],
  },
  {
    type: "google_bigquery_table",
    holdsData: (b) => !nonEmpty(b.view) && !nonEmpty(b.materialized_view),
    when: "a table that is not a view or materialized view; also an in-place schema update that removes or retypes a column",
    loses: () => "every row of the table (and its time-travel window goes with it)",
    identity: ["project", "dataset_id", "table_id"],
  },
  {
    type: "google_pubsub_topic",
    when: "always",
    loses: () =>
      "the topic: publishers fail until it exists again, its subscriptions are detached (_deleted-topic_) and never receive another message, and retained messages are gone",
    identity: ["project", "name"],
  },
  {
    type: "google_pubsub_subscription",
    when: "always",
    loses: () =>
      "the subscription's backlog of unacknowledged messages and its position: a new subscription starts empty, at the time it is created",
    identity: ["project", "name"],
  },
  {
    type: "google_pubsub_schema",
    when: "always",
    loses: () =>
      "the schema and every revision of it: topics that use it reject messages (_deleted-schema_) until they are pointed at a schema again",
    identity: ["project", "name"],
  },
  {
    type: "google_storage_bucket",
    when: "always",
    loses: (b) =>
      b.force_destroy === true
        ? "every object in the bucket (force_destroy is true), e.g. the worker's checkpoint"
        : "the bucket and its objects, e.g. the worker's checkpoint (a bucket that still holds objects fails to delete, half-way through the apply)",
    identity: ["name"],
  },
  {
    type: "google_kms_key_ring",
    when: "always",
    loses: () =>
      "the key ring's place in state: a key ring cannot be deleted in Cloud KMS, so a replacement fails on the existing name and a delete leaves it behind, unmanaged",
    identity: ["project", "location", "name"],
  },
  {
    type: "google_kms_crypto_key",
    when: "always",
    loses: () =>
      "every version of the key, scheduled for destruction: data encrypted with it (CMEK tables, topics, buckets) becomes unreadable when they are destroyed",
    identity: ["key_ring", "name"],
  },
  {
    type: "google_secret_manager_secret",
    when: "always",
    loses: () => "the secret and every version of its value",
    identity: ["project", "secret_id"],
  },
  {
    type: "google_bigquery_reservation",
    when: "always",
    loses: () =>
      "the reservation's slots and its assignments: their jobs (CDC apply, scheduled queries) fall back to on-demand or wait",
    identity: ["project", "location", "name"],
  },
  {
    type: "google_bigquery_capacity_commitment",
    when: "always",
    loses: () =>
      "the committed slots; a commitment cannot be deleted before its end date, so the apply fails half-way, and a new one is billed again",
    identity: ["project", "location", "capacity_commitment_id"],
  },
  dataflowJob("google_dataflow_job"),
  dataflowJob("google_dataflow_flex_template_job"),
];

const BY_TYPE = new Map(STATEFUL_RESOURCES.map((r) => [r.type, r]));

/** The stateful kind of a resource type, if it is one. */
export function statefulResource(type: string): StatefulResource | undefined {
  return BY_TYPE.get(type);
}
