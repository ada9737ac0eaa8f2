import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { PubsubSubscription, PubsubSubscriptionBigqueryConfig } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import type { StreamTopic } from "./stream-topic";
import { BigQueryTableTarget, isDependable, memberIdFragment, validateMember } from "./iam-members";

/** Options every subscription kind takes. */
export interface BaseSubscriptionOptions {
  /**
   * Seconds a subscriber has to acknowledge a message before it is redelivered, 10 to 600.
   * @default 60
   */
  readonly ackDeadlineSeconds?: number;
  /**
   * How long unacknowledged messages stay in the backlog, 600s to 2678400s (31 days).
   * @default "604800s" (7 days)
   */
  readonly messageRetentionDuration?: string;
  /**
   * Whether acknowledged messages are kept (for seek/replay) for `messageRetentionDuration`.
   * @default false
   */
  readonly retainAckedMessages?: boolean;
  /**
   * Shortest delay before a message is redelivered after a nack or expired deadline (exponential backoff), 0s to 600s.
   * @default "10s"
   */
  readonly minimumBackoff?: string;
  /**
   * Longest delay before a message is redelivered (exponential backoff), 0s to 600s, at least `minimumBackoff`.
   * @default "600s"
   */
  readonly maximumBackoff?: string;
  /**
   * Attribute filter (at most 256 bytes); messages not matching it are acknowledged automatically. Cannot be changed later.
   * @default - every message is delivered
   */
  readonly filter?: string;
  /**
   * Whether messages that fail `maxDeliveryAttempts` times go to the topic's dead-letter topic.
   * @default true
   */
  readonly deadLetter?: boolean;
  /**
   * Delivery attempts before a message is dead-lettered, 5 to 100.
   * @default 10
   */
  readonly maxDeliveryAttempts?: number;
  /**
   * Labels of the subscription, added to the topic's.
   * @default - the topic's labels
   */
  readonly labels?: Record<string, string>;
}

/** Options of a pull subscription ({@link StreamTopic.addSubscription}). */
export interface SubscriptionOptions extends BaseSubscriptionOptions {
  /**
   * Exactly-once delivery: an acknowledged message is not redelivered, and acks can be confirmed.
   * @default false
   */
  readonly enableExactlyOnceDelivery?: boolean;
  /**
   * Delivers messages with the same ordering key in publish order.
   * @default false
   */
  readonly enableMessageOrdering?: boolean;
}

/** Options of a BigQuery subscription ({@link StreamTopic.addBigQuerySubscription}). */
export interface BigQuerySubscriptionOptions extends BaseSubscriptionOptions {
  /**
   * Name of the subscription.
   * @default `${topicName}-bq-${tableId}`
   */
  readonly subscriptionName?: string;
  /**
   * Map JSON message fields to the table's columns. Cannot be combined with `useTopicSchema`.
   * @default - true when the topic has no schema
   */
  readonly useTableSchema?: boolean;
  /**
   * Map fields of the topic's schema to the table's columns. Cannot be combined with `useTableSchema`.
   * @default - true when the topic has a schema
   */
  readonly useTopicSchema?: boolean;
  /**
   * Also write `subscription_name`, `message_id`, `publish_time` and `attributes` columns, which the table must have.
   * @default false
   */
  readonly writeMetadata?: boolean;
  /**
   * Drop message fields the table has no column for, instead of keeping the message in the backlog.
   * Needs `useTableSchema` or `useTopicSchema`.
   * @default false
   */
  readonly dropUnknownFields?: boolean;
  /**
   * Email of an existing service account that writes to BigQuery; it gets write access on the table's dataset.
   * @default - a dedicated service account is created
   */
  readonly serviceAccountEmail?: string;
  /**
   * Account id of the dedicated service account (6-30 characters).
   * @default - derived from the subscription name
   */
  readonly serviceAccountId?: string;
}

