import { Construct } from "constructs";
import { Token } from "cdktf";
import { PubsubSchema } from "@cdktf/provider-google/lib/pubsub-schema";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { TableSchema } from "../bigquery/table-schema";
import { avroDefinitionFromTableSchema } from "./avro-schema";
import { BigQueryTableTarget, memberIdFragment, pubsubServiceAgentEmail, validateMember } from "./iam-members";
import {
  BigQuerySubscriptionOptions,
  StreamSubscription,
  SubscriptionOptions,
  validateDuration,
  validateResourceName,
} from "./stream-subscription";

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
   * How long the topic keeps published messages (so subscriptions can seek back), 600s to 2678400s (31 days).
   * @default "604800s" (7 days)
   */
  readonly messageRetentionDuration?: string;
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
   * @default `${topicName}-dead-letter-sub`
   */
  readonly deadLetterSubscriptionName?: string;
  /**
   * How long the dead-letter subscription keeps undelivered dead letters, 600s to 2678400s (31 days).
   * @default "604800s" (7 days)
   */
  readonly deadLetterRetentionDuration?: string;
  /**
   * Labels of the topics and subscriptions (the provider's default labels are added to these).
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

const PROJECT_NUMBER = /^[1-9][0-9]{5,18}$/;
const REGION = /^[a-z]+(-[a-z]+)+[0-9]+$/;
const KMS_KEY = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

/** Pub/Sub allows message retention from 10 minutes to 31 days. */
export const MIN_RETENTION_SECONDS = 600;
export const MAX_RETENTION_SECONDS = 31 * 24 * 3600;

/**
 * A Pub/Sub topic for a stream of events, with its own dead-letter topic and a subscription
 * keeping the dead letters.
 *
 * Subscriptions made with {@link addSubscription} and {@link addBigQuerySubscription} retry with
 * exponential backoff, never expire, and dead-letter a message after `maxDeliveryAttempts`; the
 * Pub/Sub service agent gets exactly the two grants that needs: publisher on the dead-letter
 * topic and subscriber on each dead-lettering subscription.
 *
 * @example
 * const topic = new StreamTopic(this, "changes", { topicName: "wiki-changes", project, projectNumber });
 * topic.grantPublish(worker.member);
 * const sub = topic.addSubscription("wiki-changes-dataflow", { maxDeliveryAttempts: 10 });
 */
export class StreamTopic extends Construct {
  /** The topic resource. */
  public readonly resource: PubsubTopic;
  /** Name of the topic, e.g. `wiki-changes`. */
  public readonly topicName: string;
  /** Full id of the topic: `projects/<project>/topics/<name>`. */
  public readonly topicId: string;
  /** Project of the topic. */
  public readonly project: string;
  /** Project number (for service-agent identities). */
  public readonly projectNumber: string;
  /** Email of the Pub/Sub service agent of the project. */
  public readonly serviceAgentEmail: string;
  /** The dead-letter topic resource. */
  public readonly deadLetterTopic: PubsubTopic;
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
  public readonly tableSchema?: TableSchema;
  /** Labels given to the topic and its subscriptions. */
  public readonly labels: Record<string, string>;

  private readonly grants = new Map<string, PubsubTopicIamMember>();
  private readonly subscriptions = new Map<string, StreamSubscription>();

  constructor(scope: Construct, id: string, props: StreamTopicProps) {
    super(scope, id);
    const path = this.node.path;
    validateResourceName(path, "topic name", props.topicName);
    if (!Token.isUnresolved(props.projectNumber) && !PROJECT_NUMBER.test(props.projectNumber)) {
      throw new Error(
        `${path}: project number "${props.projectNumber}" is not a project number; expected digits only, e.g. "123456789012"`,
      );
    }
    const retention = props.messageRetentionDuration ?? "604800s";
    validateDuration(path, "messageRetentionDuration", retention, MIN_RETENTION_SECONDS, MAX_RETENTION_SECONDS);
    const deadLetterRetention = props.deadLetterRetentionDuration ?? "604800s";
    validateDuration(
      path,
      "deadLetterRetentionDuration",
      deadLetterRetention,
      MIN_RETENTION_SECONDS,
      MAX_RETENTION_SECONDS,
    );
    if (props.allowedPersistenceRegions !== undefined) {
      if (props.allowedPersistenceRegions.length === 0) {
        throw new Error(
          `${path}: allowedPersistenceRegions is empty; list at least one region or leave it unset for no restriction`,
        );
      }
      for (const region of props.allowedPersistenceRegions) {
        if (!Token.isUnresolved(region) && !REGION.test(region)) {
          throw new Error(`${path}: allowed persistence region "${region}" is not a region name such as europe-west1`);
        }
      }
    }
    if (props.kmsKeyName !== undefined && !Token.isUnresolved(props.kmsKeyName) && !KMS_KEY.test(props.kmsKeyName)) {
      throw new Error(
        `${path}: kmsKeyName "${props.kmsKeyName}" must be projects/P/locations/L/keyRings/R/cryptoKeys/K`,
      );
    }

    this.topicName = props.topicName;
    this.project = props.project;
    this.projectNumber = props.projectNumber;
    this.serviceAgentEmail = pubsubServiceAgentEmail(props.projectNumber);
    this.labels = { ...(props.labels ?? {}) };
    this.deadLetterTopicName = props.deadLetterTopicName ?? `${props.topicName}-dead-letter`;
    validateResourceName(path, "dead-letter topic name", this.deadLetterTopicName);

    const storagePolicy = props.allowedPersistenceRegions
      ? { allowedPersistenceRegions: [...props.allowedPersistenceRegions] }
      : undefined;

    if (props.schema) {
      this.tableSchema = props.schema;
      this.schemaName = props.schemaName ?? `${props.topicName}-schema`;
      validateResourceName(path, "schema name", this.schemaName);
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
      messageRetentionDuration: retention,
      messageStoragePolicy: storagePolicy,
      kmsKeyName: props.kmsKeyName,
      schemaSettings: this.schemaResource ? { schema: this.schemaResource.id, encoding: "JSON" } : undefined,
    });
    this.topicId = this.resource.id;

