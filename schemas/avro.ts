/**
 * Pub/Sub Avro schemas generated from a {@link TableSchema}: one definition of the
 * columns serves the BigQuery table and the topic that feeds it, so a message that
 * would not fit the table is rejected when it is published.
 *
 * Pure (no cdktf), on the ground floor: used by the constructs (`StreamTopic`), the worker
 * (`MESSAGE_ENCODING=avro-json`) and tests alike.
 */
import { ColumnDefinition, TableSchema } from "./table-schema";

/** An Avro schema node as JSON (a type name, a union, or a complex type). */
export type AvroType = string | AvroType[] | { [key: string]: unknown };

/** One field of an Avro record. */
export interface AvroField {
  /** Field name (the column name). */
  name: string;
  /** Avro type of the field; nullable columns are a union with "null". */
  type: AvroType;
  /**
   * Documentation of the field (the column's description).
   * @default - none
   */
  doc?: string;
  /**
   * Value used when a message lacks the field.
   * @default - none: the field is required
   */
  default?: unknown;
}

/** An Avro record schema. */
export interface AvroRecord {
  /** Always "record". */
  type: "record";
  /** Record name. */
  name: string;
  /**
   * Namespace of the record name.
   * @default - none
   */
  namespace?: string;
  /**
   * Documentation of the record.
   * @default - none
   */
  doc?: string;
  /** The record's fields, one per column. */
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
    throw new Error(
      `${schema.name}: Avro record name "${recordName}" is not valid; use letters, digits and underscores, not starting with a digit`,
    );
  }
  const namespace = options.namespace ?? "freshstreams";
  if (!AVRO_NAMESPACE.test(namespace)) {
    throw new Error(
      `${schema.name}: Avro namespace "${namespace}" is not valid; use dot-separated names of letters, digits and underscores`,
    );
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
    throw new Error(
      `${schemaName}: column "${column.name}" has type ${column.type}, which has no Avro equivalent for a Pub/Sub schema`,
    );
  }
  return typeof primitive === "string" ? primitive : { ...primitive };
}

/** A value a publisher may give for a TIMESTAMP, DATE or TIME column. */
type TimeValue = Date | string | number;

/** Turns a plain row into the Avro JSON of one schema (see {@link encodeAvroJson}); throws on a row that does not fit. */
export type AvroJsonEncoder = (row: Record<string, unknown>) => Record<string, unknown>;

/**
 * Encodes a plain row (`{ user: "bob", bot: false, event_time: "2024-…Z" }`) as Avro JSON for a topic
 * whose schema was generated from `schema` by {@link avroSchemaFromTableSchema}: every field present
 * (missing nullable fields become `null`), non-null values of nullable fields wrapped in their union
 * branch (`{"string": "bob"}`), TIMESTAMP as microseconds since the epoch, DATE as days since the
 * epoch, TIME as microseconds since midnight, JSON as its text. Pub/Sub's Avro JSON decoder rejects
 * plain JSON for such a schema ("Could not parse message"); this is what publishers send instead.
 *
 * Throws when a REQUIRED column is missing or null, or a field is not in the schema.
 */
export function encodeAvroJson(
  schema: TableSchema,
  row: Record<string, unknown>,
  options: AvroSchemaOptions = {},
): Record<string, unknown> {
  return createAvroJsonEncoder(schema, options)(row);
}

/**
 * {@link encodeAvroJson} for many rows of one schema: the Avro names (record, namespace, union
 * branches) are worked out once, here, and each call only walks the row. Throws here when the
 * schema has no Avro equivalent, like {@link avroSchemaFromTableSchema}.
 */
export function createAvroJsonEncoder(schema: TableSchema, options: AvroSchemaOptions = {}): AvroJsonEncoder {
  const avro = avroSchemaFromTableSchema(schema, options);
  const context = { schemaName: schema.name, namespace: avro.namespace ?? "" };
  return compileRecord(context, schema.columns, avro.name, "");
}

interface EncodeContext {
  readonly schemaName: string;
  readonly namespace: string;
}

/** One column, with what encoding it needs worked out. */
interface CompiledField {
  readonly name: string;
  readonly where: string;
  readonly mode: "NULLABLE" | "REQUIRED" | "REPEATED";
  /** The union branch of a non-null NULLABLE value (`string`, `long`, a record's full name). */
  readonly branch: string;
  readonly encode: (value: unknown) => unknown;
}

