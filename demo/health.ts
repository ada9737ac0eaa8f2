/**
 * The demo report's health section: what an operator's alerts would say about the run, computed
 * from what the emulators expose.
 *
 * - backlog left, dead letters: messages still in the ingestion and dead-letter subscriptions of
 *   the Pub/Sub emulator (pulled without acknowledging, until none is returned); `null` in direct
 *   mode, which has neither subscription (the worker's refused rows are the report's `error_rows`);
 * - late events, duplicates in staging, staging behind raw: the value queries of the local stack's
 *   SQL health checks (`stack.monitoring.checks`, the same SQL the alerts are built on), run on the
 *   BigQuery emulator as of the replay's run time: `CURRENT_TIMESTAMP()` and `_PARTITIONTIME` are
 *   bound to that time (the emulator stores no ingestion time, and a replay's events are older than
 *   "now"), so every replayed event counts as arriving when the replay ended.
 */
import { BigQuery } from "@google-cloud/bigquery";
import { LocalResources } from "./local-stack";

export interface HealthReport {
  /** Messages left in the ingestion subscription; null without one (direct mode). */
  backlog_left: number | null;
  /** Messages in the dead-letter subscription; null without one (direct mode). */
  dead_letters: number | null;
  /** Events older than the staging lookback when they arrived (alert quality-late-events). */
  late_events: number;
  /** Raw rows the staging load removed as duplicates. */
  duplicates_removed: number;
  /** Surplus rows in staging (alert quality-staging-duplicates); 0 when de-duplication worked. */
  staging_duplicates: number;
  /** How far staging is behind raw, in seconds (alert elt-freshness). */
  staging_lag_seconds: number;
}

/** Counts the messages of a subscription on the Pub/Sub emulator (REST), pulling without acknowledging. */
export async function countMessages(emulatorHost: string, project: string, subscription: string): Promise<number> {
  let total = 0;
  for (;;) {
    const response = await fetch(`http://${emulatorHost}/v1/projects/${project}/subscriptions/${subscription}:pull`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ maxMessages: 1000, returnImmediately: true }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`pull from ${subscription}: HTTP ${response.status} ${await response.text()}`);
    const { receivedMessages = [] } = (await response.json()) as { receivedMessages?: unknown[] };
    if (receivedMessages.length === 0) return total;
    total += receivedMessages.length;
  }
}

/** The SQL evaluated as of `runTime`: the clock and the ingestion time bound to it. */
export function asOf(sql: string, runTime: Date): string {
  const literal = `TIMESTAMP '${runTime.toISOString()}'`;
  return sql.replace(/CURRENT_TIMESTAMP\(\)/g, literal).replace(/\b_PARTITIONTIME\b/g, literal);
}

export interface HealthInputs {
  readonly bigquery: BigQuery;
  readonly resources: LocalResources;
  readonly pubsubHost: string;
  /** Unset in direct mode: the worker writes BigQuery, there is no subscription to measure. */
  readonly ingestionSubscription?: string;
  readonly deadLetterSubscription?: string;
  readonly runTime: Date;
  readonly duplicatesRemoved: number;
}

/** Measures the health section. */
export async function measureHealth(inputs: HealthInputs): Promise<HealthReport> {
  const { bigquery, resources, runTime } = inputs;
  const checks = resources.stack.monitoring?.checks ?? {};
  const value = async (checkId: keyof typeof checks): Promise<number> => {
    const check = checks[checkId];
    if (!check) return 0;
    const [rows] = await bigquery.query({ query: asOf(check.valueQuery, runTime) });
    return Number(rows[0]?.value ?? 0);
  };
  const project = resources.config.projectId;
  const messages = (subscription: string | undefined) =>
    subscription === undefined ? Promise.resolve(null) : countMessages(inputs.pubsubHost, project, subscription);
  return {
    backlog_left: await messages(inputs.ingestionSubscription),
    dead_letters: await messages(inputs.deadLetterSubscription),
    late_events: await value("quality-late-events"),
    duplicates_removed: inputs.duplicatesRemoved,
    staging_duplicates: await value("quality-staging-duplicates"),
    staging_lag_seconds: await value("elt-freshness"),
  };
}

/** The health section of the report. */
export function formatHealth(health: HealthReport): string {
  const ok = (n: number) => (n === 0 ? "ok" : "ALERT");
  const none = "n/a (direct mode: no subscription)";
  return [
    "health",
    `  backlog left        ${health.backlog_left === null ? none : `${health.backlog_left} messages`}`,
    `  dead letters        ${health.dead_letters === null ? none : `${health.dead_letters} messages (${ok(health.dead_letters)})`}`,
    `  late events         ${health.late_events} beyond the staging lookback (${ok(health.late_events)})`,
    `  duplicates removed  ${health.duplicates_removed} by the staging load; ${health.staging_duplicates} left in staging (${ok(health.staging_duplicates)})`,
    `  staging behind raw  ${health.staging_lag_seconds} s`,
  ].join("\n");
}
