/**
 * Prometheus metrics and the /healthz + /metrics HTTP server. One registry per worker
 * (no global state), so tests and benchmarks can run several workers in one process.
 */
import * as http from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const PREFIX = "fresh_streams_worker_";

/** Where the scrape-time metrics read their values (set by the worker). */
type Sources = NonNullable<WorkerMetrics["sources"]>;

export class WorkerMetrics {
  public readonly registry = new Registry();
  public readonly received: Counter;
  public readonly published: Counter;
  public readonly failed: Counter;
  public readonly dropped: Counter<"reason">;
  public readonly reconnects: Counter<"reason">;
  public readonly publishLatency: Histogram;
  public readonly eventLag: Gauge;
  public readonly inFlightMessages: Gauge;
  public readonly inFlightBytes: Gauge;
  public readonly backpressurePauses: Counter;
  public readonly checkpointWrites: Counter;
  public readonly checkpointFailures: Counter;
  public readonly checkpointAge: Gauge;
  public readonly deadLettered: Counter<"reason">;
  /** Page changes (CDC_TOPIC) Pub/Sub can never accept, recorded in the dead-letter sink (the event's row goes on). */
  public readonly pageChangesDeadLettered = this.counter(
    "page_changes_dead_lettered_total",
    "Page changes (CDC_TOPIC) Pub/Sub can never accept, recorded in the dead-letter sink and skipped (their event's row is published as usual), by reason (too_large, attribute_too_large, invalid_argument)",
    ["reason"],
  );
  public readonly framesOversize = this.counter(
    "frames_oversize_total",
    "SSE frames larger than MAX_FRAME_BYTES, replayed copies included (with an id: dead-lettered and its rest discarded; without one: the connection is dropped)",
  );
  /** Copies of an oversized frame already dead-lettered that the server sent again (discarded). */
  public readonly framesOversizeReplayed = this.counter(
    "frames_oversize_replayed_total",
    "Copies of an oversized frame already dead-lettered that the server sent again (a resume at or before its id): discarded, not recorded again",
  );
  /** SSE event ids that are not ASCII, sent back UTF-8 encoded as Last-Event-ID. */
  public readonly eventIdsUtf8 = this.counter(
    "sse_event_ids_utf8_total",
    "SSE event ids with characters outside ASCII: sent back as Last-Event-ID UTF-8 encoded (as EventSource does)",
  );
  /** SSE event ids no header can carry back: not adopted as the resume point. */
  public readonly eventIdsRefused = this.counter(
    "sse_event_ids_refused_total",
    "SSE event ids no HTTP header can carry (control characters, surrounding blanks): the event is processed, the id is not adopted as the resume point",
  );
  public readonly lastEventAge: Gauge;
  /** Direct sinks (SINK=storage-write or insert-all): rows BigQuery acknowledged. */
  public readonly sinkRowsWritten: Counter<"sink">;
  /** Rows BigQuery refused for good (or would refuse), written to the error table. */
  public readonly sinkRowsRefused: Counter<"sink" | "reason">;
  /** BigQuery write requests, by outcome (ok, partial, retried, split, failed). */
  public readonly sinkRequests: Counter<"sink" | "outcome">;
  public readonly sinkRequestSeconds: Histogram<"sink">;
  public readonly sinkBatchRows: Histogram<"sink">;
  /** Times BigQuery refused every row with an error not about any row (the direct sink stopped the worker). */
  public readonly sinkTableRefusals = this.counter(
    "sink_table_refusals_total",
    "Times BigQuery refused every row with an error not about any row (e.g. the table's schema no longer matches): the worker stops, no row goes to the error table",
    ["sink"],
  );
  /** Where the scrape-time gauges read their values (set by the worker). */
  public sources?: {
    received(): number;
    published(): number;
    inFlightMessages(): number;
    inFlightBytes(): number;
    lastEventTimeMs(): number | undefined;
    /** Seconds since the last successful checkpoint write (or since start). */
    checkpointAgeSeconds(): number;
    /** Seconds since the last message event (or since start). */
    lastEventAgeSeconds(): number;
  };

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // Per-event counters read the worker's plain counts when scraped (no per-event cost); an
    // inc() still adds to them (tests, other callers). Gauges read their values when scraped too.
    const counter = this.counter.bind(this);
    const gauge = this.gauge.bind(this);
    const histogram = this.histogram.bind(this);
    this.received = counter("events_received_total", "SSE message frames received", [], (s) => s.received());
    this.published = counter(
      "events_published_total",
      "Events whose row was acknowledged by the sink: Pub/Sub, or BigQuery with a direct sink",
      [],
      (s) => s.published(),
    );
    this.failed = counter("events_failed_total", "Events whose publish failed after retries (the worker stops)");
    this.dropped = counter("events_dropped_total", "Events not published, by reason (canary, malformed)", ["reason"]);
    this.reconnects = counter(
      "sse_reconnects_total",
      "SSE reconnections, by reason (network, http_5xx, http_429, http_408, idle, eof, error_frame, oversize_frame)",
      ["reason"],
    );
    this.publishLatency = histogram(
      "publish_latency_seconds",
      "Time from SSE frame received to publish acknowledged",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.eventLag = gauge("event_lag_seconds", "now - event_time of the latest received event", (s) => {
      const last = s.lastEventTimeMs();
      return last === undefined ? undefined : (Date.now() - last) / 1000;
    });
    this.inFlightMessages = gauge(
      "in_flight_messages",
      "Events not yet acknowledged by the sink (publishes, or rows being written)",
      (s) => s.inFlightMessages(),
    );
    this.inFlightBytes = gauge("in_flight_bytes", "Bytes of the events not yet acknowledged by the sink", (s) =>
      s.inFlightBytes(),
    );
    this.backpressurePauses = counter(
      "backpressure_pauses_total",
      "Times reading paused because the in-flight bound was reached",
    );
    this.checkpointWrites = counter("checkpoint_writes_total", "Successful checkpoint writes");
    this.checkpointFailures = counter(
      "checkpoint_failures_total",
      "Checkpoint writes that failed or timed out (CHECKPOINT_TIMEOUT_MS)",
    );
    this.checkpointAge = gauge(
      "checkpoint_age_seconds",
      "Seconds since the last successful checkpoint write (since start before the first)",
      (s) => s.checkpointAgeSeconds(),
    );
    this.deadLettered = counter(
      "events_dead_lettered_total",
      "Events Pub/Sub can never accept, recorded in the dead-letter sink and skipped, by reason (too_large, attribute_too_large, invalid_argument, unencodable, oversize_frame)",
      ["reason"],
    );
    this.lastEventAge = gauge(
      "last_event_age_seconds",
      "Seconds since the last SSE message event (comments and keep-alives do not count)",
      (s) => s.lastEventAgeSeconds(),
    );
    this.sinkRowsWritten = counter(
      "sink_rows_written_total",
      "Rows BigQuery acknowledged (direct sinks: SINK=storage-write or insert-all)",
      ["sink"],
    );
    this.sinkRowsRefused = counter(
      "sink_rows_refused_total",
      "Rows BigQuery refused for good (or would refuse: too_large, out_of_range), written to the error table, by reason",
      ["sink", "reason"],
    );
    this.sinkRequests = counter(
      "sink_requests_total",
      "BigQuery write requests by outcome: ok, partial (some rows refused or resent), retried (failed, retried after backoff), split (refused as a whole, halved), failed (gave up: the worker stops)",
      ["sink", "outcome"],
    );
    this.sinkRequestSeconds = histogram(
      "sink_request_seconds",
      "Duration of one BigQuery write request",
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ["sink"],
    );
    this.sinkBatchRows = histogram(
      "sink_batch_rows",
      "Rows per BigQuery write request",
      [1, 10, 50, 100, 250, 500, 1000],
      ["sink"],
    );
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** A counter; with `read`, it catches up with that count of the worker's when scraped. */
  private counter<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    read?: (s: Sources) => number,
  ): Counter<L> {
    let reported = 0;
    const sources = () => this.sources;
    return new Counter<L>({
      name: `${PREFIX}${name}`,
      help,
      labelNames,
      registers: [this.registry],
      ...(read && {
        collect(this: Counter<L>) {
          const s = sources();
          if (!s) return;
          const now = read(s);
          if (now > reported) this.inc(now - reported);
          reported = now;
        },
      }),
    });
  }

