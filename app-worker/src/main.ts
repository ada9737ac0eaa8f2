/**
 * The worker: SSE → projection → a sink (Pub/Sub, or with SINK=storage-write / insert-all the raw
 * BigQuery table itself), with checkpointing, metrics and graceful shutdown.
 *
 * Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT, everything in flight acknowledged and
 * the checkpoint written); 1 for invalid configuration, an unreadable checkpoint or no checkpoint
 * with START=fail; 2 when the worker had to stop (a fatal HTTP response or request header, a
 * publish or BigQuery write that failed after retries, a sink that could not be opened, a
 * dead-letter record or error-table row that could not be written, or a
 * shutdown that missed its deadline; the checkpoint still only covers handled events); 3 when
 * everything stopped cleanly but the final checkpoint could not be written.
 */
import { performance } from "node:perf_hooks";
import pino, { Logger } from "pino";
import { PubSub } from "@google-cloud/pubsub";
import { CdcPublisher, PageChangeDeadLetter } from "./cdc-publisher";
import {
  AckTracker,
  CheckpointError,
  DeadLetterRecord,
  DeadLetterSink,
  FileCheckpointStore,
  instanceId,
} from "./checkpoint";
import { CheckpointSchedule } from "./checkpoint-schedule";
import { parseConfig, sseConnectionSettings, WorkerConfig } from "./config";
import { FsProcess } from "./fs-process";
import { tableLabel } from "./direct-sink";
import { sinkMetricsObserver, startMetricsServer, WorkerMetrics } from "./metrics";
import { projectData, ProjectionResult } from "./projection";
import { SinkOutcome, SinkRow } from "./sink";
import { openSinks, WorkerSinks } from "./sinks";
import { SseClient, SseFatalError, SseFrame } from "./sse-client";

export interface WorkerOptions {
  readonly logger?: Logger;
  /** A shared Pub/Sub client (the bench); by default the worker creates and closes its own. */
  readonly pubsub?: PubSub;
  /** Observe every acknowledged publish's latency in ms (the bench). */
  readonly onAck?: (latencyMs: number) => void;
  /** Whether to register SIGTERM/SIGINT handlers. @default true */
  readonly handleSignals?: boolean;
  readonly metrics?: WorkerMetrics;
}

type State = "starting" | "running" | "stopping" | "stopped" | "failed";

/** What one run holds from its start step to its summary. */
interface Session extends WorkerSinks {
  readonly tracker: AckTracker;
  readonly fsCalls: FsProcess;
  readonly deadLetters: DeadLetterSink;
  readonly checkpoints: CheckpointSchedule;
  /** Where reading starts: the checkpoint's event id, or a START=since time. */
  readonly resume: { readonly lastEventId?: string; readonly since?: string };
  metricsServer?: Awaited<ReturnType<typeof startMetricsServer>>;
  sse?: SseClient;
  /** Settles when the SSE client stopped (a failure has called `fail`). */
  sseDone?: Promise<void>;
  progress?: NodeJS.Timeout;
}

/** How the drain step ended. */
interface Drained {
  readonly reason: string;
  /** The shutdown deadline passed before every sink was idle. */
  readonly timedOut: boolean;
  readonly finalSaved: boolean;
}

/**
 * The worker, as steps: `start` (checkpoint, sinks, metrics server, SSE reading), `frame` (one SSE
 * message: projected, written to the sink, done when every write of it is), `drain` (after a stop:
 * in-flight work flushed within the deadline, the final checkpoint, clients closed) and `summary`
 * (the exit code and its log line). The sinks are one interface (`sink.ts`): Pub/Sub or BigQuery.
 */