/** Props of {@link StreamSubscription}. */
export interface StreamSubscriptionProps extends SubscriptionOptions {
  /** The stream topic the subscription belongs to (its dead-letter topic and service agent are used). */
  readonly topic: StreamTopic;
  /** The topic resource to subscribe to: the stream topic itself or its dead-letter topic. */
  readonly subscribesTo: PubsubTopic;
  /** Name of the subscription (unique in the project). */
  readonly subscriptionName: string;
  /**
   * Makes this a BigQuery subscription writing into `table`.
   * @default - a pull subscription
   */
  readonly bigquery?: BigQuerySubscriptionOptions & { readonly table: BigQueryTableTarget };
}

const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const DURATION = /^([0-9]+(\.[0-9]{1,9})?)s$/;
const SERVICE_ACCOUNT_ID = /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/;
const METADATA_COLUMNS: ReadonlyArray<[string, readonly string[]]> = [
  ["subscription_name", ["STRING"]],
  ["message_id", ["STRING"]],
  ["publish_time", ["TIMESTAMP"]],
  ["attributes", ["STRING", "JSON"]],
];

/** Checks a Pub/Sub topic, subscription or schema name. */
export function validateResourceName(path: string, what: string, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (!RESOURCE_NAME.test(name) || name.toLowerCase().startsWith("goog")) {
    throw new Error(
      `${path}: ${what} "${name}" is not valid; use 3-255 letters, digits and - _ . ~ + %, starting with a letter and not with "goog"`,
    );
  }
}

/** Checks a duration such as "604800s" lies within [min, max] seconds; returns its seconds. */
export function validateDuration(
  path: string,
  what: string,
  value: string,
  min: number,
  max: number,
): number | undefined {
  if (Token.isUnresolved(value)) return undefined;
  const match = DURATION.exec(value);
  if (!match) throw new Error(`${path}: ${what} "${value}" is not a duration in seconds such as "600s"`);
  const seconds = Number(match[1]);
  if (seconds < min || seconds > max) {
    throw new Error(`${path}: ${what} is ${value}; Pub/Sub allows ${min}s to ${max}s`);
  }
  return seconds;
}

/** A service account id (6-30 characters) derived from a resource name, stable and unique per name. */
export function serviceAccountIdFor(name: string): string {
  let id = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  if (id.length > 30 || id.length < 6) {
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
    id = `${(id || "sa").slice(0, 23).replace(/-+$/, "")}-${hash}`;
  }
  return id;
}

/**
 * A subscription of a {@link StreamTopic}: pull, or BigQuery when `bigquery` is given.
 * Usually created through {@link StreamTopic.addSubscription} or {@link StreamTopic.addBigQuerySubscription}.
 */
export class StreamSubscription extends Construct {
  /** The subscription resource. */
  public readonly resource: PubsubSubscription;
  /** Name of the subscription. */
  public readonly subscriptionName: string;
  /** Full id: `projects/<project>/subscriptions/<name>`, as Dataflow's `inputSubscription` takes it. */
  public readonly subscriptionId: string;
  /** Whether failed messages go to the dead-letter topic. */
  public readonly deadLetterEnabled: boolean;
  /** The service account writing to BigQuery, for a BigQuery subscription that created one. */
  public readonly serviceAccount?: ServiceAccount;
  /** Email of the identity writing to BigQuery, for a BigQuery subscription. */
  public readonly writerServiceAccountEmail?: string;
  /** The table a BigQuery subscription writes into. */
  public readonly table?: BigQueryTableTarget;
  /** The topic this subscription belongs to. */
  public readonly topic: StreamTopic;

  private readonly grants = new Map<string, PubsubSubscriptionIamMember>();

