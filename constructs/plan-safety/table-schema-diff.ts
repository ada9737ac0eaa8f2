/**
 * What a change of a BigQuery table's `schema` attribute does to its columns: those removed (their data is gone)
 * and those retyped (the provider cannot update the table in place). Private to the library.
 *
 * Types compare the way the google provider compares them (`bigQueryTableTypeEq` in
 * `resource_bigquery_table.go`, 6.50.0): case-insensitive, INTEGER = INT64, FLOAT = FLOAT64, BOOLEAN = BOOL, and
 * RECORD = STRUCT as BigQuery itself treats them.
 */

/** The column changes of one schema change, each column as its dotted path (`meta.domain`). */
export interface SchemaColumnChanges {
  /** Columns of the old schema missing from the new one. */
  readonly removed: readonly string[];
  /** Columns whose type changes, as `path: OLD → NEW`. */
  readonly retyped: readonly string[];
}

interface Column {
  readonly type: string;
  readonly mode: string;
}

const SYNONYMS: Readonly<Record<string, string>> = {
  INT64: "INTEGER",
  FLOAT64: "FLOAT",
  BOOL: "BOOLEAN",
  STRUCT: "RECORD",
};

const normalType = (type: unknown): string => {
  const upper = String(type ?? "").toUpperCase();
  return SYNONYMS[upper] ?? upper;
};

/** Parses a `schema` attribute (a JSON string, as the provider stores it); undefined when it is not one. */
export function parseSchemaAttribute(value: unknown): unknown[] | undefined {
  if (typeof value !== "string") return Array.isArray(value) ? value : undefined;
  if (value.trim() === "" || value === "null") return [];
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Every column of a schema, nested RECORD fields included, by dotted path. */
function columnsOf(fields: readonly unknown[], prefix = "", into = new Map<string, Column>()): Map<string, Column> {
  for (const field of fields) {
    if (typeof field !== "object" || field === null) continue;
    const { name, type, mode, fields: nested } = field as Record<string, unknown>;
    if (typeof name !== "string") continue;
    const path = `${prefix}${name}`;
    into.set(path, { type: normalType(type), mode: String(mode ?? "NULLABLE").toUpperCase() });
    if (Array.isArray(nested)) columnsOf(nested, `${path}.`, into);
  }
  return into;
}

/**
 * The columns a change from `before` to `after` (each a table's `schema` attribute) removes or retypes. A column
 * under a removed or retyped RECORD is not listed again. Undefined when either side cannot be read (unknown until
 * apply, or not a schema).
 */
export function schemaColumnChanges(before: unknown, after: unknown): SchemaColumnChanges | undefined {
  const oldFields = parseSchemaAttribute(before);
  const newFields = parseSchemaAttribute(after);
  if (oldFields === undefined || newFields === undefined) return undefined;
  const oldColumns = columnsOf(oldFields);
  const newColumns = columnsOf(newFields);
  const removed: string[] = [];
  const retyped: string[] = [];
  const reported: string[] = [];
  const underReported = (path: string) => reported.some((parent) => path.startsWith(`${parent}.`));
  for (const [path, column] of oldColumns) {
    if (underReported(path)) continue;
    const next = newColumns.get(path);
    if (next === undefined) {
      removed.push(path);
      reported.push(path);
    } else if (next.type !== column.type) {
      retyped.push(`${path}: ${column.type} → ${next.type}`);
      reported.push(path);
    }
  }
  return { removed, retyped };
}
