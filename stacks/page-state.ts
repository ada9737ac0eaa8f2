import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { EnvironmentConfig } from "../config/schema";
import { CdcTable, StreamSubscription, StreamTopic } from "../constructs";
import { WIKI_PAGES_CDC_MESSAGE_FIELDS } from "../schemas/wiki-pages";

/** Props of {@link PageState}. */
export interface PageStateProps {
  /** The environment's validated settings (`projectId`, `projectNumber`, `region`, `cdc.*`, `ingestion.kmsKeyName`, CMEK). */
  readonly config: EnvironmentConfig;
  /** The CDC table the changes are applied to (`stack.warehouse.wikiPages`). */
  readonly table: CdcTable;
  /**
   * Labels of the topics and the subscription (the provider's default labels apply as well).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/** Resource names of the page-state layer: fixed, so the worker's CDC_TOPIC and the local demo can find them. */
export const PAGE_STATE_NAMES = {
  topic: "wiki-pages-cdc",
  deadLetterTopic: "wiki-pages-cdc-dead-letter",
  deadLetterSubscription: "wiki-pages-cdc-dead-letter-sub",
  subscription: "wiki-pages-cdc-bigquery",
} as const;

/**
 * The page-state layer: the `wiki-pages-cdc` topic the worker publishes page changes to (its
 * `CDC_TOPIC`), with a dead-letter topic, and a CDC BigQuery subscription applying them to
 * `raw.wiki_pages` by primary key, as its own service account with write on that table only.
 *
 * The subscription is used in every ingestion mode: the Dataflow "Pub/Sub Subscription to
 * BigQuery" classic template only appends rows, it does not apply `_CHANGE_TYPE`.
 */
export class PageState extends Construct {
  /** The CDC topic (the worker's `CDC_TOPIC`). */
  public readonly topic: StreamTopic;
  /** The CDC BigQuery subscription writing into {@link table}. */
  public readonly subscription: StreamSubscription;
  /** The table the changes are applied to. */
  public readonly table: CdcTable;

  constructor(scope: Construct, id: string, props: PageStateProps) {
    super(scope, id);
    const { config, table } = props;
    const labels = { ...(props.labels ?? {}), layer: "cdc" };
    this.table = table;
    this.topic = new StreamTopic(this, "wiki-pages-cdc", {
      topicName: PAGE_STATE_NAMES.topic,
      project: config.projectId,
      projectNumber: config.projectNumber,
      allowedPersistenceRegions: [config.region],
      kmsKeyName: config.ingestion.kmsKeyName ?? config.kmsKeyName,
      deadLetterTopicName: PAGE_STATE_NAMES.deadLetterTopic,
      deadLetterSubscriptionName: PAGE_STATE_NAMES.deadLetterSubscription,
      labels,
    });
    this.subscription = this.topic.addBigQuerySubscription(table, {
      subscriptionName: PAGE_STATE_NAMES.subscription,
      cdc: true,
      useTableSchema: true,
      messageFields: WIKI_PAGES_CDC_MESSAGE_FIELDS,
      maxDeliveryAttempts: config.cdc.maxDeliveryAttempts,
    });
    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    output("cdc_topic_name", this.topic.topicName, "Topic of the page-state changes (the worker's CDC_TOPIC)");
    output("cdc_subscription_name", this.subscription.subscriptionName, "CDC subscription applying them to wiki_pages");
  }
}
