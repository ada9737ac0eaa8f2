/**
 * Schema as code: one typed definition of a BigQuery table's columns.
 *
 * A `TableSchema` is plain data (not a construct) so that the constructs, the SQL
 * checks and the worker's projection can all reuse the same definition. It has no
 * dependency on cdktf.
 */

/** The GoogleSQL types a column may have. */
export type ColumnType =
  | "STRING"
  | "BYTES"
  | "INT64"
  | "FLOAT64"
  | "NUMERIC"
  | "BIGNUMERIC"
  | "BOOL"
  | "TIMESTAMP"
  | "DATE"
  | "DATETIME"
  | "TIME"
  | "JSON"
  | "GEOGRAPHY"
  | "RANGE"
  | "RECORD";

/** How many values a column holds. */
export type ColumnMode = "NULLABLE" | "REQUIRED" | "REPEATED";

/** The element types a RANGE column may have. */
export type RangeElementType = "DATE" | "DATETIME" | "TIMESTAMP";

/** One column of a table. */
export interface ColumnDefinition {
  /** Column name: letters, digits and underscores, starting with a letter or underscore, at most 300 characters. */
  readonly name: string;
  /** GoogleSQL type. */
  readonly type: ColumnType;
  /**
   * Whether the column is nullable, required or repeated.
   * @default "NULLABLE"
   */
  readonly mode?: ColumnMode;
  /**
   * Human-readable description, stored with the table.
   * @default - no description
   */
  readonly description?: string;
  /**
   * A default value expression evaluated when a row omits the column, e.g. `CURRENT_TIMESTAMP()`.
   * @default - no default (NULL)
   */
  readonly defaultValueExpression?: string;
  /**
   * Element type of a RANGE column; required when `type` is `RANGE`, forbidden otherwise.
   * @default - none
   */
  readonly rangeElementType?: RangeElementType;
  /**
   * Sub-columns of a RECORD column; required (non-empty) when `type` is `RECORD`, forbidden otherwise.
   * @default - none
   */
  readonly fields?: ColumnDefinition[];
}

/** One field of BigQuery's JSON table schema, as the REST API and Terraform take it. */
export interface BigQueryJsonField {
  name: string;
  type: string;
  mode: ColumnMode;
  description?: string;
  defaultValueExpression?: string;
  rangeElementType?: { type: RangeElementType };
  fields?: BigQueryJsonField[];
}

/** Options for {@link TableSchema}. */
export interface TableSchemaOptions {
  /**
   * Name used in error messages (usually the table it describes).
   * @default "TableSchema"
   */
  readonly name?: string;
}

/** A schema may contain at most 15 levels of nested RECORD columns (a top-level RECORD is level 1). */
export const MAX_NESTING_DEPTH = 15;
/** BigQuery allows at most 10,000 columns in a table, nested ones included. */
export const MAX_COLUMNS = 10_000;
/** Column names may be at most 300 characters long. */
export const MAX_COLUMN_NAME_LENGTH = 300;

/** Prefixes BigQuery reserves for pseudo-columns and system columns (compared case-insensitively). */
export const RESERVED_COLUMN_PREFIXES = [
  "_PARTITION",
  "_TABLE_",
  "_FILE_",
  "_ROW_TIMESTAMP",
  "__ROOT__",
  "_COLIDENTIFIER",
  "_CHANGE_TYPE",
  "_CHANGE_SEQUENCE_NUMBER",
] as const;

const COLUMN_TYPES: ReadonlySet<string> = new Set<ColumnType>([
  "STRING",
  "BYTES",
  "INT64",
  "FLOAT64",
  "NUMERIC",
  "BIGNUMERIC",
  "BOOL",
  "TIMESTAMP",
  "DATE",
  "DATETIME",
  "TIME",
  "JSON",
  "GEOGRAPHY",
  "RANGE",
  "RECORD",
]);
const COLUMN_MODES: ReadonlySet<string> = new Set<ColumnMode>(["NULLABLE", "REQUIRED", "REPEATED"]);
const RANGE_ELEMENT_TYPES: ReadonlySet<string> = new Set<RangeElementType>(["DATE", "DATETIME", "TIMESTAMP"]);
const COLUMN_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The names the BigQuery API reports back for a type. Rendering these avoids a
 * perpetual Terraform diff between `INT64` in config and `INTEGER` in state.
 */
