import { Construct } from "constructs";
import { EnvironmentConfig } from "../config/schema";
import { Duration, ITopic, WindowedAggregate, WindowKind } from "../constructs";
import type { Warehouse } from "./warehouse";

/** Props of {@link Analytics}. */
export interface AnalyticsProps {
  /** The warehouse: wiki_staged is the source, its high-water mark the source mark, reporting the dataset. */
  readonly warehouse: Warehouse;
  /** The environment's settings (`projectId`, `projectNumber`, `location`, `elt.lookbackHours`, `windows`). */
  readonly config: EnvironmentConfig;
  /**
   * Labels of the tables.
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /**
   * Topic every window run notifies (the ELT's run-notification topic).
   * @default - no run notifications
   */
  readonly notificationTopic?: ITopic;
}

/** Table ids of the window tables in the reporting dataset. */
export const WINDOW_TABLES = {
  tumbling: "wiki_changes_per_minute",
  hopping: "wiki_active_editors_5m",
  sessions: "user_sessions",
} as const;

/**
 * Windowed aggregations with event-time semantics over wiki_staged, each in its own reporting
 * table, maintained incrementally by its own scheduled query:
 *
 * - tumbling: changes per wiki per minute;
 * - hopping: active editors per wiki over 5 minutes, every minute;
 * - sessions: per-user editing sessions ended by `windows.sessionGapMinutes` (30) idle minutes.
 *
 * A change is a distinct staged event (by event_id) at its event_time. The watermark is the max
 * event time seen minus `windows.allowedLatenessMinutes`. The source is read over twice the
 * staging lookback plus the window's reach: every event the staging load can still add.
 */
export class Analytics extends Construct {
  /** Changes per wiki per minute. */
  public readonly tumbling: WindowedAggregate;
  /** Active editors per wiki over 5 minutes, every minute. */
  public readonly hopping: WindowedAggregate;
  /** Editing sessions per user. */
  public readonly sessions: WindowedAggregate;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const { warehouse, config } = props;
    const settings = config.windows;
    const lateness = Duration.minutes(settings.allowedLatenessMinutes);
    const gap = Duration.minutes(settings.sessionGapMinutes);
    // The staging load adds events up to 2 x lookbackHours old; a window reaches back its size or gap
    // and the lateness on top: whole hours, rounded up.
    const horizon = (reach: Duration) =>
      Duration.hours(2 * config.elt.lookbackHours + Math.ceil((reach.toSeconds() + lateness.toSeconds()) / 3600));
    const common = {
      source: warehouse.wikiStaged,
      sourceMark: { table: warehouse.stagingWatermark, column: "recorded_at" },
      ingestionLog: { table: warehouse.wikiChanges }, // arrivals older than the horizon: found in raw by ingestion time
      dataset: warehouse.reportingDataset,
      allowedLateness: lateness,
      project: config.projectId,
      projectNumber: config.projectNumber,
      location: config.location,
      schedule: settings.schedule,
      deletionProtection: config.deletionProtection,
      labels: props.labels,
      notificationTopic: props.notificationTopic,
    };
    this.tumbling = new WindowedAggregate(this, "tumbling", {
      ...common,
      tableId: WINDOW_TABLES.tumbling,
      window: WindowKind.tumbling(Duration.minutes(1)),
      keyColumn: "wiki",
      measure: "changes",
      sourceHorizon: horizon(Duration.minutes(1)),
      serviceAccountId: "windows-tumbling",
    });
    this.hopping = new WindowedAggregate(this, "hopping", {
      ...common,
      tableId: WINDOW_TABLES.hopping,
      window: WindowKind.hopping(Duration.minutes(5), Duration.minutes(1)),
      keyColumn: "wiki",
      measure: "active_editors",
      countDistinct: "user",
      sourceHorizon: horizon(Duration.minutes(5)),
      serviceAccountId: "windows-hopping",
    });
    this.sessions = new WindowedAggregate(this, "sessions", {
      ...common,
      tableId: WINDOW_TABLES.sessions,
      window: WindowKind.session(gap),
      keyColumn: "user",
      measure: "changes",
      sourceHorizon: horizon(gap),
      serviceAccountId: "windows-sessions",
    });
  }
}
