/**
 * The catalogue of routine changes: each case builds a small piece of a stack from the library's
 * constructs, before (`base`) and after (`head`) the change, and states what the upgrade lane must plan
 * for it and what the guard says. test/upgrade/catalogue.terraform.test.ts composes every case into one
 * base stack and one head stack (each case under its own construct, with its own physical names), plans
 * them once with the real provider and asserts each case; docs/upgrades.md's table is generated from
 * this list (tools/docs/sections/upgrades.ts).
 *
 * Sources cite hashicorp/google 6.50.0 (what users deploy with), file and line of the attribute's schema.
 */
import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import type { PlanAction } from "../../constructs/plan-safety/check-plan-safety";
import { BackgroundReservation } from "../../constructs/bigquery/background-reservation";
import { CdcTable } from "../../constructs/bigquery/cdc-table";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { StreamingTable } from "../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../constructs/bigquery/table-options";
import { Duration } from "../../constructs/core/duration";
import { movedFrom } from "../../constructs/core/moved-from";
import { Size } from "../../constructs/core/size";
import { PubSubToBigQueryJob } from "../../constructs/dataflow/pubsub-to-bigquery-job";
import { PipelineMonitoring } from "../../constructs/monitoring/pipeline-monitoring";
import { StreamTopic } from "../../constructs/pubsub/stream-topic";
import { SsePublisherService } from "../../constructs/worker/sse-publisher-service";
import { SsePublisherWorkerPool } from "../../constructs/worker/sse-publisher-worker-pool";
import type { SsePublisherWorkerPoolProps } from "../../constructs/worker/sse-publisher-props";
import { ColumnDefinition, TableSchema } from "../../schemas/table-schema";

/** The project every case deploys into. */
export const CATALOGUE_PROJECT = "catalogue-project";
const PROJECT_NUMBER = "123456789012";

/** One change the plan must show. */
export interface ExpectedChange {
  readonly type: string;
  readonly action: PlanAction;
  readonly verdict: "safe" | "refused";
  /** The attributes forcing a replacement, when the action is one. */
  readonly forcedBy?: readonly string[];
}

/** One routine change. */
export interface CatalogueCase {
  /** Construct id of the case (also the root of its physical names). */
  readonly id: string;
  /** The change, as a user would say it. */
  readonly change: string;
  /** The outcome, as the docs' table says it. */
  readonly outcome: string;
  /** The provider attribute(s) that decide it. */
  readonly attribute: string;
  /** Where the provider says so (6.50.0 source, file and line). */
  readonly source: string;
  /** What else to know (the running job, the data, the way out). */
  readonly note?: string;
  /** Builds the case under `scope`, before (`head` false) or after the change. */
  build(scope: Construct, head: boolean): void;
  /** Every change the plan shows for the case (no-ops aside), in any order. */
  readonly expected: readonly ExpectedChange[];
}

const SOURCE = (file: string, line: number) =>
  `https://github.com/hashicorp/terraform-provider-google/blob/v6.50.0/google/services/${file}#L${line}`;
const TABLE_GO = "bigquery/resource_bigquery_table.go";
const SUBSCRIPTION_GO = "pubsub/resource_pubsub_subscription.go";
const DATAFLOW_GO = "dataflow/resource_dataflow_job.go";

