import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { PubsubSubscription, PubsubSubscriptionBigqueryConfig } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { Duration } from "../core/duration";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import { ISubscription, ITable, ITopic } from "../core/references";
import {
  fail,
  isKnown,
  refuseToken,
  serviceAccountIdFor,
  validateDuration,
  validateLabels,
  validateProjectNumber,
  validateServiceAccountId,
} from "../core/validation";
import { grantCdcWrite, validateCdcSubscription } from "./cdc-subscription";
import { pubsubServiceAgentEmail } from "./iam-members";
import {
  DEFAULT_MESSAGE_RETENTION,
  grantOnSubscription,
  validateMessageRetention,
  validatePubsubName,
} from "./pubsub-common";
import { SubscriptionReference } from "./subscription-reference";
import { checkPhysicalNames } from "../core/physical-names";

/** Options every subscription kind takes. */
export interface BaseSubscriptionOptions {
  /**
   * How long a subscriber has to acknowledge a message before it is redelivered: whole seconds, 10 seconds to 10 minutes.
   * @default Duration.seconds(60)
   */
  readonly ackDeadline?: Duration;
  /**
   * How long unacknowledged messages stay in the backlog, 10 minutes to 31 days.
   * @default Duration.days(7)
   */
  readonly messageRetentionDuration?: Duration;
  /**
   * Whether acknowledged messages are kept (for seek/replay) for `messageRetentionDuration`.
   * @default false
   */
  readonly retainAckedMessages?: boolean;
  /**
   * Shortest delay before a message is redelivered after a nack or expired deadline (exponential backoff), 0 to 10 minutes.
   * @default Duration.seconds(10)
   */
  readonly minimumBackoff?: Duration;
  /**
   * Longest delay before a message is redelivered (exponential backoff), 0 to 10 minutes, at least `minimumBackoff`.
   * @default Duration.seconds(600)
   */
  readonly maximumBackoff?: Duration;
  /**
   * Attribute filter (at most 256 bytes); messages not matching it are acknowledged automatically. Cannot be changed later.
   * @default - every message is delivered
   */
  readonly filter?: string;
  /**
   * Whether messages that fail `maxDeliveryAttempts` times go to the topic's dead-letter topic
   * (options of {@link StreamTopic.addSubscription} and {@link StreamTopic.addBigQuerySubscription}).
   * @default - true; false for a subscription declared `forDataflow` (which refuses true)
   */
  readonly deadLetter?: boolean;
  /**
   * Delivery attempts before a message is dead-lettered, 5 to 100.
   * @default 10
   */
  readonly maxDeliveryAttempts?: number;
  /**
   * Labels of the subscription. A stream topic's subscriptions carry the topic's labels as well.
   * @default - none (a stream topic's labels for its subscriptions)
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
  /**
   * Declares the subscription as read by a Dataflow job (e.g. {@link PubSubToBigQueryJob}).
   * Dataflow acknowledges a message once the pipeline holds it durably, so Pub/Sub's redelivery
   * settings never apply, and Pub/Sub documents a subscription's dead-letter topic and retry
   * policy as unsupported with Dataflow. Such a subscription gets neither; a dead-letter topic
   * (`deadLetter: true`, `deadLetterTopic`), `maxDeliveryAttempts`, `minimumBackoff` or
   * `maximumBackoff` on it is refused at synthesis. The pipeline's own error path replaces them:
   * the template's error (dead-letter) table. Dead-lettering stays with BigQuery subscriptions and
   * other pull subscribers.
   * @default false
   */
  readonly forDataflow?: boolean;
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
  /**
   * Apply the messages as change data capture: each JSON message carries `_CHANGE_TYPE` (`UPSERT` or
   * `DELETE`) and `_CHANGE_SEQUENCE_NUMBER`, and BigQuery applies it by the table's primary key.
   * Needs a table with a primary key (a `CdcTable`), `useTableSchema`, and `messageFields`; the
   * writer is granted on the table only.
   * @default false
   */
  readonly cdc?: boolean;
  /**
   * The top-level fields of the topic's JSON messages, as the publisher promises them; with `cdc`,
   * checked to carry the pseudo-columns and the primary key, and to fit the table.
   * @default - unknown (required with `cdc`)
   */
  readonly messageFields?: readonly string[];
}

