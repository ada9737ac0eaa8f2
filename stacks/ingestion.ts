import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { EnvironmentConfig } from "../config/schema";
import {
  Duration,
  ITable,
  Partitioning,
  PubSubToBigQueryJob,
  StreamingTable,
  StreamSubscription,
  StreamTopic,
} from "../constructs";
import { errorTableIdFor, INGESTION_ERRORS_SCHEMA } from "../schemas/ingestion-errors";

/** Props of {@link Ingestion}. */
export interface IngestionProps {
  /** The environment's validated settings (`projectId`, `projectNumber`, `region`, `ingestion.*`, CMEK, production). */
  readonly config: EnvironmentConfig;
  /** The raw table events land in (`stack.warehouse.wikiChanges`); in mode `direct` the error table is created in its dataset. */
  readonly table: ITable;
  /**
   * Labels of the topics, subscriptions, job and bucket (the provider's default labels apply as well).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/** Resource names of the ingestion layer: fixed, so scripts and the local demo can find them. */
export const INGESTION_NAMES = {
  topic: "wiki-changes",
  deadLetterTopic: "wiki-changes-dead-letter",
  deadLetterSubscription: "wiki-changes-dead-letter-sub",
  dataflowSubscription: "wiki-changes-dataflow",
  bigQuerySubscription: "wiki-changes-bigquery",
  dataflowJob: "wiki-changes-to-bigquery",
  schema: "wiki-changes-schema",
} as const;

/** The BigQuery API the worker writes the raw table with in mode `direct` (its `SINK`). */
export type DirectIngestionApi = EnvironmentConfig["ingestion"]["direct"]["api"];

/**
 * The ingestion layer: the path of events into the raw `wiki_changes` table.
 *
 * - `ingestion.mode = "dataflow"`: the `wiki-changes` topic (with its dead-letter topic and dead-letter
 *   subscription), the pull subscription `wiki-changes-dataflow` read by the Dataflow job
 *   `wiki-changes-to-bigquery` (Google's "Pub/Sub Subscription to BigQuery" template), which writes
 *   rows it cannot insert to `wiki_changes_errors`: that table is the dead-letter path, the
 *   subscription has no dead-letter or retry policy (`ingestion.maxDeliveryAttempts` is not used);
 * - `ingestion.mode = "bigquery-subscription"`: the topic and its dead-letter pair, and the BigQuery
 *   subscription `wiki-changes-bigquery` writing straight into the table with the table's schema (no
 *   Dataflow; the local environment);
 * - `ingestion.mode = "direct"`: no topic, subscription or job: the worker writes the raw table
 *   itself with `ingestion.direct.api` (Storage Write API default stream or `insertAll`), and rows
 *   BigQuery refuses for good to the error table `wiki_changes_errors` this layer creates beside it
 *   (the Dataflow template's dead-letter shape, so both paths fill one kind of table).
 *
 * The Pub/Sub attributes ({@link topic}, {@link subscription} and their names) are undefined in mode
 * `direct`: publishers get access with `ingestion.topic?.grantPublish(publisher)`, the worker of a
 * direct environment with the tables' grants (see `SsePublisherService`).
 */
export class Ingestion extends Construct {
  /** The `wiki-changes` topic; undefined in mode `direct`. */
  public readonly topic?: StreamTopic;
  /** Name of the topic; undefined in mode `direct`. */
  public readonly topicName?: string;
  /** Name of the dead-letter topic; undefined in mode `direct`. */
  public readonly deadLetterTopicName?: string;
  /** Name of the subscription keeping dead letters; undefined in mode `direct`. */
  public readonly deadLetterSubscriptionName?: string;
  /** The subscription moving events into BigQuery (read by Dataflow, or a BigQuery subscription); undefined in mode `direct`. */
  public readonly subscription?: StreamSubscription;
  /** Name of {@link subscription}; undefined in mode `direct`. */
  public readonly subscriptionName?: string;
  /** How events reach BigQuery. */
  public readonly mode: EnvironmentConfig["ingestion"]["mode"];
  /** The API the worker writes the raw table with (mode `direct` only). */
  public readonly directApi?: DirectIngestionApi;
  /** The Dataflow job (mode `dataflow` only). */
  public readonly dataflowJob?: PubSubToBigQueryJob;
  /**
   * The raw error table `wiki_changes_errors`, where the writer of the raw table puts rows BigQuery
   * refused: created here in mode `direct` (the worker writes it); in mode `dataflow` the job creates
   * it (`dataflowJob.errorTable`) and this is undefined, as in mode `bigquery-subscription` (dead letters
   * stay in Pub/Sub).
   */
  public readonly errorTable?: StreamingTable;
  /** The table events land in. */
  public readonly table: ITable;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const { config, table } = props;
    const settings = config.ingestion;
    const labels = { ...(props.labels ?? {}), layer: "ingestion" };
    this.mode = settings.mode;
    this.table = table;
    this.checkTopicSchema(settings, table);
    if (settings.mode === "direct") {
      this.directApi = settings.direct.api;
      this.errorTable = this.createErrorTable(config, table, labels);
      this.output("ingestion_error_table", this.errorTable.fqn, ERROR_TABLE_DESCRIPTION);
      return;
    }

