import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import {
  MonitoringAlertPolicy,
  MonitoringAlertPolicyConditions,
} from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { MonitoringDashboard } from "@cdktf/provider-google/lib/monitoring-dashboard";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { Duration } from "../core/duration";
import { grantOnce } from "../core/grants";
import { hclSafeString } from "../core/hcl-safe";
import { IGrantable } from "../core/principal";
import { fail, requireProps, validateDuration, validateLabels } from "../core/validation";
import {
  AlertDefinition,
  AlertId,
  ALERT_CATALOGUE,
  MetricSignal,
  PromqlSignal,
  thresholdSource,
  TileSpec,
} from "./alert-catalogue";
import { WORKER_METRICS } from "./metric-catalogue";
import { MetricFilterSpec, metricFilter, promName, promqlProblems } from "./metric-filter";
import { entryProblems, WATCHED_KINDS, WatchedConstructs, WatchedKindSpec } from "./monitored";
import { fillTemplate, runbook } from "./runbook";

export type { MonitoredDataflowJob, MonitoredReservation, MonitoredScheduledQuery, MonitoredWorker } from "./monitored";

/** Overrides of one alert's defaults (docs/alerts.md lists them). */
export interface AlertSettings {
  /**
   * Whether the alert policy is created.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The threshold, in the alert's unit (docs/alerts.md).
   * @default - the catalogue's
   */
  readonly threshold?: number;
  /**
   * How long the condition must hold before the alert opens: a whole number of minutes (the API's rule).
   * @default - the catalogue's
   */
  readonly duration?: Duration;
}

