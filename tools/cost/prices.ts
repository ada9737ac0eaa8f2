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
const EDITIONS_NOTE =
  "the stored copies of the page stop before the editions table; read from adriennevermorel.com/notes/bigquery-editions-and-slot-based-pricing " +
  "(Standard $0.04, Enterprise $0.06, Enterprise Plus $0.10 per slot-hour) and redresscompliance.com (Standard $0.04)";
const BQ_NOTE =
  "read from nOps (nops.io, on-demand $6.25 per TiB, first 1 TiB free) and redresscompliance.com (storage $0.02 / $0.01)";
const MONITORING = "https://cloud.google.com/stackdriver/pricing";
const ALERTING = "https://cloud.google.com/monitoring/alerts/cost-control";
const SECRETS = "https://cloud.google.com/secret-manager/pricing";
const SECRETS_NOTE =
  "the stored copy of the page omits the figures; read from cloudsecurity.org ($0.06 per version per location, $0.03 per 10,000 " +
  "accesses) and tutorialsdojo.com (first six versions free)";
const REGISTRY = "https://cloud.google.com/artifact-registry/pricing";
const COMPUTE = "https://cloud.google.com/compute/vm-instance-pricing";
const COMPUTE_NOTE =
  "not in the stored copies of the page; derived from the pricing calculator's estimate quoted on zenn.dev/104/scraps/c7f00c3738bd89 " +
  "(e2-micro with a 30 GB standard disk: $7.31 a month, December 2023): $6.11 for the VM, $1.20 for the disk";
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
  runWorkerPoolVcpu: {
    usd: 0.000018,
    unit: "vCPU-second",
    item: "Cloud Run worker pool vCPU (billed for the instance's whole life)",
    source: RUN,
    read: "2026-12-06",
    note:
      "the worker-pool rows of the page are not in its stored copies; priced at the instance-based rate of the same page as an " +
      "upper bound (worker pools are billed for vCPU and memory over the instance's life: innfactory.de's product page)",
  },
  runWorkerPoolMemory: {
    usd: 0.000002,
    unit: "GiB-second",
    item: "Cloud Run worker pool memory",
    source: RUN,
    read: "2026-12-06",
    note: "as for the worker pool's vCPU",
  },
  bigqueryStandardSlot: {
    usd: 0.04,
    unit: "slot-hour",
    item: "BigQuery Standard edition, pay as you go",
    source: BIGQUERY,
    read: "2026-12-06",
    note: EDITIONS_NOTE,
  },
  bigqueryEnterpriseSlot: {
    usd: 0.06,
    unit: "slot-hour",
    item: "BigQuery Enterprise edition, pay as you go",
    source: BIGQUERY,
    read: "2026-12-06",
    note: EDITIONS_NOTE,
  },
  bigqueryEnterprisePlusSlot: {
    usd: 0.1,
    unit: "slot-hour",
    item: "BigQuery Enterprise Plus edition, pay as you go",
    source: BIGQUERY,
    read: "2026-12-06",
    note: EDITIONS_NOTE,
  },
  bigqueryOnDemand: {
    usd: 6.25,
    unit: "TiB",
    item: "BigQuery on-demand queries, bytes processed (at least 10 MB per table referenced)",
    source: BIGQUERY,
    read: "2026-12-06",
    note: BQ_NOTE,
  },
  bigqueryActiveStorage: {
    usd: 0.02,
    unit: "GiB-month",
    item: "BigQuery active logical storage",
    source: BIGQUERY,
    read: "2026-12-06",
    note: BQ_NOTE,
  },
  bigqueryLongTermStorage: {
    usd: 0.01,
    unit: "GiB-month",
    item: "BigQuery long-term logical storage (partitions unmodified for 90 days)",
    source: BIGQUERY,
    read: "2026-12-06",
    note: BQ_NOTE,
  },
  monitoringAlertCondition: {
    usd: 1.5,
    unit: "condition-month",
    item: "Cloud Monitoring alerting policy condition",
    source: ALERTING,
    read: "2026-12-06",
    note:
      "the page's worked examples ($1.50 per condition a month, $0.35 per million time series returned); it announces " +
      "the charge as starting no sooner than April 2025",
  },
  monitoringAlertTimeSeries: {
    usd: 0.35,
    unit: "million time series",
    item: "Cloud Monitoring time series returned to alerting conditions",
    source: ALERTING,
    read: "2026-12-06",
  },
  prometheusSamples: {
    usd: 0.06,
    unit: "million samples",
    item: "Managed Service for Prometheus samples ingested (first 50 billion)",
    source: MONITORING,
    read: "2026-12-06",
    note: "the stored copies of the page name sample-based metering; the figure read from faun.dev's Managed Prometheus chapter",
  },
  loggingStorage: {
    usd: 0.5,
    unit: "GiB",
    item: "Cloud Logging storage (ingestion, 30 days included)",
    source: MONITORING,
    read: "2026-12-06",
  },
  secretVersion: {
    usd: 0.06,
    unit: "version-month",
    item: "Secret Manager active secret version, per location",
    source: SECRETS,
    read: "2026-12-06",
    note: SECRETS_NOTE,
  },
  artifactStorage: {
    usd: 0.1,
    unit: "GB-month",
    item: "Artifact Registry storage",
    source: REGISTRY,
    read: "2026-12-06",
  },
  computeE2Micro: {
    usd: 6.11 / 730,
    unit: "hour",
    item: "Compute Engine e2-micro VM",
    source: COMPUTE,
    read: "2026-12-06",
    note: COMPUTE_NOTE,
  },
  computeStandardDisk: {
    usd: 0.04,
    unit: "GB-month",
    item: "Compute Engine standard persistent disk",
    source: COMPUTE,
    read: "2026-12-06",
    note: COMPUTE_NOTE,
  },
} as const satisfies Record<string, Price>;

