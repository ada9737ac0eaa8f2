import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import {
  PubsubSubscription,
  PubsubSubscriptionBigqueryConfig,
  PubsubSubscriptionConfig,
} from "@cdktf/provider-google/lib/pubsub-subscription";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { Duration } from "../core/duration";
import { IGrantable, IPrincipal, Principal } from "../core/principal";
import { ISubscription, ITable, ITopic } from "../core/references";
import {
  childPath,
  fail,
  refuseToken,
  requireProps,
  serviceAccountIdFor,
  validateServiceAccountId,
} from "../core/validation";
import { pubsubServiceAgentEmail } from "./iam-members";
import { validatePubsubName } from "./pubsub-common";
import { SubscriptionBase } from "./subscription-base";
import { SubscriptionReference } from "./subscription-reference";
import {
  BigQueryMapping,
  SubscriptionSettings,
  validateBigQuerySubscription,
  validateSubscriptionProps,
} from "./validate-subscription-props";
import { checkPhysicalNames } from "../core/physical-names";

/** Options every subscription kind takes. */
export interface BaseSubscriptionOptions {
  /**
   * How long a subscriber has to acknowledge a message before it is redelivered: whole seconds, 10 seconds to 10
   * minutes.
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
   * Shortest delay before a message is redelivered after a nack or expired deadline (exponential backoff), 0 to 10
   * minutes.
   * @default Duration.seconds(10)
   */
  readonly minimumBackoff?: Duration;
  /**
   * Longest delay before a message is redelivered (exponential backoff), 0 to 10 minutes, at least `minimumBackoff`.
   * @default Duration.seconds(600)
   */
  readonly maximumBackoff?: Duration;
  /**
   * Attribute filter (at most 256 bytes); messages not matching it are acknowledged automatically. Cannot be changed
   * later.
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
 *
 * The props' rules are tables in `validate-subscription-props.ts`.
 */
export class StreamSubscription extends SubscriptionBase implements IGrantable {
  /**
   * An existing pull subscription, e.g. to run a {@link PubSubToBigQueryJob} on it. Grants on it
   * create bindings (with the literal subscription name) under the returned construct.
   */
  public static fromSubscriptionAttributes(scope: Construct, id: string, attrs: SubscriptionAttributes): ISubscription {
    validatePubsubName(childPath(scope, id), "subscription name", attrs.subscriptionName);
    return new SubscriptionReference(scope, id, attrs);
  }

  /** The subscription resource. */
  public readonly resource: PubsubSubscription;
  /** The subscription resource: dependants listing it are created after the subscription. */
  public readonly dependables: readonly ITerraformDependable[];
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
    requireProps(this.node.path, "StreamSubscription", props, ["subscriptionName", "topic"]);
    checkPhysicalNames(this);
    const settings = validateSubscriptionProps(this.node.path, props);
    const bq = props.bigquery;
    const mapping = bq ? validateBigQuerySubscription(this, props, bq) : undefined;
    this.topic = props.topic;
    this.project = props.project ?? props.topic.project;
    this.subscriptionName = props.subscriptionName;
    this.deadLetterTopic = props.deadLetterTopic;
    this.isPushOrExport = bq !== undefined;
    this.forDataflow = settings.forDataflow;
    this.deadLetterEnabled = settings.deadLetterEnabled;

    let bigquery: BigQueryDelivery | undefined;
    if (bq && mapping) {
      const writer = this.createWriter(bq, props.subscriptionName);
      this.serviceAccount = writer.serviceAccount;
      this.serviceAccountEmail = writer.email;
      this.writer = Principal.serviceAccount(writer.email);
      this.table = bq.table;
      bigquery = { ...mapping, options: bq, writerEmail: writer.email, writeGrant: this.grantTableWrite(bq) };
    }
    this.resource = new PubsubSubscription(
      this,
      "subscription",
      subscriptionConfig(this.project, props, settings, bigquery),
    );
    this.subscriptionId = this.resource.id;
    this.dependables = [this.resource];
    this.grantDeadLettering(props);
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

  /** Bindings name the subscription through a reference to its resource: they are created after it. */
  protected get subscriptionNameRef(): string {
    return this.resource.name;
  }

