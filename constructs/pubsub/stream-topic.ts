import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { PubsubSchema } from "@cdktf/provider-google/lib/pubsub-schema";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { TableSchema } from "../../schemas/table-schema";
import { Duration } from "../core/duration";
import { Principal } from "../core/principal";
import { ITable, ITopic } from "../core/references";
import { validateKeyLocation } from "../core/key-location";
import {
  childPath,
  fail,
  refuseToken,
  requireProps,
  validateLabels,
  validateProjectNumber,
  validateRegion,
} from "../core/validation";
import { avroDefinitionFromTableSchema } from "./avro-schema";
import { pubsubServiceAgentEmail } from "./iam-members";
import { DEFAULT_MESSAGE_RETENTION, validateMessageRetention, validatePubsubName } from "./pubsub-common";
import { BigQuerySubscriptionOptions, StreamSubscription, SubscriptionOptions } from "./stream-subscription";
import { TopicBase } from "./topic-base";
import { TopicReference } from "./topic-reference";
import { checkPhysicalNames } from "../core/physical-names";

/** Props of {@link StreamTopic}. */
export interface StreamTopicProps {
  /** Name of the topic: 3-255 characters, starting with a letter, not starting with "goog". */
  readonly topicName: string;
  /** Project of the topic and its subscriptions. */
  readonly project: string;
  /**
   * The project's number: the Pub/Sub service agent `service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com`
   * gets the two grants dead-lettering needs.
   */
  readonly projectNumber: string;
  /**
   * How long the topic keeps published messages (so subscriptions can seek back), 10 minutes to 31 days.
   * @default Duration.days(7)
   */
  readonly messageRetentionDuration?: Duration;
  /**
   * Regions where Pub/Sub may persist messages of the topic and of its dead-letter topic.
   * @default - no restriction (the organization policy applies)
   */
  readonly allowedPersistenceRegions?: string[];
  /**
   * Customer-managed key encrypting the topic and its dead-letter topic
   * (`projects/P/locations/L/keyRings/R/cryptoKeys/K`). The Pub/Sub service agent needs
   * `roles/cloudkms.cryptoKeyEncrypterDecrypter` on it, granted by whoever owns the key.
   * @default - Google-managed encryption
   */
  readonly kmsKeyName?: string;
  /**
   * When set, a Pub/Sub schema (AVRO, JSON encoding) is generated from this table schema and attached
   * to the topic, so messages that do not fit the table are rejected at publish time.
   * Publishers must send Avro JSON: every field present, nullable values wrapped as `{"string": "x"}`,
   * TIMESTAMP in microseconds; `encodeAvroJson(schema, row)` turns a plain row into that.
   * @default - no schema: any message is accepted
   */
  readonly schema?: TableSchema;
  /**
   * Name of the generated Pub/Sub schema.
   * @default `${topicName}-schema`
   */
  readonly schemaName?: string;
  /**
   * Name of the dead-letter topic.
   * @default `${topicName}-dead-letter`
   */
  readonly deadLetterTopicName?: string;
  /**
   * Name of the subscription on the dead-letter topic that keeps dead letters for inspection and replay.
   * @default `${deadLetterTopicName}-sub`
   */
  readonly deadLetterSubscriptionName?: string;
  /**
   * How long the dead-letter subscription keeps undelivered dead letters, 10 minutes to 31 days.
   * @default Duration.days(7)
   */
  readonly deadLetterRetentionDuration?: Duration;
  /**
   * Labels of the topics and subscriptions (the provider's default labels are added to these).
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/** Why `addSubscription` needs a literal name. */
const SUBSCRIPTION_NAME_ID =
  "it also names the subscription's construct (a token's text would change its Terraform address); pass a literal name, or create a StreamSubscription with an id of your own";

/** Attributes of an existing topic, for {@link StreamTopic.fromTopicAttributes}. */
export interface TopicAttributes {
  /** Project of the topic. */
  readonly project: string;
  /** Short name of the topic, e.g. `wiki-changes`. */
  readonly topicName: string;
  /**
   * The table schema the topic's Pub/Sub schema was generated from (BigQuery subscriptions then
   * map the topic's fields by default).
   * @default - no schema
   */
  readonly schema?: TableSchema;
}

/**
 * A Pub/Sub topic for a stream of events, with its own dead-letter topic and a subscription
 * keeping the dead letters.
 *
 * Subscriptions made with {@link addSubscription} and {@link addBigQuerySubscription} retry with
 * exponential backoff, never expire, and dead-letter a message after `maxDeliveryAttempts`; the
 * Pub/Sub service agent gets exactly the two grants that needs: publisher on the dead-letter
 * topic and subscriber on each dead-lettering subscription. A subscription declared `forDataflow`
 * has neither retries nor dead-lettering (Dataflow supports neither; its job's error table is the
 * dead-letter path).
 *
 * @example
 * const topic = new StreamTopic(this, "changes", { topicName: "wiki-changes", project, projectNumber });
 * topic.grantPublish(worker);
 * const sub = topic.addSubscription("wiki-changes-dataflow", { forDataflow: true });
 */
export class StreamTopic extends TopicBase {
  /**
   * An existing topic, e.g. to publish to or subscribe to from this stack. Grants on it create
   * bindings (with the literal topic name) under the returned construct.
   */
  public static fromTopicAttributes(scope: Construct, id: string, attrs: TopicAttributes): ITopic {
    validatePubsubName(childPath(scope, id), "topic name", attrs.topicName);
    return new TopicReference(scope, id, {
      project: attrs.project,
      topicName: attrs.topicName,
      topicId: `projects/${attrs.project}/topics/${attrs.topicName}`,
      schema: attrs.schema,
    });
  }