const API_TYPE_NAMES: Partial<Record<ColumnType, string>> = {
  INT64: "INTEGER",
  FLOAT64: "FLOAT",
  BOOL: "BOOLEAN",
};

/** Types that may be used as clustering columns. */
export const CLUSTERABLE_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>([
  "STRING",
  "BYTES",
  "INT64",
  "NUMERIC",
  "BIGNUMERIC",
  "BOOL",
  "TIMESTAMP",
  "DATE",
  "DATETIME",
  "GEOGRAPHY",
  "RANGE",
]);

/**
 * A validated, immutable list of columns.
 *
 * @example
 * const schema = new TableSchema([
 *   { name: "event_id", type: "STRING", mode: "REQUIRED" },
 *   { name: "_inserted_at", type: "TIMESTAMP", defaultValueExpression: "CURRENT_TIMESTAMP()" },
 * ], { name: "streaming_events" });
 */
export class TableSchema {
  /** The columns, exactly as given. */
  public readonly columns: readonly ColumnDefinition[];
  /** Name used in error messages. */
  public readonly name: string;

  constructor(columns: readonly ColumnDefinition[], options: TableSchemaOptions = {}) {
    this.name = options.name ?? "TableSchema";
    if (columns.length === 0) {
      throw new Error(`${this.name}: a table schema needs at least one column`);
    }
    const total = validateColumns(this.name, columns, "", 1);
    if (total > MAX_COLUMNS) {
      throw new Error(`${this.name}: schema has ${total} columns; BigQuery allows at most ${MAX_COLUMNS}`);
    }
    this.columns = Object.freeze([...columns]);
  }

  /** Top-level column names, in order. */
  public get fieldNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** The top-level column with this name (case-insensitive, as BigQuery compares names), if any. */
  public column(name: string): ColumnDefinition | undefined {
    const wanted = name.toLowerCase();
    return this.columns.find((c) => c.name.toLowerCase() === wanted);
  }

  /** Whether a top-level column with this name exists (case-insensitive). */
  public hasColumn(name: string): boolean {
    return this.column(name) !== undefined;
  }

  /** A new schema with these columns appended (validated again as a whole). */
  public withColumns(extra: readonly ColumnDefinition[], options: TableSchemaOptions = {}): TableSchema {
    return new TableSchema([...this.columns, ...extra], { name: options.name ?? this.name });
  }

  /** BigQuery's JSON schema: the array the REST API and `google_bigquery_table.schema` take. */
  public toBigQueryJson(): BigQueryJsonField[] {
    return this.columns.map(toJsonField);
  }

  /** {@link toBigQueryJson} as a string, ready for `google_bigquery_table.schema`. */
  public toJsonString(): string {
    return JSON.stringify(this.toBigQueryJson());
  }
}

function toJsonField(column: ColumnDefinition): BigQueryJsonField {
  const field: BigQueryJsonField = {
    name: column.name,
    type: API_TYPE_NAMES[column.type] ?? column.type,
    mode: column.mode ?? "NULLABLE",
  };
  if (column.description !== undefined) field.description = column.description;
  if (column.defaultValueExpression !== undefined) field.defaultValueExpression = column.defaultValueExpression;
  if (column.rangeElementType !== undefined) field.rangeElementType = { type: column.rangeElementType };
  if (column.fields !== undefined) field.fields = column.fields.map(toJsonField);
  return field;
}

