/**
 * The bytes a BigQuery query of a reporting object would scan, estimated on the emulator's data.
 *
 * The BigQuery emulator cannot measure it: its `totalBytesProcessed` (dry run or finished job) is the
 * size of the query's *result* rows by its own sizing (a STRING counted without BigQuery's 2-byte
 * header), and a dry run executes the query. So every figure here is an estimate, computed with
 * BigQuery's documented logical sizes per data type
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#data_type_sizes): STRING and
 * BYTES 2 bytes + the value's bytes, INT64, FLOAT64, TIMESTAMP, DATE, DATETIME and TIME 8, BOOL 1,
 * NUMERIC 16, BIGNUMERIC 32, JSON its UTF-8 text, STRUCT the sum of its fields, a repeated column the sum
 * of its values, NULL 0. On-demand billing then rounds each referenced table up to at least 10 MB
 * (https://cloud.google.com/bigquery/pricing#on_demand_pricing); the figures here are the bytes before that.
 */
import { LocalTable } from "./local-stack";

/** Runs one query and returns its rows (the client library's, or tools/emulators' REST client). */
export type RunQuery = (sql: string) => Promise<Record<string, unknown>[]>;

type Field = { name: string; type: string; mode?: string; fields?: Field[] };

const FIXED_BYTES: Record<string, number> = {
  INTEGER: 8,
  INT64: 8,
  FLOAT: 8,
  FLOAT64: 8,
  TIMESTAMP: 8,
  DATE: 8,
  DATETIME: 8,
  TIME: 8,
  BOOLEAN: 1,
  BOOL: 1,
  NUMERIC: 16,
  BIGNUMERIC: 32,
};

/** SQL for the logical size of one non-repeated value `ref` of `field`'s type (0 when NULL). */
function valueSize(field: Field, ref: string): string {
  const type = field.type.toUpperCase();
  if (type in FIXED_BYTES) return `IF(${ref} IS NULL, 0, ${FIXED_BYTES[type]})`;
  if (type === "STRING") return `IFNULL(2 + BYTE_LENGTH(${ref}), 0)`;
  if (type === "BYTES") return `IFNULL(2 + LENGTH(${ref}), 0)`;
  if (type === "RECORD" || type === "STRUCT")
    return (field.fields ?? []).map((sub) => columnSize(sub, `${ref}.\`${sub.name}\``)).join(" + ") || "0";
  // JSON (and anything else): the UTF-8 text of the value.
  return `IFNULL(BYTE_LENGTH(TO_JSON_STRING(${ref})), 0)`;
}

/** SQL for the logical size of column `ref` (repeated columns: the sum of their values). */
function columnSize(field: Field, ref: string): string {
  if (field.mode?.toUpperCase() !== "REPEATED") return valueSize(field, ref);
  return `IFNULL((SELECT SUM(${valueSize({ ...field, mode: undefined }, "v")}) FROM UNNEST(${ref}) AS v), 0)`;
}

/** One table (or a subquery standing in for one: `from`) and the columns a query reads of it (all when undefined). */
export interface ScanPart {
  readonly table: Pick<LocalTable, "datasetId" | "tableId" | "schema">;
  readonly columns?: readonly string[];
  /** A parenthesized query to read instead of the table (the emulator has no materialized views). */
  readonly from?: string;
}

/** The logical bytes of `columns` over every row of a table, per BigQuery's documented sizes. */
export async function columnBytes(query: RunQuery, projectId: string, part: ScanPart): Promise<number> {
  const fields = (part.table.schema as Field[]).filter((f) => !part.columns || part.columns.includes(f.name));
  if (fields.length === 0) return 0;
  const sizes = fields.map((f) => columnSize(f, `t.\`${f.name}\``)).join(" + ");
  const from = part.from ?? `\`${projectId}\`.\`${part.table.datasetId}\`.\`${part.table.tableId}\``;
  const [row] = await query(`SELECT IFNULL(SUM(${sizes}), 0) AS bytes FROM ${from} AS t`);
  return Number(row.bytes);
}

/**
 * The parts a view's SQL scans: every table of `tables` the SQL names, with the columns of it whose
 * names appear in the SQL as words (an over-estimate when another table's column has the same name).
 */
export function viewScanParts(sql: string, projectId: string, tables: readonly LocalTable[]): ScanPart[] {
  const named = tables.filter((t) => sql.includes(`\`${projectId}\`.\`${t.datasetId}\`.\`${t.tableId}\``));
  return named.map((table) => ({
    table,
    columns: (table.schema as Field[])
      .map((f) => f.name)
      .filter((name) => new RegExp(`(?<![\\w.])\`?${name}\`?(?!\\w)`).test(sql.replace(/--.*$/gm, ""))),
  }));
}

/** The estimated bytes scanned by a query reading `parts`. */
export async function scanBytes(query: RunQuery, projectId: string, parts: readonly ScanPart[]): Promise<number> {
  let total = 0;
  for (const part of parts) total += await columnBytes(query, projectId, part);
  return total;
}
