import { Construct } from "constructs";
import { EnvironmentConfig } from "../config/schema";
import {
  BackgroundReservation,
  CdcTable,
  Duration,
  LayeredDataset,
  Partitioning,
  ReportingTable,
  StreamingTable,
  WarehouseLayer,
} from "../constructs";
import {
  EMPLOYEES_SCHEMA,
  LEADERBOARD_SCHEMA,
  STREAMING_EVENTS_SCHEMA,
  WIKI_CHANGES_SCHEMA,
  WIKI_PAGES_PRIMARY_KEY,
  WIKI_PAGES_SCHEMA,
  WIKI_STAGED_SCHEMA,
  WIKI_STAGED_WATERMARK_SCHEMA,
} from "../schemas";

/** Props of {@link Warehouse}. */
export interface WarehouseProps {
  /** The environment's validated settings (project, location, dataset prefix, deletion protection, CMEK, reservation). */
  readonly config: EnvironmentConfig;
  /**
   * Labels for every dataset and table (the provider's default labels apply as well).
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /**
   * Whether to create `reporting.leaderboard` as a plain table. Turn it off when the
   * ELT layer provides the leaderboard as a materialized view instead.
   * @default true
   */
  readonly leaderboardTable?: boolean;
}

/** Max staleness of the `employees` CDC table. */
export const EMPLOYEES_MAX_STALENESS = Duration.minutes(10);
/** Partition expiration of `streaming_events`. */
export const STREAMING_EVENTS_PARTITION_EXPIRATION = Duration.days(365);

/**
 * The BigQuery warehouse of one environment: the `raw`, `staging` and `reporting`
 * datasets and their tables.
 *
 * - `raw.wiki_changes`: ingestion-time DAY partitioned, clustered by `user`
 * - `staging.wiki_staged`: partitioned by `DATE(event_time)`, clustered by `user`
 * - `staging.wiki_staged_watermark`: the staging high-water mark (written by the staging load)
 * - `reporting.leaderboard`: plain `ReportingTable` (unless `leaderboardTable` is false)
 * - `raw.streaming_events`: partitioned by `DATE(_inserted_at)`, clustered by `user_id, event_type`, 365-day partitions
 * - `raw.employees`: CDC table, primary key `id`, max staleness 10 minutes
 * - `raw.wiki_pages`: CDC table of page state, primary key `(wiki, namespace, title)`, max staleness
 * `cdc.pagesMaxStalenessSeconds`
 * - when `config.reservation` is set: a BACKGROUND reservation for the CDC tables' apply jobs
 */
export class Warehouse extends Construct {
  public readonly rawDataset: LayeredDataset;
  public readonly stagingDataset: LayeredDataset;
  public readonly reportingDataset: LayeredDataset;
  public readonly wikiChanges: StreamingTable;
  public readonly wikiStaged: StreamingTable;
  /** `staging.wiki_staged_watermark`: the staging high-water mark, one row per completed staging run. */
  public readonly stagingWatermark: ReportingTable;
  /** The leaderboard table; absent when the ELT layer provides a materialized view instead. */
  public readonly leaderboard?: ReportingTable;
  public readonly streamingEvents: StreamingTable;
  public readonly employees: CdcTable;
  /** Current page state, applied from the CDC topic by a CDC BigQuery subscription. */
  public readonly wikiPages: CdcTable;
  /** The BACKGROUND reservation for CDC apply jobs, when the environment configures one. */
  public readonly backgroundReservation?: BackgroundReservation;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    const { config } = props;
    const labels = props.labels ?? {};
    const deletionProtection = config.deletionProtection;
    const dataset = (layer: WarehouseLayer, description: string) =>
      this.createDataset(config, layer, description, labels);
    this.rawDataset = dataset("raw", "Raw layer: events as ingested from Pub/Sub and CDC streams");
    this.stagingDataset = dataset("staging", "Staging layer: de-duplicated, typed events");
    this.reportingDataset = dataset("reporting", "Reporting layer: aggregates for dashboards");

