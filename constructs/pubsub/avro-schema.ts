/**
 * Pub/Sub Avro schemas generated from a {@link TableSchema}: one definition of the
 * columns serves the BigQuery table and the topic that feeds it, so a message that
 * would not fit the table is rejected when it is published.
 *
 * Pure (no cdktf): usable by constructs, tests and publishers alike.
 */
import { ColumnDefinition, TableSchema } from "../bigquery/table-schema";

/** An Avro schema node as JSON (a type name, a union, or a complex type). */
export type AvroType = string | AvroType[] | { [key: string]: unknown };

/** One field of an Avro record. */
export interface AvroField {
  name: string;
  type: AvroType;
  doc?: string;
  default?: unknown;
}

/** An Avro record schema. */
export interface AvroRecord {
  type: "record";
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
}

/** Options of {@link avroSchemaFromTableSchema}. */
export interface AvroSchemaOptions {
  /**
   * Name of the top-level record (letters, digits and underscores).
   * @default - the table schema's name, with other characters replaced by "_"
   */
  readonly recordName?: string;
  /**
   * Avro namespace of the records.
   * @default "freshstreams"
   */
  readonly namespace?: string;
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const AVRO_NAMESPACE = /^([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * The Avro type of each BigQuery type, chosen so that a BigQuery subscription with
 * `use_topic_schema` accepts it for the column (Pub/Sub's Avro ↔ BigQuery compatibility):
 * TIMESTAMP is a `long` in microseconds (`timestamp-micros`), DATE an `int` (`date`),
 * TIME a `long` (`time-micros`); NUMERIC, BIGNUMERIC, DATETIME, JSON and GEOGRAPHY are
 * strings in their canonical text form.
 */
const PRIMITIVES: Readonly<Record<string, AvroType>> = {
  STRING: "string",
  BYTES: "bytes",
  INT64: "long",
  FLOAT64: "double",
  BOOL: "boolean",
  TIMESTAMP: { type: "long", logicalType: "timestamp-micros" },
  DATE: { type: "int", logicalType: "date" },
  TIME: { type: "long", logicalType: "time-micros" },
  DATETIME: "string",
  NUMERIC: "string",
  BIGNUMERIC: "string",
  JSON: "string",
  GEOGRAPHY: "string",
};

/**
 * The Avro record equivalent to a table schema.
 *
 * - `REQUIRED` columns are plain types; `NULLABLE` ones are `["null", T]` with default `null`
 *   (Avro's JSON encoding writes a non-null union value as `{"T": value}`, e.g. `{"string": "x"}`);
 *   `REPEATED` ones are arrays with default `[]`.
 * - RECORD columns become nested records named after their path.
 * - RANGE columns have no Avro equivalent: the function throws.
 */
export function avroSchemaFromTableSchema(schema: TableSchema, options: AvroSchemaOptions = {}): AvroRecord {
  const recordName = options.recordName ?? schema.name.replace(/[^A-Za-z0-9_]/g, "_").replace(/^([0-9])/, "_$1");
  if (!AVRO_NAME.test(recordName)) {
    throw new Error(`${schema.name}: Avro record name "${recordName}" is not valid; use letters, digits and underscores, not starting with a digit`);
  }
  const namespace = options.namespace ?? "freshstreams";
  if (!AVRO_NAMESPACE.test(namespace)) {
    throw new Error(`${schema.name}: Avro namespace "${namespace}" is not valid; use dot-separated names of letters, digits and underscores`);
  }
  return {
    type: "record",
    name: recordName,
    namespace,
    fields: schema.columns.map((column) => toAvroField(schema.name, column, recordName)),
  };
}

/** {@link avroSchemaFromTableSchema} serialized, ready for `google_pubsub_schema.definition`. */
export function avroDefinitionFromTableSchema(schema: TableSchema, options: AvroSchemaOptions = {}): string {
  return JSON.stringify(avroSchemaFromTableSchema(schema, options));
}

function toAvroField(schemaName: string, column: ColumnDefinition, parentRecord: string): AvroField {
  const base = baseType(schemaName, column, parentRecord);
  const field: AvroField = { name: column.name, type: base };
  const mode = column.mode ?? "NULLABLE";
  if (mode === "REPEATED") {
    field.type = { type: "array", items: base };
    field.default = [];
  } else if (mode === "NULLABLE") {
    field.type = ["null", base];
    field.default = null;
  }
  if (column.description !== undefined) field.doc = column.description;
  return field;
}

function baseType(schemaName: string, column: ColumnDefinition, parentRecord: string): AvroType {
  if (column.type === "RECORD") {
    const name = `${parentRecord}_${column.name}`;
    return {
      type: "record",
      name,
      fields: (column.fields ?? []).map((child) => toAvroField(schemaName, child, name)),
    };
  }
  const primitive = PRIMITIVES[column.type];
  if (primitive === undefined) {
    throw new Error(`${schemaName}: column "${column.name}" has type ${column.type}, which has no Avro equivalent for a Pub/Sub schema`);
  }
  return typeof primitive === "string" ? primitive : { ...primitive };
}
