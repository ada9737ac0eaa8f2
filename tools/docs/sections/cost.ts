/**
 * docs/cost.md: what each environment costs a month from the cost model (tools/cost/), its stack
 * synthesized from config/<env>.json; the trade-offs of mode, host and reservation; the prices and
 * assumptions used.
 */
import { CONFIG_DIR, loadEnvironments } from "../../../config/load";
import { usd } from "../../cost/format";
import { ingestionCostLines } from "../../cost/ingestion";
import { ASSUMPTION_NOTES, DEFAULT_ASSUMPTIONS, type Assumptions } from "../../cost/line";
import { CATEGORIES, costReport, type CostReport } from "../../cost/model";
import { cite, COMMITMENT_DISCOUNT, FREE_TIERS, PRICES } from "../../cost/prices";
import { hostAlternatives, reservationAlternatives } from "../../cost/scenarios";
import type { SynthesizedStack } from "../../cost/stack";
import { synthesizeEnvironment } from "../../cost/synth";
import type { DocSection } from "../doc-section";
import { markdownTable } from "../markdown-table";

/** The reservation shape the cheapest configuration adds. */
const CHEAPEST_RESERVATION = "ENTERPRISE, 0 baseline + 50 autoscale";

/** The rates every page compares. */
export const RATES = [50, 500, 5000] as const;
const at = (eventsPerSecond: number): Assumptions => ({ ...DEFAULT_ASSUMPTIONS, eventsPerSecond });
const rateHeader = (rate: number): string => `${rate.toLocaleString("en-US")} events/s`;

let environments: Array<{
  name: string;
  stack: SynthesizedStack;
  config: ReturnType<typeof loadEnvironments>[0]["config"];
}>;

/** Every environment of config/, synthesized once per process. */
function synthesized(): typeof environments {
  environments ??= loadEnvironments(CONFIG_DIR).map(({ name, config }) => ({
    name,
    config,
    stack: synthesizeEnvironment(name, config),
  }));
  return environments;
}

/** Each environment's report at `rate`. */
export function environmentReports(rate: number): CostReport[] {
  return synthesized().map(({ name, stack, config }) => costReport(name, stack, config, at(rate)));
}

/** Totals: each environment at each rate, list and after free tiers. */
export function renderEnvironmentTotals(): string {
  const reports = RATES.map((rate) => environmentReports(rate));
  const rows = synthesized().map(({ name, config }, i) => [
    `\`${name}\``,
    config.ingestion.mode === "direct" ? `direct, ${config.ingestion.direct.api}` : config.ingestion.mode,
    config.reservation ? `${config.reservation.baselineSlots} + ${config.reservation.autoscaleMaxSlots}` : "none",
    ...reports.map((byEnv) => `${usd(byEnv[i].total)} (${usd(byEnv[i].freeTier.net)})`),
  ]);
  return markdownTable(
    ["environment", "ingestion", "reservation slots (baseline + autoscale)", ...RATES.map(rateHeader)],
    rows,
  );
}

/** Each category of each environment at 50 and 500 events/s. */
export function renderCategories(): string {
  const columns = [50, 500].flatMap((rate) => environmentReports(rate).map((report) => ({ rate, report })));
  const rows = CATEGORIES.map((category) => [
    category,
    ...columns.map(({ report }) => usd(report.categories.find((c) => c.category === category)?.monthly ?? 0)),
  ]);
  rows.push(["**total**", ...columns.map(({ report }) => `**${usd(report.total)}**`)]);
  return markdownTable(["category", ...columns.map(({ rate, report }) => `${report.env} @ ${rate}`)], rows);
}