/** Props of {@link PipelineMonitoring}: what it watches ({@link WatchedConstructs}), and how it alerts. */
export interface PipelineMonitoringProps extends WatchedConstructs {
  /** Project the alert policies, channels and dashboard live in (the pipeline's project). */
  readonly project: string;
  /**
   * Prefix of every display name, e.g. the environment name.
   * @default "fresh-streams"
   */
  readonly displayNamePrefix?: string;
  /**
   * Labels on every alert policy (`user_labels`), e.g. the environment's labels.
   * @default {}
   */
  readonly userLabels?: Record<string, string>;
  /**
   * E-mail addresses to notify: one e-mail notification channel is created per address.
   * @default []
   */
  readonly notificationEmails?: string[];
  /**
   * Existing notification channels, `projects/<project>/notificationChannels/<id>`.
   * @default []
   */
  readonly notificationChannelIds?: string[];
  /**
   * Whether alert policies are created at all (a local environment may turn them off; the dashboard stays).
   * @default true
   */
  readonly alerting?: boolean;
  /**
   * How long an open incident stays open without data before it closes by itself (30 minutes to 7 days).
   * @default Duration.hours(1)
   */
  readonly autoClose?: Duration;
  /**
   * Identities that write metrics (the worker's Prometheus collector): each gets `roles/monitoring.metricWriter`,
   * nothing more.
   * @default []
   */
  readonly metricWriters?: IGrantable[];
  /**
   * Per-alert overrides, by alert id.
   * @default {}
   */
  readonly alerts?: Partial<Record<AlertId | (string & {}), AlertSettings>>;
  /**
   * The application's words for the runbooks' placeholders (docs/alerts.md), e.g.
   * `{ errorTable: "the raw error table (my_table_errors)" }`; each name must be one a catalogue entry uses.
   * @default - each alert's generic wording
   */
  readonly runbookWords?: Readonly<Record<string, string>>;
  /**
   * The alerts to create, each where what it watches is given.
   * @default ALERT_CATALOGUE
   */
  readonly catalogue?: readonly AlertDefinition[];
  /**
   * Whether to create the dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
}

/** An alert's effective settings: defaults and overrides, checked. */
interface EffectiveSettings {
  readonly enabled: boolean;
  readonly threshold: number;
  readonly durationSeconds: number;
}

/** Options of {@link PipelineMonitoring.createPolicy}. */
interface PolicyOptions {
  readonly definition: AlertDefinition;
  /** The threshold the runbook shows. */
  readonly threshold: number;
  readonly durationSeconds: number;
  readonly condition: MonitoringAlertPolicyConditions;
  /** What the condition reads (metric types or the PromQL query), for the runbook. */
  readonly sources: readonly string[];
  readonly dependsOn: ITerraformDependable[];
}

/** One chart, before layout. */
interface Chart {
  readonly title: string;
  readonly filter: MetricFilterSpec;
  readonly tile: TileSpec;
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const CHANNEL_ID = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/notificationChannels\/[0-9]+$/;
const MIN_AUTO_CLOSE = Duration.minutes(30);
const MAX_AUTO_CLOSE = Duration.days(7);
const MAX_DURATION = Duration.days(1);
/** Window of worker-stalled when its duration is 0 (at once). */
const COUNT_WINDOW_SECONDS = 600;
/** The worker's metrics by their `WORKER_METRICS` key, as PromQL names them. */
const PROM_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(WORKER_METRICS).map(([key, type]) => [key, promName(type)]),
);

/**
 * Monitoring as code for the pipeline: alert policies on backlog age and size, dead letters,
 * BigQuery-subscription write failures, Dataflow lag and failure, the worker's progress, failed
 * ELT runs, SQL-sourced freshness, quality and CDC staleness checks, and the BACKGROUND
 * reservation; e-mail notification channels; one dashboard with the same signals.
 *
 * Every alert and chart is an entry of the alert catalogue (`constructs/monitoring/alert-catalogue.ts`),
 * created when what it watches is given. Every policy carries a runbook (what it means, the first three
 * things to check), a severity, the given user labels, an auto-close, and the notification channels. Every
 * metric filter is checked against the metric catalogue (`constructs/monitoring/metric-catalogue.ts`):
 * metric type, monitored resource and label names. Policies on a resource of the stack depend on it.
 *
 * @example
 * new PipelineMonitoring(this, "monitoring", {
 *   project: "my-project",
 *   notificationEmails: ["oncall@example.com"],
 *   ingestionSubscriptions: [subscription],
 *   deadLetterSubscriptions: [topic.deadLetterSubscription],
 *   worker: publisher,
 * });
 */
export class PipelineMonitoring extends Construct {
  /** The alert policies, by alert id. */
  public readonly alertPolicies: Partial<Record<AlertId | (string & {}), MonitoringAlertPolicy>> = {};
  /** The e-mail notification channels created. */
  public readonly emailChannels: MonitoringNotificationChannel[] = [];
  /** Every channel the policies notify (ids, or references to the channels created). */
  public readonly notificationChannels: string[];
  /** The dashboard (unless `dashboard` is false). */
  public readonly dashboard?: MonitoringDashboard;

  private readonly props: PipelineMonitoringProps;
  private readonly catalogue: readonly AlertDefinition[];
  private readonly prefix: string;
  private readonly autoClose: Duration;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    requireProps(this.node.path, "PipelineMonitoring", props, [
      "project",
      "reservation.maxSlots",
      "reservation.reservationName",
      "worker.sink",
    ]);
    this.props = props;
    this.catalogue = props.catalogue ?? ALERT_CATALOGUE;
    this.prefix = props.displayNamePrefix ?? "fresh-streams";
    this.autoClose = validateDuration(this.node.path, "autoClose", props.autoClose ?? Duration.hours(1), {
      min: MIN_AUTO_CLOSE,
      max: MAX_AUTO_CLOSE,
      wholeUnit: "seconds",
      rule: "Cloud Monitoring closes incidents after",
    });
    this.validate();
    const alerting = props.alerting ?? true;
    if (alerting) {
      for (const email of new Set(props.notificationEmails ?? [])) {
        this.emailChannels.push(
          new MonitoringNotificationChannel(this, `email-${email.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`, {
            project: props.project,
            type: "email",
            displayName: `${this.prefix}: ${email}`,
            labels: { email_address: email },
            userLabels: props.userLabels,
          }),
        );
      }
    }
    this.notificationChannels = [...this.emailChannels.map((c) => c.name), ...(props.notificationChannelIds ?? [])];
    for (const writer of props.metricWriters ?? []) {
      grantOnce(
        this,
        "roles/monitoring.metricWriter",
        writer,
        (grantId, member) =>
          new ProjectIamMember(this, grantId, {
            project: props.project,
            role: "roles/monitoring.metricWriter",
            member,
          }),
      );
    }
    if (alerting) this.createAlerts();
    if (props.dashboard ?? true) this.dashboard = this.createDashboard();
  }

