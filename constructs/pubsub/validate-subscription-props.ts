/**
 * The rules of a {@link StreamSubscription}'s props, as tables (the aws-sqs
 * `validate-queue-props.ts` way): each rule a check and the message naming the value and the rule.
 * Checked in the order they are listed; the first broken rule fails synthesis. Private to the library.
 */
import { IConstruct } from "constructs";
import { Token } from "cdktf";
import { Duration } from "../core/duration";
import { ITable, ITopic } from "../core/references";
import { checkRules, Rule } from "../core/rule-tables";
import { isKnown, validateDuration, validateLabels, validateProjectNumber } from "../core/validation";
import { validateCdcSubscription } from "./cdc-subscription";
import { DEFAULT_MESSAGE_RETENTION, validateMessageRetention, validatePubsubName } from "./pubsub-common";

/** What the rules read of a BigQuery subscription's options (`StreamSubscriptionProps.bigquery`). */
export interface BigQueryRuleProps {
  readonly table: ITable;
  readonly useTableSchema?: boolean;
  readonly useTopicSchema?: boolean;
  readonly writeMetadata?: boolean;
  readonly dropUnknownFields?: boolean;
  readonly cdc?: boolean;
  readonly messageFields?: readonly string[];
}

/** What the rules read of `StreamSubscriptionProps`. */
export interface SubscriptionRuleProps {
  readonly subscriptionName: string;
  readonly topic: ITopic;
  readonly ackDeadline?: Duration;
  readonly messageRetentionDuration?: Duration;
  readonly minimumBackoff?: Duration;
  readonly maximumBackoff?: Duration;
  readonly filter?: string;
  readonly labels?: Record<string, string>;
  readonly forDataflow?: boolean;
  readonly deadLetterTopic?: ITopic;
  readonly maxDeliveryAttempts?: number;
  readonly projectNumber?: string;
  readonly enableExactlyOnceDelivery?: boolean;
  readonly enableMessageOrdering?: boolean;
  readonly bigquery?: BigQueryRuleProps;
}

/** A subscription's settings: checked, defaults filled in. */
export interface SubscriptionSettings {
  readonly ackDeadline: Duration;
  readonly retention: Duration;
  readonly minimumBackoff: Duration;
  readonly maximumBackoff: Duration;
  readonly maxDeliveryAttempts: number;
  readonly labels: Record<string, string>;
  readonly forDataflow: boolean;
  /** Whether failed messages go to a dead-letter topic. */
  readonly deadLetterEnabled: boolean;
}

/** How a BigQuery subscription maps message fields to columns: checked, defaults filled in. */
export interface BigQueryMapping {
  readonly useTableSchema: boolean;
  readonly useTopicSchema: boolean;
}

/** What the subscription rules look at. */
type SubscriptionFacts = SubscriptionSettings & { readonly props: SubscriptionRuleProps };
/** What the BigQuery subscription rules look at. */
type BigQueryFacts = BigQueryMapping & { readonly props: SubscriptionRuleProps; readonly bq: BigQueryRuleProps };

/** Pub/Sub's ack deadline: 10 to 600 whole seconds. */
const ACK_DEADLINE = { min: Duration.seconds(10), max: Duration.seconds(600) };
/** Pub/Sub's retry backoff: 0 to 600 seconds. */
const BACKOFF = { min: Duration.seconds(0), max: Duration.seconds(600) };
/** Pub/Sub's attribute filters: 1 to 256 bytes. */
const MAX_FILTER_BYTES = 256;
/** A dead-letter policy's delivery attempts: 5 to 100. */
const DELIVERY_ATTEMPTS = { min: 5, max: 100 };

/** The columns `writeMetadata` writes, with the types each may have. */
const METADATA_COLUMNS: ReadonlyArray<[string, readonly string[]]> = [
  ["subscription_name", ["STRING"]],
  ["message_id", ["STRING"]],
  ["publish_time", ["TIMESTAMP"]],
  ["attributes", ["STRING", "JSON"]],
];

const filterBytes = (filter: string) => Buffer.byteLength(filter, "utf8");

