/**
 * Publishing to Pub/Sub with a bound on in-flight messages and bytes.
 *
 * `publish` never blocks; callers await {@link BoundedPublisher.waitForCapacity} before reading
 * more input, which is what turns a slow or unreachable Pub/Sub into backpressure on the SSE
 * connection (the worker stops reading the body) instead of unbounded memory.
 *
 * Errors that may heal (unavailable, deadline, quota, aborted, internal) are retried by the client
 * until `publishTimeoutMs`; a message Pub/Sub can never accept is told apart: {@link checkMessage}
 * refuses it before sending, and an INVALID_ARGUMENT answer settles it with a
 * {@link PermanentPublishError} (after one retry alone, since a batch fails as a whole).
 *
 * With `messageEncoding: "avro-json"`, {@link BoundedPublisher.write} sends each row as Avro JSON against
 * `WIKI_CHANGES_SCHEMA` (the schema, and default names, the stack generates the topic's Avro schema from);
 * a row that does not fit is `undeliverable` (`unencodable`), never sent.
 *
 * It is an {@link EventSink} (`sink.ts`), like the BigQuery sink: the worker handles both alike.
 */
import { PubSub, Topic } from "@google-cloud/pubsub";
import { AvroJsonEncoder, createAvroJsonEncoder } from "../../schemas/avro";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { MessageEncoding, PUBSUB_LIMITS } from "../../schemas/worker-contract";
import { InFlightBound } from "./in-flight";
import { EventSink, SinkCallback, SinkRow } from "./sink";

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

/** A message Pub/Sub will never accept: the worker dead-letters it and moves on. */
export class PermanentPublishError extends PublishError {
  constructor(
    message: string,
    public readonly reason: "too_large" | "attribute_too_large" | "invalid_argument",
    cause?: unknown,
  ) {
    super(message, cause);
    this.name = "PermanentPublishError";
  }
}

/** Why Pub/Sub would refuse this message (size limits), or undefined when it fits. */
export function checkMessage(data: Buffer, attributes: Record<string, string>): PermanentPublishError | undefined {
  let bytes = data.length;
  for (const [key, value] of Object.entries(attributes)) {
    const keyBytes = Buffer.byteLength(key);
    const valueBytes = Buffer.byteLength(value);
    if (keyBytes > PUBSUB_LIMITS.maxAttributeKeyBytes || valueBytes > PUBSUB_LIMITS.maxAttributeValueBytes) {
      return new PermanentPublishError(
        `attribute ${key.slice(0, 64)} is ${keyBytes} + ${valueBytes} bytes; Pub/Sub allows keys of ${PUBSUB_LIMITS.maxAttributeKeyBytes} and values of ${PUBSUB_LIMITS.maxAttributeValueBytes} bytes`,
        "attribute_too_large",
      );
    }
    bytes += keyBytes + valueBytes;
  }
  if (bytes > PUBSUB_LIMITS.maxMessageBytes) {
    return new PermanentPublishError(
      `message is ${bytes} bytes; a Pub/Sub publish request holds at most 10 MB (${PUBSUB_LIMITS.maxMessageBytes} bytes kept for the message)`,
      "too_large",
    );
  }
  return undefined;
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
  /**
   * The data of each event's message: its plain JSON, or its Avro JSON for a topic with the Avro schema
   * generated from `WIKI_CHANGES_SCHEMA` (`MESSAGE_ENCODING`). Messages sent with {@link BoundedPublisher.deliver}
   * (page changes) are sent as given.
   * @default "json"
   */
  readonly messageEncoding?: MessageEncoding;
  /** Use this client instead of creating one (the bench shares it with its baseline). */
  readonly pubsub?: PubSub;
}

/** gRPC codes that may heal, retried for Publish (quota, unavailable, deadline, aborted, internal). */
const RETRY_CODES = [
  10 /* ABORTED */, 4 /* DEADLINE_EXCEEDED */, 13 /* INTERNAL */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */,
];
const INVALID_ARGUMENT = 3;
const WRITTEN = { kind: "written" } as const;

