/**
 * The props of {@link WindowedAggregate} and the types they use, in a module of their own so that the rule table
 * (validate-windowed-aggregate-props.ts) can name them without an import circle.
 */
import { Duration } from "../core/duration";
import { IDataset, ITable, ITopic } from "../core/references";
import { WindowKind } from "./window-kind";

/** A table whose largest value in one column is a time up to which the source is complete. */
export interface SourceMark {
  /** The table, e.g. the staging high-water mark `wiki_staged_watermark`. */
  readonly table: ITable;
  /**
   * Its TIMESTAMP column: every source row with an arrival time at or before `MAX(column)` is committed.
   * @default "recorded_at"
   */
  readonly column?: string;
}

/** The ingestion-time partitioned table the source is loaded from, where very late arrivals are found. */
export interface IngestionLog {
  /**
   * The table, e.g. the raw `wiki_changes`: partitioned by ingestion time (`_PARTITIONTIME`), with the
   * source's id, key and event-time columns under the same names.
   */
  readonly table: ITable;
}

/** Props of {@link WindowedAggregate}. */
export interface WindowedAggregateProps {
  /** The events: a table partitioned by `timeColumn`, one row per distinct event. */
  readonly source: ITable;
  /** Where the source's completeness is recorded (the source's loader writes it after each load). */
  readonly sourceMark: SourceMark;
  /** Dataset of the window table and its late-events table. */
  readonly dataset: IDataset;
  /** Table id of the window table; the late-events table is `<tableId>_late_events`. */
  readonly tableId: string;
  /** Tumbling, hopping or session windows. */
  readonly window: WindowKind;
  /** Source column the windows are kept per (e.g. `wiki`, or `user` for sessions): a STRING; rows where it is NULL are skipped. */
  readonly keyColumn: string;
  /**
   * Name of the value column of the window table.
   * @default "changes"
   */
  readonly measure?: string;
  /**
   * Source column whose distinct non-NULL values the measure counts.
   * @default - the `idColumn`: distinct events
   */
  readonly countDistinct?: string;
  /**
   * Event-time column of the source (its partitioning column).
   * @default "event_time"
   */
  readonly timeColumn?: string;
  /**
   * Unique event id column of the source.
   * @default "event_id"
   */
  readonly idColumn?: string;
  /**
   * TIMESTAMP column of the source telling when a row arrived (compared with the source mark).
   * @default "staged_at"
   */
  readonly arrivalColumn?: string;
  /**
   * How far behind the newest event time an event may be and still update its window. The watermark is
   * the max event time seen minus this; windows before it are final. Whole seconds.
   * @default Duration.minutes(10)
   */
  readonly allowedLateness?: Duration;
  /**
   * How far back from the run time the source is read (a constant filter on its partitioning column,
   * so the scan stays flat): at least the allowed lateness plus the window's size or gap, and as long as
   * events may arrive late into the source. Whole hours.
   * @default Duration.hours(96)
   */
  readonly sourceHorizon?: Duration;
  /**
   * Where arrivals older than the source horizon are found, by their (recent) ingestion time: each run
   * records those behind the watermark in the late-events table, however late
   * (`sql/analytics/window_very_late_events.sql`); the scheduled query reads the table's dataset.
   * @default - none: an arrival older than the horizon is neither windowed nor recorded
   */
  readonly ingestionLog?: IngestionLog;
  /** Project the scheduled query and its service account live in. */
  readonly project: string;
  /** The project's number (names the Data Transfer service agent). */
  readonly projectNumber: string;
  /** BigQuery location of the datasets. */
  readonly location: string;
  /**
   * Schedule of the incremental run, in the Data Transfer Service's syntax.
   * @default "every 15 minutes"
   */
  readonly schedule?: string;
  /**
   * Account id of the scheduled query's service account.
   * @default - derived from the construct id
   */
  readonly serviceAccountId?: string;
  /**
   * Topic that receives a message after every run.
   * @default - no run notifications
   */
  readonly notificationTopic?: ITopic;
  /**
   * Whether Terraform refuses to destroy the tables.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Labels of the tables.
   * @default {}
   */
  readonly labels?: Record<string, string>;
}
