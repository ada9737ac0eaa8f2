/**
 * The one interface of the worker's sinks: where an accepted event goes. The Pub/Sub publisher
 * (`publisher.ts`, `SINK=pubsub`; also the CDC topic's publisher) and the BigQuery sink
 * (`bigquery-sink.ts`, `SINK=storage-write` or `insert-all`) both implement it, so the worker
 * handles them alike: it writes events, pauses reading while a sink is full, and drains and
 * closes every sink at shutdown.
 */

/** One accepted event on its way to a sink. */
export interface SinkRow {
  /** The de-duplication key (the `event_id` attribute, insertAll's `insertId`). */
  readonly eventId: string;
  /** The SSE id it came with (kept with a refused row). */
  readonly sseId?: string;
  /** The row: column → JSON value (e.g. a `WikiChangeRow`). */
  readonly row: object;
  /** `JSON.stringify(row)`: the message's data, its size is the row's size, and the error table keeps it. */
  readonly json: string;
}

/**
 * How an event ended:
 * - `written`: the sink acknowledged it;
 * - `refused`: the sink refused it for good and kept it itself (BigQuery: a row of the error table);
 * - `undeliverable`: the sink can never accept it and did not keep it (Pub/Sub: too large, invalid, not encodable):
 *   the worker records it in the dead-letter sink before the checkpoint may pass it.
 */
export type SinkOutcome =
  | { readonly kind: "written" }
  | { readonly kind: "refused"; readonly reason: string; readonly detail: string }
  | {
      readonly kind: "undeliverable";
      /** `unencodable`: the row does not fit the topic's Avro schema (`MESSAGE_ENCODING=avro-json`). */
      readonly reason: "too_large" | "attribute_too_large" | "invalid_argument" | "unencodable";
      readonly detail: string;
      /** The message's size. */
      readonly bytes: number;
    };

/** Called once per event: an error (the event was not written anywhere; the worker stops) or its outcome. */
export type SinkCallback = (error: Error | undefined, outcome?: SinkOutcome) => void;

/** Work in flight, bounded: what turns a slow sink into backpressure on the SSE connection. */
export interface BoundedSink {
  /** Events (or messages) not yet acknowledged. */
  readonly messages: number;
  /** Their bytes. */
  readonly bytes: number;
  /** Whether one more fits under the in-flight bounds. */
  readonly hasCapacity: boolean;
  /** Resolves once there is room for more (immediately when there is). */
  waitForCapacity(): Promise<void>;
  /** Resolves once nothing is in flight. */
  waitForIdle(): Promise<void>;
  /** Sends what is batched now. */
  flush(): Promise<void>;
  /** Releases the clients (a pending retry fails). */
  close(): Promise<void>;
}

/** A sink of accepted events. */
export interface EventSink extends BoundedSink {
  /** Queues one event; `done` is called once, when it is written, refused, undeliverable or failed. */
  write(event: SinkRow, done: SinkCallback): void;
}
