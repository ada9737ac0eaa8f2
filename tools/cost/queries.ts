/**
 * Scheduled queries (Data Transfer Service): bytes each run processes, from the partitions its filters
 * touch, at on-demand prices (at least 10 MiB per table referenced); under a QUERY reservation
 * assignment the runs use the reservation's slots, priced in the reservation category.
 */
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import type { TableSchema } from "../../schemas/table-schema";
import { WIKI_STAGED_SCHEMA } from "../../schemas/wiki-staged";
import type { PricedLines } from "./ingestion";
import { defined, freeAgainst, priced, type Assumptions, type CostLine } from "./line";
import { resourcesOf, type SynthesizedStack } from "./stack";

const MIB = 1024 ** 2;
/** On-demand queries are billed at least 10 MB (MiB) per table referenced. */
export const MIN_BYTES_PER_TABLE = 10 * MIB;
/** The tables holding one row per event; every other table is billed at the 10 MiB minimum (its rows are per window or per run). */
export const EVENT_SCHEMAS: readonly TableSchema[] = [WIKI_CHANGES_SCHEMA, WIKI_STAGED_SCHEMA];

/** Runs a month of a Data Transfer Service schedule ("every 15 minutes", "every 2 hours", "every 24 hours"). */
export function runsPerMonth(schedule: string, hoursPerMonth: number): number {
  const match = /^every (\d+) (minutes|hours)$/.exec(schedule.trim());
  if (match) return (hoursPerMonth * (match[2] === "minutes" ? 60 : 1)) / Number(match[1]);
  if (/^every day\b/.test(schedule.trim())) return hoursPerMonth / 24;
  throw new Error(
    `schedule ${JSON.stringify(schedule)}: the cost model reads "every N minutes|hours" and "every day …"`,
  );
}

/** The tables a query references (`project`.`dataset`.`table`, INFORMATION_SCHEMA views included), once each. */
export function referencedTables(query: string): string[] {
  const refs = [...query.matchAll(/`[^`]+`\.`[^`]+`\.(?:`([^`]+)`|(INFORMATION_SCHEMA\.\w+))/g)].map(
    (m) => m[1] ?? m[2],
  );
  return [...new Set(refs)];
}

/**
 * Hours of `column` a query reads: the widest `column >= [TIMESTAMP_TRUNC(][GREATEST(]TIMESTAMP_SUB(…, INTERVAL n HOUR|DAY)`
 * bound (n may be a product such as `2 * 48`), undefined when no filter bounds it (the whole table is read).
 */
export function filteredHours(query: string, column: string): number | undefined {
  const col = column.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `\`?${col}\`?\\s*>=\\s*(?:TIMESTAMP_TRUNC\\(\\s*)?(?:GREATEST\\(\\s*)?TIMESTAMP_SUB\\([^,]+,\\s*INTERVAL\\s+([\\d\\s*]+?)\\s+(HOUR|DAY)`,
    "g",
  );
  const hours = [...query.matchAll(pattern)].map(
    (m) => m[1].split("*").reduce((product, n) => product * Number(n.trim()), 1) * (m[2] === "DAY" ? 24 : 1),
  );
  return hours.length > 0 ? Math.max(...hours) : undefined;
}

/** One event table: its partitioning column and the logical bytes of each column. */
export interface EventTable {
  readonly column: string;
  readonly columnBytes: ReadonlyMap<string, number>;
}

const FIXED_BYTES: Record<string, number> = { INT64: 8, TIMESTAMP: 8, FLOAT64: 8, DATE: 8, BOOL: 1 };

/**
 * Logical bytes of each column of `schema`, its rows averaging `rowBytes` over the raw columns: fixed-size
 * columns at their size, STRING columns sharing the rest of the raw row equally.
 */
export function columnBytes(schema: TableSchema, a: Assumptions): Map<string, number> {
  const raw = WIKI_CHANGES_SCHEMA.columns;
  const fixed = raw.reduce((sum, c) => sum + (FIXED_BYTES[c.type] ?? 0), 0);
  const strings = raw.filter((c) => FIXED_BYTES[c.type] === undefined).length;
  const stringBytes = (a.rawRowBytes - fixed) / strings;
  return new Map(schema.columns.map((c) => [c.name, FIXED_BYTES[c.type] ?? stringBytes]));
}

/** The event tables of the stack, with their partitioning column (`_PARTITIONTIME` for ingestion-time). */
export function eventTables(stack: SynthesizedStack, a: Assumptions): Map<string, EventTable> {
  const tables = new Map<string, EventTable>();
  for (const { body } of resourcesOf(stack, "google_bigquery_table")) {
    const schema = EVENT_SCHEMAS.find((s) => s.name === body.table_id);
    if (schema && body.time_partitioning) {
      tables.set(schema.name, {
        column: body.time_partitioning.field ?? "_PARTITIONTIME",
        columnBytes: columnBytes(schema, a),
      });
    }
  }
  return tables;
}

/** Bytes of one row a query reads: the columns it names (all of them after `SELECT * FROM` a table). */
export function bytesPerRowRead(query: string, table: EventTable): number {
  const all = /\*\s*(?:EXCEPT\s*\([^)]*\)\s*)?FROM\s+`/i.test(query.replace(/--.*$/gm, ""));
  let bytes = 0;
  for (const [name, size] of table.columnBytes) {
    if (all || new RegExp(`(^|[^A-Za-z0-9_])${name}($|[^A-Za-z0-9_])`).test(query)) bytes += size;
  }
  return bytes;
}

/**
 * The text that reads `table` when the query only `MERGE`s into it: its `ON` condition (BigQuery reads the target's
 * columns the condition names; the columns the `INSERT` names are written, not read). Else the whole query.
 */
export function readingText(query: string, table: string): string {
  const sql = query.replace(/--.*$/gm, "");
  const target = new RegExp(`^\\s*MERGE\\s+(?:INTO\\s+)?\`[^\`]+\`\\.\`[^\`]+\`\\.\`${table}\``, "i");
  const mentions = sql.split(`.\`${table}\``).length - 1;
  const when = sql.search(/\bWHEN\b/i);
  if (!target.test(sql) || mentions !== 1 || when < 0) return query;
  const beforeWhen = sql.slice(0, when);
  const on = [...beforeWhen.matchAll(/\bON\b/gi)].pop();
  return on?.index === undefined ? query : beforeWhen.slice(on.index);
}