  /** The BigQuery writer: its own service account, unless `serviceAccountEmail` names one. */
  private createWriter(
    bq: BigQueryOptionsWithTable,
    subscriptionName: string,
  ): { readonly serviceAccount?: ServiceAccount; readonly email: string } {
    if (bq.serviceAccountEmail !== undefined) return { email: bq.serviceAccountEmail };
    const path = this.node.path;
    if (bq.serviceAccountId === undefined) {
      refuseToken(
        path,
        "subscriptionName",
        subscriptionName,
        "the writer's default service account id is derived from it; set serviceAccountId",
      );
    }
    const accountId = bq.serviceAccountId ?? serviceAccountIdFor(subscriptionName);
    validateServiceAccountId(path, accountId);
    const serviceAccount = new ServiceAccount(this, "writer", {
      project: this.project,
      accountId,
      displayName: `Pub/Sub ${subscriptionName} → BigQuery`,
      description: `Writes messages of subscription ${subscriptionName} into ${bq.table.tableId}`,
    });
    return { serviceAccount, email: serviceAccount.email };
  }

  /** Write access for the writer: a CDC writer needs the one table only; others write where the dataset allows. */
  private grantTableWrite(bq: BigQueryOptionsWithTable): ITerraformDependable {
    return bq.cdc ? bq.table.grantWrite(this) : bq.table.dataset.grantWrite(this);
  }

  /**
   * What dead-lettering needs: the service agent acknowledges the messages it forwards to the
   * dead-letter topic, and publishes them there.
   */
  private grantDeadLettering(props: StreamSubscriptionProps): void {
    if (!props.deadLetterTopic || props.projectNumber === undefined) return;
    const agent = Principal.serviceAccount(pubsubServiceAgentEmail(props.projectNumber));
    this.grantSubscribe(agent);
    props.deadLetterTopic.grantPublish(agent);
  }
}

/** A BigQuery subscription's options with its table (`StreamSubscriptionProps.bigquery`). */
type BigQueryOptionsWithTable = BigQuerySubscriptionOptions & { readonly table: ITable };

/** What the `google_pubsub_subscription` of a BigQuery subscription is given. */
interface BigQueryDelivery extends BigQueryMapping {
  readonly options: BigQueryOptionsWithTable;
  readonly writerEmail: string;
  /** The writer's write grant: the subscription is created after it. */
  readonly writeGrant: ITerraformDependable;
}

/** The `google_pubsub_subscription`: never expires; retries unless read by Dataflow; dead-letters when asked. */
function subscriptionConfig(
  project: string,
  props: StreamSubscriptionProps,
  settings: SubscriptionSettings,
  bigquery: BigQueryDelivery | undefined,
): PubsubSubscriptionConfig {
  return {
    name: props.subscriptionName,
    project,
    topic: props.topic.topicId,
    labels: settings.labels,
    ackDeadlineSeconds: settings.ackDeadline.toSeconds(),
    messageRetentionDuration: settings.retention.toPubsubString(),
    retainAckedMessages: props.retainAckedMessages ?? false,
    // An empty ttl means the subscription never expires, however long it is idle.
    expirationPolicy: { ttl: "" },
    // Dataflow acknowledges on its own schedule and does not support a retry policy.
    retryPolicy: settings.forDataflow
      ? undefined
      : {
          minimumBackoff: settings.minimumBackoff.toPubsubString(),
          maximumBackoff: settings.maximumBackoff.toPubsubString(),
        },
    filter: props.filter,
    enableExactlyOnceDelivery: props.bigquery ? undefined : (props.enableExactlyOnceDelivery ?? false),
    enableMessageOrdering: props.bigquery ? undefined : (props.enableMessageOrdering ?? false),
    deadLetterPolicy: props.deadLetterTopic
      ? { deadLetterTopic: props.deadLetterTopic.topicId, maxDeliveryAttempts: settings.maxDeliveryAttempts }
      : undefined,
    bigqueryConfig: bigquery && bigqueryConfig(bigquery),
    dependsOn: bigquery ? [bigquery.writeGrant] : undefined,
  };
}

/** The `bigquery_config` block. */
function bigqueryConfig(delivery: BigQueryDelivery): PubsubSubscriptionBigqueryConfig {
  const bq = delivery.options;
  return {
    // A reference: the subscription is created after the table.
    table: bq.table.fqnRef,
    useTableSchema: delivery.useTableSchema,
    useTopicSchema: delivery.useTopicSchema,
    writeMetadata: bq.writeMetadata ?? false,
    dropUnknownFields: bq.dropUnknownFields ?? false,
    serviceAccountEmail: delivery.writerEmail,
  };
}
