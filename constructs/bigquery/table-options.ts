/**
 * Partitioning of native BigQuery tables: the typed options every table construct takes.
 * Their validation against the table's schema is private to the library (`table-validation.ts`).
 */

/** Time unit of a time-partitioned table. */
export type TimeGranularity = "HOUR" | "DAY" | "MONTH" | "YEAR";

/** One partition per unit of ingestion time, queried through `_PARTITIONTIME` / `_PARTITIONDATE`. */
export interface IngestionTimePartitioning {
  /** The kind of partitioning. */
  readonly type: "INGESTION_TIME";
  /**
   * Partition size.
   * @default "DAY"
   */
  readonly granularity?: TimeGranularity;
}

/** One partition per unit of a top-level DATE, TIMESTAMP or DATETIME column. */
export interface TimeColumnPartitioning {
  /** The kind of partitioning. */
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
  /** The kind of partitioning. */
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
  /** The kind of partitioning. */
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
