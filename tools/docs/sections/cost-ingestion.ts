/**
 * docs/ingestion-cost.md: the ingestion modes' monthly cost at 50, 500 and 5,000 events/s, line by line,
 * from the cost model (tools/cost/ingestion.ts, tools/cost/worker.ts) and its price table.
 */
import { quantity, usd } from "../../cost/format";
import { ingestionLines, type IngestionMode } from "../../cost/ingestion";
import { DEFAULT_ASSUMPTIONS, GIB, monthlyGib, monthSeconds, total, type Assumptions } from "../../cost/line";
import { cite, FREE_TIERS, PRICES, type PriceKey } from "../../cost/prices";
import { HOSTS } from "../../cost/scenarios";
import { workerLines } from "../../cost/worker";
import type { DocSection } from "../doc-section";
import { markdownTable } from "../markdown-table";

const RATES = [50, 500, 5000] as const;
const at = (eventsPerSecond: number): Assumptions => ({ ...DEFAULT_ASSUMPTIONS, eventsPerSecond });
const money = (value: number): string =>
  value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const rateHeader = (rate: number): string => rate.toLocaleString("en-US");

const INGESTION_PRICES: PriceKey[] = [
  "pubsubThroughput",
  "pubsubBigQuerySubscription",
  "storageWriteApi",
  "insertAll",
  "dataflowStreamingVcpu",
  "dataflowStreamingMemory",
  "dataflowPersistentDisk",
  "dataflowStreamingEngineData",
  "runInstanceVcpu",
  "runInstanceMemory",
];

/** The prices this page uses, with their pages. */
export function renderIngestionPrices(): string {
  const rows: string[][] = INGESTION_PRICES.map((key) => {
    const p = PRICES[key];
    return [
      p.item,
      `$${Number(p.usd.toPrecision(4))} per ${p.unit}`,
      cite(p),
      "note" in p ? p.note : "the page itself",
    ];
  });
  for (const key of ["pubsubThroughput", "storageWriteApi", "runInstanceVcpu", "runInstanceMemory"] as const) {
    const f = FREE_TIERS[key];
    rows.push([
      `free: ${f.item}`,
      `${f.quantity.toLocaleString("en-US")} ${f.unit} a month`,
      cite(f),
      "note" in f ? f.note : "the page itself",
    ]);
  }
  return markdownTable(["item", "price", "page (date read)", "read from"], rows);
}

/** GiB and TiB a month at each rate. */
export function renderVolume(): string {
  const rows = RATES.map((rate) => {
    const gib = monthlyGib(at(rate));
    return [
      rateHeader(rate),
      quantity((rate * monthSeconds(at(rate)) * DEFAULT_ASSUMPTIONS.eventBytes) / 1024),
      money(gib),
      (gib / 1024).toFixed(3),
    ];
  });
  return markdownTable(["events/s", "KB/month", "GiB/month", "TiB/month"], rows);
}

/** The worker alone (one 1 vCPU, 512 MiB container), list and after the Cloud Run free tier. */
export function renderWorker(): string {
  const { lines, free } = workerLines(HOSTS[1].stack, at(50));
  const rows = lines.map((line, i) => [
    line.unit === "vCPU-second" ? "vCPU" : "memory",
    `${quantity(line.quantity)} ${line.unit} × $${line.price} − ${quantity(free[i].quantity)} free`,
    money(line.monthly - free[i].monthly),
  ]);
  rows.push(["**Cloud Run worker**", "", `**${money(total(lines) - total(free))}**`]);
  return markdownTable(["line", "arithmetic", "$/month"], rows);
}