const EVENT_COLUMNS: ColumnDefinition[] = [
  { name: "event_id", type: "STRING", mode: "REQUIRED" },
  { name: "user", type: "STRING" },
  { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED" },
];

const names = (scope: Construct) => ({
  dataset: scope.node.id.replace(/-/g, "_"),
  name: scope.node.id,
});

function dataset(scope: Construct, props: { location?: string; datasetId?: string } = {}): LayeredDataset {
  return new LayeredDataset(scope, "dataset", {
    datasetId: props.datasetId ?? names(scope).dataset,
    layer: "raw",
    location: props.location ?? "US",
    project: CATALOGUE_PROJECT,
  });
}

interface TableChange {
  columns?: ColumnDefinition[];
  clustering?: string[];
  partitionExpiration?: Duration;
  partitionColumn?: string;
  description?: string;
  labels?: Record<string, string>;
}

function table(scope: Construct, change: TableChange = {}): StreamingTable {
  return new StreamingTable(scope, "table", {
    dataset: dataset(scope),
    tableId: "events",
    schema: new TableSchema(change.columns ?? EVENT_COLUMNS, { name: "events" }),
    partitioning: Partitioning.column(change.partitionColumn ?? "event_time"),
    partitionExpiration: change.partitionExpiration ?? Duration.days(30),
    clustering: change.clustering ?? ["user"],
    description: change.description ?? "Events as they arrive.",
    labels: change.labels ?? { owner: "data-platform" },
    deletionProtection: false,
  });
}

function topic(scope: Construct, props: { retention?: Duration; schema?: TableSchema } = {}): StreamTopic {
  return new StreamTopic(scope, "topic", {
    topicName: names(scope).name,
    project: CATALOGUE_PROJECT,
    projectNumber: PROJECT_NUMBER,
    messageRetentionDuration: props.retention,
    schema: props.schema,
  });
}

interface SubscriptionChange {
  ackDeadline?: Duration;
  minimumBackoff?: Duration;
  maxDeliveryAttempts?: number;
  filter?: string;
}

function subscription(scope: Construct, change: SubscriptionChange = {}): void {
  topic(scope).addSubscription(`${names(scope).name}-sub`, {
    ackDeadline: change.ackDeadline ?? Duration.seconds(60),
    minimumBackoff: change.minimumBackoff ?? Duration.seconds(10),
    maxDeliveryAttempts: change.maxDeliveryAttempts ?? 5,
    filter: change.filter ?? 'attributes.kind = "edit"',
  });
}

const UPDATE = (type: string): ExpectedChange => ({ type, action: "update", verdict: "safe" });
const TABLE_UPDATE = [UPDATE("google_bigquery_table")];
const SUBSCRIPTION_UPDATE = [UPDATE("google_pubsub_subscription")];

const tableCases: CatalogueCase[] = [
  {
    id: "add-nullable-column",
    change: "add a NULLABLE column to a table",
    outcome: "update in place",
    attribute: "google_bigquery_table.schema",
    source: SOURCE(TABLE_GO, 291),
    note: "The provider updates a schema in place when columns are only added or relaxed (resourceBigQueryTableSchemaIsChangeable).",
    build: (scope, head) =>
      table(scope, head ? { columns: [...EVENT_COLUMNS, { name: "comment", type: "STRING" }] } : {}),
    expected: TABLE_UPDATE,
  },
  {
    id: "relax-required",
    change: "relax a REQUIRED column to NULLABLE",
    outcome: "update in place",
    attribute: "google_bigquery_table.schema",
    source: SOURCE(TABLE_GO, 291),
    note: "REQUIRED → NULLABLE is changeable in place; NULLABLE → REQUIRED forces a replacement.",
    build: (scope, head) =>
      table(scope, {
        columns: EVENT_COLUMNS.map((c) => (head && c.name === "event_id" ? { ...c, mode: "NULLABLE" } : c)),
      }),
    expected: TABLE_UPDATE,
  },
  {
    id: "change-clustering",
    change: "change a table's clustering columns",
    outcome: "update in place",
    attribute: "google_bigquery_table.clustering",
    source: SOURCE(TABLE_GO, 1248),
    note: "The new clustering specification applies to data written afterwards.",
    build: (scope, head) => table(scope, head ? { clustering: ["user", "event_id"] } : {}),
    expected: TABLE_UPDATE,
  },
  {
    id: "partition-expiration",
    change: "change a table's partition expiration",
    outcome: "update in place",
    attribute: "google_bigquery_table.time_partitioning.expiration_ms",
    source: SOURCE(TABLE_GO, 1143),
    note: "The expiration applies to existing partitions too: a shorter one deletes those older than it.",
    build: (scope, head) => table(scope, head ? { partitionExpiration: Duration.days(60) } : {}),
    expected: TABLE_UPDATE,
  },
  {
    id: "partition-column",
    change: "change a table's partitioning column",
    outcome: "replace: refused",
    attribute: "google_bigquery_table.time_partitioning.field",
    source: SOURCE(TABLE_GO, 1162),
    note: "Way out: a new table filled by `CREATE TABLE … PARTITION BY … AS SELECT`, then the switch.",
    build: (scope, head) =>
      table(scope, {
        columns: [...EVENT_COLUMNS, { name: "ingested_at", type: "TIMESTAMP" }],
        partitionColumn: head ? "ingested_at" : "event_time",
      }),
    expected: [
      {
        type: "google_bigquery_table",
        action: "replace",
        verdict: "refused",
        forcedBy: ["time_partitioning[0].field"],
      },
    ],
  },
  {
    id: "table-labels-description",
    change: "change a table's labels or description",
    outcome: "update in place",
    attribute: "google_bigquery_table.labels, description",
    source: SOURCE(TABLE_GO, 1001),
    build: (scope, head) =>
      table(scope, head ? { description: "Events, deduplicated downstream.", labels: { owner: "analytics" } } : {}),
    expected: TABLE_UPDATE,
  },
];

function cdcTable(scope: Construct, head: boolean, change: { maxStaleness?: boolean; column?: boolean }): void {
  const columns: ColumnDefinition[] = [
    { name: "id", type: "INT64", mode: "REQUIRED" },
    { name: "name", type: "STRING" },
  ];
  new CdcTable(scope, "table", {
    dataset: dataset(scope),
    tableId: "pages",
    schema: new TableSchema(head && change.column ? [...columns, { name: "title", type: "STRING" }] : columns, {
      name: "pages",
    }),
    primaryKey: ["id"],
    maxStaleness: head && change.maxStaleness ? Duration.minutes(15) : Duration.minutes(10),
    deletionProtection: false,
  });
}

const cdcCases: CatalogueCase[] = [
  {
    id: "max-staleness",
    change: "change a CDC table's `max_staleness`",
    outcome: "update in place (the ALTER TABLE job runs again)",
    attribute: "google_bigquery_table.max_staleness; google_bigquery_job.job_id",
    source: SOURCE(TABLE_GO, 987),
    note: "The table is updated in place; the job that sets the option is a new job (jobs are immutable), which holds nothing.",
    build: (scope, head) => cdcTable(scope, head, { maxStaleness: true }),
    expected: [
      UPDATE("google_bigquery_table"),
      { type: "google_bigquery_job", action: "replace", verdict: "safe", forcedBy: ["job_id", "query[0].query"] },
    ],
  },
  {
    id: "cdc-non-key-column",
    change: "add a non-key column to a CDC table",
    outcome: "update in place",
    attribute: "google_bigquery_table.schema",
    source: SOURCE(TABLE_GO, 291),
    note: "Writers that do not send the column leave it NULL; the primary key is unchanged.",
    build: (scope, head) => cdcTable(scope, head, { column: true }),
    expected: TABLE_UPDATE,
  },
];

const datasetCases: CatalogueCase[] = [
  {
    id: "dataset-prefix",
    change: "change a dataset's name (an environment's dataset prefix)",
    outcome: "replace: refused (the dataset and its tables)",
    attribute: "google_bigquery_dataset.dataset_id; google_bigquery_table.dataset_id",
    source: SOURCE("bigquery/resource_bigquery_dataset.go", 119),
    note: "Way out: keep the prefix of deployed environments; copy the tables to the new dataset first if it must change.",
    build: (scope, head) => {
      const ds = dataset(scope, { datasetId: head ? "renamed_prefix_raw" : "dataset_prefix_raw" });
      new StreamingTable(scope, "table", {
        dataset: ds,
        tableId: "events",
        schema: new TableSchema(EVENT_COLUMNS, { name: "events" }),
        partitioning: Partitioning.column("event_time"),
        deletionProtection: false,
      });
    },
    expected: [
      { type: "google_bigquery_dataset", action: "replace", verdict: "refused", forcedBy: ["dataset_id"] },
      { type: "google_bigquery_table", action: "replace", verdict: "refused", forcedBy: ["dataset_id"] },
    ],
  },
  {
    id: "dataset-location",
    change: "change a dataset's location",
    outcome: "replace: refused",
    attribute: "google_bigquery_dataset.location",
    source: SOURCE("bigquery/resource_bigquery_dataset.go", 281),
    note: "A dataset cannot move; way out: a new dataset in the new location and a cross-region copy.",
    build: (scope, head) => dataset(scope, { location: head ? "EU" : "US" }),
    expected: [{ type: "google_bigquery_dataset", action: "replace", verdict: "refused", forcedBy: ["location"] }],
  },
  {
    id: "reservation-slots",
    change: "change a reservation's baseline slots or autoscaling",
    outcome: "update in place",
    attribute: "google_bigquery_reservation.slot_capacity, autoscale.max_slots",
    source: SOURCE("bigqueryreservation/resource_bigquery_reservation.go", 65),
    build: (scope, head) =>
      new BackgroundReservation(scope, "reservation", {
        name: "catalogue-background",
        location: "US",
        edition: "ENTERPRISE",
        baselineSlots: head ? 100 : 50,
        autoscaleMaxSlots: head ? 200 : 100,
        assigneeProjectId: CATALOGUE_PROJECT,
      }),
    expected: [UPDATE("google_bigquery_reservation")],
  },
];

const pubsubCases: CatalogueCase[] = [
  {
    id: "topic-retention",
    change: "change a topic's message retention",
    outcome: "update in place",
    attribute: "google_pubsub_topic.message_retention_duration",
    source: SOURCE("pubsub/resource_pubsub_topic.go", 352),
    note: "The dead-letter topic follows the topic's retention unless it has its own.",
    build: (scope, head) => topic(scope, { retention: head ? Duration.days(3) : Duration.days(1) }),
    expected: [UPDATE("google_pubsub_topic"), UPDATE("google_pubsub_topic")],
  },
  {
    id: "ack-deadline",
    change: "change a subscription's ack deadline",
    outcome: "update in place",
    attribute: "google_pubsub_subscription.ack_deadline_seconds",
    source: SOURCE(SUBSCRIPTION_GO, 112),
    note: "The backlog stays; the new deadline applies to messages delivered afterwards.",
    build: (scope, head) => subscription(scope, head ? { ackDeadline: Duration.seconds(120) } : {}),
    expected: SUBSCRIPTION_UPDATE,
  },
  {
    id: "retry-policy",
    change: "change a subscription's retry policy",
    outcome: "update in place",
    attribute: "google_pubsub_subscription.retry_policy",
    source: SOURCE(SUBSCRIPTION_GO, 570),
    build: (scope, head) => subscription(scope, head ? { minimumBackoff: Duration.seconds(30) } : {}),
    expected: SUBSCRIPTION_UPDATE,
  },
  {
    id: "dead-letter-policy",
    change: "change a subscription's dead-letter policy (max delivery attempts)",
    outcome: "update in place",
    attribute: "google_pubsub_subscription.dead_letter_policy",
    source: SOURCE(SUBSCRIPTION_GO, 271),
    build: (scope, head) => subscription(scope, head ? { maxDeliveryAttempts: 10 } : {}),
    expected: SUBSCRIPTION_UPDATE,
  },
  {
    id: "subscription-filter",
    change: "change a subscription's filter",
    outcome: "replace: refused",
    attribute: "google_pubsub_subscription.filter",
    source: SOURCE(SUBSCRIPTION_GO, 367),
    note: "A filter is immutable: the backlog of the old subscription is lost. Way out: a second subscription with the new filter, the consumer switched, then the old one removed.",
    build: (scope, head) => subscription(scope, head ? { filter: 'attributes.kind = "log"' } : {}),
    expected: [{ type: "google_pubsub_subscription", action: "replace", verdict: "refused", forcedBy: ["filter"] }],
  },
  {
    id: "avro-schema",
    change: "add a field to a topic's Avro schema",
    outcome: "update in place (a new schema revision)",
    attribute: "google_pubsub_schema.definition",
    source: SOURCE("pubsub/resource_pubsub_schema.go", 66),
    note: "The definition commits a new revision; a schema keeps at most 20 revisions, past that the update fails on apply until old revisions are deleted.",
    build: (scope, head) =>
      topic(scope, {
        schema: new TableSchema(head ? [...EVENT_COLUMNS, { name: "comment", type: "STRING" }] : EVENT_COLUMNS, {
          name: "events",
        }),
      }),
    expected: [UPDATE("google_pubsub_schema")],
  },
];

function dataflowJob(scope: Construct, change: { templateVersion?: string; maxWorkers?: number }): void {
  const source = topic(scope).addSubscription(`${names(scope).name}-df`, { forDataflow: true });
  const output = table(scope);
  new PubSubToBigQueryJob(scope, "job", {
    jobName: names(scope).name,
    project: CATALOGUE_PROJECT,
    region: "us-central1",
    subscription: source,
    outputTable: output,
    serviceAccountId: `${names(scope).name}-sa`.slice(0, 30),
    tempBucketName: `${CATALOGUE_PROJECT}-${names(scope).name}-tmp`,
    templateVersion: change.templateVersion ?? "2025-01-07-00_RC00",
    maxWorkers: change.maxWorkers ?? 2,
  });
}

const DATAFLOW_NOTE =
  "The provider updates a streaming job by launching the template again with `update: true` " +
  "(resourceDataflowJobUpdateByReplacement): Dataflow replaces the running job under the same name, keeping its " +
  "in-flight data, and the old job ends as JOB_STATE_UPDATED; the job id changes. An incompatible update fails on apply " +
  "and leaves the old job running. A batch job would be replaced.";

const computeCases: CatalogueCase[] = [
  {
    id: "dataflow-template",
    change: "change the Dataflow template version or its parameters",
    outcome: "update in place (the streaming job is updated)",
    attribute: "google_dataflow_job.template_gcs_path, parameters",
    source: SOURCE(DATAFLOW_GO, 467),
    note: DATAFLOW_NOTE,
    build: (scope, head) => dataflowJob(scope, head ? { templateVersion: "2025-06-03-00_RC00" } : {}),
    expected: [UPDATE("google_dataflow_job")],
  },
  {
    id: "dataflow-max-workers",
    change: "change the Dataflow job's maximum workers",
    outcome: "replace: the streaming job is drained, a new one starts (safe)",
    attribute: "google_dataflow_job.max_workers",
    source: SOURCE(DATAFLOW_GO, 161),
    note:
      '`max_workers` forces a new job for streaming jobs too. With the construct\'s `on_delete = "drain"` the old ' +
      "job stops reading and finishes what it holds, then the new job reads the same subscription: nothing is lost, " +
      "but nothing is written for the minutes the swap takes, and the new job's Dataflow state starts empty.",
    build: (scope, head) => dataflowJob(scope, head ? { maxWorkers: 4 } : {}),
    expected: [{ type: "google_dataflow_job", action: "replace", verdict: "safe", forcedBy: ["max_workers"] }],
  },
  {
    id: "worker-settings",
    change: "change the worker's image, CPU, memory or settings",
    outcome: "update in place (a new Cloud Run revision)",
    attribute: "google_cloud_run_v2_service.template",
    source: SOURCE("cloudrunv2/resource_cloud_run_v2_service.go", 74),
    note: "Cloud Run starts a new revision and moves traffic to it; the checkpoint bucket is untouched, so the new worker resumes where the old one stopped.",
    build: (scope, head) => {
      const sink = topic(scope);
      new SsePublisherService(scope, "worker", {
        project: CATALOGUE_PROJECT,
        region: "us-central1",
        topic: sink,
        image: `us-central1-docker.pkg.dev/${CATALOGUE_PROJECT}/fresh-streams/app-worker:${head ? "1.3.0" : "1.2.3"}`,
        serviceName: names(scope).name,
        serviceAccountId: "worker-settings-sa",
        repositoryId: "worker-settings-repo",
        checkpointBucketName: `${CATALOGUE_PROJECT}-worker-settings-checkpoint`,
        cpu: head ? 2 : 1,
        memory: head ? Size.mebibytes(1024) : Size.mebibytes(512),
        logLevel: head ? "debug" : "info",
      });
    },
    expected: [UPDATE("google_cloud_run_v2_service")],
  },
  {
    id: "worker-pool-settings",
    change: "change the worker's image, CPU, memory or settings (worker pool host)",
    outcome: "update in place (a new worker pool revision)",
    attribute: "google_cloud_run_v2_worker_pool.template",
    source: SOURCE("cloudrunv2/resource_cloud_run_v2_worker_pool.go", 74),
    note: "The worker pool rolls its one instance to the new revision; the checkpoint bucket is untouched, so the new worker resumes where the old one stopped.",
    build: (scope, head) => workerPool(scope, "worker-pool-settings", head),
    expected: [UPDATE("google_cloud_run_v2_worker_pool")],
  },
  {
    id: "worker-host-switch",
    change: "move the worker from a Cloud Run service to a worker pool (`worker.host`)",
    outcome: "the service is deleted, the worker pool created; the checkpoint bucket and identity stay",
    attribute: "the host resource's type (google_cloud_run_v2_service → google_cloud_run_v2_worker_pool)",
    source: SOURCE("cloudrunv2/resource_cloud_run_v2_worker_pool.go", 74),
    note: "The checkpoint bucket, service account, repository, metrics secret and grants keep their addresses (the same construct and name), so the pool resumes from the service's checkpoint; the secret gets a new version (its labels name the host). The service's deletion protection must be turned off first where it is on.",
    build: (scope, head) => {
      if (head) workerPool(scope, "worker-host-switch", false);
      // The same name on both hosts (as the stack does): the metrics config secret's id stays.
      else
        new SsePublisherService(scope, "worker", {
          ...workerProps(scope, "worker-host-switch", false),
          serviceName: names(scope).name,
        });
    },
    expected: [
      { type: "google_cloud_run_v2_service", action: "delete", verdict: "safe" },
      { type: "google_cloud_run_v2_worker_pool", action: "create", verdict: "safe" },
      // The metrics collector's config labels the series by host: a new version of the same secret.
      { type: "google_secret_manager_secret_version", action: "replace", verdict: "safe", forcedBy: ["secret_data"] },
      // Its description names the host.
      UPDATE("google_service_account"),
    ],
  },
];

/** The worker's props shared by the worker cases: `head` changes its image, CPU, memory and log level. */
function workerProps(scope: Construct, id: string, head: boolean): SsePublisherWorkerPoolProps {
  return {
    project: CATALOGUE_PROJECT,
    region: "us-central1",
    topic: topic(scope),
    image: `us-central1-docker.pkg.dev/${CATALOGUE_PROJECT}/fresh-streams/app-worker:${head ? "1.3.0" : "1.2.3"}`,
    serviceAccountId: `${id}-sa`.slice(0, 30),
    repositoryId: `${id}-repo`,
    checkpointBucketName: `${CATALOGUE_PROJECT}-${id}-checkpoint`,
    cpu: head ? 2 : 1,
    memory: head ? Size.mebibytes(1024) : Size.mebibytes(512),
    logLevel: head ? "debug" : "info",
    deletionProtection: false,
  };
}

function workerPool(scope: Construct, id: string, head: boolean): void {
  new SsePublisherWorkerPool(scope, "worker", { ...workerProps(scope, id, head), workerPoolName: names(scope).name });
}

function monitoring(scope: Construct, change: { threshold?: number; deadLetters?: boolean }): void {
  const events = topic(scope);
  const sub = events.addSubscription(`${names(scope).name}-sub`);
  new PipelineMonitoring(scope, "monitoring", {
    project: CATALOGUE_PROJECT,
    displayNamePrefix: names(scope).name,
    notificationEmails: ["oncall@example.com"],
    ingestionSubscriptions: [sub],
    deadLetterSubscriptions: change.deadLetters ? [events.deadLetterSubscription] : [],
    alerts: change.threshold ? { "pubsub-undelivered-messages": { threshold: change.threshold } } : {},
    dashboard: false,
  });
}

const monitoringCases: CatalogueCase[] = [
  {
    id: "alert-threshold",
    change: "change an alert's threshold",
    outcome: "update in place",
    attribute: "google_monitoring_alert_policy.conditions",
    source: SOURCE("monitoring/resource_monitoring_alert_policy.go", 72),
    build: (scope, head) => monitoring(scope, head ? { threshold: 50000 } : {}),
    expected: [UPDATE("google_monitoring_alert_policy")],
  },
  {
    id: "add-alert",
    change: "add an alert",
    outcome: "create",
    attribute: "google_monitoring_alert_policy",
    source: SOURCE("monitoring/resource_monitoring_alert_policy.go", 72),
    build: (scope, head) => monitoring(scope, { deadLetters: head }),
    expected: [{ type: "google_monitoring_alert_policy", action: "create", verdict: "safe" }],
  },
];

/** The path of `scope` below its stack, ids joined by "/". */
function pathBelowStack(scope: Construct): string {
  const scopes = scope.node.scopes;
  return scopes
    .slice(scopes.indexOf(TerraformStack.of(scope)) + 1)
    .map((s) => s.node.id)
    .join("/");
}

/** A dataset and a table under `parent`, named after the case (not after the construct path). */
function movablePiece(scope: Construct, head: boolean, keep: boolean): void {
  const parent = head ? new Construct(scope, "ingestion-layer") : scope;
  const piece = new Construct(parent, "piece");
  new StreamingTable(piece, "table", {
    dataset: new LayeredDataset(piece, "dataset", {
      datasetId: names(scope).dataset,
      layer: "raw",
      location: "US",
      project: CATALOGUE_PROJECT,
    }),
    tableId: "events",
    schema: new TableSchema(EVENT_COLUMNS, { name: "events" }),
    partitioning: Partitioning.column("event_time"),
    deletionProtection: false,
  });
  if (head && keep) movedFrom(piece, `${pathBelowStack(scope)}/piece`);
}

const MOVE_SOURCE = "https://developer.hashicorp.com/terraform/language/modules/develop/refactoring#moved-block-syntax";

const moveCases: CatalogueCase[] = [
  {
    id: "move-construct",
    change: "move a construct under another parent (no move declared)",
    outcome: "delete + create: refused",
    attribute: "the resource address (cdktf logical id from the construct path)",
    source: MOVE_SOURCE,
    note: "Way out: `movedFrom(construct, formerPath)` (constructs/core/moved-from.ts) or a resource's `moveFromId`.",
    build: (scope, head) => movablePiece(scope, head, false),
    expected: [
      { type: "google_bigquery_dataset", action: "delete", verdict: "refused" },
      { type: "google_bigquery_dataset", action: "create", verdict: "safe" },
      { type: "google_bigquery_table", action: "delete", verdict: "refused" },
      { type: "google_bigquery_table", action: "create", verdict: "safe" },
    ],
  },
  {
    id: "move-construct-declared",
    change: "move a construct under another parent, with `movedFrom`",
    outcome: "move (safe)",
    attribute: "`moved` blocks from cdktf's `moveFromId`",
    source: MOVE_SOURCE,
    note: "Each resource keeps its state at its new address; nothing is destroyed.",
    build: (scope, head) => movablePiece(scope, head, true),
    expected: [
      { type: "google_bigquery_dataset", action: "move", verdict: "safe" },
      { type: "google_bigquery_table", action: "move", verdict: "safe" },
    ],
  },
];

/** Every case, in the order of the docs' table. */
export const CATALOGUE: readonly CatalogueCase[] = [
  ...tableCases,
  ...cdcCases,
  ...datasetCases,
  ...pubsubCases,
  ...computeCases,
  ...monitoringCases,
  ...moveCases,
];
