import { Construct } from "constructs";
import { Token } from "cdktf";
import { TableSchema } from "../../schemas/table-schema";
import { Duration } from "../core/duration";
import { ITable } from "../core/references";
import { ReportingTable } from "./reporting-table";
import { ScheduledQuery } from "./scheduled-query";
import { quoteIdentifier, renderSqlFile, SqlBindings } from "./sql-template";
import { sqlScript } from "./sql-script";
import { Partitioning } from "./table-options";
import { WindowKind } from "./window-kind";
import { validateWindowedAggregateProps, WindowSettings } from "./validate-windowed-aggregate-props";

export type { IngestionLog, SourceMark, WindowedAggregateProps } from "./windowed-aggregate-props";
import type { WindowedAggregateProps } from "./windowed-aggregate-props";
import { requireProps } from "../core/validation";

/** The SQL files a windowed aggregate runs, in order, for a window kind (and whether it names an ingestion log). */
export function windowSqlFiles(window: WindowKind, ingestionLog = false): string[] {
  return [
    "analytics/window_late_events.sql",
    ...(ingestionLog ? ["analytics/window_very_late_events.sql"] : []),
    window.kind === "session" ? "analytics/window_sessions.sql" : "analytics/window_fixed.sql",
  ];
}

/** A table the window SQL names. */
type TableNames = { project: string; datasetId: string; tableId: string };

/** What the window SQL files are rendered with: the checked settings and the tables they read and write. */
export interface WindowSqlRefs extends WindowSettings {
  readonly source: ITable | TableNames;
  readonly mark: TableNames;
  readonly table: TableNames;
  readonly late: TableNames;
  /** The ingestion log (only `window_very_late_events.sql` reads it). */
  readonly ingested?: TableNames;
}

const seconds = (d: Duration): string | number => (d.isUnresolved() ? Token.asString(d.toSeconds()) : d.toSeconds());

/** The placeholder bindings of the window SQL files (`{{window.*}}`). */
export function windowSqlBindings(refs: WindowSqlRefs): SqlBindings {
  const ref = (t: { project: string; datasetId: string; tableId: string }) => ({
    project: t.project,
    datasetId: t.datasetId,
    tableId: t.tableId,
  });
  const size = refs.window.size ?? refs.window.gap!;
  return {
    "window.source": ref(refs.source),
    "window.mark": ref(refs.mark),
    "window.mark_column": quoteIdentifier(refs.markColumn),
    "window.table": ref(refs.table),
    "window.late": ref(refs.late),
    ...(refs.ingested ? { "window.ingested": ref(refs.ingested) } : {}),
    "window.key": quoteIdentifier(refs.keyColumn),
    "window.measure": quoteIdentifier(refs.measure),
    "window.counted": quoteIdentifier(refs.countDistinct),
    "window.time": quoteIdentifier(refs.timeColumn),
    "window.id": quoteIdentifier(refs.idColumn),
    "window.arrival": quoteIdentifier(refs.arrivalColumn),
    "window.size_seconds": seconds(size),
    "window.hop_seconds": seconds(refs.window.hop ?? size),
    "window.gap_seconds": seconds(refs.window.gap ?? size),
    "window.lateness_seconds": seconds(refs.allowedLateness),
    "window.horizon_hours": refs.sourceHorizon.isUnresolved()
      ? Token.asString(refs.sourceHorizon.toHours())
      : refs.sourceHorizon.toHours(),
  };
}

/** The window table's columns for a kind (the key and measure named as given). */
export function windowTableSchema(window: WindowKind, keyColumn: string, measure: string, name: string): TableSchema {
  const [start, end] = window.kind === "session" ? ["session_start", "session_end"] : ["window_start", "window_end"];
  return new TableSchema(
    [
      { name: keyColumn, type: "STRING", mode: "REQUIRED", description: "the key the windows are kept per" },
      {
        name: start,
        type: "TIMESTAMP",
        mode: "REQUIRED",
        description: window.kind === "session" ? "event time of the session's first event" : "window start (inclusive)",
      },
      {
        name: end,
        type: "TIMESTAMP",
        mode: "REQUIRED",
        description: window.kind === "session" ? "event time of the session's last event" : "window end (exclusive)",
      },
      { name: measure, type: "INT64", mode: "REQUIRED", description: "the aggregate over the window's events" },
      {
        name: "is_final",
        type: "BOOL",
        mode: "REQUIRED",
        description: "whether the watermark has passed the window: no accepted event can change it any more",
      },
      {
        name: "watermark",
        type: "TIMESTAMP",
        mode: "REQUIRED",
        description: "max event time seen minus the allowed lateness, when the row was last written",
      },
      {
        name: "staged_through",
        type: "TIMESTAMP",
        mode: "REQUIRED",
        description: "source mark up to which arrivals had been processed",
      },
      { name: "computed_at", type: "TIMESTAMP", mode: "REQUIRED", description: "when the row was last written" },
    ],
    { name },
  );
}

/** The late-events table's columns. */
export function lateEventsSchema(keyColumn: string, name: string): TableSchema {
  return new TableSchema(
    [
      { name: "event_id", type: "STRING", mode: "REQUIRED", description: "the event" },
      { name: keyColumn, type: "STRING", description: "its key" },
      { name: "event_time", type: "TIMESTAMP", mode: "REQUIRED", description: "its event time" },
      { name: "arrived_at", type: "TIMESTAMP", description: "when it arrived in the source" },
      { name: "watermark", type: "TIMESTAMP", description: "the watermark it was behind" },
      { name: "recorded_at", type: "TIMESTAMP", mode: "REQUIRED", description: "when it was recorded here" },
    ],
    { name },
  );
}