/** Props of {@link StreamSubscription}. */
export interface StreamSubscriptionProps extends Omit<SubscriptionOptions, "deadLetter"> {
  /** The topic subscribed to. */
  readonly topic: ITopic;
  /** Name of the subscription (unique in the project). */
  readonly subscriptionName: string;
  /**
   * Project of the subscription.
   * @default - the topic's project
   */
  readonly project?: string;
  /**
   * Topic receiving messages that fail `maxDeliveryAttempts` times. The subscription's project's
   * Pub/Sub service agent gets publisher on it and subscriber on the subscription (what dead-lettering needs).
   * @default - no dead-lettering
   */
  readonly deadLetterTopic?: ITopic;
  /**
   * Number of the subscription's project, naming its Pub/Sub service agent
   * (`service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com`). Required with `deadLetterTopic`.
   * @default - none (no dead-lettering)
   */
  readonly projectNumber?: string;
  /**
   * Makes this a BigQuery subscription writing into `table` (which needs a known schema).
   * @default - a pull subscription
   */
  readonly bigquery?: BigQuerySubscriptionOptions & { readonly table: ITable };
}

/** Attributes of an existing subscription, for {@link StreamSubscription.fromSubscriptionAttributes}. */
export interface SubscriptionAttributes {
  /** Project of the subscription. */
  readonly project: string;
  /** Short name of the subscription. */
  readonly subscriptionName: string;
  /** The topic it subscribes to. */
  readonly topic: ITopic;
}

const METADATA_COLUMNS: ReadonlyArray<[string, readonly string[]]> = [
  ["subscription_name", ["STRING"]],
  ["message_id", ["STRING"]],
  ["publish_time", ["TIMESTAMP"]],
  ["attributes", ["STRING", "JSON"]],
];

/** Pub/Sub's ack deadline: 10 to 600 whole seconds. */
const ACK_DEADLINE = { min: Duration.seconds(10), max: Duration.seconds(600) };
/** Pub/Sub's retry backoff: 0 to 600 seconds. */
const BACKOFF = { min: Duration.seconds(0), max: Duration.seconds(600) };

/**
 * A Pub/Sub subscription: pull, or BigQuery when `bigquery` is given; with exponential-backoff
 * retries, no expiration, and (with `deadLetterTopic`) a dead-letter policy plus the two
 * service-agent grants it needs. Usually created through {@link StreamTopic.addSubscription} or
 * {@link StreamTopic.addBigQuerySubscription}.
 *
 * A subscription a Dataflow job reads is declared with `forDataflow: true`: it has no retry
 * policy and no dead-letter policy (Pub/Sub documents both as unsupported with Dataflow), and
 * refuses them; the job's error table is where failed messages go.
 *
 * A BigQuery subscription writes as its own service account (or `serviceAccountEmail`): it is then
 * {@link IGrantable}, its writer being the grant principal.
 */
export class StreamSubscription extends Construct implements ISubscription, IGrantable {
  /**
   * An existing pull subscription, e.g. to run a {@link PubSubToBigQueryJob} on it. Grants on it
   * create bindings (with the literal subscription name) under the returned construct.
   */
  public static fromSubscriptionAttributes(scope: Construct, id: string, attrs: SubscriptionAttributes): ISubscription {
    validatePubsubName(`${scope.node.path}/${id}`, "subscription name", attrs.subscriptionName);
    return new SubscriptionReference(scope, id, attrs);
  }