/** One mode's lines at each rate, with the free tiers as a line and the net total. */
function modeTable(mode: IngestionMode): string {
  const byRate = RATES.map((rate) => ingestionLines(mode, at(rate)));
  const rows = byRate[0].lines.map((line, i) => [
    line.item,
    `${line.unit === "TiB" ? "TiB" : line.unit === "GiB" ? "GiB" : line.unit} × $${Number(line.price.toPrecision(4))}`,
    ...byRate.map((r) => money(r.lines[i].monthly)),
  ]);
  if (byRate.some((r) => r.free.length > 0)) {
    rows.push([
      "free tier",
      byRate[0].free[0]?.item.replace(/^free tier: /, "") ?? "",
      ...byRate.map((r) => `−${money(total(r.free))}`),
    ]);
  }
  rows.push([
    "**total, without the worker**",
    "",
    ...byRate.map((r) => `**${money(total(r.lines) - total(r.free))}**`),
  ]);
  return markdownTable(["line", "price", ...RATES.map(rateHeader)], rows);
}

/** The Dataflow template writing through the Storage Write API instead of insertAll. */
function dataflowViaStorageWrite(rate: number): number {
  const dataflow = ingestionLines("dataflow", at(rate));
  const direct = ingestionLines("direct storage-write", at(rate));
  const withoutInsertAll = dataflow.lines.filter((l) => l.price !== PRICES.insertAll.usd);
  return total(withoutInsertAll) - total(dataflow.free) + total(direct.lines) - total(direct.free);
}

/** Where the Storage Write API's free tier runs out. */
export function storageWriteBreakEven(): number {
  return (
    (FREE_TIERS.storageWriteApi.quantity * GIB) / (DEFAULT_ASSUMPTIONS.eventBytes * monthSeconds(DEFAULT_ASSUMPTIONS))
  );
}

/** Every mode, the worker included, after free tiers. */
export function renderSummary(): string {
  const worker = (() => {
    const { lines, free } = workerLines(HOSTS[1].stack, at(50));
    return total(lines) - total(free);
  })();
  const net = (mode: IngestionMode, rate: number): number => {
    const { lines, free } = ingestionLines(mode, at(rate));
    return total(lines) - total(free) + worker;
  };
  const rows = [
    ["Dataflow (template via insertAll, assumed)", ...RATES.map((r) => money(net("dataflow", r)))],
    ["Dataflow (template via Storage Write)", ...RATES.map((r) => money(dataflowViaStorageWrite(r) + worker))],
    ["BigQuery subscription", ...RATES.map((r) => money(net("bigquery-subscription", r)))],
    ["direct, Storage Write API", ...RATES.map((r) => money(net("direct storage-write", r)))],
    ["direct, insertAll", ...RATES.map((r) => money(net("direct insert-all", r)))],
  ];
  const table = markdownTable(["mode", ...RATES.map((r) => `${rateHeader(r)} events/s`)], rows);
  return `${table}\n\nThe Storage Write API's ${FREE_TIERS.storageWriteApi.quantity.toLocaleString("en-US")} free GiB last up to about ${Math.round(storageWriteBreakEven())} events/s. The worker, ${usd(worker)} a month after the free tier, is in every row.`;
}

export const SECTIONS: DocSection[] = [
  { file: "docs/ingestion-cost.md", name: "ingestion-cost-prices", render: renderIngestionPrices },
  { file: "docs/ingestion-cost.md", name: "ingestion-cost-volume", render: renderVolume },
  { file: "docs/ingestion-cost.md", name: "ingestion-cost-worker", render: renderWorker },
  { file: "docs/ingestion-cost.md", name: "ingestion-cost-dataflow", render: () => modeTable("dataflow") },
  {
    file: "docs/ingestion-cost.md",
    name: "ingestion-cost-subscription",
    render: () => modeTable("bigquery-subscription"),
  },
  {
    file: "docs/ingestion-cost.md",
    name: "ingestion-cost-direct",
    render: () => `${modeTable("direct storage-write")}\n\n${modeTable("direct insert-all")}`,
  },
  { file: "docs/ingestion-cost.md", name: "ingestion-cost-summary", render: renderSummary },
];
