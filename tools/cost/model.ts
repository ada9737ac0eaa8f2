/**
 * The cost model of one environment: every category's lines priced from its synthesized stack and the
 * config it came from, the assumptions they rest on, and the free tiers shown apart (gross, free, net).
 */
import type { EnvironmentConfig } from "../../config/schema";
import type { PricedLines } from "./ingestion";
import { stackIngestionLines } from "./ingestion-stack";
import { ASSUMPTION_NOTES, total, type Assumptions, type CostLine, type FreeLine } from "./line";
import { loggingLines, monitoringLines, registryLines, secretLines } from "./operations";
import { queryLines } from "./queries";
import { reservationLines } from "./reservation";
import type { SynthesizedStack } from "./stack";
import { storageLines } from "./storage";
import { workerLines } from "./worker";

/** The categories, in report order. */
export const CATEGORIES = [
  "reservation",
  "ingestion",
  "worker",
  "scheduled-queries",
  "storage",
  "monitoring",
  "logging",
  "secrets",
  "registry",
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface CostCategory {
  readonly category: Category;
  /** Dollars a month, list prices before free tiers. */
  readonly monthly: number;
  readonly lines: CostLine[];
}

export interface CostReport {
  readonly env: string;
  /** Events a second. */
  readonly rate: number;
  /** Dollars a month, list prices before free tiers. */
  readonly total: number;
  readonly categories: CostCategory[];
  readonly assumptions: Array<{ name: keyof Assumptions; value: number; note: string }>;
  readonly freeTier: { gross: number; free: number; net: number; lines: FreeLine[] };
}

/** What the model reads of the config. */
function ingestionConfig(config: EnvironmentConfig): Parameters<typeof stackIngestionLines>[1] {
  return { mode: config.ingestion.mode, directApi: config.ingestion.direct.api };
}

/** Every category of the stack, priced. */
function priceCategories(
  stack: SynthesizedStack,
  config: EnvironmentConfig,
  a: Assumptions,
): Record<Category, PricedLines> {
  return {
    reservation: reservationLines(stack, a),
    ingestion: stackIngestionLines(stack, ingestionConfig(config), a),
    worker: workerLines(stack, a),
    "scheduled-queries": queryLines(stack, a),
    storage: storageLines(stack, a),
    monitoring: monitoringLines(stack, a),
    logging: loggingLines(a),
    secrets: secretLines(stack),
    registry: registryLines(stack, a),
  };
}

/** The environment's monthly list cost at the assumed rate. */
export function costReport(
  env: string,
  stack: SynthesizedStack,
  config: EnvironmentConfig,
  a: Assumptions,
): CostReport {
  const priced = priceCategories(stack, config, a);
  const categories = CATEGORIES.map((category) => ({
    category,
    monthly: total(priced[category].lines),
    lines: priced[category].lines,
  }));
  const gross = total(categories);
  const freeLines = CATEGORIES.flatMap((c) => priced[c].free);
  const free = total(freeLines);
  return {
    env,
    rate: a.eventsPerSecond,
    total: gross,
    categories,
    assumptions: (Object.keys(ASSUMPTION_NOTES) as Array<keyof Assumptions>).map((name) => ({
      name,
      value: a[name],
      note: ASSUMPTION_NOTES[name],
    })),
    freeTier: { gross, free, net: gross - free, lines: freeLines },
  };
}