  /** The subscription resource. */
  public readonly resource: PubsubSubscription;
  /** Project of the subscription. */
  public readonly project: string;
  /** Name of the subscription. */
  public readonly subscriptionName: string;
  /** Full id: `projects/<project>/subscriptions/<name>` (a Terraform reference), as Dataflow's `inputSubscription` takes it. */
  public readonly subscriptionId: string;
  /** The topic subscribed to. */
  public readonly topic: ITopic;
  /** Whether this is a BigQuery subscription (Pub/Sub writes the messages; nobody may pull them). */
  public readonly isPushOrExport: boolean;
  /** Whether the subscription is declared as read by Dataflow (no dead-letter or retry policy). */
  public readonly forDataflow: boolean;
  /** Whether failed messages go to {@link deadLetterTopic}. */
  public readonly deadLetterEnabled: boolean;
  /** The dead-letter topic, when dead-lettering. */
  public readonly deadLetterTopic?: ITopic;
  /** The service account writing to BigQuery, for a BigQuery subscription that created one. */
  public readonly serviceAccount?: ServiceAccount;
  /** Email of the identity writing to BigQuery, for a BigQuery subscription. */
  public readonly serviceAccountEmail?: string;
  /** The table a BigQuery subscription writes into. */
  public readonly table?: ITable;

  private readonly writer?: IPrincipal;

  constructor(scope: Construct, id: string, props: StreamSubscriptionProps) {
    super(scope, id);
    checkPhysicalNames(this);
    const path = this.node.path;
    validatePubsubName(path, "subscription name", props.subscriptionName);
    const ackDeadline = validateDuration(path, "ackDeadline", props.ackDeadline ?? Duration.seconds(60), {
      ...ACK_DEADLINE,
      wholeUnit: "seconds",
      rule: "Pub/Sub allows",
    });
    const retention = validateMessageRetention(
      path,
      "messageRetentionDuration",
      props.messageRetentionDuration ?? DEFAULT_MESSAGE_RETENTION,
    );
    const minimumBackoff = validateDuration(path, "minimumBackoff", props.minimumBackoff ?? Duration.seconds(10), {
      ...BACKOFF,
      rule: "Pub/Sub allows",
    });
    const maximumBackoff = validateDuration(path, "maximumBackoff", props.maximumBackoff ?? Duration.seconds(600), {
      ...BACKOFF,
      rule: "Pub/Sub allows",
    });
    if (
      !minimumBackoff.isUnresolved() &&
      !maximumBackoff.isUnresolved() &&
      minimumBackoff.toMilliseconds() > maximumBackoff.toMilliseconds()
    ) {
      fail(
        path,
        `minimumBackoff ${minimumBackoff.toHumanString()} is longer than maximumBackoff ${maximumBackoff.toHumanString()}`,
      );
    }
    if (isKnown(props.filter)) {
      const bytes = Buffer.byteLength(props.filter, "utf8");
      if (bytes === 0 || bytes > 256) fail(path, `filter is ${bytes} bytes; Pub/Sub filters are 1 to 256 bytes`);
    }
    const labels = { ...(props.labels ?? {}) };
    validateLabels(path, labels);

    const forDataflow = props.forDataflow ?? false;
    if (forDataflow) {
      if (props.bigquery) {
        fail(
          path,
          "forDataflow is for a pull subscription a Dataflow job reads; a BigQuery subscription has no reader",
        );
      }
      const refused = [
        props.deadLetterTopic !== undefined && "a dead-letter topic (deadLetter / deadLetterTopic)",
        props.maxDeliveryAttempts !== undefined && `maxDeliveryAttempts (${props.maxDeliveryAttempts})`,
        props.minimumBackoff !== undefined && `minimumBackoff (${props.minimumBackoff.toHumanString()})`,
        props.maximumBackoff !== undefined && `maximumBackoff (${props.maximumBackoff.toHumanString()})`,
      ].filter((x): x is string => typeof x === "string");
      if (refused.length > 0) {
        fail(
          path,
          `subscription "${props.subscriptionName}" is read by Dataflow (forDataflow), which does not support a subscription's dead-letter or retry policy; remove ${refused.join(", ")}: the pipeline's error table is its dead-letter path`,
        );
      }
    }
    this.forDataflow = forDataflow;
    this.deadLetterEnabled = props.deadLetterTopic !== undefined;
    const maxDeliveryAttempts = props.maxDeliveryAttempts ?? 10;
    if (this.deadLetterEnabled && !Token.isUnresolved(maxDeliveryAttempts)) {
      if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 5 || maxDeliveryAttempts > 100) {
        fail(
          path,
          `maxDeliveryAttempts is ${maxDeliveryAttempts}; a dead-letter policy allows 5 to 100 delivery attempts`,
        );
      }
    } else if (!this.deadLetterEnabled && props.maxDeliveryAttempts !== undefined) {
      fail(
        path,
        "maxDeliveryAttempts is set but dead-lettering is off (deadLetter is false, or no deadLetterTopic); remove one of them",
      );
    }
    if (this.deadLetterEnabled && props.projectNumber === undefined) {
      fail(path, "deadLetterTopic needs projectNumber: the project's Pub/Sub service agent forwards the dead letters");
    }
    if (props.projectNumber !== undefined) validateProjectNumber(path, props.projectNumber);

