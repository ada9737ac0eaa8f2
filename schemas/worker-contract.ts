/**
 * The worker's contract with whoever deploys it: the environment variables it reads and their
 * defaults. One parser (`worker-settings.ts`) reads them, in the worker at startup and in
 * `SsePublisherService` at synth.
 * The message it publishes is a `wiki_changes` row (see `wiki-changes.ts`).
 */

/** The Wikimedia recentchange stream: the worker's default source. */
export const DEFAULT_SSE_URL = "https://stream.wikimedia.org/v2/stream/recentchange";

/** Sent with every request: Wikimedia refuses requests without a descriptive User-Agent. */
export const DEFAULT_USER_AGENT =
  "fresh-streams-worker/0.1 (https://github.com/fresh-streams/fresh-streams; streaming-analytics demo)";

/** Port of the worker's `/healthz` and `/metrics` when deployed. */
export const DEFAULT_METRICS_PORT = 9464;

/** The environment variables the worker reads, in documentation order. */
export const WORKER_ENV_VARIABLES = [
  "PROJECT",
  "SINK",
  "TOPIC",
  "TABLE",
  "ERROR_TABLE",
  "CDC_TOPIC",
  "MESSAGE_ENCODING",
  "SSE_URL",
  "USER_AGENT",
  "CHECKPOINT_PATH",
  "METRICS_PORT",
  "METRICS_HOST",
  "PUBSUB_EMULATOR_HOST",
  "BIGQUERY_EMULATOR_HOST",
  "BIGQUERY_STORAGE_EMULATOR_HOST",
  "START",
  "IDLE_TIMEOUT_MS",
  "CONNECT_TIMEOUT_MS",
  "BACKOFF_INITIAL_MS",
  "BACKOFF_MAX_MS",
  "MAX_FRAME_BYTES",
  "MAX_IN_FLIGHT_MESSAGES",
  "MAX_IN_FLIGHT_BYTES",
  "PUBLISH_TIMEOUT_MS",
  "BATCH_MAX_MESSAGES",
  "BATCH_MAX_MS",
  "BATCH_MAX_BYTES",
  "CHECKPOINT_INTERVAL_MS",
  "CHECKPOINT_TIMEOUT_MS",
  "HEALTH_MAX_CHECKPOINT_AGE_MS",
  "HEALTH_MAX_EVENT_AGE_MS",
  "DEAD_LETTER_PATH",
  "SHUTDOWN_DEADLINE_MS",
  "LOG_LEVEL",
] as const;

/** One of the worker's environment variables. */
export type WorkerEnvVariable = (typeof WORKER_ENV_VARIABLES)[number];

/**
 * How the worker encodes the data of each `TOPIC` message (`MESSAGE_ENCODING`):
 * - `json`: the row as plain JSON (`JSON.stringify(row)`), for a topic without a schema;
 * - `avro-json`: the row as Avro JSON (`encodeAvroJson` against `WIKI_CHANGES_SCHEMA`, default names), for a
 *   topic carrying the Avro schema generated from it (JSON encoding; `ingestion.topicSchema`).
 */
export const MESSAGE_ENCODINGS = ["json", "avro-json"] as const;
/** One of {@link MESSAGE_ENCODINGS}. */
export type MessageEncoding = (typeof MESSAGE_ENCODINGS)[number];

/**
 * Pub/Sub's limits on one message: a publish request is at most 10 MB (data, attributes, the topic
 * name and framing), an attribute key at most 256 bytes and a value at most 1024 bytes.
 * The worker keeps 64 KiB of the request for the rest.
 */
export const PUBSUB_LIMITS = {
  maxMessageBytes: 10_000_000 - 64 * 1024,
  maxAttributeKeyBytes: 256,
  maxAttributeValueBytes: 1024,
} as const;

/**
 * Where the worker writes accepted events (`SINK`):
 * - `pubsub`: publish to `TOPIC` (Dataflow or a BigQuery subscription moves them into the raw table);
 * - `storage-write`: append to the raw table (`TABLE`) through the BigQuery Storage Write API's default stream;
 * - `insert-all`: stream into `TABLE` with the legacy `tabledata.insertAll`, `insertId` = the event id.
 */
export const WORKER_SINKS = ["pubsub", "storage-write", "insert-all"] as const;
/** One of {@link WORKER_SINKS}. */
export type WorkerSink = (typeof WORKER_SINKS)[number];
/** The sinks that write BigQuery directly (ingestion mode `direct`). */
export const DIRECT_SINKS = ["storage-write", "insert-all"] as const satisfies readonly WorkerSink[];
/** One of {@link DIRECT_SINKS}. */
export type DirectSink = (typeof DIRECT_SINKS)[number];

/**
 * BigQuery's documented limits on one streaming write (quotas and limits pages, "Streaming inserts"
 * and "Storage Write API"), and what the worker keeps below them:
 * - `tabledata.insertAll`: HTTP request at most 10 MB, at most 50,000 rows per request (500
 *   recommended), a row at most 10 MB;
 * - Storage Write API: an `AppendRows` request at most 10 MB, a row at most 10 MB.
 * `maxBatchBytes` leaves 1 MB of the 10 MB for the request's framing (insertId, JSON keys, the
 * stream name and the proto descriptor); a row larger than `maxRowBytes` goes to the error table.
 * TIMESTAMP values must lie in [0001-01-01, 9999-12-31] (data types reference).
 */
export const BIGQUERY_WRITE_LIMITS = {
  maxRequestBytes: 10_000_000,
  maxBatchBytes: 9_000_000,
  maxRowBytes: 9_000_000,
  insertAllMaxRows: 50_000,
  insertAllRecommendedRows: 500,
  minTimestamp: "0001-01-01T00:00:00.000Z",
  maxTimestamp: "9999-12-31T23:59:59.999Z",
} as const;