  /** Checks the props that are not checked where they are used. */
  private validate(): void {
    const { props } = this;
    const path = this.node.path;
    validateLabels(path, props.userLabels ?? {});
    for (const definition of this.catalogue) {
      for (const problem of entryProblems(definition)) fail(path, `catalogue entry ${definition.id}: ${problem}`);
    }
    const ids = this.catalogue.map((a) => a.id);
    for (const [alertId, settings] of Object.entries(props.alerts ?? {})) {
      const definition = this.catalogue.find((a) => a.id === alertId);
      if (!definition) fail(path, `alerts has an unknown alert id "${alertId}"; use one of ${ids.join(", ")}`);
      this.settingsOf(definition, settings);
    }
    for (const check of props.healthChecks ?? []) {
      if (!ids.includes(check.checkId)) {
        fail(path, `health check "${check.checkId}" is not an alert id of the catalogue; use one of ${ids.join(", ")}`);
      }
    }
    const words = new Set(this.catalogue.flatMap((a) => Object.keys(a.words ?? {})));
    for (const word of Object.keys(props.runbookWords ?? {})) {
      if (!words.has(word)) {
        fail(
          path,
          `runbookWords has "${word}", which no runbook uses; the runbooks' words are ${[...words].join(", ")}`,
        );
      }
    }
    for (const email of props.notificationEmails ?? []) {
      if (!Token.isUnresolved(email) && !EMAIL.test(email)) {
        fail(path, `notification e-mail "${email}" is not an e-mail address`);
      }
    }
    for (const channel of props.notificationChannelIds ?? []) {
      if (!Token.isUnresolved(channel) && !CHANNEL_ID.test(channel)) {
        fail(
          path,
          `notification channel "${channel}" is not a channel id; expected projects/<project>/notificationChannels/<number>`,
        );
      }
    }
  }

  /** What an alert watches, grouped by policy: all of them in one, or (health checks) each in the one of its id. */
  private groupsOf(definition: AlertDefinition): { kind: WatchedKindSpec; groups: (readonly unknown[])[] } {
    const kind = WATCHED_KINDS[definition.signal.watches];
    const targets = kind.targets(this.props);
    if (kind.idOf) return { kind, groups: targets.filter((t) => kind.idOf!(t) === definition.id).map((t) => [t]) };
    return { kind, groups: targets.length > 0 ? [targets] : [] };
  }

  /** The effective settings of an alert: defaults, overrides, checked. */
  private settingsOf(definition: AlertDefinition, override?: AlertSettings): EffectiveSettings {
    const path = this.node.path;
    const alertId = definition.id;
    const settings = override ?? this.props.alerts?.[alertId] ?? {};
    const kind = WATCHED_KINDS[definition.signal.watches];
    const target = kind.targets(this.props)[0];
    const fromWatched = thresholdSource(definition.signal) === "settings-or-watched";
    const level = fromWatched && target !== undefined ? kind.levelOf?.(target) : undefined;
    const threshold = settings.threshold ?? level ?? definition.threshold;
    if (!Token.isUnresolved(threshold)) {
      const computed = fromWatched && settings.threshold === undefined && level === undefined;
      if (
        !Number.isFinite(threshold) ||
        threshold < 0 ||
        (definition.positiveThreshold && threshold === 0 && !computed)
      ) {
        fail(
          path,
          `alert ${alertId}: threshold ${threshold} is invalid; it counts ${definition.unit} and must be ${definition.positiveThreshold ? "greater than 0" : "0 or more"}`,
        );
      }
    }
    let durationSeconds = definition.durationSeconds;
    if (settings.duration !== undefined) {
      const duration = validateDuration(path, `alert ${alertId}: duration`, settings.duration, {
        min: Duration.seconds(0),
        max: MAX_DURATION,
        rule: "Cloud Monitoring accepts",
      });
      if (!duration.isUnresolved()) {
        if (duration.toSeconds() % 60 !== 0) {
          fail(
            path,
            `alert ${alertId}: duration is ${duration.toHumanString()}; Cloud Monitoring accepts only whole minutes (a multiple of 60 seconds)`,
          );
        }
        durationSeconds = duration.toSeconds();
      }
    }
    return { enabled: settings.enabled ?? true, threshold, durationSeconds };
  }