  /**
   * A plain `google_pubsub_topic` created elsewhere in this stack, as an {@link ITopic}: constructs
   * that name it are created after it, and grants on it create bindings (naming the topic by
   * reference) under the returned construct.
   */
  public static fromTopicResource(scope: Construct, id: string, resource: PubsubTopic): ITopic {
    return new TopicReference(scope, id, {
      project: resource.project,
      topicName: resource.name,
      topicId: resource.id,
      topicNameRef: resource.name,
      resource,
    });
  }

  /** The topic resource. */
  public readonly resource: PubsubTopic;
  /** The topic resource: dependants listing it are created after the topic. */
  public readonly dependables: readonly ITerraformDependable[];
  /** Name of the topic, e.g. `wiki-changes`. */
  public readonly topicName: string;
  /** Full id of the topic: `projects/<project>/topics/<name>` (a Terraform reference). */
  public readonly topicId: string;
  /** Project of the topic. */
  public readonly project: string;
  /** Project number (for service-agent identities). */
  public readonly projectNumber: string;
  /** Email of the Pub/Sub service agent of the project. */
  public readonly serviceAgentEmail: string;
  /** The dead-letter topic (grants on it bind to the dead-letter topic resource). */
  public readonly deadLetterTopic: ITopic;
  /** The dead-letter topic resource. */
  public readonly deadLetterTopicResource: PubsubTopic;
  /** Name of the dead-letter topic. */
  public readonly deadLetterTopicName: string;
  /** Full id of the dead-letter topic: `projects/<project>/topics/<name>`. */
  public readonly deadLetterTopicId: string;
  /** The subscription keeping dead letters. */
  public readonly deadLetterSubscription: StreamSubscription;
  /** The generated Pub/Sub schema, when `schema` was given. */
  public readonly schemaResource?: PubsubSchema;
  /** Name of the generated Pub/Sub schema, when `schema` was given. */
  public readonly schemaName?: string;
  /** The table schema the topic's Pub/Sub schema was generated from, if any. */
  public readonly schema?: TableSchema;
  /** Labels given to the topic and its subscriptions. */
  public readonly labels: Record<string, string>;

  private readonly subscriptions = new Map<string, StreamSubscription>();