export class Worker {
  public readonly metrics: WorkerMetrics;
  public readonly logger: Logger;
  private state: State = "starting";
  private readonly sseAbort = new AbortController();
  private fatalError: Error | undefined;
  private stopRequested: ((reason: string) => void) | undefined;
  private readonly stopSignal: Promise<string>;
  private malformedSeen = 0;
  private unusualIdsSeen = 0;
  /** Plain counts (the same as the Prometheus counters), for logs, tests and the bench. */
  public readonly stats = {
    received: 0,
    published: 0,
    failed: 0,
    canary: 0,
    malformed: 0,
    deadLettered: 0,
    /** Rows a BigQuery sink wrote to the error table instead (refused by BigQuery). */
    refused: 0,
    checkpointWrites: 0,
    checkpointFailures: 0,
  };
  public metricsPort: number | undefined;
  private session: Session | undefined;
  /** What /healthz answers (also without the HTTP server: tests). */
  public health: (() => { healthy: boolean; problems: string[] } & Record<string, unknown>) | undefined;
  /** The page-state (CDC) publisher, when CDC_TOPIC is set. */
  public cdc: CdcPublisher | undefined;
  private connected = false;
  private lastMessageAt = performance.now();
  private lastEventTime: string | undefined;
  private readonly signalHandler = (signal: NodeJS.Signals) => {
    this.logger.info({ signal }, "shutdown requested");
    this.stop(signal);
  };

  /** Events not yet acknowledged by the sink (messages and bytes). */
  get inFlight(): { messages: number; bytes: number } {
    return { messages: this.session?.sink.messages ?? 0, bytes: this.session?.sink.bytes ?? 0 };
  }

  constructor(
    public readonly config: WorkerConfig,
    private readonly options: WorkerOptions = {},
  ) {
    this.logger = options.logger ?? pino({ level: config.logLevel, base: { service: "fresh-streams-worker" } });
    this.metrics = options.metrics ?? new WorkerMetrics();
    this.stopSignal = new Promise((resolve) => (this.stopRequested = resolve));
  }

  /** Asks the worker to stop gracefully (what SIGTERM does). */
  stop(reason = "stop requested"): void {
    this.stopRequested?.(reason);
  }

  private fail(error: Error): void {
    if (!this.fatalError) {
      this.fatalError = error;
      this.logger.error({ err: { type: error.name, message: error.message } }, `fatal: ${error.message}`);
    }
    this.stopRequested?.("fatal error");
  }

  /** Runs until stopped or failed; resolves with the process exit code. */
  async run(): Promise<number> {
    const session = await this.start();
    if (typeof session === "number") return session;
    const drained = await this.drain(session, await this.stopSignal);
    return this.summary(session, drained);
  }

  /** Start step: the checkpoint, the sinks, the metrics server, then SSE reading; or the exit code when it cannot start. */
  private async start(): Promise<Session | number> {
    const session = await this.open();
    if (typeof session === "number") return session;
    this.session = session;
    this.cdc = session.cdc;
    this.lastMessageAt = session.checkpoints.lastWrittenAt;
    session.checkpoints.start(this.config.checkpointIntervalMs);
    this.health = () => this.healthOf(session);
    if (this.config.metricsPort !== 0) {
      session.metricsServer = await startMetricsServer(
        this.metrics,
        this.config.metricsPort,
        this.health,
        this.config.metricsHost,
      );
      this.metricsPort = session.metricsServer.port;
    }
    this.metrics.sources = {
      received: () => this.stats.received,
      published: () => this.stats.published,
      inFlightMessages: () => session.sink.messages,
      inFlightBytes: () => session.sink.bytes,
      lastEventTimeMs: () => (this.lastEventTime === undefined ? undefined : Date.parse(this.lastEventTime)),
      checkpointAgeSeconds: () => (performance.now() - session.checkpoints.lastWrittenAt) / 1000,
      lastEventAgeSeconds: () => (performance.now() - this.lastMessageAt) / 1000,
    };
    this.read(session);
    return session;
  }