    this.wikiChanges = new StreamingTable(this, "wiki_changes", {
      dataset: this.rawDataset,
      tableId: "wiki_changes",
      schema: WIKI_CHANGES_SCHEMA,
      partitioning: Partitioning.ingestionTime("DAY"),
      clustering: ["user"],
      deletionProtection,
      labels,
      description: "Wikimedia recentchange events as projected by the worker, one row per delivery",
    });
    this.wikiStaged = new StreamingTable(this, "wiki_staged", {
      dataset: this.stagingDataset,
      tableId: "wiki_staged",
      schema: WIKI_STAGED_SCHEMA,
      partitioning: Partitioning.column("event_time", "DAY"),
      clustering: ["user"],
      deletionProtection,
      labels,
      description: "Recentchange events de-duplicated by event_id",
    });
    // Written by the staging load's script after its MERGE, one small row per run: unpartitioned.
    this.stagingWatermark = new ReportingTable(this, "wiki_staged_watermark", {
      dataset: this.stagingDataset,
      tableId: "wiki_staged_watermark",
      schema: WIKI_STAGED_WATERMARK_SCHEMA,
      deletionProtection,
      labels,
      description: "Staging high-water mark: what each completed staging load guarantees wiki_staged holds",
    });
    if (props.leaderboardTable ?? true) {
      // Written by the scheduled refresh, not by streaming: a plain, unpartitioned table.
      this.leaderboard = new ReportingTable(this, "leaderboard", {
        dataset: this.reportingDataset,
        tableId: "leaderboard",
        schema: LEADERBOARD_SCHEMA,
        deletionProtection,
        labels,
        description: "Distinct changes per user",
      });
    }
    this.streamingEvents = new StreamingTable(this, "streaming_events", {
      dataset: this.rawDataset,
      tableId: "streaming_events",
      schema: STREAMING_EVENTS_SCHEMA,
      partitioning: Partitioning.column("_inserted_at", "DAY"),
      clustering: ["user_id", "event_type"],
      partitionExpiration: STREAMING_EVENTS_PARTITION_EXPIRATION,
      deletionProtection,
      labels,
      description: "General-purpose real-time events",
    });
    this.employees = new CdcTable(this, "employees", {
      dataset: this.rawDataset,
      tableId: "employees",
      schema: EMPLOYEES_SCHEMA,
      primaryKey: ["id"],
      maxStaleness: EMPLOYEES_MAX_STALENESS,
      deletionProtection,
      labels,
      description: "CDC example: employees upserted and deleted through the Storage Write API",
    });

    this.wikiPages = new CdcTable(this, "wiki_pages", {
      dataset: this.rawDataset,
      tableId: "wiki_pages",
      schema: WIKI_PAGES_SCHEMA,
      primaryKey: [...WIKI_PAGES_PRIMARY_KEY],
      maxStaleness: Duration.seconds(config.cdc.pagesMaxStalenessSeconds),
      deletionProtection,
      labels,
      description: "Current state of every page seen on the recentchange stream, applied by key (CDC)",
    });

    if (config.reservation !== undefined) {
      this.backgroundReservation = this.createBackgroundReservation(config, config.reservation);
    }
  }

  /** One layer's dataset, named with the environment's prefix. */
  private createDataset(
    config: EnvironmentConfig,
    layer: WarehouseLayer,
    description: string,
    labels: Record<string, string>,
  ): LayeredDataset {
    return new LayeredDataset(this, layer, {
      datasetId: `${config.datasetPrefix}${layer}`,
      layer,
      project: config.projectId,
      location: config.location,
      description,
      labels,
      kmsKeyName: config.kmsKeyName,
    });
  }

  /** The BACKGROUND reservation the CDC tables' apply jobs run on. */
  private createBackgroundReservation(
    config: EnvironmentConfig,
    reservation: NonNullable<EnvironmentConfig["reservation"]>,
  ): BackgroundReservation {
    return new BackgroundReservation(this, "background-reservation", {
      name: `${config.projectId}-cdc-background`,
      location: config.location,
      edition: reservation.edition,
      baselineSlots: reservation.baselineSlots,
      autoscaleMaxSlots: reservation.autoscaleMaxSlots,
      assigneeProjectId: config.projectId,
      adminProjectId: reservation.adminProjectId ?? config.projectId,
      capacityCommitment: reservation.capacityCommitment,
      tables: [this.employees, this.wikiPages],
    });
  }
}
