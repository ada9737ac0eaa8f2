/**
 * Validation and rendering shared by the BigQuery table constructs: table ids, partitioning,
 * clustering and expirations. Private to the library.
 *
 * Pure functions (no cdktf resources); every check names the construct path, the bad value and
 * the BigQuery rule it breaks, and skips unresolved tokens.
 */
import { Token } from "cdktf";
import { CLUSTERABLE_TYPES, TableSchema } from "../../schemas/table-schema";
import { Duration } from "../core/duration";
import { fail, refuseToken, validateDuration } from "../core/validation";
import { Partitioning } from "./table-options";

/** BigQuery allows at most 4 clustering columns. */
export const MAX_CLUSTERING_COLUMNS = 4;
/** BigQuery allows at most 10,000 partitions per table. */
const MAX_PARTITIONS = 10_000;
/** Table ids: Unicode letters, marks, numbers, connectors, dashes and spaces, at most 1,024 UTF-8 bytes. */
const MAX_TABLE_ID_BYTES = 1024;
/**
 * Largest value of BigQuery's INTERVAL type (`max_staleness`): its day field goes up to 3,660,000
 * (INTERVAL range `-10000-0 -3660000 -87840000:0:0` to `10000-0 3660000 87840000:0:0`).
 */
export const MAX_INTERVAL = Duration.days(3_660_000);
/**
 * Expirations are whole milliseconds with no documented upper bound: the largest the library
 * accepts is the largest whole number a JavaScript number holds exactly.
 */
const MAX_EXPIRATION = Duration.millis(Number.MAX_SAFE_INTEGER);

const TIME_GRANULARITIES: ReadonlySet<string> = new Set(["HOUR", "DAY", "MONTH", "YEAR"]);
const TABLE_ID_PATTERN = /^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]+$/u;

/** Checks a table id against BigQuery's naming rules (skipped for tokens). */
export function validateTableId(path: string, tableId: string): void {
  if (Token.isUnresolved(tableId)) return;
  if (tableId.length === 0) fail(path, "table id is empty");
  const bytes = Buffer.byteLength(tableId, "utf8");
  if (bytes > MAX_TABLE_ID_BYTES) {
    fail(
      path,
      `table id "${tableId.slice(0, 40)}..." is ${bytes} bytes long; BigQuery allows at most ${MAX_TABLE_ID_BYTES}`,
    );
  }
  if (!TABLE_ID_PATTERN.test(tableId)) {
    fail(path, `table id "${tableId}" is invalid; use letters, marks, numbers, underscores, dashes and spaces only`);
  }
}

/**
 * Checks an expiration (a table's, a partition's, a dataset's default): a {@link Duration} of
 * whole milliseconds, at least `min`; `rule` states the minimum in the failure message.
 */
export function validateExpiration(path: string, what: string, value: Duration, min: Duration, rule: string): Duration {
  validateDuration(path, what, value, {
    min: Duration.millis(0),
    max: MAX_EXPIRATION,
    wholeUnit: "milliseconds",
    rule: "BigQuery takes",
  });
  if (!value.isUnresolved() && value.toMilliseconds() < min.toMilliseconds()) {
    fail(path, `${what} is ${value.toHumanString()}; ${rule}`);
  }
  return value;
}

/** Validates partitioning against the schema. Returns the partitioning with defaults filled in. */
export function validatePartitioning(path: string, schema: TableSchema, partitioning: Partitioning): Partitioning {
  switch (partitioning.type) {
    case "NONE":
      return partitioning;
    case "INGESTION_TIME": {
      const granularity = partitioning.granularity ?? "DAY";
      checkGranularity(path, granularity);
      return { type: "INGESTION_TIME", granularity };
    }
    case "TIME_COLUMN": {
      const granularity = partitioning.granularity ?? "DAY";
      checkGranularity(path, granularity);
      if (Token.isUnresolved(partitioning.column)) return { ...partitioning, granularity };
      const column = partitioningColumn(path, schema, partitioning.column);
      if (column.type !== "DATE" && column.type !== "TIMESTAMP" && column.type !== "DATETIME") {
        fail(
          path,
          `partitioning column "${column.name}" has type ${column.type}; time-unit partitioning needs a DATE, TIMESTAMP or DATETIME column (use integerRange for INT64)`,
        );
      }
      if (column.type === "DATE" && granularity === "HOUR") {
        fail(
          path,
          `partitioning column "${column.name}" is a DATE; HOUR partitioning needs a TIMESTAMP or DATETIME column`,
        );
      }
      return { type: "TIME_COLUMN", column: column.name, granularity };
    }
    case "INTEGER_RANGE": {
      const { start, end, interval } = partitioning;
      if (!Token.isUnresolved(partitioning.column)) {
        const column = partitioningColumn(path, schema, partitioning.column);
        if (column.type !== "INT64") {
          fail(path, `integer-range partitioning column "${column.name}" has type ${column.type}; it must be INT64`);
        }
      }
      if ([start, end, interval].some((n) => Token.isUnresolved(n))) return partitioning;
      if (![start, end, interval].every(Number.isSafeInteger)) {
        fail(path, `integer-range partitioning start/end/interval (${start}, ${end}, ${interval}) must be integers`);
      }
      if (interval <= 0) fail(path, `integer-range partitioning interval is ${interval}; it must be positive`);
      if (end <= start) fail(path, `integer-range partitioning end (${end}) must be greater than start (${start})`);
      const partitions = Math.ceil((end - start) / interval);
      if (partitions > MAX_PARTITIONS) {
        fail(
          path,
          `integer-range partitioning creates ${partitions} partitions; BigQuery allows at most ${MAX_PARTITIONS} per table`,
        );
      }
      return partitioning;
    }
    default:
      return fail(path, `unknown partitioning type "${(partitioning as { type: string }).type}"`);
  }
}