  /** Loads the checkpoint (exit 1 when unreadable, or missing with START=fail) and opens the sinks (exit 2 when it cannot). */
  private async open(): Promise<Session | number> {
    const { config, logger } = this;
    if (config.pubsubEmulatorHost) process.env.PUBSUB_EMULATOR_HOST = config.pubsubEmulatorHost;
    const instance = instanceId();
    const fsCalls = new FsProcess(config.checkpointTimeoutMs);
    const store = new FileCheckpointStore(config.checkpointPath, fsCalls, instance, config.checkpointTimeoutMs);
    const deadLetters = new DeadLetterSink(config.deadLetterPath, fsCalls, instance);
    let checkpoint;
    try {
      checkpoint = await store.load();
    } catch (error) {
      fsCalls.close();
      if (error instanceof CheckpointError) {
        logger.error({ err: error.message }, error.message);
        return 1;
      }
      throw error;
    }
    const { start } = config;
    if (!checkpoint && start.kind === "fail") {
      fsCalls.close();
      logger.error(
        { checkpoint: config.checkpointPath },
        `no checkpoint at ${config.checkpointPath} and START=fail: refusing to guess where to start. Restore the checkpoint (the bucket keeps deleted objects for its soft-delete period), or set START=live or START=since:<time>`,
      );
      return 1;
    }
    const since = !checkpoint && start.kind === "since" ? start.since : undefined;
    const tracker = new AckTracker(checkpoint?.lastEventId);
    logger.info(
      {
        checkpoint: config.checkpointPath,
        lastEventId: checkpoint?.lastEventId,
        start: checkpoint ? undefined : start.kind,
        since,
        sink: config.sink,
        topic: config.topic || undefined,
        table: tableLabel(config.table),
        errorTable: tableLabel(config.errorTable),
        project: config.project,
        sseUrl: config.sseUrl,
        instance,
      },
      checkpoint
        ? "resuming from checkpoint"
        : `no checkpoint: starting from the live stream${since ? ` at ${since} (START=since)` : " (START=live)"}`,
    );
    let sinks: WorkerSinks;
    try {
      sinks = await openSinks(config, {
        pubsub: this.options.pubsub,
        observer: sinkMetricsObserver(this.metrics, config.sink, logger),
        logger,
      });
    } catch (error) {
      fsCalls.close();
      logger.error(
        { err: (error as Error).message, sink: config.sink, table: tableLabel(config.table) },
        `cannot open the ${config.sink === "pubsub" ? "Pub/Sub publisher" : "BigQuery sink"}: ${(error as Error).message}`,
      );
      return 2;
    }
    const checkpoints = new CheckpointSchedule(tracker, store, this, logger);
    const resume = { lastEventId: checkpoint?.lastEventId, since };
    return { ...sinks, tracker, fsCalls, deadLetters, checkpoints, resume };
  }

  /** What /healthz answers. */
  private healthOf(session: Session) {
    const { config } = this;
    const now = performance.now();
    const checkpointAgeMs = Math.round(now - session.checkpoints.lastWrittenAt);
    const lastEventAgeMs = Math.round(now - this.lastMessageAt);
    const problems: string[] = [];
    if (this.state === "failed" || this.state === "stopped") problems.push(`state ${this.state}`);
    if (session.checkpoints.unsaved && checkpointAgeMs > config.healthMaxCheckpointAgeMs)
      problems.push(`no checkpoint written for ${checkpointAgeMs} ms (HEALTH_MAX_CHECKPOINT_AGE_MS)`);
    if (this.state !== "stopping" && lastEventAgeMs > config.healthMaxEventAgeMs)
      problems.push(`no message event for ${lastEventAgeMs} ms (HEALTH_MAX_EVENT_AGE_MS)`);
    return {
      healthy: problems.length === 0,
      problems,
      state: this.state,
      connected: this.connected,
      checkpointAgeMs,
      lastEventAgeMs,
      checkpointFailures: this.stats.checkpointFailures,
      inFlightMessages: session.sink.messages,
      pendingEvents: session.tracker.pending,
    };
  }

