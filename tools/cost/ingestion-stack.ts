/**
 * The ingestion category of a synthesized stack: the events' path to the raw table (Dataflow job,
 * BigQuery subscription, or the worker writing directly, found from the stack and checked against the
 * config's mode) and the page-state changes' path to wiki_pages (CDC topic and BigQuery subscription).
 */
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { WIKI_PAGES_SCHEMA } from "../../schemas/wiki-pages";
import { ingestionLines, type IngestionMode, type PricedLines } from "./ingestion";
import { defined, freeAgainst, GIB, monthSeconds, priced, type Assumptions, type CostLine } from "./line";
import { PRICES } from "./prices";
import { numberOr, resourcesOf, type StackResource, type SynthesizedStack } from "./stack";

/** What the model needs of the environment's config. */
export interface IngestionConfig {
  readonly mode: "dataflow" | "bigquery-subscription" | "direct";
  readonly directApi: "storage-write" | "insert-all";
}

const refTo = (value: unknown, type: string): string | undefined =>
  new RegExp(`\\$\\{(${type}\\.[^.}]+)`).exec(String(value ?? ""))?.[1];

function tableAddress(stack: SynthesizedStack, tableId: string): string {
  const table = resourcesOf(stack, "google_bigquery_table").find((t) => t.body.table_id === tableId);
  return table?.address ?? `table ${tableId}`;
}

/** The BigQuery subscription writing `table`, if any. */
function subscriptionWriting(stack: SynthesizedStack, table: string): StackResource | undefined {
  return resourcesOf(stack, "google_pubsub_subscription").find(
    (s) => refTo(s.body.bigquery_config?.table, "google_bigquery_table") === table,
  );
}

/** The worker's direct sink (its SINK variable), where the stack shows it. */
function workerSink(stack: SynthesizedStack): string | undefined {
  const hosts = [
    ...resourcesOf(stack, "google_cloud_run_v2_service"),
    ...resourcesOf(stack, "google_cloud_run_v2_worker_pool"),
  ];
  for (const host of hosts) {
    for (const container of host.body.template?.containers ?? []) {
      const sink = (container.env ?? []).find((e: { name: string }) => e.name === "SINK");
      if (sink) return String(sink.value);
    }
  }
  return undefined;
}

/** The mode the stack deploys, refused when it is not the config's. */
function stackMode(stack: SynthesizedStack, config: IngestionConfig, raw: string): IngestionMode {
  const job = resourcesOf(stack, "google_dataflow_job")[0];
  const found: IngestionMode = job
    ? "dataflow"
    : subscriptionWriting(stack, raw)
      ? "bigquery-subscription"
      : (`direct ${workerSink(stack) ?? config.directApi}` as IngestionMode);
  const expected = config.mode === "direct" ? `direct ${config.directApi}` : config.mode;
  if (found !== expected) {
    throw new Error(
      `the stack deploys ingestion "${found}" but its config says "${expected}": synthesize the stack from this config`,
    );
  }
  return found;
}

/** The events' path: the mode's lines, with the stack's addresses and Dataflow shape. */
function eventLines(stack: SynthesizedStack, config: IngestionConfig, a: Assumptions): CostLine[] {
  const raw = tableAddress(stack, WIKI_CHANGES_SCHEMA.name);
  const mode = stackMode(stack, config, raw);
  const job = resourcesOf(stack, "google_dataflow_job")[0];
  const subscription =
    mode === "dataflow"
      ? resourcesOf(stack, "google_pubsub_subscription").find(
          (s) => s.address === refTo(job.body.parameters?.inputSubscription, "google_pubsub_subscription"),
        )
      : subscriptionWriting(stack, raw);
  const topic = refTo(subscription?.body.topic, "google_pubsub_topic") ?? "ingestion topic";
  const shape = job
    ? { machineType: String(job.body.machine_type ?? "n2-standard-2"), maxWorkers: numberOr(job.body.max_workers, 3) }
    : undefined;
  return ingestionLines(mode, a, shape, {
    topic,
    subscription: subscription?.address ?? "ingestion subscription",
    job: job?.address ?? "Dataflow job",
    table: raw,
  }).lines;
}

/** The page-state changes: published to the CDC topic and written by its BigQuery subscription. */
function cdcLines(stack: SynthesizedStack, a: Assumptions): CostLine[] {
  const subscription = subscriptionWriting(stack, tableAddress(stack, WIKI_PAGES_SCHEMA.name));
  if (!subscription) return [];
  const tib = (a.eventsPerSecond * a.pageChangesPerEvent * a.pageChangeBytes * monthSeconds(a)) / GIB / 1024;
  const topic = refTo(subscription.body.topic, "google_pubsub_topic") ?? "CDC topic";
  return [
    priced(topic, "pubsubThroughput", tib, "Pub/Sub publish of page-state changes"),
    priced(
      subscription.address,
      "pubsubBigQuerySubscription",
      tib,
      "BigQuery subscription applying page-state changes",
    ),
  ];
}

/** The ingestion category: events and page-state changes, Pub/Sub's and the Storage Write API's free tiers. */
export function stackIngestionLines(stack: SynthesizedStack, config: IngestionConfig, a: Assumptions): PricedLines {
  const lines = [...eventLines(stack, config, a), ...cdcLines(stack, a)];
  const pubsub = lines.filter((l) => l.unit === "TiB" && l.price === PRICES.pubsubThroughput.usd);
  const storageWrite = lines.filter((l) => l.price === PRICES.storageWriteApi.usd && l.unit === "GiB");
  const free = defined([
    freeAgainst("pubsubThroughput", pubsub, 1 / 1024),
    freeAgainst("storageWriteApi", storageWrite),
  ]);
  return { lines, free };
}
