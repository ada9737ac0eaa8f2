import { Construct } from "constructs";
import { ITerraformDependable, TerraformOutput } from "cdktf";
import { EnvironmentConfig } from "../config/schema";
import {
  alertDefinition,
  AlertId,
  AlertSettings,
  Duration,
  IDataset,
  LayeredDataset,
  MonitoredReservation,
  PipelineMonitoring,
  renderSqlFile,
  SqlHealthCheck,
  SsePublisherService,
  SsePublisherWorkerPool,
} from "../constructs";
import type { Elt } from "./elt";
import type { Ingestion } from "./ingestion";
import type { Warehouse } from "./warehouse";
import type { WorkerService } from "./worker";

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** The environment's settings (`projectId`, `projectNumber`, `location`, `monitoring`, `reservation`, CMEK). */
  readonly config: EnvironmentConfig;
  /** Environment name, the prefix of every display name. */
  readonly environment: string;
  /**
   * Labels of the alert policies, channels and the monitoring dataset.
   * @default {}
   */
  readonly labels?: Record<string, string>;
  /** The warehouse (raw, staging, CDC tables, reservation). */
  readonly warehouse: Warehouse;
  /** The ingestion layer (subscriptions, dead letters, Dataflow job; in mode `direct` none of these: the worker's sink alerts instead). */
  readonly ingestion: Ingestion;
  /** The ELT layer (scheduled queries, SQL bindings). */
  readonly elt: Elt;
  /**
   * The worker, when the stack deploys it.
   * @default - no worker alerts
   */
  readonly worker?: WorkerService;
}

/** The SQL-sourced signals: alert id → the file measuring it and how its rows become one number. */
export const HEALTH_CHECKS = {
  "elt-freshness": { file: "quality/staging_freshness.sql", value: "MAX(staging_lag_seconds)" },
  "quality-late-events": { file: "quality/late_arrivals.sql", value: "SUM(beyond_lookback)" },
  "quality-staging-duplicates": { file: "quality/staging_duplicates.sql", value: "SUM(surplus_rows)" },
  "cdc-staleness": { file: "cdc/apply_watermark.sql", value: "MAX(staleness_seconds)" },
} as const satisfies Partial<Record<AlertId, { file: string; value: string }>>;

/** The alert ids of the SQL-sourced signals. */
type HealthCheckId = keyof typeof HEALTH_CHECKS;

/** Id of the health-check results dataset, after the environment's prefix. */
export const MONITORING_DATASET = "monitoring";

/**
 * A statement on one line, its `--` comment lines dropped: cdktf's HCL form writes an output's value as a quoted
 * string, which Terraform refuses to split over lines (the statement's own text has no `--` nor runs of blanks
 * inside string literals).
 */