/**
 * An aggregate over event-time windows of a partitioned source, maintained incrementally by a
 * scheduled query with a watermark and allowed lateness, the way streaming engines do
 * (Beam windows, Spark watermarks), in the warehouse.
 *
 * Creates: the window table (partitioned by the window start, clustered by the key), holding every
 * window with at least one event, each flagged final or provisional with the watermark; the
 * `<tableId>_late_events` table of events that arrived behind the watermark; and a
 * {@link ScheduledQuery} running `sql/analytics/window_late_events.sql` then
 * `window_fixed.sql` or `window_sessions.sql` as one script, reading the source's and the mark's
 * datasets and writing the window dataset. The scheduled query is created after the four tables.
 *
 * Each run takes the source rows that arrived since the last run (up to the source mark), records
 * those behind the watermark as late, recomputes only the windows the others touch, and flags the
 * windows the new watermark passes as final. A re-run with nothing new changes nothing.
 *
 * @example
 * new WindowedAggregate(this, "changes-per-minute", {
 *   source: warehouse.wikiStaged,
 *   sourceMark: { table: warehouse.stagingWatermark },
 *   dataset: warehouse.reportingDataset,
 *   tableId: "changes_per_minute",
 *   window: WindowKind.tumbling(Duration.minutes(1)),
 *   keyColumn: "wiki",
 *   project: "my-project", projectNumber: "123456789012", location: "US",
 * });
 */
export class WindowedAggregate extends Construct {
  /** The window table. */
  public readonly table: ReportingTable;
  /** The events that arrived beyond the allowed lateness. */
  public readonly lateEvents: ReportingTable;
  /** The scheduled incremental run. */
  public readonly query: ScheduledQuery;
  /** The window kind. */
  public readonly window: WindowKind;
  /** The allowed lateness in effect. */
  public readonly allowedLateness: Duration;
  /** The SQL bindings the files were rendered with. */
  public readonly bindings: SqlBindings;
  /** The rendered statements, in the order the script runs them. */
  public readonly statements: readonly string[];

  constructor(scope: Construct, id: string, props: WindowedAggregateProps) {
    super(scope, id);
    requireProps(this.node.path, "WindowedAggregate", props, [
      "dataset",
      "keyColumn",
      "location",
      "project",
      "projectNumber",
      "source",
      "sourceMark",
      "tableId",
      "window",
      "ingestionLog.table",
      "sourceMark.table",
    ]);
    const settings = validateWindowedAggregateProps(this.node.path, props);
    this.window = settings.window;
    this.allowedLateness = settings.allowedLateness;
    this.table = this.windowTable(props, settings);
    this.lateEvents = this.lateEventsTable(props, settings);
    this.bindings = windowSqlBindings({
      ...settings,
      source: props.source,
      mark: props.sourceMark.table,
      table: this.table,
      late: this.lateEvents,
      ingested: props.ingestionLog?.table,
    });
    this.statements = windowSqlFiles(settings.window, props.ingestionLog !== undefined).map((file) =>
      renderSqlFile(file, this.bindings).trim(),
    );
    this.query = this.scheduledQuery(props, settings);
  }

  /** The window table: partitioned by the window start, clustered by the key. */
  private windowTable(props: WindowedAggregateProps, s: WindowSettings): ReportingTable {
    return new ReportingTable(this, "table", {
      dataset: props.dataset,
      tableId: props.tableId,
      schema: windowTableSchema(s.window, s.keyColumn, s.measure, props.tableId),
      partitioning: Partitioning.column(s.window.kind === "session" ? "session_start" : "window_start", "DAY"),
      clustering: [s.keyColumn],
      deletionProtection: props.deletionProtection,
      labels: props.labels ?? {},
      description: `${s.window.kind} windows over ${props.source.tableId} (final and provisional, with the watermark)`,
    });
  }

  /** The `<tableId>_late_events` table: events that arrived behind the watermark. */
  private lateEventsTable(props: WindowedAggregateProps, s: WindowSettings): ReportingTable {
    return new ReportingTable(this, "late-events", {
      dataset: props.dataset,
      tableId: `${props.tableId}_late_events`,
      schema: lateEventsSchema(s.keyColumn, `${props.tableId}_late_events`),
      partitioning: Partitioning.column("event_time", "DAY"),
      deletionProtection: props.deletionProtection,
      labels: props.labels ?? {},
      description: `events that arrived beyond the allowed lateness of ${props.tableId}; its windows were left alone`,
    });
  }

  /** The incremental run: the script names the tables literally, so it is created after every one of them. */
  private scheduledQuery(props: WindowedAggregateProps, s: WindowSettings): ScheduledQuery {
    return new ScheduledQuery(this, "query", {
      project: props.project,
      projectNumber: props.projectNumber,
      location: props.location,
      displayName: `fresh-streams: ${s.window.kind} windows ${props.tableId}`,
      schedule: props.schedule ?? "every 15 minutes",
      serviceAccountId: props.serviceAccountId,
      notificationTopic: props.notificationTopic,
      query: sqlScript(this.statements),
      readDatasets: [
        props.source.dataset,
        props.sourceMark.table.dataset,
        ...(props.ingestionLog ? [props.ingestionLog.table.dataset] : []),
      ],
      writeDatasets: [props.dataset],
      dependsOn: [
        ...this.table.dependables,
        ...this.lateEvents.dependables,
        ...props.source.dependables,
        ...props.sourceMark.table.dependables,
        ...(props.ingestionLog?.table.dependables ?? []),
      ],
    });
  }
}
