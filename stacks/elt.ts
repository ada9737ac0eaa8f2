import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { EnvironmentConfig } from "../config/schema";
import {
  Duration,
  ITable,
  ITopic,
  MaterializedView,
  renderSqlFile,
  ScheduledQuery,
  ScheduledQueryProps,
  SqlBindings,
  SqlDatasetRef,
  SqlRegionRef,
  SqlTableRef,
  sqlScript,
  StreamTopic,
  View,
} from "../constructs";
import type { Warehouse } from "./warehouse";

/**
 * What the SQL under `sql/` refers to. The placeholder names are the keys of
 * {@link eltSqlBindings}: `{{raw.wiki_changes}}`, `{{staging.wiki_staged}}`,
 * `{{reporting.leaderboard}}`, `{{raw.streaming_events}}`, `{{cdc.dataset}}`, `{{region}}`
 * and `{{lookback_hours}}`.
 */
export interface EltSqlRefs {
  readonly wikiChanges: SqlTableRef;
  readonly wikiStaged: SqlTableRef;
  /**
   * The leaderboard (table or materialized view).
   * @default - none: rendering a file that reads `{{reporting.leaderboard}}` fails
   */
  readonly leaderboard?: SqlTableRef;
  readonly streamingEvents: SqlTableRef;
  /**
   * The staging high-water mark table.
   * @default - none: rendering a file that reads `{{staging.wiki_staged_watermark}}` fails
   */
  readonly stagingWatermark?: SqlTableRef;
  /**
   * What `leaderboard_live` reads the staged counts from: the leaderboard materialized view, or a
   * parenthesized query over wiki_staged when the leaderboard is a table refreshed on a schedule.
   * @default - none: rendering a file that reads `{{leaderboard.staged_counts}}` fails
   */
  readonly stagedCounts?: SqlTableRef | string;
  /** Dataset of the CDC tables (for its INFORMATION_SCHEMA). */
  readonly cdcDataset: SqlDatasetRef;
  /** Project and location of the jobs (for region-qualified INFORMATION_SCHEMA). */
  readonly region: SqlRegionRef;
  /** The staging load's late-event window. */
  readonly lookbackHours: number;
}

/** The placeholder bindings every `sql/` file is rendered with. */
export function eltSqlBindings(refs: EltSqlRefs): SqlBindings {
  return {
    "raw.wiki_changes": refs.wikiChanges,
    "staging.wiki_staged": refs.wikiStaged,
    ...(refs.leaderboard === undefined ? {} : { "reporting.leaderboard": refs.leaderboard }),
    "raw.streaming_events": refs.streamingEvents,
    ...(refs.stagingWatermark === undefined ? {} : { "staging.wiki_staged_watermark": refs.stagingWatermark }),
    ...(refs.stagedCounts === undefined ? {} : { "leaderboard.staged_counts": refs.stagedCounts }),
    "cdc.dataset": refs.cdcDataset,
    region: refs.region,
    lookback_hours: refs.lookbackHours,
  };
}

/** Table id of the leaderboard (table or materialized view) in the reporting dataset. */
export const LEADERBOARD_ID = "leaderboard";

/** Every view the ELT layer creates: view id → its SQL file and the dataset it lives in. */
export const ELT_VIEWS = {
  wiki_changes_dedup: { file: "quality/dedup_view.sql", layer: "raw" },
  wiki_changes_duplicates: { file: "quality/duplicate_check.sql", layer: "raw" },
  wiki_changes_late_arrivals: { file: "quality/late_arrivals.sql", layer: "raw" },
  leaderboard_ranked: { file: "reporting/leaderboard_ranked.sql", layer: "reporting" },
  leaderboard_live: { file: "reporting/leaderboard_live.sql", layer: "reporting" },
  realtime_dashboard: { file: "analytics/realtime_dashboard.sql", layer: "reporting" },
  traffic_anomalies: { file: "analytics/traffic_anomalies.sql", layer: "reporting" },
  cdc_apply_watermark: { file: "cdc/apply_watermark.sql", layer: "reporting" },
  cdc_recommended_max_staleness: { file: "cdc/recommended_max_staleness.sql", layer: "reporting" },
  cdc_background_slot_usage: { file: "cdc/background_slot_usage.sql", layer: "reporting" },
} as const;

