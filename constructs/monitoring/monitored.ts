/**
 * What {@link PipelineMonitoring} watches: the interfaces a watched construct satisfies, the props that
 * pass them, and, per {@link WatchedKind} of the alert catalogue, how they are selected in a filter,
 * what a policy waits for, and their own metric or level. Private to the library, except the interfaces.
 */
import { ITerraformDependable } from "cdktf";
import { IResource, ISubscription } from "../core/references";
import { AlertDefinition, thresholdSource, WatchedKind } from "./alert-catalogue";
import type { MetricFilterSpec } from "./metric-filter";
import type { SqlHealthCheck } from "./sql-health-check";

/** A Dataflow job to watch (a `PubSubToBigQueryJob`, or any construct with these attributes). */
export interface MonitoredDataflowJob extends IResource {
  /** The job's name (the `job_name` label of its metrics). */
  readonly jobName: string;
}

/** A scheduled query to watch: a `ScheduledQuery`, a `SqlHealthCheck`, or any resource with these attributes. */
export interface MonitoredScheduledQuery extends IResource {
  /** Its transfer config's id (the `config_id` label of its runs' metrics): a reference when created in this stack. */
  readonly configId: string;
}

/** The BACKGROUND reservation to watch. */
export interface MonitoredReservation {
  /** The reservation's name (the `reservation` label of the slot metrics). */
  readonly reservationName: string;
  /** Baseline plus autoscale maximum slots: the level the reservation-at-max alert fires at by default. */
  readonly maxSlots: number;
  /** What creates the reservation, so that the alert is created after it. @default - nothing to wait for */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The worker to watch through its Prometheus metrics (an `SsePublisherWorkerPool` or `SsePublisherService`, or anything with these
 * attributes).
 */
export interface MonitoredWorker {
  /**
   * Where it writes: `pubsub` (a topic), or the BigQuery API it writes the raw table with itself; then its sink
   * metrics are watched too (rows refused, failed or retried requests).
   */
  readonly sink: string;
}

/** The constructs {@link PipelineMonitoring} watches: each alert of the catalogue needs one kind of them. */
export interface WatchedConstructs {
  /**
   * Subscriptions that move events into BigQuery (backlog age and size).
   * @default []
   */
  readonly ingestionSubscriptions?: ISubscription[];
  /**
   * Subscriptions keeping dead letters (any message alerts).
   * @default []
   */
  readonly deadLetterSubscriptions?: ISubscription[];
  /**
   * BigQuery subscriptions (write rejections and subscription state).
   * @default []
   */
  readonly bigQuerySubscriptions?: ISubscription[];
  /**
   * Dataflow jobs (system lag, watermark age, failure).
   * @default []
   */
  readonly dataflowJobs?: MonitoredDataflowJob[];
  /**
   * The worker, whose metrics Managed Service for Prometheus collects (progress, lag, checkpoint, reconnects,
   * dead letters; and its BigQuery writes when it writes BigQuery itself).
   * @default - no worker alerts
   */
  readonly worker?: MonitoredWorker;
  /**
   * The ELT's scheduled queries (failed runs).
   * @default []
   */
  readonly eltQueries?: MonitoredScheduledQuery[];
  /**
   * SQL-sourced signals (`SqlHealthCheck`s); each check's id must be an alert id of the catalogue
   * (`elt-freshness`, `quality-late-events`, `quality-staging-duplicates`, `cdc-staleness`).
   * @default []
   */
  readonly healthChecks?: SqlHealthCheck[];
  /**
   * The BACKGROUND reservation (slot usage at its maximum).
   * @default - no reservation alert
   */
  readonly reservation?: MonitoredReservation;
}

/** How the alerts of one {@link WatchedKind} use what is watched. */
export interface WatchedKindSpec<T = unknown> {
  /** The prop, as docs/alerts.md names it. */
  readonly prop: string;
  /** The watched things. */
  targets(watched: WatchedConstructs): readonly T[];
  /** Each target gets its own policy, the one whose alert id is this. @default - one policy for all */
  idOf?(target: T): string;
  /** The labels selecting the targets in a filter. */
  selection(targets: readonly T[], project: string): Omit<MetricFilterSpec, "metric">;
  /** The resources a policy on them (and the dashboard, where it waits) is created after. */
  dependsOn(targets: readonly T[]): readonly ITerraformDependable[];
  /** Whether the dashboard is created after them (its charts name them by reference). */
  readonly dashboardWaits: boolean;
  /** The metric of a target, for a signal without one (a health check's log-based metric). @default - none */
  metricOf?(target: T): string;
  /** The level a target sets (a check's threshold, the reservation's maximum slots). @default - none */
  levelOf?(target: T): number;
  /** What that level is, for docs/alerts.md. @default - none */
  readonly levelDoc?: string;
}

const kind = <T>(spec: WatchedKindSpec<T>): WatchedKindSpec => spec as WatchedKindSpec;

/** What a policy on `watched` waits for: each one's `dependables` (none for an imported one). */
const dependablesOf = (watched: readonly IResource[]): ITerraformDependable[] =>
  watched.flatMap((w) => [...w.dependables]);

const subscriptions = (prop: "ingestionSubscriptions" | "deadLetterSubscriptions" | "bigQuerySubscriptions") =>
  kind<ISubscription>({
    prop,
    targets: (w) => w[prop] ?? [],
    selection: (subs) => ({ resourceLabels: { subscription_id: { oneOf: subs.map((s) => s.subscriptionName) } } }),
    dependsOn: dependablesOf,
    dashboardWaits: false,
  });

const worker = (directSinkOnly: boolean) =>
  kind<MonitoredWorker>({
    prop: directSinkOnly ? "worker (sink other than pubsub)" : "worker",
    targets: (w) => (w.worker && (!directSinkOnly || w.worker.sink !== "pubsub") ? [w.worker] : []),
    selection: () => ({}),
    // The metric types exist after the worker's first sample, whatever Terraform creates: nothing to wait for.
    dependsOn: () => [],
    dashboardWaits: false,
  });

/**
 * Every kind, in the order the dashboard waits for them (health checks, then scheduled queries, then the
 * reservation).
 */
export const WATCHED_KINDS: Readonly<Record<WatchedKind, WatchedKindSpec>> = Object.freeze({
  ingestionSubscriptions: subscriptions("ingestionSubscriptions"),
  deadLetterSubscriptions: subscriptions("deadLetterSubscriptions"),
  bigQuerySubscriptions: subscriptions("bigQuerySubscriptions"),
  dataflowJobs: kind<MonitoredDataflowJob>({
    prop: "dataflowJobs",
    targets: (w) => w.dataflowJobs ?? [],
    selection: (jobs) => ({ resourceLabels: { job_name: { oneOf: jobs.map((j) => j.jobName) } } }),
    dependsOn: dependablesOf,
    dashboardWaits: false,
  }),
  worker: worker(false),
  directSinkWorker: worker(true),
  healthChecks: kind<SqlHealthCheck>({
    prop: "healthChecks",
    targets: (w) => w.healthChecks ?? [],
    idOf: (check) => check.checkId,
    selection: () => ({}),
    dependsOn: dependablesOf,
    dashboardWaits: true,
    metricOf: (check) => check.metricType,
    levelOf: (check) => check.threshold,
    levelDoc: "the check's threshold",
  }),
  eltQueries: kind<MonitoredScheduledQuery>({
    prop: "eltQueries",
    targets: (w) => w.eltQueries ?? [],
    selection: (queries) => ({ resourceLabels: { config_id: { oneOf: queries.map((q) => q.configId) } } }),
    dependsOn: dependablesOf,
    dashboardWaits: true,
  }),
  reservation: kind<MonitoredReservation>({
    prop: "reservation",
    targets: (w) => (w.reservation ? [w.reservation] : []),
    selection: ([r], project) => ({
      resourceLabels: { project_id: project },
      metricLabels: { reservation: r.reservationName },
    }),
    dependsOn: (rs) => rs.flatMap((r) => r.dependsOn ?? []),
    dashboardWaits: true,
    levelOf: (r) => r.maxSlots,
    levelDoc: "the reservation's `maxSlots` (baseline + autoscale maximum)",
  }),
});

/** What makes a catalogue entry unusable with what it watches (empty when it is fine). */
export function entryProblems(definition: AlertDefinition): string[] {
  const { signal, tile } = definition;
  const kind = WATCHED_KINDS[signal.watches];
  const promql = "promql" in signal;
  const rules: [boolean, string][] = [
    [
      !promql && !signal.metric && !kind.metricOf,
      `signal.metric is missing, and what it watches (${kind.prop}) has no metric of its own`,
    ],
    [
      thresholdSource(signal) !== "settings" && !kind.levelOf,
      `its threshold comes from what it watches (${kind.prop}), which sets no level; use "settings"`,
    ],
    [
      promql && tile !== undefined && !tile.metric,
      "tile.metric is missing, and a PromQL signal has no metric to chart",
    ],
    [definition.durationSeconds % 60 !== 0, `durationSeconds ${definition.durationSeconds} is not whole minutes`],
  ];
  return rules.filter(([broken]) => broken).map(([, problem]) => problem);
}
