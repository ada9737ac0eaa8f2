/**
 * Publishing to Pub/Sub with a bound on in-flight messages and bytes.
 *
 * `publish` never blocks; callers await {@link BoundedPublisher.waitForCapacity} before reading
 * more input, which is what turns a slow or unreachable Pub/Sub into backpressure on the SSE
 * connection (the worker stops reading the body) instead of unbounded memory.
 */
import { PubSub, Topic } from "@google-cloud/pubsub";

/** A publish that failed after the client's retries: the worker must stop. */
export class PublishError extends Error {
  constructor(
    message: string,
    public readonly cause?: unknown,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

export interface BoundedPublisherOptions {
  readonly project: string;
  readonly topic: string;
  /** Reading pauses while this many publishes are unacknowledged. */
  readonly maxInFlightMessages: number;
  /** Reading pauses while this many bytes are unacknowledged. */
  readonly maxInFlightBytes: number;
  /** Total time one publish may spend in retries. */
  readonly publishTimeoutMs: number;
  readonly batchMaxMessages: number;
  readonly batchMaxMs: number;
  /** Use this client instead of creating one (the bench shares it with its baseline). */
  readonly pubsub?: PubSub;
}

/** gRPC codes worth retrying for Publish (the client library's defaults). */
const RETRY_CODES = [
  10 /* ABORTED */, 1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 13 /* INTERNAL */, 8 /* RESOURCE_EXHAUSTED */,
  14 /* UNAVAILABLE */, 2 /* UNKNOWN */,
];

/** Creates the topic handle with tuned batching and retry settings. */
export function createTopic(pubsub: PubSub, options: BoundedPublisherOptions): Topic {
  return pubsub.topic(options.topic, {
    batching: {
      maxMessages: options.batchMaxMessages,
      maxMilliseconds: options.batchMaxMs,
      maxBytes: 4 * 1024 * 1024,
    },
    gaxOpts: {
      retry: {
        retryCodes: RETRY_CODES,
        backoffSettings: {
          initialRetryDelayMillis: 100,
          retryDelayMultiplier: 1.5,
          maxRetryDelayMillis: 5_000,
          initialRpcTimeoutMillis: 5_000,
          rpcTimeoutMultiplier: 1.5,
          maxRpcTimeoutMillis: 30_000,
          totalTimeoutMillis: options.publishTimeoutMs,
        },
      },
    },
  });
}

export class BoundedPublisher {
  public readonly pubsub: PubSub;
  public readonly topic: Topic;
  private inFlightMessages = 0;
  private inFlightBytes = 0;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly ownsClient: boolean;

  constructor(private readonly options: BoundedPublisherOptions) {
    this.ownsClient = !options.pubsub;
    const emulator = process.env.PUBSUB_EMULATOR_HOST;
    // The auth library would otherwise probe for a GCE metadata server (and warn) even with the emulator.
    if (emulator && process.env.METADATA_SERVER_DETECTION === undefined) process.env.METADATA_SERVER_DETECTION = "none";
    // With the emulator, say so explicitly: no credential or metadata-server lookups.
    this.pubsub =
      options.pubsub ??
      new PubSub(
        emulator
          ? { projectId: options.project, apiEndpoint: emulator, emulatorMode: true }
          : { projectId: options.project },
      );
    this.topic = createTopic(this.pubsub, options);
  }

  get messages(): number {
    return this.inFlightMessages;
  }

  get bytes(): number {
    return this.inFlightBytes;
  }

  /** Whether a new publish fits under both bounds. */
  get hasCapacity(): boolean {
    return (
      this.inFlightMessages < this.options.maxInFlightMessages && this.inFlightBytes < this.options.maxInFlightBytes
    );
  }

  /** Resolves once there is room for more publishes (immediately when there is). */
  waitForCapacity(): Promise<void> {
    if (this.hasCapacity) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once nothing is in flight. */
  waitForIdle(): Promise<void> {
    if (this.inFlightMessages === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Publishes one message; the promise settles with its server id or a {@link PublishError}. */
  publish(data: Buffer, attributes: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) =>
      this.send(data, attributes, (error, id) => (error ? reject(error) : resolve(id!))),
    );
  }

  /**
   * Publishes one message and calls `done` once, with a {@link PublishError} or the server id.
   * The hot path of the worker and of the bench's baseline: the client's callback form, with no
   * promise per message.
   */
  send(
    data: Buffer,
    attributes: Record<string, string>,
    done: (error: PublishError | undefined, id?: string) => void,
  ): void {
    const size = data.length;
    this.inFlightMessages++;
    this.inFlightBytes += size;
    this.topic.publishMessage({ data, attributes }, (error, id) => {
      this.settle(size);
      if (error) {
        done(
          new PublishError(
            `publish to projects/${this.options.project}/topics/${this.options.topic} failed after retries: ${error.message}`,
            error,
          ),
        );
      } else done(undefined, id ?? undefined);
    });
  }

  private settle(size: number): void {
    this.inFlightMessages--;
    this.inFlightBytes -= size;
    if (this.waiters.length > 0 && this.hasCapacity) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
    if (this.inFlightMessages === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Sends any batched messages now. */
  async flush(): Promise<void> {
    await this.topic.flush();
  }

  /** Closes the client (only if this publisher created it). */
  async close(): Promise<void> {
    if (this.ownsClient) await this.pubsub.close();
  }
}