  constructor(scope: Construct, id: string, props: StreamSubscriptionProps) {
    super(scope, id);
    const path = this.node.path;
    validateResourceName(path, "subscription name", props.subscriptionName);
    const ackDeadline = props.ackDeadlineSeconds ?? 60;
    if (!Token.isUnresolved(ackDeadline) && (!Number.isInteger(ackDeadline) || ackDeadline < 10 || ackDeadline > 600)) {
      throw new Error(`${path}: ackDeadlineSeconds is ${ackDeadline}; Pub/Sub allows whole seconds from 10 to 600`);
    }
    const retention = props.messageRetentionDuration ?? "604800s";
    validateDuration(path, "messageRetentionDuration", retention, 600, 31 * 24 * 3600);
    const minimumBackoff = props.minimumBackoff ?? "10s";
    const maximumBackoff = props.maximumBackoff ?? "600s";
    const min = validateDuration(path, "minimumBackoff", minimumBackoff, 0, 600);
    const max = validateDuration(path, "maximumBackoff", maximumBackoff, 0, 600);
    if (min !== undefined && max !== undefined && min > max) {
      throw new Error(`${path}: minimumBackoff ${minimumBackoff} is longer than maximumBackoff ${maximumBackoff}`);
    }
    if (props.filter !== undefined && !Token.isUnresolved(props.filter)) {
      const bytes = Buffer.byteLength(props.filter, "utf8");
      if (bytes === 0 || bytes > 256) {
        throw new Error(`${path}: filter is ${bytes} bytes; Pub/Sub filters are 1 to 256 bytes`);
      }
    }
    this.deadLetterEnabled = props.deadLetter ?? true;
    const maxDeliveryAttempts = props.maxDeliveryAttempts ?? 10;
    if (this.deadLetterEnabled && !Token.isUnresolved(maxDeliveryAttempts)) {
      if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 5 || maxDeliveryAttempts > 100) {
        throw new Error(
          `${path}: maxDeliveryAttempts is ${maxDeliveryAttempts}; a dead-letter policy allows 5 to 100 delivery attempts`,
        );
      }
    } else if (!this.deadLetterEnabled && props.maxDeliveryAttempts !== undefined) {
      throw new Error(`${path}: maxDeliveryAttempts is set but deadLetter is false; remove one of them`);
    }

    this.topic = props.topic;
    this.subscriptionName = props.subscriptionName;
    const dependsOn: ITerraformDependable[] = [];
    let bigqueryConfig: PubsubSubscriptionBigqueryConfig | undefined;

    if (props.bigquery) {
      const bq = props.bigquery;
      if (props.enableExactlyOnceDelivery || props.enableMessageOrdering) {
        throw new Error(
          `${path}: exactly-once delivery and ordering apply to pull subscriptions, not BigQuery subscriptions`,
        );
      }
      const topicHasSchema = props.topic.tableSchema !== undefined;
      if (bq.useTableSchema === true && bq.useTopicSchema === true) {
        throw new Error(
          `${path}: useTableSchema and useTopicSchema are both true; a BigQuery subscription maps fields with one schema only`,
        );
      }
      const useTopicSchema = bq.useTopicSchema ?? (bq.useTableSchema === true ? false : topicHasSchema);
      const useTableSchema = bq.useTableSchema ?? !useTopicSchema;
      if (useTopicSchema && !topicHasSchema) {
        throw new Error(
          `${path}: useTopicSchema is true but topic "${props.topic.topicName}" has no schema; set the topic's schema or use useTableSchema`,
        );
      }
      if (bq.dropUnknownFields && !useTableSchema && !useTopicSchema) {
        throw new Error(`${path}: dropUnknownFields needs useTableSchema or useTopicSchema`);
      }
      const schema = bq.table.schema;
      if (bq.writeMetadata) {
        for (const [column, types] of METADATA_COLUMNS) {
          const found = schema.column(column);
          if (!found || !types.includes(found.type)) {
            throw new Error(
              `${path}: writeMetadata needs a ${types.join(" or ")} column "${column}" in table ${bq.table.tableId}`,
            );
          }
        }
      }
      if (!useTableSchema && !useTopicSchema && !schema.hasColumn("data")) {
        throw new Error(
          `${path}: without useTableSchema or useTopicSchema messages go to a "data" column, which table ${bq.table.tableId} lacks`,
        );
      }
      if (bq.serviceAccountEmail !== undefined) {
        this.writerServiceAccountEmail = bq.serviceAccountEmail;
      } else {
        const accountId = bq.serviceAccountId ?? serviceAccountIdFor(`${props.subscriptionName}`);
        if (!Token.isUnresolved(accountId) && !SERVICE_ACCOUNT_ID.test(accountId)) {
          throw new Error(
            `${path}: serviceAccountId "${accountId}" must be 6-30 lowercase letters, digits and hyphens, starting with a letter`,
          );
        }
        this.serviceAccount = new ServiceAccount(this, "writer", {
          project: props.topic.project,
          accountId,
          displayName: `Pub/Sub ${props.subscriptionName} → BigQuery`,
          description: `Writes messages of subscription ${props.subscriptionName} into ${bq.table.tableId}`,
        });
        this.writerServiceAccountEmail = this.serviceAccount.email;
      }
      const grant = bq.table.dataset.grantWrite(`serviceAccount:${this.writerServiceAccountEmail}`);
      if (isDependable(grant)) dependsOn.push(grant);
      if (bq.table.resource) dependsOn.push(bq.table.resource);
      this.table = bq.table;
      bigqueryConfig = {
        table: bq.table.fqn,
        useTableSchema,
        useTopicSchema,
        writeMetadata: bq.writeMetadata ?? false,
        dropUnknownFields: bq.dropUnknownFields ?? false,
        serviceAccountEmail: this.writerServiceAccountEmail,
      };
    }

