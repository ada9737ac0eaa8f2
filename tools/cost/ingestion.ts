/**
 * What the ingestion path costs a month, per mode: the worker's events on their way to the raw table
 * (docs/ingestion-cost.md). The worker's own host is priced apart (tools/cost/worker.ts).
 */
import {
  DEFAULT_ASSUMPTIONS,
  freeAgainst,
  monthlyGib,
  priced,
  total,
  type Assumptions,
  type CostLine,
  type FreeLine,
} from "./line";
import { cite, FREE_TIERS, PRICES } from "./prices";

/** The four ways events reach the raw table. */
export const INGESTION_MODES = [
  "dataflow",
  "bigquery-subscription",
  "direct storage-write",
  "direct insert-all",
] as const;
export type IngestionMode = (typeof INGESTION_MODES)[number];

/** The Dataflow job's shape (config `ingestion.dataflow`). */
export interface DataflowShape {
  /** Worker machine type, e.g. n2-standard-2. */
  readonly machineType: string;
  /** Autoscaling limit. */
  readonly maxWorkers: number;
}

/** The construct's default worker machine and the schema's default autoscaling limit. */
export const DEFAULT_DATAFLOW: DataflowShape = { machineType: "n2-standard-2", maxWorkers: 3 };

/** Where each line's cost comes from (Terraform addresses when priced from a stack). */
export interface IngestionResources {
  readonly topic: string;
  readonly subscription: string;
  readonly job: string;
  readonly table: string;
}

const GENERIC: IngestionResources = {
  topic: "ingestion topic",
  subscription: "ingestion subscription",
  job: "Dataflow job",
  table: "raw table wiki_changes",
};

/** vCPUs and memory (GB) of a predefined machine type: e2/n1/n2/n2d/c2 standard, highmem, highcpu. */
export function machineShape(machineType: string): { vcpus: number; memoryGb: number } {
  const match = /^(e2|n1|n2|n2d|c2|c2d|n4)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (!match) {
    throw new Error(
      `machine type ${JSON.stringify(machineType)}: the cost model knows <family>-standard|highmem|highcpu-<vCPUs>`,
    );
  }
  const vcpus = Number(match[3]);
  const perVcpu = {
    standard: match[1] === "n1" ? 3.75 : 4,
    highmem: match[1] === "n1" ? 6.5 : 8,
    highcpu: match[1] === "n1" ? 0.9 : 1,
  };
  return { vcpus, memoryGb: vcpus * perVcpu[match[2] as keyof typeof perVcpu] };
}

/** Workers a streaming job runs at the assumed rate: at least one, at most `maxWorkers`. */
export function dataflowWorkers(shape: DataflowShape, a: Assumptions): number {
  const { vcpus } = machineShape(shape.machineType);
  const needed = Math.ceil((a.eventsPerSecond * a.eventBytes) / (vcpus * a.dataflowBytesPerVcpuSecond));
  return Math.min(Math.max(needed, 1), shape.maxWorkers);
}

/** A mode's lines and the free allowances set against them. */
export interface PricedLines {
  readonly lines: CostLine[];
  readonly free: FreeLine[];
}

function dataflowLines(r: IngestionResources, shape: DataflowShape, a: Assumptions): PricedLines {
  const gib = monthlyGib(a);
  const workers = dataflowWorkers(shape, a);
  const { vcpus, memoryGb } = machineShape(shape.machineType);
  const pubsub = [
    priced(r.topic, "pubsubThroughput", gib / 1024, "Pub/Sub publish"),
    priced(r.subscription, "pubsubThroughput", gib / 1024, "Pub/Sub delivery to the Dataflow subscription"),
  ];
  const lines = [
    ...pubsub,
    priced(
      r.job,
      "dataflowStreamingVcpu",
      workers * vcpus * a.hoursPerMonth,
      `Dataflow vCPU, ${workers} × ${shape.machineType}`,
    ),
    priced(
      r.job,
      "dataflowStreamingMemory",
      workers * memoryGb * a.hoursPerMonth,
      `Dataflow memory, ${workers} × ${memoryGb} GB`,
    ),
    priced(
      r.job,
      "dataflowPersistentDisk",
      workers * a.dataflowDiskGb * a.hoursPerMonth,
      `Dataflow boot disk, ${workers} × ${a.dataflowDiskGb} GB (assumed)`,
    ),
    priced(r.job, "dataflowStreamingEngineData", gib, "Streaming Engine data processed (assumed = ingested)"),
    priced(r.table, "insertAll", gib, "template's write: legacy streaming inserts (assumed)"),
  ];
  return { lines, free: pubsubFree(pubsub) };
}

