/**
 * Every price the cost model uses, in one table: list prices, US / us-central1 unless the line says otherwise,
 * no discounts, each with the page it is published on, the date it was read and where the figure was read from
 * when the stored copy of Google's page stops before it. docs/cost.md and docs/ingestion-cost.md print this table.
 */

/** One price of the table. */
export interface Price {
  /** Dollars per `unit`. */
  readonly usd: number;
  /** What one unit is, e.g. `GiB`, `slot-hour`. */
  readonly unit: string;
  /** What is bought, in a few words. */
  readonly item: string;
  /** Google's price page. */
  readonly source: string;
  /** The date the figure was read (YYYY-MM-DD). */
  readonly read: string;
  /** Where the figure was read from when not from `source` itself, and any caveat. */
  readonly note?: string;
}

/** One free allowance: `quantity` units a month per billing account (or per project where `note` says so). */
export interface FreeTier {
  readonly quantity: number;
  readonly unit: string;
  readonly item: string;
  readonly source: string;
  readonly read: string;
  readonly note?: string;
}

const PUBSUB = "https://cloud.google.com/pubsub/pricing";
const BIGQUERY = "https://cloud.google.com/bigquery/pricing";
const DATAFLOW = "https://cloud.google.com/dataflow/pricing";
const RUN = "https://cloud.google.com/run/pricing";
const BEAM =
  "read from Apache Beam's sdks/python/apache_beam/testing/load_tests/dataflow_cost_consts.py (us-central1 values " +
  "taken from the page) and a pricing module verified against the page on 2026-09-08";

/** The price table. Keys are stable: tests and docs name them. */
export const PRICES = {
  pubsubThroughput: {
    usd: 40,
    unit: "TiB",
    item: "Pub/Sub throughput (publish, or delivery to a pull subscription)",
    source: PUBSUB,
    read: "2026-12-02",
  },
  pubsubBigQuerySubscription: {
    usd: 50,
    unit: "TiB",
    item: "Pub/Sub BigQuery subscription throughput",
    source: PUBSUB,
    read: "2026-12-02",
    note: "read from a transcription of the page dated 2026-09-20 (api-evangelist/google, plans/google-plans-pricing.yml)",
  },
  storageWriteApi: {
    usd: 0.025,
    unit: "GiB",
    item: "BigQuery Storage Write API (gRPC) ingestion",
    source: BIGQUERY,
    read: "2026-12-02",
    note: "read from nOps' recommendation page and climbtheladder.com (the stored copies of the page predate the API)",
  },
  insertAll: {
    usd: 0.01 / (200 / 1024),
    unit: "GiB",
    item: "BigQuery legacy streaming inserts (tabledata.insertAll): $0.01 per 200 MB, each row at least 1 KB",
    source: BIGQUERY,
    read: "2026-12-02",
  },
  dataflowStreamingVcpu: {
    usd: 0.069,
    unit: "vCPU-hour",
    item: "Dataflow streaming worker vCPU",
    source: DATAFLOW,
    read: "2026-12-02",
    note: BEAM,
  },
  dataflowStreamingMemory: {
    usd: 0.003557,
    unit: "GB-hour",
    item: "Dataflow streaming worker memory",
    source: DATAFLOW,
    read: "2026-12-02",
    note: BEAM,
  },
  dataflowPersistentDisk: {
    usd: 0.000054,
    unit: "GB-hour",
    item: "Dataflow worker Persistent Disk (standard)",
    source: DATAFLOW,
    read: "2026-12-02",
    note: BEAM,
  },
  dataflowStreamingEngineData: {
    usd: 0.018,
    unit: "GiB",
    item: "Dataflow Streaming Engine data processed",
    source: DATAFLOW,
    read: "2026-12-02",
    note: BEAM,
  },
  runInstanceVcpu: {
    usd: 0.000018,
    unit: "vCPU-second",
    item: "Cloud Run vCPU, instance-based billing (CPU always allocated), Tier 1",
    source: RUN,
    read: "2026-12-02",
  },
  runInstanceMemory: {
    usd: 0.000002,
    unit: "GiB-second",
    item: "Cloud Run memory, instance-based billing, Tier 1",
    source: RUN,
    read: "2026-12-02",
    note: "read from unanswered.io's Cloud Run guide and public repositories quoting the page",
  },
} as const satisfies Record<string, Price>;

/** The free allowances the model shows separately. */
export const FREE_TIERS = {
  pubsubThroughput: {
    quantity: 10,
    unit: "GiB",
    item: "Pub/Sub throughput (not BigQuery subscriptions)",
    source: PUBSUB,
    read: "2026-12-02",
  },
  storageWriteApi: {
    quantity: 2048,
    unit: "GiB",
    item: "BigQuery Storage Write API ingestion",
    source: BIGQUERY,
    read: "2026-12-02",
    note: PRICES.storageWriteApi.note,
  },
  runInstanceVcpu: {
    quantity: 240_000,
    unit: "vCPU-second",
    item: "Cloud Run vCPU, instance-based billing",
    source: RUN,
    read: "2026-12-02",
    note: PRICES.runInstanceMemory.note,
  },
  runInstanceMemory: {
    quantity: 450_000,
    unit: "GiB-second",
    item: "Cloud Run memory, instance-based billing",
    source: RUN,
    read: "2026-12-02",
    note: PRICES.runInstanceMemory.note,
  },
} as const satisfies Record<string, FreeTier>;

export type PriceKey = keyof typeof PRICES;
export type FreeTierKey = keyof typeof FREE_TIERS;

/** "URL (read DATE)" for a line's `source`. */
export function cite(price: Price | FreeTier): string {
  return `${price.source} (read ${price.read})`;
}
