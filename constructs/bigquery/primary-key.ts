/**
 * The rules of a BigQuery primary key (`NOT ENFORCED`), by which CDC rows are applied: of a
 * `CdcTable`, and of an imported table declaring one. Private to the library.
 */
import { Token } from "cdktf";
import { TableSchema } from "../../schemas/table-schema";
import { fail } from "../core/validation";
import { topLevelColumn } from "./table-validation";

/** BigQuery supports composite primary keys of at most 16 columns for CDC. */
const MAX_PRIMARY_KEY_COLUMNS = 16;
/**
 * Column types BigQuery takes in a primary key: "Primary keys in BigQuery must be of the following
 * data types: DATE, BOOL, GEOGRAPHY, INT64, NUMERIC, BIGNUMERIC, STRING, TIMESTAMP, DATETIME"
 * (https://cloud.google.com/datastream/docs/destination-bigquery, Known limitations; the CDC key of
 * https://cloud.google.com/bigquery/docs/change-data-capture is that primary key).
 */
export const PRIMARY_KEY_TYPES: ReadonlySet<string> = new Set([
  "DATE",
  "BOOL",
  "GEOGRAPHY",
  "INT64",
  "NUMERIC",
  "BIGNUMERIC",
  "STRING",
  "TIMESTAMP",
  "DATETIME",
]);

/**
 * Checks a primary key: 1 to 16 columns, none twice; with a known `schema`, each an existing,
 * top-level, non-repeated column of a key type. Returns the columns as the schema spells them.
 */
export function validatePrimaryKey(path: string, key: readonly string[] | undefined, schema?: TableSchema): string[] {
  const columns = key ?? [];
  if (columns.length === 0) fail(path, "primary key is empty; a CDC table needs 1 to 16 key columns");
  if (columns.length > MAX_PRIMARY_KEY_COLUMNS) {
    fail(path, `primary key has ${columns.length} columns; BigQuery allows at most ${MAX_PRIMARY_KEY_COLUMNS}`);
  }
  const seen = new Set<string>();
  return columns.map((name) => {
    if (Token.isUnresolved(name)) return name;
    const spelled = schema === undefined ? name : keyColumn(path, schema, name);
    if (seen.has(spelled.toLowerCase())) fail(path, `primary key column "${name}" is listed twice`);
    seen.add(spelled.toLowerCase());
    return spelled;
  });
}

/** The schema's column `name` if it may be a key column (top-level, non-repeated, a key type). */
function keyColumn(path: string, schema: TableSchema, name: string): string {
  const column = topLevelColumn(path, schema, name, "primary key");
  if (column.mode === "REPEATED") {
    fail(path, `primary key column "${column.name}" is REPEATED; key columns must be non-repeated`);
  }
  if (!PRIMARY_KEY_TYPES.has(column.type)) {
    fail(
      path,
      `primary key column "${column.name}" has type ${column.type}; BigQuery primary key columns are ${[...PRIMARY_KEY_TYPES].join(", ")}`,
    );
  }
  return column.name;
}