/** Props of {@link Elt}. */
export interface EltProps {
  /** The warehouse whose tables the SQL reads and writes. */
  readonly warehouse: Warehouse;
  /** The environment's settings (`projectId`, `projectNumber`, `location`, `elt`). */
  readonly config: EnvironmentConfig;
  /**
   * Labels for the views and materialized view.
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/**
 * The ELT layer: the scheduled staging load (raw → staging), the leaderboard (an
 * incremental materialized view, or a scheduled full refresh of the warehouse's table),
 * and the quality, analytics and CDC monitoring views. Every statement comes from a file
 * under `sql/`, rendered with the warehouse's table names.
 */
export class Elt extends Construct {
  /** The placeholder bindings the SQL was rendered with. */
  public readonly bindings: SqlBindings;
  /** The scheduled staging load (MERGE on event_id over the lookback window). */
  public readonly stagingLoad: ScheduledQuery;
  /** The leaderboard materialized view (with `elt.leaderboard: "materialized-view"`). */
  public readonly leaderboardView?: MaterializedView;
  /** The scheduled leaderboard refresh (with `elt.leaderboard: "scheduled-refresh"`). */
  public readonly leaderboardRefresh?: ScheduledQuery;
  /** The views, by view id. */
  public readonly views: Record<keyof typeof ELT_VIEWS, View>;
  /** The topic run notifications go to (with `elt.runNotifications`). */
  public readonly notificationTopic?: PubsubTopic;
  /** That topic as an `ITopic`, for other scheduled queries of the stack to notify too. */
  public readonly runNotificationTopic?: ITopic;

  constructor(scope: Construct, id: string, props: EltProps) {
    super(scope, id);
    const { warehouse, config } = props;
    const labels = props.labels ?? {};
    this.checkLeaderboardMode(config.elt.leaderboard, warehouse);
    const refs: EltSqlRefs = {
      wikiChanges: warehouse.wikiChanges,
      wikiStaged: warehouse.wikiStaged,
      streamingEvents: warehouse.streamingEvents,
      stagingWatermark: warehouse.stagingWatermark,
      cdcDataset: warehouse.employees.dataset,
      region: { project: config.projectId, location: config.location },
      lookbackHours: config.elt.lookbackHours,
    };
    if (config.elt.runNotifications) {
      this.notificationTopic = new PubsubTopic(this, "run-notifications", {
        project: config.projectId,
        name: "elt-run-notifications",
        labels,
        kmsKeyName: config.kmsKeyName,
      });
      // As an ITopic: the transfer configs are created after it, and may grant on it.
      this.runNotificationTopic = StreamTopic.fromTopicResource(
        this,
        "run-notifications-topic",
        this.notificationTopic,
      );
    }
    const common: ScheduledQueryCommon = {
      project: config.projectId,
      projectNumber: config.projectNumber,
      location: config.location,
      notificationTopic: this.runNotificationTopic,
    };

    // The leaderboard first: the other statements read it.
    if (warehouse.leaderboard === undefined) this.leaderboardView = this.createLeaderboardView(warehouse, refs, labels);
    const leaderboard: LeaderboardTable = warehouse.leaderboard ?? this.leaderboardView!;
    // leaderboard_live adds the raw tail to the staged counts: the materialized view (always
    // fresh), or its query over wiki_staged when the leaderboard table is only refreshed on a schedule.
    const stagedCounts =
      this.leaderboardView ??
      `(\n${renderSqlFile("reporting/leaderboard_mv.sql", eltSqlBindings(refs))
        .replace(/--[^\n]*\n/g, "")
        .trim()}\n)`;
    this.bindings = eltSqlBindings({ ...refs, leaderboard, stagedCounts });

    this.stagingLoad = new ScheduledQuery(this, "staging-load", {
      ...common,
      displayName: "fresh-streams: staging load (wiki_changes to wiki_staged)",
      serviceAccountId: "elt-staging-load",
      // One script: the MERGE, then the high-water mark, written only if the MERGE succeeded.
      query: sqlScript([
        renderSqlFile("staging/wiki_staged.sql", this.bindings),
        renderSqlFile("staging/wiki_staged_watermark.sql", this.bindings),
      ]),
      schedule: config.elt.stagingSchedule,
      readDatasets: [warehouse.rawDataset],
      writeDatasets: [warehouse.stagingDataset],
      dependsOn: [
        ...warehouse.wikiChanges.dependables,
        ...warehouse.wikiStaged.dependables,
        ...warehouse.stagingWatermark.dependables,
      ],
    });
    if (this.leaderboardView === undefined) {
      this.leaderboardRefresh = new ScheduledQuery(this, "leaderboard-refresh", {
        ...common,
        displayName: "fresh-streams: leaderboard refresh (wiki_staged to leaderboard)",
        serviceAccountId: "elt-leaderboard-refresh",
        query: renderSqlFile("reporting/leaderboard.sql", this.bindings),
        schedule: config.elt.leaderboardSchedule,
        readDatasets: [warehouse.stagingDataset],
        writeDatasets: [warehouse.reportingDataset],
        dependsOn: [...warehouse.wikiStaged.dependables, ...leaderboard.dependables],
      });
    }
    this.views = this.createViews(warehouse, leaderboard, labels);
  }