    this.topic = props.topic;
    this.project = props.project ?? props.topic.project;
    this.subscriptionName = props.subscriptionName;
    this.deadLetterTopic = props.deadLetterTopic;
    this.isPushOrExport = props.bigquery !== undefined;
    const dependsOn: ITerraformDependable[] = [];
    let bigqueryConfig: PubsubSubscriptionBigqueryConfig | undefined;

    if (props.bigquery) {
      const bq = props.bigquery;
      const table = bq.table;
      if (props.enableExactlyOnceDelivery || props.enableMessageOrdering) {
        fail(path, "exactly-once delivery and ordering apply to pull subscriptions, not BigQuery subscriptions");
      }
      const schema = table.schema;
      if (schema === undefined) {
        fail(
          path,
          `table ${table.fqn} has no known schema; a BigQuery subscription checks the columns it writes against it (give the table a schema, or import it with one)`,
        );
      }
      const topicHasSchema = props.topic.schema !== undefined;
      if (bq.useTableSchema === true && bq.useTopicSchema === true) {
        fail(
          path,
          "useTableSchema and useTopicSchema are both true; a BigQuery subscription maps fields with one schema only",
        );
      }
      const useTopicSchema = bq.useTopicSchema ?? (bq.useTableSchema === true ? false : topicHasSchema);
      const useTableSchema = bq.useTableSchema ?? !useTopicSchema;
      if (useTopicSchema && !topicHasSchema) {
        fail(
          path,
          `useTopicSchema is true but topic "${props.topic.topicName}" has no schema; set the topic's schema or use useTableSchema`,
        );
      }
      if (bq.cdc) {
        validateCdcSubscription(this, {
          table,
          topic: props.topic,
          useTableSchema,
          useTopicSchema,
          dropUnknownFields: bq.dropUnknownFields ?? false,
          messageFields: bq.messageFields,
        });
      }
      if (bq.dropUnknownFields && !useTableSchema && !useTopicSchema) {
        fail(path, "dropUnknownFields needs useTableSchema or useTopicSchema");
      }
      if (bq.writeMetadata) {
        for (const [column, types] of METADATA_COLUMNS) {
          const found = schema.column(column);
          if (!found || !types.includes(found.type)) {
            fail(path, `writeMetadata needs a ${types.join(" or ")} column "${column}" in table ${table.tableId}`);
          }
        }
      }
      if (!useTableSchema && !useTopicSchema && !schema.hasColumn("data")) {
        fail(
          path,
          `without useTableSchema or useTopicSchema messages go to a "data" column, which table ${table.tableId} lacks`,
        );
      }
      if (bq.serviceAccountEmail !== undefined) {
        this.serviceAccountEmail = bq.serviceAccountEmail;
      } else {
        if (bq.serviceAccountId === undefined) {
          refuseToken(
            path,
            "subscriptionName",
            props.subscriptionName,
            "the writer's default service account id is derived from it; set serviceAccountId",
          );
        }
        const accountId = bq.serviceAccountId ?? serviceAccountIdFor(props.subscriptionName);
        validateServiceAccountId(path, accountId);
        this.serviceAccount = new ServiceAccount(this, "writer", {
          project: this.project,
          accountId,
          displayName: `Pub/Sub ${props.subscriptionName} → BigQuery`,
          description: `Writes messages of subscription ${props.subscriptionName} into ${table.tableId}`,
        });
        this.serviceAccountEmail = this.serviceAccount.email;
      }
      this.writer = Principal.serviceAccount(this.serviceAccountEmail);
      this.table = table;
      // A CDC writer needs the one table only; other BigQuery subscriptions write where the dataset allows.
      dependsOn.push(bq.cdc ? grantCdcWrite(this, table, this) : table.dataset.grantWrite(this));
      bigqueryConfig = {
        // A reference: the subscription is created after the table.
        table: table.fqnRef,
        useTableSchema,
        useTopicSchema,
        writeMetadata: bq.writeMetadata ?? false,
        dropUnknownFields: bq.dropUnknownFields ?? false,
        serviceAccountEmail: this.serviceAccountEmail,
      };
    }