/** Bytes one run reads from each table it references, and how. */
export function bytesPerRun(
  query: string,
  tables: ReadonlyMap<string, EventTable>,
  a: Assumptions,
): Array<{ table: string; bytes: number; hours?: number }> {
  return referencedTables(query).map((name) => {
    const table = tables.get(name);
    if (!table) return { table: name, bytes: MIN_BYTES_PER_TABLE };
    const text = readingText(query, name);
    const bound = filteredHours(text, table.column);
    // A bound of n hours on a daily-partitioned column reads, on average, n hours and half a day more.
    const hours = bound === undefined ? a.storageMonths * a.hoursPerMonth : bound + 12;
    const bytes = hours * 3600 * a.eventsPerSecond * bytesPerRowRead(text, table);
    return { table: name, bytes: Math.max(MIN_BYTES_PER_TABLE, bytes), hours };
  });
}

/** Whether the project's QUERY jobs run on a reservation. */
function queriesOnReservation(stack: SynthesizedStack): boolean {
  return resourcesOf(stack, "google_bigquery_reservation_assignment").some((r) => r.body.job_type === "QUERY");
}

/** Every scheduled query's monthly bytes, priced on demand (or noted as on the reservation). */
export function queryLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const tables = eventTables(stack, a);
  const onReservation = queriesOnReservation(stack);
  const lines: CostLine[] = resourcesOf(stack, "google_bigquery_data_transfer_config")
    .filter((r) => r.body.data_source_id === "scheduled_query" && typeof r.body.params?.query === "string")
    .map(({ address, body }) => {
      const runs = runsPerMonth(String(body.schedule ?? "every 24 hours"), a.hoursPerMonth);
      const reads = bytesPerRun(body.params.query, tables, a);
      const tib = (runs * reads.reduce((sum, r) => sum + r.bytes, 0)) / 1024 ** 4;
      const what = reads.map((r) => (r.hours === undefined ? r.table : `${r.table} ${r.hours} h`)).join(", ");
      const line = priced(address, "bigqueryOnDemand", tib, `${runs.toFixed(0)} runs × (${what})`);
      return onReservation ? { ...line, item: `${line.item}; on the reservation's slots`, price: 0, monthly: 0 } : line;
    });
  return { lines, free: onReservation ? [] : defined([freeAgainst("bigqueryOnDemand", lines)]) };
}
