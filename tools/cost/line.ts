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
}

/** The defaults: a ~1 KB event, 730 hours, half the autoscale maximum in use. */
export const DEFAULT_ASSUMPTIONS: Assumptions = {
  eventsPerSecond: 50,
  eventBytes: 1024,
  hoursPerMonth: 730,
  autoscaleUtilisation: 0.5,
  dataflowBytesPerVcpuSecond: 2 * 1024 * 1024,
  dataflowDiskGb: 30,
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
 * The free allowance `tier` set against `lines` (all in the tier's unit, at one price): the first
 * `allowance` units of their total, at the lines' price. Undefined when nothing is used.
 */
export function freeAgainst(tier: FreeTierKey, lines: readonly CostLine[]): FreeLine | undefined {
  const used = lines.reduce((sum, line) => sum + line.quantity, 0);
  if (lines.length === 0 || used <= 0) return undefined;
  const allowance = FREE_TIERS[tier].quantity;
  const quantity = Math.min(used, allowance);
  const price = lines[0].price;
  return {
    resource: lines.map((l) => l.resource).join(", "),
    item: `free tier: ${FREE_TIERS[tier].item}`,
    quantity,
    unit: FREE_TIERS[tier].unit,
    price,
    monthly: quantity * price,
    allowance,
    source: cite(FREE_TIERS[tier]),
  };
}

/** Sum of the lines' `monthly`. */
export function total(lines: readonly { monthly: number }[]): number {
  return lines.reduce((sum, line) => sum + line.monthly, 0);
}