/** Redelivery: the backoff bounds in order, a filter Pub/Sub takes. */
const RETRY_RULES: readonly Rule<SubscriptionFacts>[] = [
  {
    breaks: ({ minimumBackoff: min, maximumBackoff: max }) =>
      !min.isUnresolved() && !max.isUnresolved() && min.toMilliseconds() > max.toMilliseconds(),
    message: ({ minimumBackoff, maximumBackoff }) =>
      `minimumBackoff ${minimumBackoff.toHumanString()} is longer than maximumBackoff ${maximumBackoff.toHumanString()}`,
  },
  {
    breaks: ({ props }) =>
      isKnown(props.filter) && (filterBytes(props.filter) === 0 || filterBytes(props.filter) > MAX_FILTER_BYTES),
    message: ({ props }) => `filter is ${filterBytes(props.filter ?? "")} bytes; Pub/Sub filters are 1 to 256 bytes`,
  },
];

/** The policies a Dataflow reader refuses (Pub/Sub documents them as unsupported with Dataflow). */
function refusedForDataflow(props: SubscriptionRuleProps): string[] {
  return [
    props.deadLetterTopic !== undefined && "a dead-letter topic (deadLetter / deadLetterTopic)",
    props.maxDeliveryAttempts !== undefined && `maxDeliveryAttempts (${props.maxDeliveryAttempts})`,
    props.minimumBackoff !== undefined && `minimumBackoff (${props.minimumBackoff.toHumanString()})`,
    props.maximumBackoff !== undefined && `maximumBackoff (${props.maximumBackoff.toHumanString()})`,
  ].filter((x): x is string => typeof x === "string");
}

/** Delivery: what a Dataflow reader allows, a dead-letter policy and what it needs. */
const DELIVERY_RULES: readonly Rule<SubscriptionFacts>[] = [
  {
    breaks: ({ forDataflow, props }) => forDataflow && props.bigquery !== undefined,
    message: () => "forDataflow is for a pull subscription a Dataflow job reads; a BigQuery subscription has no reader",
  },
  {
    breaks: ({ forDataflow, props }) => forDataflow && refusedForDataflow(props).length > 0,
    message: ({ props }) =>
      `subscription "${props.subscriptionName}" is read by Dataflow (forDataflow), which does not support a subscription's dead-letter or retry policy; remove ${refusedForDataflow(props).join(", ")}: the pipeline's error table is its dead-letter path`,
  },
  {
    breaks: ({ deadLetterEnabled, maxDeliveryAttempts: attempts }) =>
      deadLetterEnabled &&
      !Token.isUnresolved(attempts) &&
      (!Number.isInteger(attempts) || attempts < DELIVERY_ATTEMPTS.min || attempts > DELIVERY_ATTEMPTS.max),
    message: ({ maxDeliveryAttempts }) =>
      `maxDeliveryAttempts is ${maxDeliveryAttempts}; a dead-letter policy allows 5 to 100 delivery attempts`,
  },
  {
    breaks: ({ deadLetterEnabled, props }) => !deadLetterEnabled && props.maxDeliveryAttempts !== undefined,
    message: () =>
      "maxDeliveryAttempts is set but dead-lettering is off (deadLetter is false, or no deadLetterTopic); remove one of them",
  },
  {
    breaks: ({ deadLetterEnabled, props }) => deadLetterEnabled && props.projectNumber === undefined,
    message: () => "deadLetterTopic needs projectNumber: the project's Pub/Sub service agent forwards the dead letters",
  },
];

/** How messages reach the table: one schema maps the fields, and the one named exists. */
const MAPPING_RULES: readonly Rule<BigQueryFacts>[] = [
  {
    breaks: ({ props }) => Boolean(props.enableExactlyOnceDelivery || props.enableMessageOrdering),
    message: () => "exactly-once delivery and ordering apply to pull subscriptions, not BigQuery subscriptions",
  },
  {
    breaks: ({ bq }) => bq.table.schema === undefined,
    message: ({ bq }) =>
      `table ${bq.table.fqn} has no known schema; a BigQuery subscription checks the columns it writes against it (give the table a schema, or import it with one)`,
  },
  {
    breaks: ({ bq }) => bq.useTableSchema === true && bq.useTopicSchema === true,
    message: () =>
      "useTableSchema and useTopicSchema are both true; a BigQuery subscription maps fields with one schema only",
  },
  {
    breaks: ({ useTopicSchema, props }) => useTopicSchema && props.topic.schema === undefined,
    message: ({ props }) =>
      `useTopicSchema is true but topic "${props.topic.topicName}" has no schema; set the topic's schema or use useTableSchema`,
  },
];