/** Commitment discounts off the pay-as-you-go slot price (BigQuery editions, Enterprise and Enterprise Plus). */
export const COMMITMENT_DISCOUNT = {
  ANNUAL: 0.2,
  THREE_YEAR: 0.4,
  source: `${BIGQUERY} (read 2026-12-06; read from admazes.com's editions overview: 1-year 20 %, 3-year 40 %)`,
} as const;

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
  bigqueryOnDemand: {
    quantity: 1,
    unit: "TiB",
    item: "BigQuery on-demand bytes processed",
    source: BIGQUERY,
    read: "2026-12-06",
    note: BQ_NOTE,
  },
  bigqueryStorage: {
    quantity: 10,
    unit: "GiB-month",
    item: "BigQuery storage",
    source: BIGQUERY,
    read: "2026-12-06",
    note: BQ_NOTE,
  },
  loggingStorage: {
    quantity: 50,
    unit: "GiB",
    item: "Cloud Logging storage, per project",
    source: MONITORING,
    read: "2026-12-06",
  },
  secretVersion: {
    quantity: 6,
    unit: "version-month",
    item: "Secret Manager active secret versions",
    source: SECRETS,
    read: "2026-12-06",
    note: SECRETS_NOTE,
  },
  artifactStorage: {
    quantity: 0.5,
    unit: "GB-month",
    item: "Artifact Registry storage",
    source: REGISTRY,
    read: "2026-12-06",
  },
  computeE2Micro: {
    quantity: 730,
    unit: "hour",
    item: "Compute Engine: one e2-micro in us-west1, us-central1 or us-east1",
    source: COMPUTE,
    read: "2026-12-06",
    note: "zenn.dev/104/scraps/c7f00c3738bd89 and bestusavps.pages.dev quoting the Free Tier page",
  },
  computeStandardDisk: {
    quantity: 30,
    unit: "GB-month",
    item: "Compute Engine standard persistent disk (with the free e2-micro)",
    source: COMPUTE,
    read: "2026-12-06",
    note: "as for the e2-micro",
  },
} as const satisfies Record<string, FreeTier>;

export type PriceKey = keyof typeof PRICES;
export type FreeTierKey = keyof typeof FREE_TIERS;

/** "URL (read DATE)" for a line's `source`. */
export function cite(price: Price | FreeTier): string {
  return `${price.source} (read ${price.read})`;
}