/** Validates one level of columns and recurses into records; returns how many columns it saw. */
function validateColumns(
  schemaName: string,
  columns: readonly ColumnDefinition[],
  parentPath: string,
  depth: number,
): number {
  const seen = new Map<string, string>();
  let total = 0;
  for (const column of columns) {
    const path = parentPath ? `${parentPath}.${column.name}` : column.name;
    validateName(schemaName, column.name, path);
    const key = column.name.toLowerCase();
    const clash = seen.get(key);
    if (clash !== undefined) {
      throw new Error(
        `${schemaName}: column "${path}" duplicates "${clash}"; BigQuery column names are case-insensitive and must be unique`,
      );
    }
    seen.set(key, column.name);
    total += 1;
    if (!COLUMN_TYPES.has(column.type)) {
      throw new Error(
        `${schemaName}: column "${path}" has type "${column.type}"; expected one of ${[...COLUMN_TYPES].join(", ")}`,
      );
    }
    if (column.mode !== undefined && !COLUMN_MODES.has(column.mode)) {
      throw new Error(
        `${schemaName}: column "${path}" has mode "${column.mode}"; expected NULLABLE, REQUIRED or REPEATED`,
      );
    }
    if (column.type === "RANGE") {
      if (column.rangeElementType === undefined || !RANGE_ELEMENT_TYPES.has(column.rangeElementType)) {
        throw new Error(
          `${schemaName}: RANGE column "${path}" has element type "${column.rangeElementType}"; expected DATE, DATETIME or TIMESTAMP`,
        );
      }
      if (column.mode === "REPEATED") {
        throw new Error(`${schemaName}: RANGE column "${path}" cannot be REPEATED; BigQuery has no ARRAY<RANGE>`);
      }
    } else if (column.rangeElementType !== undefined) {
      throw new Error(
        `${schemaName}: column "${path}" sets rangeElementType but its type is ${column.type}, not RANGE`,
      );
    }
    if (column.type === "RECORD") {
      if (!column.fields || column.fields.length === 0) {
        throw new Error(`${schemaName}: RECORD column "${path}" needs at least one field`);
      }
      // depth counts RECORD levels: a top-level RECORD is level 1.
      if (depth > MAX_NESTING_DEPTH) {
        throw new Error(
          `${schemaName}: column "${path}" nests RECORDs ${depth} levels deep; BigQuery allows at most ${MAX_NESTING_DEPTH}`,
        );
      }
      total += validateColumns(schemaName, column.fields, path, depth + 1);
    } else if (column.fields !== undefined) {
      throw new Error(`${schemaName}: column "${path}" has fields but its type is ${column.type}, not RECORD`);
    }
    if (column.defaultValueExpression !== undefined) {
      if (column.defaultValueExpression.trim() === "") {
        throw new Error(`${schemaName}: column "${path}" has an empty default value expression`);
      }
      if (column.mode === "REPEATED") {
        throw new Error(`${schemaName}: REPEATED column "${path}" cannot have a default value expression`);
      }
    }
  }
  return total;
}

function validateName(schemaName: string, name: string, path: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new Error(`${schemaName}: a column in "${path || "(top level)"}" has an empty name`);
  }
  if (name.length > MAX_COLUMN_NAME_LENGTH) {
    throw new Error(
      `${schemaName}: column "${path}" has a ${name.length}-character name; BigQuery allows at most ${MAX_COLUMN_NAME_LENGTH}`,
    );
  }
  if (!COLUMN_NAME_PATTERN.test(name)) {
    throw new Error(
      `${schemaName}: column "${path}" is not a valid name; use letters, digits and underscores, starting with a letter or underscore`,
    );
  }
  const upper = name.toUpperCase();
  const reserved = RESERVED_COLUMN_PREFIXES.find((prefix) => upper.startsWith(prefix));
  if (reserved !== undefined) {
    throw new Error(`${schemaName}: column "${path}" starts with the reserved prefix "${reserved}"`);
  }
}