/** The first metadata column `writeMetadata` needs that the table lacks (or has with another type), as the error says it. */
function missingMetadataColumn(table: ITable): string | undefined {
  const missing = METADATA_COLUMNS.find(([column, types]) => {
    const found = table.schema?.column(column);
    return !found || !types.includes(found.type);
  });
  return missing && `a ${missing[1].join(" or ")} column "${missing[0]}" in table ${table.tableId}`;
}

/** What the table must have for the messages: the metadata columns, a `data` column without a schema mapping. */
const TABLE_RULES: readonly Rule<BigQueryFacts>[] = [
  {
    breaks: ({ bq, useTableSchema, useTopicSchema }) =>
      Boolean(bq.dropUnknownFields) && !useTableSchema && !useTopicSchema,
    message: () => "dropUnknownFields needs useTableSchema or useTopicSchema",
  },
  {
    breaks: ({ bq }) => Boolean(bq.writeMetadata) && missingMetadataColumn(bq.table) !== undefined,
    message: ({ bq }) => `writeMetadata needs ${missingMetadataColumn(bq.table)}`,
  },
  {
    breaks: ({ bq, useTableSchema, useTopicSchema }) =>
      !useTableSchema && !useTopicSchema && !(bq.table.schema?.hasColumn("data") ?? false),
    message: ({ bq }) =>
      `without useTableSchema or useTopicSchema messages go to a "data" column, which table ${bq.table.tableId} lacks`,
  },
];

/** Checks a subscription's props; returns its settings, defaults filled in. */
export function validateSubscriptionProps(path: string, props: SubscriptionRuleProps): SubscriptionSettings {
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
  const backoff = (what: string, value: Duration) =>
    validateDuration(path, what, value, { ...BACKOFF, rule: "Pub/Sub allows" });
  const facts: SubscriptionFacts = {
    props,
    ackDeadline,
    retention,
    minimumBackoff: backoff("minimumBackoff", props.minimumBackoff ?? Duration.seconds(10)),
    maximumBackoff: backoff("maximumBackoff", props.maximumBackoff ?? Duration.seconds(600)),
    maxDeliveryAttempts: props.maxDeliveryAttempts ?? 10,
    labels: { ...(props.labels ?? {}) },
    forDataflow: props.forDataflow ?? false,
    deadLetterEnabled: props.deadLetterTopic !== undefined,
  };
  checkRules(path, facts, RETRY_RULES);
  validateLabels(path, facts.labels);
  checkRules(path, facts, DELIVERY_RULES);
  if (props.projectNumber !== undefined) validateProjectNumber(path, props.projectNumber);
  const { props: _props, ...settings } = facts;
  return settings;
}

/**
 * Checks a BigQuery subscription's options (with `cdc`, the CDC rules too); returns how it maps
 * message fields: the topic's schema when the topic has one, else the table's, unless told.
 */
export function validateBigQuerySubscription(
  scope: IConstruct,
  props: SubscriptionRuleProps,
  bq: BigQueryRuleProps,
): BigQueryMapping {
  const path = scope.node.path;
  const useTopicSchema = bq.useTopicSchema ?? (bq.useTableSchema === true ? false : props.topic.schema !== undefined);
  const useTableSchema = bq.useTableSchema ?? !useTopicSchema;
  const facts: BigQueryFacts = { props, bq, useTableSchema, useTopicSchema };
  checkRules(path, facts, MAPPING_RULES);
  if (bq.cdc) {
    validateCdcSubscription(scope, {
      table: bq.table,
      topic: props.topic,
      useTableSchema,
      useTopicSchema,
      dropUnknownFields: bq.dropUnknownFields ?? false,
      messageFields: bq.messageFields,
    });
  }
  checkRules(path, facts, TABLE_RULES);
  return { useTableSchema, useTopicSchema };
}