  /** A gauge set from the worker when scraped (left as is when `read` has no value). */
  private gauge(name: string, help: string, read: (s: Sources) => number | undefined): Gauge {
    const sources = () => this.sources;
    return new Gauge({
      name: `${PREFIX}${name}`,
      help,
      registers: [this.registry],
      collect() {
        const s = sources();
        const value = s && read(s);
        if (value !== undefined) this.set(value);
      },
    });
  }

  private histogram<L extends string = never>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram<L>({ name: `${PREFIX}${name}`, help, labelNames, buckets, registers: [this.registry] });
  }
}

/** What /healthz reports. */
export interface HealthState {
  /** Whether the process should be considered healthy (200) or not (503). */
  healthy: boolean;
  [key: string]: unknown;
}

/** Serves /healthz and /metrics on 127.0.0.1 or all interfaces; resolves with the bound port. */
export function startMetricsServer(
  metrics: WorkerMetrics,
  port: number,
  health: () => HealthState,
  host = "0.0.0.0",
): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const url = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (url === "/healthz") {
      const state = health();
      response.writeHead(state.healthy ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(state));
      return;
    }
    if (url === "/metrics") {
      metrics.registry.metrics().then(
        (body) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
        (error: Error) => response.writeHead(500).end(error.message),
      );
      return;
    }
    response.writeHead(404).end("not found\n");
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * A sink observer that records into `metrics` (labelled with the sink's name) and logs each
 * request at debug level (requests are batches: a few per second, not one per event).
 */
export function sinkMetricsObserver(
  metrics: WorkerMetrics,
  sink: string,
  logger?: { debug(obj: object, msg: string): void; warn(obj: object, msg: string): void },
) {
  let retries = 0;
  return {
    retrying(error: Error, attempt: number, delayMs: number, table: string): void {
      // Loud but bounded: the first 5 retries, then every 100th.
      if (++retries <= 5 || retries % 100 === 0)
        logger?.warn(
          { sink, table, attempt, delayMs, retriesSoFar: retries, err: error.message },
          "BigQuery write failed; retrying",
        );
    },
    request(outcome: string, seconds: number, rows: number, bytes: number): void {
      logger?.debug({ sink, outcome, rows, bytes, ms: Math.round(seconds * 1000) }, "BigQuery write request");
      metrics.sinkRequests.inc({ sink, outcome });
      metrics.sinkRequestSeconds.observe({ sink }, seconds);
      metrics.sinkBatchRows.observe({ sink }, rows);
    },
    written(rows: number): void {
      metrics.sinkRowsWritten.inc({ sink }, rows);
    },
    refused(reason: string, rows: number): void {
      metrics.sinkRowsRefused.inc({ sink, reason }, rows);
    },
    tableRefused(): void {
      metrics.sinkTableRefusals.inc({ sink });
    },
  };
}