function subscriptionLines(r: IngestionResources, a: Assumptions): PricedLines {
  const gib = monthlyGib(a);
  const publish = [priced(r.topic, "pubsubThroughput", gib / 1024, "Pub/Sub publish")];
  const lines = [...publish, priced(r.subscription, "pubsubBigQuerySubscription", gib / 1024)];
  return { lines, free: pubsubFree(publish) };
}

/** Pub/Sub's 10 GiB, priced per TiB: the allowance converted to the lines' unit. */
function pubsubFree(lines: readonly CostLine[]): FreeLine[] {
  const used = lines.reduce((sum, l) => sum + l.quantity, 0);
  const allowance = FREE_TIERS.pubsubThroughput.quantity / 1024;
  const quantity = Math.min(used, allowance);
  if (quantity <= 0) return [];
  return [
    {
      resource: lines.map((l) => l.resource).join(", "),
      item: `free tier: ${FREE_TIERS.pubsubThroughput.item}`,
      quantity,
      unit: "TiB",
      price: PRICES.pubsubThroughput.usd,
      monthly: quantity * PRICES.pubsubThroughput.usd,
      allowance,
      source: cite(FREE_TIERS.pubsubThroughput),
    },
  ];
}

function directLines(r: IngestionResources, api: "storage-write" | "insert-all", a: Assumptions): PricedLines {
  const gib = monthlyGib(a);
  if (api === "insert-all") return { lines: [priced(r.table, "insertAll", gib)], free: [] };
  const lines = [priced(r.table, "storageWriteApi", gib)];
  const free = freeAgainst("storageWriteApi", lines);
  return { lines, free: free ? [free] : [] };
}

/** The ingestion path's lines for one mode at the assumed rate. */
export function ingestionLines(
  mode: IngestionMode,
  a: Assumptions,
  dataflow: DataflowShape = DEFAULT_DATAFLOW,
  resources: IngestionResources = GENERIC,
): PricedLines {
  switch (mode) {
    case "dataflow":
      return dataflowLines(resources, dataflow, a);
    case "bigquery-subscription":
      return subscriptionLines(resources, a);
    case "direct storage-write":
      return directLines(resources, "storage-write", a);
    case "direct insert-all":
      return directLines(resources, "insert-all", a);
  }
}

/** One mode at one rate: the ingestion path's monthly list cost. */
export interface IngestionCostLine {
  /** `dataflow`, `bigquery-subscription`, `direct storage-write` or `direct insert-all`. */
  mode: string;
  eventsPerSecond: number;
  /** Dollars a month, list prices before free tiers, the worker's host not included. */
  monthlyUsd: number;
  /** The price pages used and the assumptions, in one sentence. */
  source: string;
}

/**
 * The ingestion path's monthly list cost for every mode at each rate (1 KB events, 730 h, the default
 * Dataflow shape of one n2-standard-2 per 4 MiB/s), before free tiers and without the worker's host.
 */
export function ingestionCostLines(rates: readonly number[]): IngestionCostLine[] {
  return rates.flatMap((eventsPerSecond) =>
    INGESTION_MODES.map((mode) => {
      const { lines } = ingestionLines(mode, { ...DEFAULT_ASSUMPTIONS, eventsPerSecond });
      const pages = [...new Set(lines.map((l) => l.source))].join("; ");
      return {
        mode,
        eventsPerSecond,
        monthlyUsd: round2(total(lines)),
        source: `list prices before free tiers, ${DEFAULT_ASSUMPTIONS.eventBytes}-byte events, ${DEFAULT_ASSUMPTIONS.hoursPerMonth} h a month: ${pages}`,
      };
    }),
  );
}

/** Rounded to cents. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