function oneLine(sql: string): string {
  return sql
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/** The config's `"300s"` form as a {@link Duration}. */
function seconds(value: string): Duration {
  return Duration.seconds(Number(value.slice(0, -1)));
}

/**
 * The monitoring layer of an environment: the SQL health checks (staging freshness, late events,
 * duplicates in staging, CDC staleness) writing to the `monitoring` dataset, and
 * {@link PipelineMonitoring} with every alert that applies to the environment's ingestion mode,
 * its notification channels and the dashboard. The stack creates it unless `monitoring.enabled` is false.
 */
export class Monitoring extends Construct {
  /** Dataset of the health checks' results table. */
  public readonly dataset: LayeredDataset;
  /** The SQL health checks, by alert id. */
  public readonly checks: Partial<Record<HealthCheckId, SqlHealthCheck>> = {};
  /** Alerts, channels and dashboard. */
  public readonly pipeline: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, ingestion, elt } = props;
    const settings = config.monitoring;
    const alerts = alertSettings(config);
    this.dataset = new LayeredDataset(this, "dataset", {
      datasetId: `${config.datasetPrefix}${MONITORING_DATASET}`,
      layer: "monitoring",
      project: config.projectId,
      location: config.location,
      description: "Monitoring: results of the SQL health checks (health_checks)",
      labels: props.labels ?? {},
      kmsKeyName: config.kmsKeyName,
      defaultTableExpiration: Duration.days(90),
    });
    this.createHealthChecks(props, alerts);
    this.pipeline = new PipelineMonitoring(this, "pipeline", {
      project: config.projectId,
      displayNamePrefix: `fresh-streams ${props.environment}`,
      userLabels: props.labels ?? {},
      notificationEmails: settings.notificationEmails,
      notificationChannelIds: settings.notificationChannelIds,
      alerting: settings.alerting,
      autoClose: seconds(settings.autoClose),
      // Mode direct has no ingestion subscription, dead letters or job: alerts on them would watch nothing.
      ingestionSubscriptions: ingestion.subscription ? [ingestion.subscription] : [],
      deadLetterSubscriptions: ingestion.topic ? [ingestion.topic.deadLetterSubscription] : [],
      bigQuerySubscriptions:
        ingestion.mode === "bigquery-subscription" && ingestion.subscription ? [ingestion.subscription] : [],
      dataflowJobs: ingestion.dataflowJob ? [ingestion.dataflowJob] : [],
      // In mode direct its sink is BigQuery: its sink alerts and charts come with it.
      worker: props.worker?.publisher,
      // The worker's service grants its own Prometheus collector roles/monitoring.metricWriter.
      metricWriters: [],
      eltQueries: [elt.stagingLoad, ...(elt.leaderboardRefresh ? [elt.leaderboardRefresh] : [])],
      healthChecks: Object.values(this.checks),
      reservation: reservationOf(props),
      alerts,
      runbookWords: runbookWords(props),
    });

    const reservation = props.warehouse.backgroundReservation;
    if (reservation) {
      // `bq query --nouse_legacy_sql "$(terraform output -raw reservation_sizing_query)"`: the reservation-at-max
      // runbook and docs/cdc.md point here before anyone changes baselineSlots or autoscaleMaxSlots.
      new TerraformOutput(this, "reservation_sizing_query", {
        value: oneLine(reservation.sizingQuery()),
        description:
          "Slots the BACKGROUND reservation's jobs used per hour over 7 days (sql/cdc/reservation_sizing.sql)",
      }).overrideLogicalId("reservation_sizing_query");
    }

    if (this.pipeline.dashboard) {
      new TerraformOutput(this, "monitoring_dashboard", {
        value: this.pipeline.dashboard.id,
        description: "Cloud Monitoring dashboard of the pipeline",
      }).overrideLogicalId("monitoring_dashboard");
    }
  }

  /** One SQL health check per signal of {@link HEALTH_CHECKS} whose alert is not turned off. */
  private createHealthChecks(props: MonitoringProps, alerts: Partial<Record<AlertId, AlertSettings>>): void {
    const { config, warehouse, elt } = props;
    const reads: Record<HealthCheckId, IDataset[]> = {
      "elt-freshness": [warehouse.rawDataset, warehouse.stagingDataset],
      "quality-late-events": [warehouse.rawDataset],
      "quality-staging-duplicates": [warehouse.stagingDataset],
      "cdc-staleness": [warehouse.employees.dataset],
    };
    // The tables each measurement names in its SQL: created before its scheduled query.
    const named: Record<HealthCheckId, ITerraformDependable[]> = {
      "elt-freshness": [...warehouse.wikiChanges.dependables, ...warehouse.wikiStaged.dependables],
      "quality-late-events": [...warehouse.wikiChanges.dependables],
      "quality-staging-duplicates": [...warehouse.wikiStaged.dependables],
      "cdc-staleness": [...warehouse.employees.dependables],
    };
    const defaults: Partial<Record<HealthCheckId, number>> = {
      // The CDC tables' own max_staleness: the apply watermark may not be older.
      "cdc-staleness": warehouse.employees.maxStaleness.toSeconds(),
    };
    for (const [checkId, spec] of Object.entries(HEALTH_CHECKS) as [
      HealthCheckId,
      (typeof HEALTH_CHECKS)[HealthCheckId],
    ][]) {
      if (alerts[checkId]?.enabled === false) continue;
      this.checks[checkId] = new SqlHealthCheck(this, checkId, {
        project: config.projectId,
        projectNumber: config.projectNumber,
        location: config.location,
        checkId,
        measureSql: renderSqlFile(spec.file, elt.bindings),
        valueExpression: spec.value,
        threshold: alerts[checkId]?.threshold ?? defaults[checkId] ?? alertDefinition(checkId).threshold,
        resultsDataset: this.dataset,
        readDatasets: reads[checkId],
        dependsOn: named[checkId],
        schedule: config.monitoring.checkSchedule,
        serviceAccountId: `hc-${checkId}`,
      });
    }
  }
}