/** Creates the topic handle with tuned batching and retry settings (`alone`: one message per request). */
export function createTopic(pubsub: PubSub, options: BoundedPublisherOptions, alone = false): Topic {
  return pubsub.topic(options.topic, {
    batching: {
      maxMessages: alone ? 1 : options.batchMaxMessages,
      maxMilliseconds: alone ? 0 : options.batchMaxMs,
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

export class BoundedPublisher extends InFlightBound implements EventSink {
  public readonly pubsub: PubSub;
  public readonly topic: Topic;
  /** Messages of a batch refused as invalid are retried here, one per request. */
  private aloneTopic: Topic | undefined;
  private readonly ownsClient: boolean;
  /** Turns a row into Avro JSON, with `messageEncoding: "avro-json"` (the names worked out once, here). */
  private readonly avroJson: AvroJsonEncoder | undefined;

  constructor(private readonly options: BoundedPublisherOptions) {
    super(options.maxInFlightMessages, options.maxInFlightBytes);
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
    this.avroJson = options.messageEncoding === "avro-json" ? createAvroJsonEncoder(WIKI_CHANGES_SCHEMA) : undefined;
  }

  /**
   * Publishes one accepted event (its `json`, or its row as Avro JSON, keyed by the `event_id` attribute);
   * `done` is called once: `written` when acknowledged, `undeliverable` when Pub/Sub can never accept it
   * (a row that does not fit the Avro schema, refused before sending by {@link checkMessage}, or answered
   * INVALID_ARGUMENT), or a {@link PublishError}.
   */
  write(event: SinkRow, done: SinkCallback): void {
    const attributes = { event_id: event.eventId };
    if (this.avroJson === undefined) {
      this.deliver(Buffer.from(event.json), attributes, done);
      return;
    }
    let data: Buffer;
    try {
      data = Buffer.from(JSON.stringify(this.avroJson(event.row as Record<string, unknown>)));
    } catch (error) {
      const detail = `the row does not fit the topic's Avro schema (MESSAGE_ENCODING=avro-json): ${(error as Error).message}`;
      done(undefined, { kind: "undeliverable", reason: "unencodable", detail, bytes: Buffer.byteLength(event.json) });
      return;
    }
    this.deliver(data, attributes, done);
  }

  /**
   * Publishes one message after {@link checkMessage} (what {@link write} does for an event; the page changes of
   * `cdc-publisher` go the same way): `done` is called once, `written`, `undeliverable` (refused before sending, or
   * answered INVALID_ARGUMENT when sent alone) or with a {@link PublishError} (failed after retries).
   */
  deliver(data: Buffer, attributes: Record<string, string>, done: SinkCallback): void {
    const size = data.length;
    const unfit = checkMessage(data, attributes);
    if (unfit) {
      done(undefined, { kind: "undeliverable", reason: unfit.reason, detail: unfit.message, bytes: size });
      return;
    }
    this.send(data, attributes, (error) => {
      if (error instanceof PermanentPublishError)
        done(undefined, { kind: "undeliverable", reason: error.reason, detail: error.message, bytes: size });
      else if (error) done(error);
      else done(undefined, WRITTEN);
    });
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
    this.startOne(size);
    this.topic.publishMessage({ data, attributes }, (error, id) => {
      if (error && (error as { code?: number }).code === INVALID_ARGUMENT) {
        // A batch fails as a whole: send this message alone to learn whether it is the bad one.
        this.aloneTopic ??= createTopic(this.pubsub, this.options, true);
        this.aloneTopic.publishMessage({ data, attributes }, (again, againId) => {
          this.finishOne(size);
          if (!again) done(undefined, againId ?? undefined);
          else done(this.publishError(again));
        });
        return;
      }
      this.finishOne(size);
      if (error) done(this.publishError(error));
      else done(undefined, id ?? undefined);
    });
  }

  private publishError(error: Error & { code?: number }): PublishError {
    const where = `projects/${this.options.project}/topics/${this.options.topic}`;
    if (error.code === INVALID_ARGUMENT)
      return new PermanentPublishError(`publish to ${where} refused: ${error.message}`, "invalid_argument", error);
    return new PublishError(`publish to ${where} failed after retries: ${error.message}`, error);
  }

  /** Sends any batched messages now. */
  async flush(): Promise<void> {
    await Promise.all([this.topic.flush(), this.aloneTopic?.flush()]);
  }

  /** Closes the client (only if this publisher created it). */
  async close(): Promise<void> {
    if (this.ownsClient) await this.pubsub.close();
  }
}