    // Unset: the constructs' default (7 days).
    const messageRetentionDuration =
      settings.messageRetentionDuration === undefined
        ? undefined
        : durationFromSeconds(settings.messageRetentionDuration);
    this.topic = new StreamTopic(this, "wiki-changes", {
      topicName: INGESTION_NAMES.topic,
      project: config.projectId,
      projectNumber: config.projectNumber,
      messageRetentionDuration,
      allowedPersistenceRegions: [config.region],
      kmsKeyName: regionalKey(config),
      schema: settings.topicSchema ? table.schema : undefined,
      schemaName: INGESTION_NAMES.schema,
      deadLetterTopicName: INGESTION_NAMES.deadLetterTopic,
      deadLetterSubscriptionName: INGESTION_NAMES.deadLetterSubscription,
      labels,
    });
    this.topicName = this.topic.topicName;
    this.deadLetterTopicName = this.topic.deadLetterTopicName;
    this.deadLetterSubscriptionName = this.topic.deadLetterSubscription.subscriptionName;

    if (settings.mode === "dataflow") {
      // Read by Dataflow: no dead-letter or retry policy (unsupported with Dataflow); rows the job
      // cannot write go to its error table instead.
      this.subscription = this.topic.addSubscription(INGESTION_NAMES.dataflowSubscription, {
        forDataflow: true,
        messageRetentionDuration,
      });
      this.dataflowJob = this.createDataflowJob(config, this.subscription, table, labels);
      // The job creates the error table (the same shape as mode direct's); literal ids, like the job's parameter.
      const errorTable = `${table.project}.${table.datasetId}.${this.dataflowJob.errorTableId}`;
      this.output("ingestion_error_table", errorTable, ERROR_TABLE_DESCRIPTION);
    } else {
      this.subscription = this.topic.addBigQuerySubscription(table, {
        subscriptionName: INGESTION_NAMES.bigQuerySubscription,
        maxDeliveryAttempts: settings.maxDeliveryAttempts,
        messageRetentionDuration,
        // Fields the table does not know (the worker may add some) must not block the stream.
        dropUnknownFields: true,
      });
    }
    this.subscriptionName = this.subscription.subscriptionName;
    this.output("ingestion_topic_name", this.topicName, "Topic the worker publishes to");
    this.output(
      "ingestion_dead_letter_topic_name",
      this.deadLetterTopicName,
      "Dead-letter topic of the ingestion topic",
    );
    this.output("ingestion_subscription_name", this.subscriptionName, "Subscription moving events into the raw table");
  }

  /** A topic schema needs the table's schema, and a topic (none in mode `direct`). */
  private checkTopicSchema(settings: EnvironmentConfig["ingestion"], table: ITable): void {
    if (settings.topicSchema && table.schema === undefined) {
      throw new Error(
        `${this.node.path}: ingestion.topicSchema is true but table ${table.fqn} has no known schema to generate the topic's schema from`,
      );
    }
    // The config schema refuses this too; a config built in code must not lose it silently.
    if (settings.mode === "direct" && settings.topicSchema) {
      throw new Error(
        `${this.node.path}: ingestion.topicSchema is true but ingestion.mode is "direct": there is no ingestion topic to attach a schema to; set topicSchema to false`,
      );
    }
  }

  /**
   * Mode `direct`: the error table the worker's BigQuery sink writes, partitioned by the failure time
   * like the Dataflow template's error table (the streaming-table policy FS-STREAM-1 asks every
   * streamed table to be).
   */
  private createErrorTable(config: EnvironmentConfig, table: ITable, labels: Record<string, string>): StreamingTable {
    return new StreamingTable(this, "wiki_changes_errors", {
      dataset: table.dataset,
      tableId: errorTableIdFor(table.tableId),
      schema: INGESTION_ERRORS_SCHEMA,
      partitioning: Partitioning.column("timestamp", "DAY"),
      deletionProtection: config.deletionProtection,
      labels,
      description: `Events the worker could not write to ${table.tableId}: BigQuery refused them for good (the Dataflow template's dead-letter shape)`,
    });
  }

  /** Mode `dataflow`: the template job reading the subscription into the raw table. */
  private createDataflowJob(
    config: EnvironmentConfig,
    subscription: StreamSubscription,
    table: ITable,
    labels: Record<string, string>,
  ): PubSubToBigQueryJob {
    const dataflow = config.ingestion.dataflow;
    return new PubSubToBigQueryJob(this, "dataflow", {
      jobName: INGESTION_NAMES.dataflowJob,
      project: config.projectId,
      region: config.region,
      subscription,
      outputTable: table,
      machineType: dataflow.machineType,
      maxWorkers: dataflow.maxWorkers,
      enableStreamingEngine: dataflow.enableStreamingEngine,
      templateVersion: dataflow.templateVersion,
      network: dataflow.network,
      subnetwork: dataflow.subnetwork,
      ipConfiguration: dataflow.ipConfiguration,
      forceDestroyBucket: !config.production,
      deletionProtection: config.deletionProtection,
      kmsKeyName: regionalKey(config),
      labels,
    });
  }

  private output(name: string, value: string, description: string): void {
    new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
  }
}

const ERROR_TABLE_DESCRIPTION =
  "Table of the events that could not be written to the raw table (project.dataset.table)";

/** Regional resources need a key in their region (the warehouse's key may be multi-regional). */
function regionalKey(config: EnvironmentConfig): string | undefined {
  return config.ingestion.kmsKeyName ?? config.kmsKeyName;
}

/** The config's Pub/Sub duration form (`"604800s"`, checked by the config schema) as a {@link Duration}. */
function durationFromSeconds(value: string): Duration {
  return Duration.seconds(Number(value.slice(0, -1)));
}
