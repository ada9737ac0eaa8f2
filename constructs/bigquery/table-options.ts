/**
 * Partitioning and clustering of native BigQuery tables: the typed options and the
 * validation shared by {@link StreamingTable} and {@link CdcTable}.
 *
 * Pure functions (no cdktf resources); every check names the construct path, the bad
 * value and the BigQuery rule it breaks.
 */
import * as crypto from "node:crypto";
import { Token } from "cdktf";
import { CLUSTERABLE_TYPES, TableSchema } from "./table-schema";

/** Time unit of a time-partitioned table. */
export type TimeGranularity = "HOUR" | "DAY" | "MONTH" | "YEAR";

/** One partition per unit of ingestion time, queried through `_PARTITIONTIME` / `_PARTITIONDATE`. */
export interface IngestionTimePartitioning {
  readonly type: "INGESTION_TIME";
  /**
   * Partition size.
   * @default "DAY"
   */
  readonly granularity?: TimeGranularity;
}

/** One partition per unit of a top-level DATE, TIMESTAMP or DATETIME column. */
export interface TimeColumnPartitioning {
  readonly type: "TIME_COLUMN";
  /** The partitioning column (top-level, DATE, TIMESTAMP or DATETIME, not REPEATED). */
  readonly column: string;
  /**
   * Partition size; DATE columns take DAY, MONTH or YEAR.
   * @default "DAY"
   */
  readonly granularity?: TimeGranularity;
}

/** One partition per `interval` of a top-level INT64 column between `start` (inclusive) and `end` (exclusive). */
export interface IntegerRangePartitioning {
  readonly type: "INTEGER_RANGE";
  /** The partitioning column (top-level INT64, not REPEATED). */
  readonly column: string;
  /** First value of the first partition (inclusive). */
  readonly start: number;
  /** End of the last partition (exclusive). */
  readonly end: number;
  /** Width of each partition. */
  readonly interval: number;
}

/** No partitioning (small dimension or reporting tables only). */
export interface NoPartitioning {
  readonly type: "NONE";
}

/** How a table is partitioned. Build one with the {@link Partitioning} helpers. */
export type Partitioning =
  IngestionTimePartitioning | TimeColumnPartitioning | IntegerRangePartitioning | NoPartitioning;

/** Factories for {@link Partitioning} values. */
export const Partitioning = {
  /** Ingestion-time partitioning (`_PARTITIONTIME`). */
  ingestionTime(granularity: TimeGranularity = "DAY"): IngestionTimePartitioning {
    return { type: "INGESTION_TIME", granularity };
  },
  /** Partitioning by a DATE, TIMESTAMP or DATETIME column; `column("event_time")` is `PARTITION BY DATE(event_time)`. */
  column(column: string, granularity: TimeGranularity = "DAY"): TimeColumnPartitioning {
    return { type: "TIME_COLUMN", column, granularity };
  },
  /** Integer-range partitioning of an INT64 column. */
  integerRange(column: string, start: number, end: number, interval: number): IntegerRangePartitioning {
    return { type: "INTEGER_RANGE", column, start, end, interval };
  },
  /** No partitioning. */
  none(): NoPartitioning {
    return { type: "NONE" };
  },
} as const;

/** BigQuery allows at most 4 clustering columns. */
export const MAX_CLUSTERING_COLUMNS = 4;
/** BigQuery allows at most 10,000 partitions per table. */
export const MAX_PARTITIONS = 10_000;
/** Table ids: Unicode letters, marks, numbers, connectors, dashes and spaces, at most 1,024 UTF-8 bytes. */
export const MAX_TABLE_ID_BYTES = 1024;

const TIME_GRANULARITIES: ReadonlySet<string> = new Set<TimeGranularity>(["HOUR", "DAY", "MONTH", "YEAR"]);
const TABLE_ID_PATTERN = /^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]+$/u;
const DAY_MS = 86_400_000;

/** Fails with `${path}: ${message}`. */
export function fail(path: string, message: string): never {
  throw new Error(`${path}: ${message}`);
}

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
      const column = topLevelColumn(path, schema, partitioning.column, "partitioning");
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
        const column = topLevelColumn(path, schema, partitioning.column, "partitioning");
        if (column.type !== "INT64") {
          fail(path, `integer-range partitioning column "${column.name}" has type ${column.type}; it must be INT64`);
        }
      }
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
  if (!TIME_GRANULARITIES.has(granularity)) {
    fail(path, `partitioning granularity "${granularity}" is invalid; expected HOUR, DAY, MONTH or YEAR`);
  }
}

/** Validates table-level partition options (expiration, partition filter) against the partitioning. */
export function validatePartitionOptions(
  path: string,
  partitioning: Partitioning,
  options: { partitionExpirationDays?: number; requirePartitionFilter?: boolean },
): void {
  const { partitionExpirationDays, requirePartitionFilter } = options;
  if (requirePartitionFilter === true && partitioning.type === "NONE") {
    fail(path, "requirePartitionFilter is true but the table is not partitioned; a partition filter needs partitions");
  }
  if (partitionExpirationDays !== undefined && !Token.isUnresolved(partitionExpirationDays)) {
    if (partitioning.type === "NONE" || partitioning.type === "INTEGER_RANGE") {
      fail(
        path,
        `partitionExpirationDays is set (${partitionExpirationDays}) but the table is ${partitioning.type === "NONE" ? "not partitioned" : "integer-range partitioned"}; partition expiration needs time partitioning`,
      );
    }
    if (!Number.isFinite(partitionExpirationDays) || partitionExpirationDays <= 0) {
      fail(path, `partitionExpirationDays is ${partitionExpirationDays}; it must be a positive number of days`);
    }
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
  partitionExpirationDays: number | undefined,
): {
  timePartitioning?: { type: string; field?: string; expirationMs?: number };
  rangePartitioning?: { field: string; range: { start: number; end: number; interval: number } };
} {
  const expirationMs = partitionExpirationDays === undefined ? undefined : Math.round(partitionExpirationDays * DAY_MS);
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

/** Validates a list of labels (keys and values as BigQuery accepts them). */
export function validateLabels(path: string, labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > 64) fail(path, `has ${entries.length} labels; at most 64 are allowed`);
  for (const [key, value] of entries) {
    if (Token.isUnresolved(key) || Token.isUnresolved(value)) continue;
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(key)) {
      fail(
        path,
        `label key "${key}" is invalid; keys start with a lowercase letter and use lowercase letters, digits, _ and - (max 63)`,
      );
    }
    if (!/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(value)) {
      fail(path, `label "${key}" has value "${value}"; values use lowercase letters, digits, _ and - (max 63)`);
    }
  }
}

/** Rejects public principals and members without a type prefix (IAM `grant*` methods). */
export function validateMember(path: string, member: string): void {
  if (Token.isUnresolved(member)) return;
  if (member === "allUsers" || member === "allAuthenticatedUsers") {
    fail(path, `refusing to grant access to "${member}"; public access to warehouse data is not allowed`);
  }
  if (
    !/^(user|serviceAccount|group|domain|principal|principalSet|iamMember|projectOwner|projectEditor|projectViewer):.+/.test(
      member,
    )
  ) {
    fail(path, `IAM member "${member}" needs a type prefix such as serviceAccount:, user:, group: or domain:`);
  }
}

/** A short, stable hash for construct ids and job ids. */
export function shortHash(value: string, length = 10): string {
  return crypto.createHash("sha256").update(value).digest("hex").slice(0, length);
}