    // Dead letters are by definition messages that did not fit: the dead-letter topic has no schema.
    this.deadLetterTopic = new PubsubTopic(this, "dead-letter-topic", {
      name: this.deadLetterTopicName,
      project: props.project,
      labels: this.labels,
      messageRetentionDuration: retention,
      messageStoragePolicy: storagePolicy,
      kmsKeyName: props.kmsKeyName,
    });
    this.deadLetterTopicId = this.deadLetterTopic.id;

    // Grant 1 of 2: the service agent forwards undeliverable messages to the dead-letter topic.
    new PubsubTopicIamMember(this, "service-agent-dead-letter-publisher", {
      project: props.project,
      topic: this.deadLetterTopic.name,
      role: "roles/pubsub.publisher",
      member: `serviceAccount:${this.serviceAgentEmail}`,
    });

    this.deadLetterSubscription = new StreamSubscription(this, "dead-letter-subscription", {
      topic: this,
      subscribesTo: this.deadLetterTopic,
      subscriptionName: props.deadLetterSubscriptionName ?? `${this.deadLetterTopicName}-sub`,
      messageRetentionDuration: deadLetterRetention,
      deadLetter: false,
    });
  }

  /**
   * Adds a pull subscription on this topic: exponential-backoff retries, no expiration, and
   * (unless `deadLetter` is false) a dead-letter policy forwarding to this topic's dead-letter topic.
   * @param subscriptionName name of the subscription (unique in the project)
   */
  public addSubscription(subscriptionName: string, options: SubscriptionOptions = {}): StreamSubscription {
    return this.register(
      new StreamSubscription(this, `subscription-${subscriptionName}`, {
        ...options,
        topic: this,
        subscribesTo: this.resource,
        subscriptionName,
      }),
    );
  }

  /**
   * Adds a BigQuery subscription writing this topic's messages straight into `table`, as a
   * dedicated service account that gets write access on the table's dataset.
   *
   * Unless told otherwise, the table's schema maps message fields to columns (`use_table_schema`),
   * or the topic's schema when the topic has one (`use_topic_schema`); setting both is an error.
   */
  public addBigQuerySubscription(
    table: BigQueryTableTarget,
    options: BigQuerySubscriptionOptions = {},
  ): StreamSubscription {
    const subscriptionName =
      options.subscriptionName ?? `${this.topicName}-bq-${Token.isUnresolved(table.tableId) ? "table" : table.tableId}`;
    return this.register(
      new StreamSubscription(this, `bigquery-subscription-${subscriptionName}`, {
        ...options,
        topic: this,
        subscribesTo: this.resource,
        subscriptionName,
        bigquery: { ...options, table },
      }),
    );
  }

  /** Lets `member` publish to the topic (`roles/pubsub.publisher` on the topic). */
  public grantPublish(member: string): PubsubTopicIamMember {
    return this.grant("roles/pubsub.publisher", member);
  }

  /**
   * Lets `member` attach its own subscriptions to the topic (`roles/pubsub.subscriber` on the topic).
   * To consume an existing subscription, use {@link StreamSubscription.grantSubscribe}.
   */
  public grantSubscribe(member: string): PubsubTopicIamMember {
    return this.grant("roles/pubsub.subscriber", member);
  }

  /** Lets `member` read the topic's metadata (`roles/pubsub.viewer` on the topic), as Dataflow's Pub/Sub reader needs. */
  public grantView(member: string): PubsubTopicIamMember {
    return this.grant("roles/pubsub.viewer", member);
  }

  /** The subscriptions added so far, by name. */
  public get subscriptionsByName(): ReadonlyMap<string, StreamSubscription> {
    return this.subscriptions;
  }

  private register(subscription: StreamSubscription): StreamSubscription {
    this.subscriptions.set(subscription.subscriptionName, subscription);
    return subscription;
  }

  private grant(role: string, member: string): PubsubTopicIamMember {
    validateMember(this.node.path, member);
    const key = `${role} ${member}`;
    const existing = this.grants.get(key);
    if (existing) return existing;
    const resource = new PubsubTopicIamMember(
      this,
      `${role.replace("roles/pubsub.", "")}-${memberIdFragment(member, this.grants.size)}`,
      {
        project: this.project,
        topic: this.resource.name,
        role,
        member,
      },
    );
    this.grants.set(key, resource);
    return resource;
  }
}
