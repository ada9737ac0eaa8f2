/**
 * The CDC rules of a BigQuery subscription (`addBigQuerySubscription(table, { cdc: true, messageFields })`).
 * Private to the library.
 *
 * Pub/Sub applies change rows when the subscription maps JSON fields with the table's schema
 * (`use_table_schema`) and the table has a primary key: a message's `_CHANGE_TYPE` (`UPSERT` or
 * `DELETE`) and `_CHANGE_SEQUENCE_NUMBER` fields become BigQuery's CDC pseudo-columns.
 */
import { IConstruct } from "constructs";
import { Annotations, Token } from "cdktf";
import { CHANGE_SEQUENCE_NUMBER_COLUMN, CHANGE_TYPE_COLUMN, CDC_PSEUDO_COLUMNS } from "../../schemas/cdc-sequence";
import { ITable, ITopic } from "../core/references";
import { fail } from "../core/validation";

/** What the CDC checks look at. */
export interface CdcSubscriptionInput {
  readonly table: ITable;
  readonly topic: ITopic;
  readonly useTableSchema: boolean;
  readonly useTopicSchema: boolean;
  readonly dropUnknownFields: boolean;
  readonly messageFields?: readonly string[];
}

/** The table's primary key, when the table declares a non-empty one (a `CdcTable`, an imported table, any `ITable`). */
export function primaryKeyOf(table: ITable): readonly string[] | undefined {
  const key = table.primaryKey;
  return key !== undefined && key.length > 0 ? key : undefined;
}

/**
 * Fails synthesis, naming the construct path, the value and the rule, when a CDC subscription
 * could not apply changes: no primary key, not `useTableSchema`, messages that would not carry
 * `_CHANGE_TYPE` or a key column, or fields the table lacks. Warns when the messages carry no
 * `_CHANGE_SEQUENCE_NUMBER`.
 */
export function validateCdcSubscription(scope: IConstruct, input: CdcSubscriptionInput): void {
  const path = scope.node.path;
  const { table, topic } = input;
  const primaryKey = primaryKeyOf(table);
  if (primaryKey === undefined) {
    fail(
      path,
      `cdc is true but table ${table.fqn} has no primary key; BigQuery applies UPSERT and DELETE rows by primary key (write to a CdcTable)`,
    );
  }
  if (!input.useTableSchema || input.useTopicSchema) {
    fail(
      path,
      `cdc is true but useTableSchema is ${input.useTableSchema} and useTopicSchema is ${input.useTopicSchema}; a CDC subscription reads ${CHANGE_TYPE_COLUMN} and ${CHANGE_SEQUENCE_NUMBER_COLUMN} from the JSON messages mapped with the table's schema (useTableSchema: true)`,
    );
  }
  if (topic.schema !== undefined && !topic.schema.hasColumn(CHANGE_TYPE_COLUMN)) {
    fail(
      path,
      `cdc is true but the schema of topic "${topic.topicName}" has no ${CHANGE_TYPE_COLUMN} field, so its messages cannot carry one; publish CDC changes to a topic without a schema`,
    );
  }
  const fields = input.messageFields;
  if (fields === undefined) {
    fail(
      path,
      `cdc is true but messageFields is not set; list the top-level fields of the topic's messages (the table's columns plus ${CDC_PSEUDO_COLUMNS.join(" and ")}) so the subscription can be checked against the table`,
    );
  }
  if (fields.some((field) => Token.isUnresolved(field))) return;
  if (!fields.includes(CHANGE_TYPE_COLUMN)) {
    fail(
      path,
      `cdc is true but messageFields [${fields.join(", ")}] lack ${CHANGE_TYPE_COLUMN}; without it every message is appended as an UPSERT-less plain row`,
    );
  }
  const missingKey = primaryKey.filter((column) => !Token.isUnresolved(column) && !fields.includes(column));
  if (missingKey.length > 0) {
    fail(
      path,
      `messageFields [${fields.join(", ")}] lack the primary key column(s) ${missingKey.join(", ")} of table ${table.fqn}; every change must name its row`,
    );
  }
  const schema = table.schema;
  if (schema !== undefined && !input.dropUnknownFields) {
    const unknown = fields.filter(
      (field) => !(CDC_PSEUDO_COLUMNS as readonly string[]).includes(field) && !schema.hasColumn(field),
    );
    if (unknown.length > 0) {
      fail(
        path,
        `messageFields ${unknown.join(", ")} are not columns of table ${table.fqn}; messages carrying them would stay in the backlog (add the columns or set dropUnknownFields)`,
      );
    }
  }
  if (!fields.includes(CHANGE_SEQUENCE_NUMBER_COLUMN)) {
    Annotations.of(scope).addWarning(
      `messageFields lack ${CHANGE_SEQUENCE_NUMBER_COLUMN}: BigQuery then orders the changes of a key by arrival, so a redelivered older message can overwrite newer state`,
    );
  }
}
