/**
 * BigQuery storage of the tables holding one row per event, as the bill of month `storageMonths` of
 * operation: partitions written in the last 90 days are active, older ones long-term, and none older
 * than the table's partition expiration (its own, else its dataset's default) is kept.
 */
import type { PricedLines } from "./ingestion";
import { defined, freeAgainst, GIB, priced, type Assumptions } from "./line";
import { PRICES } from "./prices";
import { columnBytes, EVENT_SCHEMAS } from "./queries";
import { numberOr, resourcesOf, type SynthesizedStack } from "./stack";

const DAY_MS = 24 * 3600 * 1000;
/** Partitions unmodified for 90 days are billed as long-term storage. */
export const LONG_TERM_AFTER_DAYS = 90;

/** Days of partitions a table keeps at the assumed age: its age, at most its partition expiration. */
export function retainedDays(expirationMs: number | undefined, a: Assumptions): number {
  const age = (a.storageMonths * a.hoursPerMonth) / 24;
  return expirationMs === undefined ? age : Math.min(age, expirationMs / DAY_MS);
}

/** The dataset defaults of partition expiration, by dataset address. */
function datasetExpirations(stack: SynthesizedStack): Map<string, number> {
  const defaults = new Map<string, number>();
  for (const { address, body } of resourcesOf(stack, "google_bigquery_dataset")) {
    const ms = numberOr(body.default_partition_expiration_ms, NaN);
    if (Number.isFinite(ms)) defaults.set(address, ms);
  }
  return defaults;
}

/** Active and long-term storage of each event table, the 10 GiB free set against the active lines. */
export function storageLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const defaults = datasetExpirations(stack);
  const lines = resourcesOf(stack, "google_bigquery_table").flatMap(({ address, body }) => {
    const schema = EVENT_SCHEMAS.find((s) => s.name === body.table_id);
    if (!schema) return [];
    const rowBytes = [...columnBytes(schema, a).values()].reduce((sum, b) => sum + b, 0);
    const gibPerDay = (a.eventsPerSecond * rowBytes * 86400) / GIB;
    const dataset = /\$\{(google_bigquery_dataset\.[^.}]+)/.exec(String(body.dataset_id ?? ""))?.[1];
    const expiration = numberOr(body.time_partitioning?.expiration_ms, NaN);
    const days = retainedDays(Number.isFinite(expiration) ? expiration : defaults.get(dataset ?? ""), a);
    const active = Math.min(days, LONG_TERM_AFTER_DAYS);
    return [
      priced(
        address,
        "bigqueryActiveStorage",
        active * gibPerDay,
        `${body.table_id}: ${active.toFixed(0)} days of partitions`,
      ),
      priced(
        address,
        "bigqueryLongTermStorage",
        (days - active) * gibPerDay,
        `${body.table_id}: ${(days - active).toFixed(0)} days of partitions older than ${LONG_TERM_AFTER_DAYS}`,
      ),
    ];
  });
  const active = lines.filter((l) => l.price === PRICES.bigqueryActiveStorage.usd);
  return { lines, free: defined([freeAgainst("bigqueryStorage", active)]) };
}