  /** `elt.leaderboard` agrees with the warehouse: a materialized view, or a table to refresh. */
  private checkLeaderboardMode(mode: EnvironmentConfig["elt"]["leaderboard"], warehouse: Warehouse): void {
    if (mode === "materialized-view" && warehouse.leaderboard !== undefined) {
      throw new Error(
        `${this.node.path}: elt.leaderboard is "materialized-view" but the warehouse also creates a leaderboard table; create the Warehouse with leaderboardTable: false`,
      );
    }
    if (mode === "scheduled-refresh" && warehouse.leaderboard === undefined) {
      throw new Error(
        `${this.node.path}: elt.leaderboard is "scheduled-refresh" but the warehouse has no leaderboard table to refresh; create the Warehouse with leaderboardTable: true`,
      );
    }
  }

  /**
   * The leaderboard as an incremental materialized view over wiki_staged. Its own query reads
   * wiki_staged only, so it is rendered without the leaderboard's binding.
   */
  private createLeaderboardView(
    warehouse: Warehouse,
    refs: EltSqlRefs,
    labels: Record<string, string>,
  ): MaterializedView {
    return new MaterializedView(this, "leaderboard", {
      dataset: warehouse.reportingDataset,
      tableId: LEADERBOARD_ID,
      query: renderSqlFile("reporting/leaderboard_mv.sql", eltSqlBindings(refs)),
      enableRefresh: true,
      refreshInterval: Duration.minutes(30),
      clustering: ["user"],
      labels,
      description: "Distinct changes per user (all event types); incremental materialized view over wiki_staged",
      dependsOn: [...warehouse.wikiStaged.dependables],
    });
  }

  /** Every view of {@link ELT_VIEWS}, created after the tables their SQL reads. */
  private createViews(
    warehouse: Warehouse,
    leaderboard: LeaderboardTable,
    labels: Record<string, string>,
  ): Record<keyof typeof ELT_VIEWS, View> {
    const datasets = { raw: warehouse.rawDataset, reporting: warehouse.reportingDataset };
    const tables: ITerraformDependable[] = [
      ...warehouse.wikiChanges.dependables,
      ...warehouse.wikiStaged.dependables,
      ...warehouse.stagingWatermark.dependables,
      ...warehouse.streamingEvents.dependables,
      ...warehouse.employees.dependables,
      ...leaderboard.dependables,
    ];
    const views: Partial<Record<keyof typeof ELT_VIEWS, View>> = {};
    for (const [viewId, spec] of Object.entries(ELT_VIEWS) as [
      keyof typeof ELT_VIEWS,
      (typeof ELT_VIEWS)[keyof typeof ELT_VIEWS],
    ][]) {
      views[viewId] = new View(this, viewId, {
        dataset: datasets[spec.layer],
        tableId: viewId,
        query: renderSqlFile(spec.file, this.bindings),
        labels,
        description: `fresh-streams: sql/${spec.file}`,
        dependsOn: tables,
      });
    }
    return views as Record<keyof typeof ELT_VIEWS, View>;
  }
}

/** The leaderboard the other statements read: the warehouse's table or the materialized view. */
type LeaderboardTable = ITable;

/** What every scheduled query of the layer shares. */
type ScheduledQueryCommon = Pick<ScheduledQueryProps, "project" | "projectNumber" | "location" | "notificationTopic">;