/** The alert overrides of the config, as {@link PipelineMonitoring} takes them. */
function alertSettings(config: EnvironmentConfig): Partial<Record<AlertId, AlertSettings>> {
  const alerts: Partial<Record<AlertId, AlertSettings>> = {};
  for (const [alertId, s] of Object.entries(config.monitoring.alerts)) {
    alerts[alertId as AlertId] = {
      enabled: s.enabled,
      threshold: s.threshold,
      duration: s.duration === undefined ? undefined : seconds(s.duration),
    };
  }
  return alerts;
}

/** The BACKGROUND reservation, when the environment has one. */
function reservationOf({ warehouse, config }: MonitoringProps): MonitoredReservation | undefined {
  const reservation = warehouse.backgroundReservation;
  if (!reservation || !config.reservation) return undefined;
  return {
    reservationName: reservation.reservation.name,
    maxSlots: config.reservation.baselineSlots + config.reservation.autoscaleMaxSlots,
    dependsOn: [reservation.reservation],
  };
}

/**
 * Where the worker's logs and CPU are, by host: Cloud Logging and Cloud Monitoring write a worker pool's against
 * the monitored resource `cloud_run_worker_pool` (label `worker_pool_name`), a service's against
 * `cloud_run_revision` (label `service_name`) — https://cloud.google.com/run/docs/monitoring, Resource types.
 */
function workerWords(worker: WorkerService | undefined): Record<string, string> {
  if (!worker) return {};
  const publisher = worker.publisher;
  const pool = publisher.host === "worker pool";
  const name = pool
    ? (publisher as SsePublisherWorkerPool).workerPoolName
    : (publisher as SsePublisherService).serviceName;
  const resource = pool
    ? `resource.type="cloud_run_worker_pool" resource.labels.worker_pool_name="${name}"`
    : `resource.type="cloud_run_revision" resource.labels.service_name="${name}"`;
  return {
    workerHost: `the Cloud Run ${publisher.host} ${name}`,
    workerLogs: `the worker's logs (Logs Explorer: ${resource})`,
    workerCpu: `run.googleapis.com/container/cpu/utilizations on ${resource}, container "worker"`,
  };
}

/**
 * This application's words in the runbooks of its policies (the library's runbooks speak of their resources
 * generically): its tables and views, from the constructs; its SQL files and config keys; where its worker runs.
 */
function runbookWords({ warehouse, ingestion, elt, worker }: MonitoringProps): Record<string, string> {
  return {
    ...workerWords(worker),
    maxWorkersSetting: "ingestion.dataflow.maxWorkers",
    cpuSetting: "worker.cpu",
    userAgentSetting: "worker.userAgent",
    ...(ingestion.errorTable ? { errorTable: `the raw error table (${ingestion.errorTable.tableId})` } : {}),
    eltQueries: "the staging load or the leaderboard refresh",
    eltOutputs: "staging and reporting",
    sqlCheck: "run the SQL check (`npm run sql:check`)",
    lateEventsMeasurement: `sql/${HEALTH_CHECKS["quality-late-events"].file}, beyond_lookback`,
    lateEventsView: `the reporting view ${elt.views.wiki_changes_late_arrivals.tableId}`,
    lookbackSetting: "elt.lookbackHours",
    stagingTable: warehouse.wikiStaged.tableId,
    duplicatesQuery: `sql/${HEALTH_CHECKS["quality-staging-duplicates"].file}`,
    slotUsageQuery: "sql/cdc/background_slot_usage.sql",
    reservationSizingQuery: "sql/cdc/reservation_sizing.sql (`terraform output -raw reservation_sizing_query`)",
    recommendedStalenessQuery: "sql/cdc/recommended_max_staleness.sql",
    autoscaleMaxSlotsSetting: "reservation.autoscaleMaxSlots",
  };
}