  constructor(scope: Construct, id: string, props: StreamTopicProps) {
    super(scope, id);
    requireProps(this.node.path, "StreamTopic", props, ["project", "projectNumber", "topicName"]);
    checkPhysicalNames(this);
    const path = this.node.path;
    validatePubsubName(path, "topic name", props.topicName);
    validateProjectNumber(path, props.projectNumber);
    const retention = validateMessageRetention(
      path,
      "messageRetentionDuration",
      props.messageRetentionDuration ?? DEFAULT_MESSAGE_RETENTION,
    );
    const deadLetterRetention = validateMessageRetention(
      path,
      "deadLetterRetentionDuration",
      props.deadLetterRetentionDuration ?? DEFAULT_MESSAGE_RETENTION,
    );
    if (props.allowedPersistenceRegions !== undefined) {
      if (props.allowedPersistenceRegions.length === 0) {
        fail(path, "allowedPersistenceRegions is empty; list at least one region or leave it unset for no restriction");
      }
      for (const region of props.allowedPersistenceRegions) {
        validateRegion(path, region, "allowed persistence region");
      }
    }
    validateKeyLocation(path, "pubsub", props.kmsKeyName, props.allowedPersistenceRegions);
    this.labels = { ...(props.labels ?? {}) };
    validateLabels(path, this.labels);

    this.topicName = props.topicName;
    this.project = props.project;
    this.projectNumber = props.projectNumber;
    this.serviceAgentEmail = pubsubServiceAgentEmail(props.projectNumber);
    this.deadLetterTopicName = props.deadLetterTopicName ?? `${props.topicName}-dead-letter`;
    validatePubsubName(path, "dead-letter topic name", this.deadLetterTopicName);

    const storagePolicy = props.allowedPersistenceRegions
      ? { allowedPersistenceRegions: [...props.allowedPersistenceRegions] }
      : undefined;

    if (props.schema) {
      this.schema = props.schema;
      this.schemaName = props.schemaName ?? `${props.topicName}-schema`;
      validatePubsubName(path, "schema name", this.schemaName);
      this.schemaResource = new PubsubSchema(this, "schema", {
        name: this.schemaName,
        project: props.project,
        type: "AVRO",
        definition: avroDefinitionFromTableSchema(props.schema),
      });
    }

    this.resource = new PubsubTopic(this, "topic", {
      name: props.topicName,
      project: props.project,
      labels: this.labels,
      messageRetentionDuration: retention.toPubsubString(),
      messageStoragePolicy: storagePolicy,
      kmsKeyName: props.kmsKeyName,
      schemaSettings: this.schemaResource ? { schema: this.schemaResource.id, encoding: "JSON" } : undefined,
    });
    this.topicId = this.resource.id;
    this.dependables = [this.resource];

    // Dead letters are by definition messages that did not fit: the dead-letter topic has no schema.
    this.deadLetterTopicResource = new PubsubTopic(this, "dead-letter-topic", {
      name: this.deadLetterTopicName,
      project: props.project,
      labels: this.labels,
      messageRetentionDuration: retention.toPubsubString(),
      messageStoragePolicy: storagePolicy,
      kmsKeyName: props.kmsKeyName,
    });
    this.deadLetterTopicId = this.deadLetterTopicResource.id;
    this.deadLetterTopic = new TopicReference(this, "dead-letter", {
      project: props.project,
      topicName: this.deadLetterTopicName,
      topicId: this.deadLetterTopicResource.id,
      topicNameRef: this.deadLetterTopicResource.name,
      resource: this.deadLetterTopicResource,
    });

    // Grant 1 of 2: the service agent forwards undeliverable messages to the dead-letter topic
    // (each dead-lettering subscription asks for it again and gets this binding).
    this.deadLetterTopic.grantPublish(Principal.serviceAccount(this.serviceAgentEmail));

    this.deadLetterSubscription = new StreamSubscription(this, "dead-letter-subscription", {
      topic: this.deadLetterTopic,
      subscriptionName: props.deadLetterSubscriptionName ?? `${this.deadLetterTopicName}-sub`,
      messageRetentionDuration: deadLetterRetention,
      labels: this.labels,
    });
  }

  /**
   * Adds a pull subscription on this topic: exponential-backoff retries, no expiration, and
   * (unless `deadLetter` is false) a dead-letter policy forwarding to this topic's dead-letter topic.
   * With `forDataflow: true`, neither retries nor dead-lettering: a Dataflow job reads it.
   * @param subscriptionName name of the subscription (unique in the project)
   */
  public addSubscription(subscriptionName: string, options: SubscriptionOptions = {}): StreamSubscription {
    refuseToken(this.node.path, "subscriptionName", subscriptionName, SUBSCRIPTION_NAME_ID);
    return this.register(
      new StreamSubscription(this, `subscription-${subscriptionName}`, {
        ...options,
        ...this.subscriptionDefaults(options),
        topic: this,
        subscriptionName,
      }),
    );
  }

  /**
   * Adds a BigQuery subscription writing this topic's messages straight into `table` (which needs a
   * known schema), as a dedicated service account that gets write access on the table's dataset.
   *
   * Unless told otherwise, the table's schema maps message fields to columns (`use_table_schema`),
   * or the topic's schema when the topic has one (`use_topic_schema`); setting both is an error.
   */
  public addBigQuerySubscription(table: ITable, options: BigQuerySubscriptionOptions = {}): StreamSubscription {
    const subscriptionName =
      options.subscriptionName ?? `${this.topicName}-bq-${Token.isUnresolved(table.tableId) ? "table" : table.tableId}`;
    refuseToken(this.node.path, "subscriptionName", subscriptionName, SUBSCRIPTION_NAME_ID);
    return this.register(
      new StreamSubscription(this, `bigquery-subscription-${subscriptionName}`, {
        ...options,
        ...this.subscriptionDefaults(options),
        topic: this,
        subscriptionName,
        bigquery: { ...options, table },
      }),
    );
  }

  /** The subscriptions added so far, by name. */
  public get subscriptionsByName(): ReadonlyMap<string, StreamSubscription> {
    return this.subscriptions;
  }

  /** What this topic's subscriptions share: its labels, and its dead-letter topic unless `deadLetter` is false. */
  private subscriptionDefaults(options: {
    deadLetter?: boolean;
    forDataflow?: boolean;
    labels?: Record<string, string>;
  }) {
    return {
      labels: { ...this.labels, ...(options.labels ?? {}) },
      // A Dataflow-fed subscription dead-letters nothing (its job's error table does), unless asked (and then refused).
      deadLetterTopic: (options.deadLetter ?? !options.forDataflow) ? this.deadLetterTopic : undefined,
      projectNumber: this.projectNumber,
    };
  }

  /** Bindings name the topic through a reference to its resource: they are created after it. */
  protected get topicNameRef(): string {
    return this.resource.name;
  }

  private register(subscription: StreamSubscription): StreamSubscription {
    this.subscriptions.set(subscription.subscriptionName, subscription);
    return subscription;
  }
}