  /** Starts reading the event stream (pausing while a sink is full), the signal handlers and the progress log. */
  private read(session: Session): void {
    const { config, logger, metrics } = this;
    const { all: sinks, tracker } = session;
    const sse = new SseClient({
      ...sseConnectionSettings(config),
      lastEventId: session.resume.lastEventId,
      since: session.resume.since,
      onFrame: (frame) => this.frame(session, frame),
      beforeRead: () => {
        if (sinks.every((sink) => sink.hasCapacity)) return undefined;
        metrics.backpressurePauses.inc();
        return sinks.length === 1
          ? sinks[0].waitForCapacity()
          : Promise.all(sinks.map((sink) => sink.waitForCapacity())).then(() => undefined);
      },
      onConnected: (lastEventId) => {
        this.connected = true;
        logger.info({ lastEventId, connections: sse.connections }, "connected to the event stream");
      },
      onReconnect: (reason, delayMs, detail) => {
        this.connected = false;
        metrics.reconnects.inc({ reason });
        logger.warn({ reason, delayMs, detail }, "reconnecting to the event stream");
      },
      onOversizeFrame: (id, bytes, resumeId) => {
        metrics.framesOversize.inc();
        if (id === undefined) {
          // Without an id the frame cannot be skipped: it comes again and is counted again.
          logger.error(
            { bytes },
            `SSE frame larger than MAX_FRAME_BYTES (${config.maxFrameBytes}): ${bytes} bytes arrived before the connection was dropped; the frame has no id before its data, so it cannot be skipped`,
          );
          return;
        }
        const detail = `SSE frame larger than MAX_FRAME_BYTES (${config.maxFrameBytes}): ${bytes} bytes arrived, the rest was discarded`;
        const seq = tracker.begin(resumeId);
        this.deadLetter(session, { reason: "oversize_frame", sseId: id, bytes, detail }, () => tracker.complete(seq));
      },
      onOversizeReplay: (id) => {
        metrics.framesOversize.inc();
        metrics.framesOversizeReplayed.inc();
        logger.warn({ sseId: id }, "the server sent again an oversized frame already dead-lettered: discarded");
      },
      onEventId: (handling, id) => this.unusualEventId(handling, id),
      onRetryAfterClamped: (requestedMs, usedMs) =>
        logger.warn(
          { requestedMs, usedMs },
          `Retry-After of ${requestedMs} ms is outside [BACKOFF_INITIAL_MS, BACKOFF_MAX_MS]: waiting ${usedMs} ms`,
        ),
      logger,
    });
    session.sse = sse;
    if (this.options.handleSignals !== false) {
      process.on("SIGTERM", this.signalHandler);
      process.on("SIGINT", this.signalHandler);
    }
    session.progress = setInterval(() => {
      logger.info(
        {
          received: this.stats.received,
          inFlight: session.sink.messages,
          pending: tracker.pending,
          lastEventId: tracker.committed.lastEventId,
        },
        "progress",
      );
    }, 30_000);
    session.progress.unref();

    this.state = "running";
    session.sseDone = sse.run(this.sseAbort.signal).then(
      () => undefined,
      (error: Error) =>
        this.fail(error instanceof SseFatalError ? error : new Error(`event stream failed: ${error.message}`)),
    );
  }

  /**
   * Frame step: one SSE message. Dropped (canary, malformed) events are done at once; an accepted
   * event is done (the checkpoint may pass it) when its row and all its page changes are: each
   * written, refused for good and kept, or dead-lettered.
   */
  private frame(session: Session, frame: SseFrame): void {
    this.stats.received++; // the received/published counters read stats when scraped
    this.lastMessageAt = frame.receivedAt;
    const { tracker, cdc } = session;
    const result = projectData(frame.data);
    if (result.kind === "drop") {
      this.dropped(result, frame.data);
      tracker.complete(tracker.begin(frame.lastEventId));
      return;
    }
    const row = result.row;
    const seq = tracker.begin(frame.lastEventId, row.event_time);
    this.lastEventTime = row.event_time;
    let writes = 1;
    const settle = () => {
      if (--writes === 0) tracker.complete(seq);
    };
    // The callbacks capture the event and a number only: the frame's text must not live until the ack.
    const receivedAt = frame.receivedAt;
    const event: SinkRow = { eventId: row.event_id, sseId: frame.lastEventId, row, json: result.json };
    // A page change Pub/Sub refuses for good is dead-lettered on its own: the row does not wait for it.
    if (cdc)
      writes += cdc.publishChanges(
        frame.data,
        { eventId: row.event_id, sseId: event.sseId, eventTime: row.event_time },
        (error, deadLetter) => {
          if (error) this.fail(error);
          else if (deadLetter) this.deadLetter(session, deadLetter, settle);
          else settle();
        },
      );
    session.sink.write(event, (error, outcome) => {
      if (error) {
        this.stats.failed++;
        this.metrics.failed.inc();
        this.fail(error);
      } else if (outcome!.kind === "written") {
        const latencyMs = performance.now() - receivedAt;
        this.stats.published++;
        this.metrics.publishLatency.observe(latencyMs / 1000);
        this.options.onAck?.(latencyMs);
        settle();
      } else this.notWritten(session, event, row.event_time, outcome!, settle);
    });
  }