function compileRecord(
  context: EncodeContext,
  columns: readonly ColumnDefinition[],
  recordName: string,
  path: string,
): AvroJsonEncoder {
  const known = new Set(columns.map((c) => c.name));
  const fields: CompiledField[] = columns.map((column) => ({
    name: column.name,
    where: `${path}${column.name}`,
    mode: column.mode ?? "NULLABLE",
    branch: branchName(context, column, recordName),
    encode: compileValue(context, column, recordName, `${path}${column.name}`),
  }));
  return (row) => {
    for (const key in row) {
      if (!known.has(key))
        throw new Error(`${context.schemaName}: field "${path}${key}" is not a column of the schema`);
    }
    const out: Record<string, unknown> = {};
    for (const field of fields) out[field.name] = encodeField(context, field, row[field.name]);
    return out;
  };
}

function encodeField(context: EncodeContext, field: CompiledField, value: unknown): unknown {
  if (field.mode === "REPEATED") {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      throw new Error(`${context.schemaName}: REPEATED field "${field.where}" must be an array`);
    return value.map(field.encode);
  }
  if (value === undefined || value === null) {
    if (field.mode === "REQUIRED") throw new Error(`${context.schemaName}: REQUIRED field "${field.where}" is missing`);
    return null;
  }
  const encoded = field.encode(value);
  return field.mode === "NULLABLE" ? { [field.branch]: encoded } : encoded;
}

/** The name Avro JSON uses for a union branch: the primitive under a logical type, or a record's full name. */
function branchName(context: EncodeContext, column: ColumnDefinition, recordName: string): string {
  if (column.type === "RECORD")
    return `${context.namespace ? `${context.namespace}.` : ""}${recordName}_${column.name}`;
  const primitive = PRIMITIVES[column.type];
  return typeof primitive === "string" ? primitive : String((primitive as { type: string }).type);
}

/** The encoder of one column's (non-null) values; a RECORD column's nested record is compiled once. */
function compileValue(
  context: EncodeContext,
  column: ColumnDefinition,
  recordName: string,
  where: string,
): (value: unknown) => unknown {
  if (column.type !== "RECORD") return (value) => encodeValue(context, column, value, where);
  const nested = compileRecord(context, column.fields ?? [], `${recordName}_${column.name}`, `${where}.`);
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Error(`${context.schemaName}: RECORD field "${where}" must be an object`);
    }
    return nested(value as Record<string, unknown>);
  };
}

/** One non-null value of a column that is not a RECORD. */
function encodeValue(context: EncodeContext, column: ColumnDefinition, value: unknown, where: string): unknown {
  const { schemaName } = context;
  switch (column.type) {
    case "TIMESTAMP":
      return Math.round(toEpochMs(schemaName, value as TimeValue, where) * 1000);
    case "DATE":
      return Math.floor(toEpochMs(schemaName, value as TimeValue, where) / 86_400_000);
    case "TIME":
      return typeof value === "number" ? value : timeOfDayMicros(schemaName, String(value), where);
    case "JSON":
      return typeof value === "string" ? value : JSON.stringify(value);
    case "INT64":
    case "FLOAT64":
      if (typeof value !== "number") throw new Error(`${schemaName}: ${column.type} field "${where}" must be a number`);
      return value;
    case "BOOL":
      if (typeof value !== "boolean") throw new Error(`${schemaName}: BOOL field "${where}" must be true or false`);
      return value;
    default:
      return typeof value === "string" ? value : String(value);
  }
}

/** Milliseconds since the epoch of a Date, an ISO string or a number of milliseconds. */
function toEpochMs(schemaName: string, value: TimeValue, where: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`${schemaName}: field "${where}" is not a time: ${String(value)}`);
  return ms;
}

function timeOfDayMicros(schemaName: string, value: string, where: string): number {
  const match = /^(\d{2}):(\d{2}):(\d{2})(\.(\d{1,6}))?$/.exec(value);
  if (!match) throw new Error(`${schemaName}: TIME field "${where}" must look like HH:MM:SS[.ffffff]`);
  const micros = Number((match[5] ?? "").padEnd(6, "0"));
  return ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1_000_000 + micros;
}