  /** One policy per alert of the catalogue whose watched constructs are given (per health check for theirs). */
  private createAlerts(): void {
    for (const definition of this.catalogue) {
      const settings = this.settingsOf(definition);
      if (!settings.enabled) continue;
      const { kind, groups } = this.groupsOf(definition);
      for (const targets of groups) {
        const dependsOn = [...kind.dependsOn(targets)];
        const signal = definition.signal;
        const options =
          "promql" in signal
            ? this.promqlCondition(definition, signal, settings)
            : this.thresholdCondition(definition, signal, settings, kind, targets);
        this.createPolicy({ ...options, definition, durationSeconds: settings.durationSeconds, dependsOn });
      }
    }
  }

  /** The condition of a metric signal: its metric filtered to the watched targets, compared with the threshold. */
  private thresholdCondition(
    definition: AlertDefinition,
    signal: MetricSignal,
    settings: EffectiveSettings,
    kind: WatchedKindSpec,
    targets: readonly unknown[],
  ): Pick<PolicyOptions, "threshold" | "condition" | "sources"> {
    const path = `${this.node.path}/${definition.id}`;
    const level = kind.levelOf?.(targets[0]);
    const threshold = signal.threshold === "watched" ? level! : settings.threshold;
    const filter = this.filterOf(signal.metric ?? kind.metricOf!(targets[0]), kind, targets, signal.metricLabels);
    const name = fillTemplate(signal.condition, { id: definition.id, threshold, level: level ?? threshold }, path);
    const condition = {
      displayName: `${definition.title}: ${name}`.slice(0, 512),
      conditionThreshold: {
        filter: hclSafeString(metricFilter(path, filter)),
        comparison: signal.comparison,
        thresholdValue: signal.conditionThreshold ?? threshold,
        duration: `${settings.durationSeconds}s`,
        aggregations: [
          {
            alignmentPeriod: `${signal.alignmentSeconds ?? 60}s`,
            perSeriesAligner: signal.aligner,
            ...(signal.reducer ? { crossSeriesReducer: signal.reducer } : {}),
          },
        ],
        trigger: { count: 1 },
      },
    };
    const source = Token.isUnresolved(filter.metric) ? "logging.googleapis.com/user/…" : filter.metric;
    return { threshold, condition, sources: [source] };
  }

  /** The condition of a PromQL signal: the query with the threshold and window filled in, checked. */
  private promqlCondition(
    definition: AlertDefinition,
    signal: PromqlSignal,
    settings: EffectiveSettings,
  ): Pick<PolicyOptions, "threshold" | "condition" | "sources"> {
    const path = `${this.node.path}/${definition.id}`;
    const window = `${(settings.durationSeconds || COUNT_WINDOW_SECONDS) / 60}m`;
    const query = fillTemplate(signal.promql, { ...PROM_NAMES, threshold: settings.threshold, window }, path);
    for (const problem of promqlProblems(query)) fail(path, problem);
    const condition = {
      displayName: `${definition.title}: ${signal.condition}`.slice(0, 512),
      conditionPrometheusQueryLanguage: {
        query,
        duration: `${signal.durationSeconds ?? settings.durationSeconds}s`,
        evaluationInterval: "60s",
        disableMetricValidation: true,
      },
    };
    return { threshold: settings.threshold, condition, sources: [query] };
  }