  /** Counts and logs (the first 5, then every 1000th) an event id that is not ASCII. */
  private unusualEventId(handling: "utf8" | "refused", id: string): void {
    const seen = ++this.unusualIdsSeen;
    (handling === "utf8" ? this.metrics.eventIdsUtf8 : this.metrics.eventIdsRefused).inc();
    if (seen > 5 && seen % 1000 !== 0) return;
    const sample = id.slice(0, 300);
    if (handling === "utf8")
      this.logger.warn(
        { sseId: sample, seenSoFar: seen },
        "an SSE event id is not ASCII: it is sent back UTF-8 encoded",
      );
    else
      this.logger.warn(
        { sseId: sample, seenSoFar: seen },
        "an SSE event id cannot be sent back as Last-Event-ID (control characters or surrounding blanks): its event is processed, the resume point stays at the previous id",
      );
  }

  /** Counts (and for malformed ones, logs: the first 5, then every 1000th) an event that is not published. */
  private dropped(result: Extract<ProjectionResult, { kind: "drop" }>, data: string): void {
    this.metrics.dropped.inc({ reason: result.reason });
    this.stats[result.reason]++;
    if (result.reason !== "malformed") return;
    this.malformedSeen++;
    if (this.malformedSeen <= 5 || this.malformedSeen % 1000 === 0) {
      this.logger.warn(
        { detail: result.detail, sample: data.slice(0, 300), malformedSoFar: this.malformedSeen },
        "skipping malformed event",
      );
    }
  }

  /** An event the sink refused for good: kept in the error table (BigQuery), or recorded in the dead-letter sink. */
  private notWritten(
    session: Session,
    event: SinkRow,
    eventTime: string,
    outcome: Exclude<SinkOutcome, { kind: "written" }>,
    settle: () => void,
  ): void {
    if (outcome.kind === "undeliverable") {
      const { reason, detail, bytes } = outcome;
      const sample = event.json.slice(0, 4096);
      const record = {
        reason,
        sseId: event.sseId,
        eventId: event.eventId.slice(0, 256),
        eventTime,
        bytes,
        detail,
        sample,
      };
      this.deadLetter(session, record, settle);
      return;
    }
    const refused = ++this.stats.refused;
    if (refused <= 5 || refused % 1000 === 0)
      this.logger.error(
        { reason: outcome.reason, sseId: event.sseId, eventId: event.eventId, refusedSoFar: refused },
        `BigQuery refused a row; it is in the error table ${tableLabel(this.config.errorTable)}: ${outcome.detail}`,
      );
    settle();
  }

  /** Records an event (or one of its page changes) that can never be published, then lets the checkpoint pass it. */
  private deadLetter(session: Session, record: DeadLetterRecord | PageChangeDeadLetter, done: () => void): void {
    if ("changeIndex" in record)
      this.metrics.pageChangesDeadLettered.inc({ reason: record.reason.replace(/^page_change_/, "") });
    else {
      this.stats.deadLettered++;
      this.metrics.deadLettered.inc({ reason: record.reason });
    }
    session.deadLetters.write(record).then(
      (file) => {
        this.logger.error(
          { reason: record.reason, sseId: record.sseId, eventId: record.eventId, bytes: record.bytes, file },
          `dead-lettered ${"changeIndex" in record ? "a page change" : "an event"}: ${record.detail}`,
        );
        done();
      },
      // Without its record the event would be lost silently: stop; a restart retries it.
      (error: Error) => this.fail(new Error(`dead-letter sink failed: ${error.message}`)),
    );
  }

