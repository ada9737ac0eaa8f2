/**
 * The demo's local subscribers (the bridge, the CDC applier) share one shape: pull messages,
 * hand them to `flush` in batches of `batchSize` or after `flushMs`, one batch at a time, and on
 * close stop pulling, then flush what is left.
 */
import { Message, PubSub, Subscription } from "@google-cloud/pubsub";

export interface BatchingConsumerOptions {
  readonly pubsub: PubSub;
  readonly subscription: string;
  readonly batchSize: number;
  readonly flushMs: number;
  readonly maxStreams: number;
  /** Called for every message as it arrives (counters). */
  readonly onMessage?: (message: Message) => void;
  /** Writes one batch and acks or nacks its messages; batches never overlap. */
  readonly flush: (batch: Message[]) => Promise<void>;
  /** Prefix of the subscription's error lines on stderr. */
  readonly name: string;
}

export interface BatchingConsumer {
  /** Holds the next batches until the returned release is called; resolves once no batch runs. */
  pause(): Promise<() => void>;
  /** Flushes what is pending now and waits for every batch (it keeps pulling). */
  settle(): Promise<void>;
  /** Stops pulling, flushes what is pending, waits for every batch. */
  close(): Promise<void>;
}

export function startBatchingConsumer(options: BatchingConsumerOptions): BatchingConsumer {
  let pending: Message[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) inFlight = inFlight.then(() => options.flush(batch));
  };

  const subscription: Subscription = options.pubsub.subscription(options.subscription, {
    flowControl: { maxMessages: options.batchSize * 4, allowExcessMessages: false },
    streamingOptions: { maxStreams: options.maxStreams },
  });
  subscription.on("message", (message: Message) => {
    options.onMessage?.(message);
    pending.push(message);
    if (pending.length >= options.batchSize) schedule();
    else if (!timer) timer = setTimeout(schedule, options.flushMs);
  });
  subscription.on("error", (error) => process.stderr.write(`${options.name}: subscription error: ${error.message}\n`));

  return {
    pause: async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const idle = inFlight;
      inFlight = inFlight.then(() => gate);
      await idle;
      return release;
    },
    settle: async () => {
      schedule();
      await inFlight;
    },
    close: async () => {
      await subscription.close();
      schedule();
      await inFlight;
    },
  };
}