function checkGranularity(path: string, granularity: string): void {
  refuseToken(
    path,
    "partitioning granularity",
    granularity,
    "it is one of HOUR, DAY, MONTH or YEAR, known at synthesis",
  );
  if (!TIME_GRANULARITIES.has(granularity)) {
    fail(path, `partitioning granularity "${granularity}" is invalid; expected HOUR, DAY, MONTH or YEAR`);
  }
}

/** Validates table-level partition options (expiration, partition filter) against the partitioning. */
export function validatePartitionOptions(
  path: string,
  partitioning: Partitioning,
  options: { partitionExpiration?: Duration; requirePartitionFilter?: boolean },
): void {
  const { partitionExpiration, requirePartitionFilter } = options;
  if (requirePartitionFilter === true && partitioning.type === "NONE") {
    fail(path, "requirePartitionFilter is true but the table is not partitioned; a partition filter needs partitions");
  }
  if (partitionExpiration === undefined) return;
  validateExpiration(path, "partitionExpiration", partitionExpiration, Duration.millis(1), "it must be positive");
  if (partitioning.type === "NONE" || partitioning.type === "INTEGER_RANGE") {
    fail(
      path,
      `partitionExpiration is set (${partitionExpiration.toHumanString()}) but the table is ${partitioning.type === "NONE" ? "not partitioned" : "integer-range partitioned"}; partition expiration needs time partitioning`,
    );
  }
}

/** Validates clustering columns: 1-4, unique, existing, top-level, clusterable, not REPEATED. Returns them as declared. */
export function validateClustering(path: string, schema: TableSchema, clustering: readonly string[]): string[] {
  if (clustering.length > MAX_CLUSTERING_COLUMNS) {
    fail(
      path,
      `clustering has ${clustering.length} columns (${clustering.join(", ")}); BigQuery allows at most ${MAX_CLUSTERING_COLUMNS}`,
    );
  }
  const seen = new Set<string>();
  return clustering.map((name) => {
    if (Token.isUnresolved(name)) return name;
    const column = topLevelColumn(path, schema, name, "clustering");
    const key = column.name.toLowerCase();
    if (seen.has(key)) fail(path, `clustering column "${name}" is listed twice`);
    seen.add(key);
    if (!CLUSTERABLE_TYPES.has(column.type)) {
      fail(
        path,
        `clustering column "${column.name}" has type ${column.type}, which BigQuery cannot cluster on; clusterable types are ${[...CLUSTERABLE_TYPES].join(", ")}`,
      );
    }
    if (column.mode === "REPEATED") {
      fail(path, `clustering column "${column.name}" is REPEATED; BigQuery clusters only on non-repeated columns`);
    }
    return column.name;
  });
}

/**
 * A partitioning column: top-level and not REPEATED. "While the mode of the column can be REQUIRED
 * or NULLABLE, it cannot be REPEATED" (https://cloud.google.com/bigquery/docs/partitioned-tables,
 * time-unit column and integer-range partitioning).
 */
function partitioningColumn(path: string, schema: TableSchema, name: string) {
  const column = topLevelColumn(path, schema, name, "partitioning");
  if (column.mode === "REPEATED") {
    fail(
      path,
      `partitioning column "${column.name}" is REPEATED; BigQuery partitions only on a REQUIRED or NULLABLE column`,
    );
  }
  return column;
}

/** A top-level column of the schema by name; fails for nested paths and unknown names. */
export function topLevelColumn(path: string, schema: TableSchema, name: string, role: string) {
  if (name.includes(".")) {
    fail(path, `${role} column "${name}" is a nested field; BigQuery only allows top-level columns here`);
  }
  const column = schema.column(name);
  if (column === undefined) {
    fail(
      path,
      `${role} column "${name}" does not exist in schema ${schema.name} (columns: ${schema.fieldNames.join(", ")})`,
    );
  }
  return column;
}

/** Partitioning rendered as the `google_bigquery_table` blocks. */
export function renderPartitioning(
  partitioning: Partitioning,
  partitionExpiration: Duration | undefined,
): {
  timePartitioning?: { type: string; field?: string; expirationMs?: number };
  rangePartitioning?: { field: string; range: { start: number; end: number; interval: number } };
} {
  const expirationMs = partitionExpiration?.toMilliseconds();
  switch (partitioning.type) {
    case "INGESTION_TIME":
      return { timePartitioning: { type: partitioning.granularity ?? "DAY", expirationMs } };
    case "TIME_COLUMN":
      return {
        timePartitioning: { type: partitioning.granularity ?? "DAY", field: partitioning.column, expirationMs },
      };
    case "INTEGER_RANGE":
      return {
        rangePartitioning: {
          field: partitioning.column,
          range: { start: partitioning.start, end: partitioning.end, interval: partitioning.interval },
        },
      };
    default:
      return {};
  }
}
