/**
 * Opens the sinks a worker configuration asks for: the event sink (`SINK`: the Pub/Sub publisher,
 * or the BigQuery sink writing the raw table) and, with `CDC_TOPIC`, the page-state publisher,
 * which shares the Pub/Sub client when there is one.
 */
import { PubSub } from "@google-cloud/pubsub";
import { SinkObserver } from "./bigquery-sink";
import { CdcPublisher, CdcPublisherLogger } from "./cdc-publisher";
import { WorkerConfig } from "./config";
import { openDirectSink } from "./direct-sink";
import { BoundedPublisher } from "./publisher";
import { BoundedSink, EventSink } from "./sink";

export interface WorkerSinks {
  /** Where accepted events go. */
  readonly sink: EventSink;
  /** The page-state (CDC) publisher, when CDC_TOPIC is set. */
  readonly cdc?: CdcPublisher;
  /** Every sink with work in flight: reading pauses while one is full; shutdown drains and closes each. */
  readonly all: readonly BoundedSink[];
}

/** Opens the sinks; throws when the BigQuery sink's writers cannot be opened. */
export async function openSinks(
  config: WorkerConfig,
  options: { readonly pubsub?: PubSub; readonly observer?: SinkObserver; readonly logger?: CdcPublisherLogger },
): Promise<WorkerSinks> {
  let pubsub = options.pubsub;
  let sink: EventSink;
  if (config.sink === "pubsub") {
    const publisher = new BoundedPublisher({ ...config, pubsub });
    pubsub = publisher.pubsub;
    sink = publisher;
  } else sink = await openDirectSink(config, options.observer);
  // Page-state changes (CDC_TOPIC), on the same client: an event is done when all its publishes are.
  const cdc = config.cdcTopic
    ? new CdcPublisher({ ...config, topic: config.cdcTopic, pubsub }, options.logger)
    : undefined;
  return { sink, cdc, all: cdc ? [sink, cdc.publisher] : [sink] };
}
