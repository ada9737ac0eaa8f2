import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { EnvironmentConfig } from "../config/schema";
import { Duration } from "../constructs/core/duration";
import { ITable } from "../constructs/core/references";
import { PubSubToBigQueryJob } from "../constructs/dataflow/pubsub-to-bigquery-job";
import { StreamSubscription } from "../constructs/pubsub/stream-subscription";
import { StreamTopic } from "../constructs/pubsub/stream-topic";

/** Props of {@link Ingestion}. */
export interface IngestionProps {
  /** The environment's validated settings (`projectId`, `projectNumber`, `region`, `ingestion.*`, CMEK, production). */
  readonly config: EnvironmentConfig;
  /** The raw table events land in (`stack.warehouse.wikiChanges`). */
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

/**
 * The ingestion layer: the `wiki-changes` topic (with its dead-letter topic and dead-letter
 * subscription) and the path from it into the raw `wiki_changes` table:
 *
 * - `ingestion.mode = "dataflow"`: the pull subscription `wiki-changes-dataflow` read by the Dataflow
 *   job `wiki-changes-to-bigquery` (Google's "Pub/Sub Subscription to BigQuery" template), which
 *   writes rows it cannot insert to `wiki_changes_errors`: that table is the dead-letter path, the
 *   subscription has no dead-letter or retry policy (`ingestion.maxDeliveryAttempts` is not used);
 * - `ingestion.mode = "bigquery-subscription"`: the BigQuery subscription `wiki-changes-bigquery`
 *   writing straight into the table with the table's schema (no Dataflow; the local environment).
 *
 * Publishers get access with `ingestion.topic.grantPublish(publisher)`.
 */
export class Ingestion extends Construct {
  /** The `wiki-changes` topic. */
  public readonly topic: StreamTopic;
  /** Name of the topic. */
  public readonly topicName: string;
  /** Name of the dead-letter topic. */
  public readonly deadLetterTopicName: string;
  /** Name of the subscription keeping dead letters. */
  public readonly deadLetterSubscriptionName: string;
  /** The subscription moving events into BigQuery (read by Dataflow, or a BigQuery subscription). */
  public readonly subscription: StreamSubscription;
  /** Name of {@link subscription}. */
  public readonly subscriptionName: string;
  /** How events reach BigQuery. */
  public readonly mode: EnvironmentConfig["ingestion"]["mode"];
  /** The Dataflow job (mode `dataflow` only). */
  public readonly dataflowJob?: PubSubToBigQueryJob;
  /** The table events land in. */
  public readonly table: ITable;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const { config, table } = props;
    const settings = config.ingestion;
    const labels = { ...(props.labels ?? {}), layer: "ingestion" };
    this.mode = settings.mode;
    this.table = table;
    // Regional resources need a key in their region (the warehouse's key may be multi-regional).
    const kmsKeyName = settings.kmsKeyName ?? config.kmsKeyName;
    // Unset: the constructs' default (7 days).
    const messageRetentionDuration =
      settings.messageRetentionDuration === undefined
        ? undefined
        : durationFromSeconds(settings.messageRetentionDuration);
    if (settings.topicSchema && table.schema === undefined) {
      throw new Error(
        `${this.node.path}: ingestion.topicSchema is true but table ${table.fqn} has no known schema to generate the topic's schema from`,
      );
    }

    this.topic = new StreamTopic(this, "wiki-changes", {
      topicName: INGESTION_NAMES.topic,
      project: config.projectId,
      projectNumber: config.projectNumber,
      messageRetentionDuration,
      allowedPersistenceRegions: [config.region],
      kmsKeyName,
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
      this.dataflowJob = new PubSubToBigQueryJob(this, "dataflow", {
        jobName: INGESTION_NAMES.dataflowJob,
        project: config.projectId,
        region: config.region,
        subscription: this.subscription,
        outputTable: table,
        machineType: settings.dataflow.machineType,
        maxWorkers: settings.dataflow.maxWorkers,
        enableStreamingEngine: settings.dataflow.enableStreamingEngine,
        templateVersion: settings.dataflow.templateVersion,
        network: settings.dataflow.network,
        subnetwork: settings.dataflow.subnetwork,
        ipConfiguration: settings.dataflow.ipConfiguration,
        forceDestroyBucket: !config.production,
        deletionProtection: config.deletionProtection,
        kmsKeyName,
        labels,
      });
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

    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    output("ingestion_topic_name", this.topicName, "Topic the worker publishes to");
    output("ingestion_dead_letter_topic_name", this.deadLetterTopicName, "Dead-letter topic of the ingestion topic");
    output("ingestion_subscription_name", this.subscriptionName, "Subscription moving events into the raw table");
  }
}

/** The config's Pub/Sub duration form (`"604800s"`, checked by the config schema) as a {@link Duration}. */
function durationFromSeconds(value: string): Duration {
  return Duration.seconds(Number(value.slice(0, -1)));
}