  /** Drain step: stops reading, flushes and awaits what is in flight within the deadline, writes the final checkpoint, closes. */
  private async drain(session: Session, reason: string): Promise<Drained> {
    const { config } = this;
    const stopAt = performance.now();
    this.state = this.fatalError ? "failed" : "stopping";
    this.sseAbort.abort();
    await session.sseDone;

    let timedOut = false;
    const deadline = new Promise<void>((resolve) =>
      setTimeout(() => {
        timedOut = true;
        resolve();
      }, config.shutdownDeadlineMs).unref(),
    );
    const drained = Promise.all(session.all.map((sink) => sink.flush().then(() => sink.waitForIdle())));
    await Promise.race([drained, deadline]);
    session.checkpoints.stop();
    clearInterval(session.progress);
    // The final write gets what is left of the deadline (at least 1 s): a hanging mount cannot hold the exit.
    const saveBudget = Math.max(1000, config.shutdownDeadlineMs - (performance.now() - stopAt));
    let saveTimer: NodeJS.Timeout | undefined;
    const finalSaved = await Promise.race([
      session.checkpoints.save(true),
      new Promise<boolean>((resolve) => (saveTimer = setTimeout(() => resolve(false), saveBudget))),
    ]);
    clearTimeout(saveTimer);
    if (!finalSaved && this.stats.checkpointFailures === 0) {
      this.stats.checkpointFailures++;
      this.metrics.checkpointFailures.inc();
    }
    await Promise.race([
      Promise.all(session.all.map((sink) => sink.close())).catch(() => undefined),
      new Promise((r) => setTimeout(r, 2000).unref()),
    ]);
    await session.metricsServer?.close();
    // A call still blocked in the helper must not hold the exit.
    session.fsCalls.close();
    // Only now: a second SIGTERM while clients close must not kill the process with the default action.
    if (this.options.handleSignals !== false) {
      process.off("SIGTERM", this.signalHandler);
      process.off("SIGINT", this.signalHandler);
    }
    return { reason, timedOut, finalSaved };
  }

  /** Summary step: the closing log line and the exit code. */
  private summary(session: Session, { reason, timedOut, finalSaved }: Drained): number {
    const { config, logger, stats } = this;
    const inFlight = session.all.reduce((total, sink) => total + sink.messages, 0);
    const summary = {
      reason,
      received: stats.received,
      published: stats.published,
      failed: stats.failed,
      deadLettered: stats.deadLettered,
      refused: config.sink === "pubsub" ? undefined : stats.refused,
      checkpointFailures: stats.checkpointFailures,
      inFlightAbandoned: inFlight,
      cdc: session.cdc?.stats,
      lastEventId: session.tracker.committed.lastEventId,
      checkpointSaved: finalSaved,
    };
    if (this.fatalError) {
      this.state = "failed";
      logger.error(summary, `stopped after a fatal error: ${this.fatalError.message}`);
      return 2;
    }
    if (timedOut && inFlight > 0) {
      this.state = "failed";
      logger.error(
        summary,
        `shutdown deadline of ${config.shutdownDeadlineMs} ms passed with publishes in flight; the checkpoint covers only acknowledged events`,
      );
      return 2;
    }
    if (!finalSaved) {
      this.state = "failed";
      logger.error(
        summary,
        `stopped, but the final checkpoint could not be written to ${config.checkpointPath}: a restart replays from the last one written`,
      );
      return 3;
    }
    this.state = "stopped";
    logger.info(summary, "stopped cleanly");
    return 0;
  }
}

/** The command-line entry point: `npm run worker` (env vars, or `--flag=value`). */
export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  const parsed = parseConfig(env, argv);
  if (!parsed.config) {
    process.stderr.write(`invalid worker configuration:\n${parsed.problems.map((p) => `  ${p}`).join("\n")}\n`);
    return 1;
  }
  const worker = new Worker(parsed.config);
  return worker.run();
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`worker crashed: ${error.stack ?? error.message}\n`);
      process.exit(2);
    },
  );
}