  /** A filter on `metric` selecting the watched `targets`, and `metricLabels`. */
  private filterOf(
    metric: string,
    kind: WatchedKindSpec,
    targets: readonly unknown[],
    metricLabels: MetricFilterSpec["metricLabels"] = {},
  ): MetricFilterSpec {
    const selection = kind.selection(targets, this.props.project);
    return { metric, ...selection, metricLabels: { ...(selection.metricLabels ?? {}), ...metricLabels } };
  }

  /** The policy of an alert: its condition, runbook, severity, labels, auto-close and channels. */
  private createPolicy(options: PolicyOptions): MonitoringAlertPolicy {
    const { definition } = options;
    const policy = new MonitoringAlertPolicy(this, definition.id, {
      project: this.props.project,
      displayName: `${this.prefix}: ${definition.title}`,
      combiner: "OR",
      severity: definition.severity,
      conditions: [options.condition],
      notificationChannels: this.notificationChannels,
      userLabels: { ...(this.props.userLabels ?? {}), alert: definition.id },
      alertStrategy: { autoClose: `${this.autoClose.toSeconds()}s` },
      documentation: {
        mimeType: "text/markdown",
        subject: `[${definition.severity}] ${this.prefix}: ${definition.title}`.slice(0, 255),
        content: runbook({ ...options, words: this.props.runbookWords, where: `${this.node.path}/${definition.id}` }),
      },
      dependsOn: [...options.dependsOn, ...this.emailChannels],
    });
    this.alertPolicies[definition.id] = policy;
    return policy;
  }

  /** The charts of the catalogue's tiles whose watched constructs are given, by position. */
  private charts(): Chart[] {
    const charts: { chart: Chart; position: number; order: number }[] = [];
    this.catalogue.forEach((definition, order) => {
      const tile = definition.tile;
      if (!tile) return;
      const { kind, groups } = this.groupsOf(definition);
      const signalMetric = "promql" in definition.signal ? undefined : definition.signal.metric;
      for (const targets of groups) {
        const level = kind.levelOf?.(targets[0]) ?? "";
        const metric = tile.metric ?? signalMetric ?? kind.metricOf!(targets[0]);
        const title = fillTemplate(tile.title, { title: definition.title, level }, `${this.node.path}/dashboard`);
        const filter = this.filterOf(metric, kind, targets, tile.metricLabels);
        charts.push({ chart: { title, filter, tile }, position: tile.position, order });
      }
    });
    return charts.sort((a, b) => a.position - b.position || a.order - b.order).map((c) => c.chart);
  }

  /** One dashboard with the charts, two per row. */
  private createDashboard(): MonitoringDashboard {
    const path = `${this.node.path}/dashboard`;
    const width = 6;
    const height = 4;
    const dashboard = {
      displayName: `${this.prefix}: pipeline health`,
      mosaicLayout: {
        columns: 12,
        tiles: this.charts().map(({ title, filter, tile }, i) => ({
          xPos: (i % 2) * width,
          yPos: Math.floor(i / 2) * height,
          width,
          height,
          widget: {
            title,
            xyChart: {
              dataSets: [
                {
                  plotType: "LINE",
                  timeSeriesQuery: {
                    timeSeriesFilter: {
                      filter: metricFilter(path, filter),
                      aggregation: {
                        alignmentPeriod: "60s",
                        perSeriesAligner: tile.aligner,
                        ...(tile.reducer ? { crossSeriesReducer: tile.reducer } : {}),
                        ...(tile.groupBy ? { groupByFields: tile.groupBy } : {}),
                      },
                    },
                  },
                },
              ],
            },
          },
        })),
      },
    };
    // The dashboard names health checks, scheduled queries and the reservation by reference: created after them.
    const waits = Object.values(WATCHED_KINDS).filter((k) => k.dashboardWaits);
    const dependsOn = waits.flatMap((k) => k.dependsOn(k.targets(this.props)));
    return new MonitoringDashboard(this, "dashboard", {
      project: this.props.project,
      // Multi-line on purpose: `cdktf synth --hcl` writes it as a heredoc, which keeps the JSON's
      // escaped quotes; a one-line string with `\"` is mangled by cdktf's HCL renderer.
      dashboardJson: JSON.stringify(dashboard, null, 2),
      dependsOn,
    });
  }
}