    this.resource = new PubsubSubscription(this, "subscription", {
      name: props.subscriptionName,
      project: this.project,
      topic: props.topic.topicId,
      labels,
      ackDeadlineSeconds: ackDeadline.toSeconds(),
      messageRetentionDuration: retention.toPubsubString(),
      retainAckedMessages: props.retainAckedMessages ?? false,
      // An empty ttl means the subscription never expires, however long it is idle.
      expirationPolicy: { ttl: "" },
      // Dataflow acknowledges on its own schedule and does not support a retry policy.
      retryPolicy: forDataflow
        ? undefined
        : {
            minimumBackoff: minimumBackoff.toPubsubString(),
            maximumBackoff: maximumBackoff.toPubsubString(),
          },
      filter: props.filter,
      enableExactlyOnceDelivery: props.bigquery ? undefined : (props.enableExactlyOnceDelivery ?? false),
      enableMessageOrdering: props.bigquery ? undefined : (props.enableMessageOrdering ?? false),
      deadLetterPolicy: props.deadLetterTopic
        ? { deadLetterTopic: props.deadLetterTopic.topicId, maxDeliveryAttempts }
        : undefined,
      bigqueryConfig,
      dependsOn: dependsOn.length > 0 ? dependsOn : undefined,
    });
    this.subscriptionId = this.resource.id;

    if (props.deadLetterTopic && props.projectNumber !== undefined) {
      // What dead-lettering needs: the service agent acknowledges the messages it forwards to the
      // dead-letter topic, and publishes them there.
      const agent = Principal.serviceAccount(pubsubServiceAgentEmail(props.projectNumber));
      this.grantSubscribe(agent);
      props.deadLetterTopic.grantPublish(agent);
    }
  }

  /**
   * The identity writing a BigQuery subscription's messages into its table. A pull subscription has
   * no identity of its own: grant to the identities that pull it instead.
   */
  public get grantPrincipal(): IPrincipal {
    if (!this.writer) {
      fail(
        this.node.path,
        `subscription "${this.subscriptionName}" is a pull subscription and has no identity of its own; grant to the identity that pulls it`,
      );
    }
    return this.writer;
  }

  /** Lets `grantee` pull and acknowledge messages of this subscription (`roles/pubsub.subscriber` on it). */
  public grantSubscribe(grantee: IGrantable): PubsubSubscriptionIamMember {
    return grantOnSubscription(this, this.project, this.resource.name, "roles/pubsub.subscriber", grantee);
  }

  /** Lets `grantee` read this subscription's metadata (`roles/pubsub.viewer` on it). */
  public grantView(grantee: IGrantable): PubsubSubscriptionIamMember {
    return grantOnSubscription(this, this.project, this.resource.name, "roles/pubsub.viewer", grantee);
  }
}
