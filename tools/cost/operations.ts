/**
 * The operating extras: Cloud Monitoring (alerting conditions, the time series they read, the worker's
 * Prometheus samples), Cloud Logging, Secret Manager and Artifact Registry.
 */
import type { PricedLines } from "./ingestion";
import { defined, freeAgainst, monthSeconds, priced, type Assumptions } from "./line";
import { resourcesOf, type SynthesizedStack } from "./stack";

/** Alerting conditions are evaluated (and return their time series) every 30 s, as in the pricing page's examples. */
export const ALERT_PERIOD_SECONDS = 30;

/** The Prometheus scrape interval of the worker's collector config (`interval: 30s`), 60 s when none is found. */
export function scrapeIntervalSeconds(stack: SynthesizedStack): number | undefined {
  for (const { body } of resourcesOf(stack, "google_secret_manager_secret_version")) {
    const text = String(body.secret_data ?? "");
    if (!/kind:\s*RunMonitoring/.test(text)) continue;
    const match = /interval:\s*(\d+)s/.exec(text);
    return match ? Number(match[1]) : 60;
  }
  return undefined;
}

/** Alerting policies (per condition, and one time series per condition and period) and the worker's samples. */
export function monitoringLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const periods = monthSeconds(a) / ALERT_PERIOD_SECONDS;
  const lines = resourcesOf(stack, "google_monitoring_alert_policy").flatMap(({ address, body }) => {
    const conditions = Array.isArray(body.conditions) ? body.conditions.length : 1;
    return [
      priced(address, "monitoringAlertCondition", conditions, `${conditions} condition(s)`),
      priced(
        address,
        "monitoringAlertTimeSeries",
        (conditions * periods) / 1e6,
        `one time series per condition every ${ALERT_PERIOD_SECONDS} s`,
      ),
    ];
  });
  const interval = scrapeIntervalSeconds(stack);
  const collector = resourcesOf(stack, "google_secret_manager_secret_version").find((r) =>
    /kind:\s*RunMonitoring/.test(String(r.body.secret_data ?? "")),
  );
  if (interval !== undefined && collector) {
    const samples = (a.workerMetricSamples * monthSeconds(a)) / interval / 1e6;
    lines.push(
      priced(
        collector.address,
        "prometheusSamples",
        samples,
        `worker /metrics: ${a.workerMetricSamples} samples every ${interval} s`,
      ),
    );
  }
  return { lines, free: [] };
}

/** Log volume of the environment, against the 50 GiB a project gets free. */
export function loggingLines(a: Assumptions): PricedLines {
  const lines = [priced("project logs", "loggingStorage", a.logGibPerMonth, "logs ingested (assumed volume)")];
  return { lines, free: defined([freeAgainst("loggingStorage", lines)]) };
}

/** Secret versions (one location each: automatic replication is billed as one). */
export function secretLines(stack: SynthesizedStack): PricedLines {
  const lines = resourcesOf(stack, "google_secret_manager_secret_version").map(({ address }) =>
    priced(address, "secretVersion", 1, "one active version"),
  );
  return { lines, free: defined([freeAgainst("secretVersion", lines)]) };
}

/** The repositories' images (the assumed volume, shared among them). */
export function registryLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const repositories = resourcesOf(stack, "google_artifact_registry_repository");
  const lines = repositories.map(({ address }) =>
    priced(address, "artifactStorage", a.registryGb / repositories.length, "worker images kept (assumed volume)"),
  );
  return { lines, free: defined([freeAgainst("artifactStorage", lines)]) };
}
