/**
 * The cost model's vocabulary: a priced line, a free allowance set against it, and the figures the model
 * assumes where the synthesized stack cannot say (event size, rates, utilisation, hours in a month).
 */
import { cite, FREE_TIERS, PRICES, type FreeTierKey, type PriceKey } from "./prices";

/** One priced quantity: `monthly` = `quantity` × `price`, before any free tier. */
export interface CostLine {
  /** The Terraform address (or the config key) the cost comes from. */
  readonly resource: string;
  /** What is bought. */
  readonly item: string;
  /** Units a month. */
  readonly quantity: number;
  readonly unit: string;
  /** Dollars per unit. */
  readonly price: number;
  /** Dollars a month, list price, before free tiers. */
  readonly monthly: number;
  /** The price page and the date it was read. */
  readonly source: string;
}

/** A free allowance used against a line: `monthly` is what it takes off. */
export interface FreeLine extends CostLine {
  /** The allowance a month, in `unit`. */
  readonly allowance: number;
}

/** The figures a line's quantity depends on and the stack cannot tell. */
export interface Assumptions {
  /** Events a second reaching the raw table. */
  readonly eventsPerSecond: number;
  /** Bytes of one event as a Pub/Sub message and as a BigQuery row. */
  readonly eventBytes: number;
  /** Hours in a month (Google's price pages use 730). */
  readonly hoursPerMonth: number;
  /** Share of the autoscale maximum a reservation uses on average (0–1). */
  readonly autoscaleUtilisation: number;
  /** Bytes a second one Dataflow worker vCPU moves from Pub/Sub to BigQuery (autoscaling decides the real count). */
  readonly dataflowBytesPerVcpuSecond: number;
  /** Boot disk of one Dataflow worker with Streaming Engine, GB. */
  readonly dataflowDiskGb: number;
  /** Bytes of one raw row as BigQuery stores it (logical bytes: 8 per INT64/TIMESTAMP, 2 + length per STRING). */
  readonly rawRowBytes: number;
  /** Page-state changes (CDC messages) the worker publishes per event. */
  readonly pageChangesPerEvent: number;
  /** Bytes of one page-state change as a Pub/Sub message. */
  readonly pageChangeBytes: number;
  /** Age of the data the storage lines price, in months (tables without partition expiration keep growing). */
  readonly storageMonths: number;
  /** Samples in one scrape of the worker's /metrics (its registry exports 86 at start; labelled series add more). */
  readonly workerMetricSamples: number;
  /** Log volume of the environment a month (worker, scheduled-query runs, Dataflow), GiB. */
  readonly logGibPerMonth: number;
  /** Images kept in the Artifact Registry repository, GB (shared base layers counted once). */
  readonly registryGb: number;
}

/** The defaults: a ~1 KB event, 730 hours, a tenth of the autoscale maximum in use. */
export const DEFAULT_ASSUMPTIONS: Assumptions = {
  eventsPerSecond: 50,
  eventBytes: 1024,
  hoursPerMonth: 730,
  autoscaleUtilisation: 0.1,
  dataflowBytesPerVcpuSecond: 2 * 1024 * 1024,
  dataflowDiskGb: 30,
  rawRowBytes: 160,
  pageChangesPerEvent: 0.7,
  pageChangeBytes: 512,
  storageMonths: 12,
  workerMetricSamples: 100,
  logGibPerMonth: 2,
  registryGb: 1,
};

/** What each assumption means, for the printed report and the docs. */
export const ASSUMPTION_NOTES: Record<keyof Assumptions, string> = {
  eventsPerSecond: "events a second reaching the raw table",
  eventBytes:
    "bytes of one event as a Pub/Sub message and as an ingested row (insertAll bills each row as at least 1 KB)",
  rawRowBytes:
    "bytes of one raw row in storage: 33 for its INT64, TIMESTAMP and BOOL columns, the rest shared by its five STRING columns (an estimate)",
  hoursPerMonth: "hours in a month, as on Google's price pages",
  autoscaleUtilisation:
    "share of a reservation's autoscale maximum in use on average (set with --autoscale-utilisation)",
  dataflowBytesPerVcpuSecond:
    "bytes a second one Dataflow worker vCPU moves (an estimate: autoscaling decides the real count)",
  dataflowDiskGb: "boot disk of one Dataflow worker with Streaming Engine, GB (an estimate)",
  pageChangesPerEvent: "page-state changes published per event (edits and new pages; an estimate)",
  pageChangeBytes: "bytes of one page-state change message (an estimate)",
  storageMonths: "age of the data: storage is priced as the bill of this month of operation",
  workerMetricSamples: "samples per scrape of the worker's /metrics (86 counted in its registry at start)",
  logGibPerMonth: "log volume a month, GiB (an estimate; the worker logs at info)",
  registryGb: "images kept in the Artifact Registry repository, GB (an estimate)",
};

/** 2^30 bytes. */
export const GIB = 1024 ** 3;

/** Seconds in the assumed month. */
export function monthSeconds(a: Assumptions): number {
  return a.hoursPerMonth * 3600;
}

/** GiB a month the events make at the assumed rate and size. */
export function monthlyGib(a: Assumptions): number {
  return (a.eventsPerSecond * a.eventBytes * monthSeconds(a)) / GIB;
}

/** A line priced from the table: `quantity` in the price's unit. */
export function priced(resource: string, key: PriceKey, quantity: number, item?: string): CostLine {
  const price: { usd: number; unit: string; item: string } = PRICES[key];
  return {
    resource,
    item: item ?? price.item,
    quantity,
    unit: price.unit,
    price: price.usd,
    monthly: quantity * price.usd,
    source: cite(PRICES[key]),
  };
}

/**
 * The free allowance `tier` set against `lines` (all in one unit, at one price): the first `allowance`
 * units of their total, at the lines' price. `perTierUnit` converts the tier's unit into the lines'
 * (Pub/Sub's free 10 GiB against lines priced per TiB: 1/1024). Undefined when nothing is used.
 */
export function freeAgainst(tier: FreeTierKey, lines: readonly CostLine[], perTierUnit = 1): FreeLine | undefined {
  const used = lines.reduce((sum, line) => sum + line.quantity, 0);
  if (lines.length === 0 || used <= 0) return undefined;
  const allowance = FREE_TIERS[tier].quantity * perTierUnit;
  const quantity = Math.min(used, allowance);
  const price = lines[0].price;
  return {
    resource: [...new Set(lines.map((l) => l.resource))].join(", "),
    item: `free tier: ${FREE_TIERS[tier].item}`,
    quantity,
    unit: lines[0].unit,
    price,
    monthly: quantity * price,
    allowance,
    source: cite(FREE_TIERS[tier]),
  };
}

/** The defined free lines. */
export function defined(lines: readonly (FreeLine | undefined)[]): FreeLine[] {
  return lines.filter((line): line is FreeLine => line !== undefined);
}

/** Sum of the lines' `monthly`. */
export function total(lines: readonly { monthly: number }[]): number {
  return lines.reduce((sum, line) => sum + line.monthly, 0);
}