/** The cheapest configuration keeping the guarantees: `direct` plus an autoscale-only BACKGROUND reservation. */
export function renderCheapest(): string {
  const reservation = (rate: number): number =>
    reservationAlternatives(at(rate)).find((r) => r.name === CHEAPEST_RESERVATION)!.gross;
  const direct = RATES.map((rate) => environmentReports(rate).find((r) => r.env === "direct")!);
  const rows = [
    ["`direct` as shipped", ...direct.map((r) => `${usd(r.total)} (${usd(r.freeTier.net)})`)],
    [`BACKGROUND reservation: ${CHEAPEST_RESERVATION}`, ...RATES.map((rate) => usd(reservation(rate)))],
    [
      "**total**",
      ...direct.map(
        (r, i) => `**${usd(r.total + reservation(RATES[i]))} (${usd(r.freeTier.net + reservation(RATES[i]))})**`,
      ),
    ],
  ];
  return markdownTable(["", ...RATES.map(rateHeader)], rows);
}

/** The ingestion modes' list cost at each rate (the worker's host apart). */
export function renderModeTradeOffs(): string {
  const lines = ingestionCostLines(RATES);
  const modes = [...new Set(lines.map((l) => l.mode))];
  const rows = modes.map((mode) => [
    mode,
    ...RATES.map((rate) => usd(lines.find((l) => l.mode === mode && l.eventsPerSecond === rate)!.monthlyUsd)),
  ]);
  return markdownTable(["ingestion mode", ...RATES.map(rateHeader)], rows);
}

/** The worker hosts and reservation shapes, list and after free tiers. */
export function renderHostAndReservationTradeOffs(): string {
  const a = at(50);
  const rows = [
    ...hostAlternatives(a).map((h) => ["worker host", h.name, usd(h.gross), usd(h.net)]),
    ...reservationAlternatives(a).map((r) => ["reservation", r.name, usd(r.gross), usd(r.net)]),
  ];
  return markdownTable(["choice", "option", "list a month", "after free tiers"], rows);
}

/** The price table of tools/cost/prices.ts. */
export function renderPrices(): string {
  const rows = Object.values(PRICES).map((p) => [
    p.item,
    `$${p.usd.toPrecision(4).replace(/\.?0+$/, "")} per ${p.unit}`,
    cite(p),
    "note" in p ? p.note : "",
  ]);
  const free = Object.values(FREE_TIERS).map((f) => [
    `free: ${f.item}`,
    `${f.quantity.toLocaleString("en-US")} ${f.unit} a month`,
    cite(f),
    "note" in f ? f.note : "",
  ]);
  const commitment = [
    [
      "BigQuery capacity commitments",
      `1-year ${COMMITMENT_DISCOUNT.ANNUAL * 100} % off, 3-year ${COMMITMENT_DISCOUNT.THREE_YEAR * 100} % off`,
      COMMITMENT_DISCOUNT.source,
      "",
    ],
  ];
  return markdownTable(["item", "price", "page (date read)", "read from"], [...rows, ...commitment, ...free]);
}

/** The assumptions and their defaults. */
export function renderAssumptions(): string {
  const rows = (Object.keys(ASSUMPTION_NOTES) as Array<keyof Assumptions>).map((name) => [
    `\`${name}\``,
    String(DEFAULT_ASSUMPTIONS[name]),
    ASSUMPTION_NOTES[name],
  ]);
  return markdownTable(["assumption", "default", "meaning"], rows);
}

export const SECTIONS: DocSection[] = [
  { file: "docs/cost.md", name: "cost-environments", render: renderEnvironmentTotals },
  { file: "docs/cost.md", name: "cost-categories", render: renderCategories },
  { file: "docs/cost.md", name: "cost-cheapest", render: renderCheapest },
  { file: "docs/cost.md", name: "cost-modes", render: renderModeTradeOffs },
  { file: "docs/cost.md", name: "cost-hosts-reservations", render: renderHostAndReservationTradeOffs },
  { file: "docs/cost.md", name: "cost-prices", render: renderPrices },
  { file: "docs/cost.md", name: "cost-assumptions", render: renderAssumptions },
];