    this.resource = new PubsubSubscription(this, "subscription", {
      name: props.subscriptionName,
      project: props.topic.project,
      topic: props.subscribesTo.id,
      labels: { ...props.topic.labels, ...(props.labels ?? {}) },
      ackDeadlineSeconds: ackDeadline,
      messageRetentionDuration: retention,
      retainAckedMessages: props.retainAckedMessages ?? false,
      // An empty ttl means the subscription never expires, however long it is idle.
      expirationPolicy: { ttl: "" },
      retryPolicy: { minimumBackoff, maximumBackoff },
      filter: props.filter,
      enableExactlyOnceDelivery: props.bigquery ? undefined : (props.enableExactlyOnceDelivery ?? false),
      enableMessageOrdering: props.bigquery ? undefined : (props.enableMessageOrdering ?? false),
      deadLetterPolicy: this.deadLetterEnabled
        ? { deadLetterTopic: props.topic.deadLetterTopic.id, maxDeliveryAttempts }
        : undefined,
      bigqueryConfig,
      dependsOn: dependsOn.length > 0 ? dependsOn : undefined,
    });
    this.subscriptionId = this.resource.id;

    if (this.deadLetterEnabled) {
      // Grant 2 of 2: the service agent acknowledges the messages it forwards to the dead-letter topic.
      new PubsubSubscriptionIamMember(this, "service-agent-dead-letter-subscriber", {
        project: props.topic.project,
        subscription: this.resource.name,
        role: "roles/pubsub.subscriber",
        member: `serviceAccount:${props.topic.serviceAgentEmail}`,
      });
    }
  }

  /** Lets `member` pull and acknowledge messages of this subscription (`roles/pubsub.subscriber` on it). */
  public grantSubscribe(member: string): PubsubSubscriptionIamMember {
    return this.grant("roles/pubsub.subscriber", member);
  }

  /** Lets `member` read this subscription's metadata (`roles/pubsub.viewer` on it). */
  public grantView(member: string): PubsubSubscriptionIamMember {
    return this.grant("roles/pubsub.viewer", member);
  }

  private grant(role: string, member: string): PubsubSubscriptionIamMember {
    validateMember(this.node.path, member);
    const key = `${role} ${member}`;
    const existing = this.grants.get(key);
    if (existing) return existing;
    const resource = new PubsubSubscriptionIamMember(
      this,
      `${role.replace("roles/pubsub.", "")}-${memberIdFragment(member, this.grants.size)}`,
      {
        project: this.topic.project,
        subscription: this.resource.name,
        role,
        member,
      },
    );
    this.grants.set(key, resource);
    return resource;
  }
}
