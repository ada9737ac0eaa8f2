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
import { BigQuerySink } from "./bigquery-sink";
import { CdcPublisher } from "./cdc-publisher";
import {
  AckTracker,
  CheckpointError,
  DeadLetterRecord,
  DeadLetterSink,
  FileCheckpointStore,
  instanceId,
} from "./checkpoint";
import { parseConfig, sseConnectionSettings, WorkerConfig } from "./config";
import { FsProcess } from "./fs-process";
import { openDirectSink, tableLabel } from "./direct-sink";
import { sinkMetricsObserver, startMetricsServer, WorkerMetrics } from "./metrics";
import { projectData } from "./projection";
import { BoundedPublisher, checkMessage, PermanentPublishError } from "./publisher";
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

export class Worker {
  public readonly metrics: WorkerMetrics;
  public readonly logger: Logger;
  private state: State = "starting";
  private readonly sseAbort = new AbortController();
  private fatalError: Error | undefined;
  private stopRequested: ((reason: string) => void) | undefined;
  private readonly stopSignal: Promise<string>;
  private malformedSeen = 0;
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
  private sink: BoundedPublisher | BigQuerySink | undefined;
  /** What /healthz answers (also without the HTTP server: tests). */
  public health: (() => { healthy: boolean; problems: string[] } & Record<string, unknown>) | undefined;
  /** The page-state (CDC) publisher, when CDC_TOPIC is set. */
  public cdc: CdcPublisher | undefined;

  /** Events not yet acknowledged by the sink (messages and bytes). */
  get inFlight(): { messages: number; bytes: number } {
    return { messages: this.sink?.messages ?? 0, bytes: this.sink?.bytes ?? 0 };
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
    const { config, logger, metrics } = this;
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

    const publisher =
      config.sink === "pubsub" ? new BoundedPublisher({ ...config, pubsub: this.options.pubsub }) : undefined;
    let direct: BigQuerySink | undefined;
    if (config.sink !== "pubsub") {
      try {
        direct = await openDirectSink(config, sinkMetricsObserver(metrics, config.sink, logger));
      } catch (error) {
        fsCalls.close();
        logger.error(
          { err: (error as Error).message, sink: config.sink, table: tableLabel(config.table) },
          `cannot open the BigQuery sink: ${(error as Error).message}`,
        );
        return 2;
      }
    }
    const sink = (publisher ?? direct)!;
    this.sink = sink;
    // Page-state changes (CDC_TOPIC), on the same client: an event is done when all its publishes are.
    const cdc = config.cdcTopic
      ? new CdcPublisher(
          { ...config, topic: config.cdcTopic, pubsub: publisher?.pubsub ?? this.options.pubsub },
          logger,
        )
      : undefined;
    this.cdc = cdc;

    const startedAt = performance.now();
    let savedVersion = tracker.committed.version;
    let lastCheckpointAt = startedAt;
    let lastMessageAt = startedAt;
    let saving: Promise<boolean> = Promise.resolve(true);
    /** Writes the checkpoint when it moved; resolves false when the write failed. */
    const saveCheckpoint = (final = false): Promise<boolean> => {
      saving = saving.then(async () => {
        const { lastEventId, eventTime, version } = tracker.committed;
        if (version === savedVersion || lastEventId === undefined) return true;
        try {
          let outcome = await store.save({ lastEventId, eventTime, updatedAt: new Date().toISOString() });
          // Another instance is writing right now: not a failure; the next interval tries again,
          // the final write a few times right away.
          for (let attempt = 0; final && outcome === "busy" && attempt < 20; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            outcome = await store.save({ lastEventId, eventTime, updatedAt: new Date().toISOString() });
          }
          if (outcome === "busy") return false;
          if (outcome === "superseded")
            logger.warn(
              { lastEventId },
              "the stored checkpoint is ahead of this worker's (another instance wrote it): left as is",
            );
          savedVersion = version;
          lastCheckpointAt = performance.now();
          this.stats.checkpointWrites++;
          metrics.checkpointWrites.inc();
          return true;
        } catch (error) {
          // Not fatal while running: the next write retries, a crash before it replays a little
          // more. Loud: counted, logged at error, and /healthz fails once it lasts.
          this.stats.checkpointFailures++;
          metrics.checkpointFailures.inc();
          logger.error(
            { err: (error as Error).message, failures: this.stats.checkpointFailures },
            "checkpoint write failed",
          );
          return false;
        }
      });
      return saving;
    };
    const checkpointTimer = setInterval(() => void saveCheckpoint(), config.checkpointIntervalMs);
    checkpointTimer.unref();

    let connected = false;
    const health = () => {
      const now = performance.now();
      const checkpointAgeMs = Math.round(now - lastCheckpointAt);
      const lastEventAgeMs = Math.round(now - lastMessageAt);
      const unsaved = tracker.committed.version !== savedVersion;
      const problems: string[] = [];
      if (this.state === "failed" || this.state === "stopped") problems.push(`state ${this.state}`);
      if (unsaved && checkpointAgeMs > config.healthMaxCheckpointAgeMs)
        problems.push(`no checkpoint written for ${checkpointAgeMs} ms (HEALTH_MAX_CHECKPOINT_AGE_MS)`);
      if (this.state !== "stopping" && lastEventAgeMs > config.healthMaxEventAgeMs)
        problems.push(`no message event for ${lastEventAgeMs} ms (HEALTH_MAX_EVENT_AGE_MS)`);
      return {
        healthy: problems.length === 0,
        problems,
        state: this.state,
        connected,
        checkpointAgeMs,
        lastEventAgeMs,
        checkpointFailures: this.stats.checkpointFailures,
        inFlightMessages: sink.messages,
        pendingEvents: tracker.pending,
      };
    };
    this.health = health;
    let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
    if (config.metricsPort !== 0) {
      metricsServer = await startMetricsServer(metrics, config.metricsPort, health, config.metricsHost);
      this.metricsPort = metricsServer.port;
    }

    const onAck = this.options.onAck;
    let lastEventTime: string | undefined;
    metrics.sources = {
      received: () => this.stats.received,
      published: () => this.stats.published,
      inFlightMessages: () => sink.messages,
      inFlightBytes: () => sink.bytes,
      lastEventTimeMs: () => (lastEventTime === undefined ? undefined : Date.parse(lastEventTime)),
      checkpointAgeSeconds: () => (performance.now() - lastCheckpointAt) / 1000,
      lastEventAgeSeconds: () => (performance.now() - lastMessageAt) / 1000,
    };

    /** Records an event that can never be published, then lets the checkpoint pass it. */
    const deadLetter = (record: DeadLetterRecord, done: () => void) => {
      this.stats.deadLettered++;
      metrics.deadLettered.inc({ reason: record.reason });
      deadLetters.write(record).then(
        (file) => {
          logger.error(
            { reason: record.reason, sseId: record.sseId, eventId: record.eventId, bytes: record.bytes, file },
            `dead-lettered an event: ${record.detail}`,
          );
          done();
        },
        // Without its record the event would be lost silently: stop; a restart retries it.
        (error: Error) => this.fail(new Error(`dead-letter sink failed: ${error.message}`)),
      );
    };

    const onFrame = (frame: SseFrame) => {
      this.stats.received++; // the received/published counters read stats when scraped
      lastMessageAt = frame.receivedAt;
      const result = projectData(frame.data);
      if (result.kind === "drop") {
        metrics.dropped.inc({ reason: result.reason });
        this.stats[result.reason]++;
        if (result.reason === "malformed") {
          this.malformedSeen++;
          if (this.malformedSeen <= 5 || this.malformedSeen % 1000 === 0) {
            logger.warn(
              { detail: result.detail, sample: frame.data.slice(0, 300), malformedSoFar: this.malformedSeen },
              "skipping malformed event",
            );
          }
        }
        tracker.complete(tracker.begin(frame.lastEventId));
        return;
      }
      const row = result.row;
      const seq = tracker.begin(frame.lastEventId, row.event_time);
      lastEventTime = row.event_time;
      const data = Buffer.from(result.json);
      const attributes = { event_id: row.event_id };
      const sseId = frame.lastEventId;
      // The event is done (the checkpoint may pass it) when its row and all its page changes are:
      // each published, or refused for good and dead-lettered.
      let publishes = 1;
      const settle = () => {
        if (--publishes === 0) tracker.complete(seq);
      };
      const refuse = (error: PermanentPublishError, bytes: number) =>
        deadLetter(
          {
            reason: error.reason,
            sseId,
            eventId: row.event_id.slice(0, 256),
            eventTime: row.event_time,
            bytes,
            detail: error.message,
            sample: result.json.slice(0, 4096),
          },
          settle,
        );
      if (cdc)
        publishes += cdc.publishChanges(frame.data, row.event_id, (error) => (error ? this.fail(error) : settle()));
      // The callbacks capture two numbers only: the frame's text must not live until the ack.
      const receivedAt = frame.receivedAt;
      const acknowledged = () => {
        const latencyMs = performance.now() - receivedAt;
        this.stats.published++;
        metrics.publishLatency.observe(latencyMs / 1000);
        onAck?.(latencyMs);
        settle();
      };
      if (direct) {
        direct.write({ eventId: row.event_id, sseId, row, json: result.json }, (error, outcome) => {
          if (error) {
            this.stats.failed++;
            metrics.failed.inc();
            this.fail(error);
          } else if (outcome?.kind === "refused") {
            this.stats.refused++;
            if (this.stats.refused <= 5 || this.stats.refused % 1000 === 0)
              logger.error(
                { reason: outcome.reason, sseId, eventId: row.event_id, refusedSoFar: this.stats.refused },
                `BigQuery refused a row; it is in the error table ${tableLabel(config.errorTable)}: ${outcome.detail}`,
              );
            settle();
          } else acknowledged();
        });
        return;
      }
      const unfit = checkMessage(data, attributes);
      if (unfit) {
        refuse(unfit, data.length);
        return;
      }
      const size = data.length;
      publisher!.send(data, attributes, (error) => {
        if (error instanceof PermanentPublishError) {
          refuse(error, size);
          return;
        }
        if (error) {
          this.stats.failed++;
          metrics.failed.inc();
          this.fail(error);
          return;
        }
        acknowledged();
      });
    };

    const sse = new SseClient({
      ...sseConnectionSettings(config),
      lastEventId: checkpoint?.lastEventId,
      since,
      onFrame,
      beforeRead: () => {
        if (sink.hasCapacity && (!cdc || cdc.publisher.hasCapacity)) return undefined;
        metrics.backpressurePauses.inc();
        return cdc
          ? Promise.all([sink.waitForCapacity(), cdc.publisher.waitForCapacity()]).then(() => undefined)
          : sink.waitForCapacity();
      },
      onConnected: (lastEventId) => {
        connected = true;
        logger.info({ lastEventId, connections: sse.connections }, "connected to the event stream");
      },
      onReconnect: (reason, delayMs, detail) => {
        connected = false;
        metrics.reconnects.inc({ reason });
        logger.warn({ reason, delayMs, detail }, "reconnecting to the event stream");
      },
      onOversizeFrame: (id, bytes) => {
        metrics.framesOversize.inc();
        const detail = `SSE frame larger than MAX_FRAME_BYTES (${config.maxFrameBytes}): ${bytes} bytes arrived before the connection was dropped`;
        if (id === undefined) {
          // Without an id the frame cannot be skipped: it comes again and is counted again.
          logger.error({ bytes }, `${detail}; the frame has no id before its data, so it cannot be skipped`);
          return;
        }
        const seq = tracker.begin(id);
        deadLetter({ reason: "oversize_frame", sseId: id, bytes, detail }, () => tracker.complete(seq));
      },
      onRetryAfterClamped: (requestedMs, usedMs) =>
        logger.warn(
          { requestedMs, usedMs },
          `Retry-After of ${requestedMs} ms is outside [BACKOFF_INITIAL_MS, BACKOFF_MAX_MS]: waiting ${usedMs} ms`,
        ),
      logger,
    });

    const signalHandler = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "shutdown requested");
      this.stop(signal);
    };
    if (this.options.handleSignals !== false) {
      process.on("SIGTERM", signalHandler);
      process.on("SIGINT", signalHandler);
    }

    const progress = setInterval(() => {
      logger.info(
        {
          received: this.stats.received,
          inFlight: sink.messages,
          pending: tracker.pending,
          lastEventId: tracker.committed.lastEventId,
        },
        "progress",
      );
    }, 30_000);
    progress.unref();

    this.state = "running";
    const sseDone = sse.run(this.sseAbort.signal).then(
      () => undefined,
      (error: Error) =>
        this.fail(error instanceof SseFatalError ? error : new Error(`event stream failed: ${error.message}`)),
    );

    const reason = await this.stopSignal;
    const stopAt = performance.now();
    this.state = this.fatalError ? "failed" : "stopping";
    this.sseAbort.abort();
    await sseDone;

    // Flush and await what is in flight, within the deadline.
    let timedOut = false;
    const deadline = new Promise<void>((resolve) =>
      setTimeout(() => {
        timedOut = true;
        resolve();
      }, config.shutdownDeadlineMs).unref(),
    );
    const drained = Promise.all([
      sink.flush().then(() => sink.waitForIdle()),
      cdc?.publisher.flush().then(() => cdc.publisher.waitForIdle()),
    ]);
    await Promise.race([drained, deadline]);
    clearInterval(checkpointTimer);
    clearInterval(progress);
    // The final write gets what is left of the deadline (at least 1 s): a hanging mount cannot hold the exit.
    const saveBudget = Math.max(1000, config.shutdownDeadlineMs - (performance.now() - stopAt));
    let saveTimer: NodeJS.Timeout | undefined;
    const finalSaved = await Promise.race([
      saveCheckpoint(true),
      new Promise<boolean>((resolve) => (saveTimer = setTimeout(() => resolve(false), saveBudget))),
    ]);
    clearTimeout(saveTimer);
    if (!finalSaved && this.stats.checkpointFailures === 0) {
      this.stats.checkpointFailures++;
      metrics.checkpointFailures.inc();
    }
    await Promise.race([
      Promise.all([sink.close(), publisher || !cdc ? undefined : cdc.publisher.close()]).catch(() => undefined),
      new Promise((r) => setTimeout(r, 2000).unref()),
    ]);
    await metricsServer?.close();
    // A call still blocked in the helper must not hold the exit.
    fsCalls.close();
    // Only now: a second SIGTERM while clients close must not kill the process with the default action.
    if (this.options.handleSignals !== false) {
      process.off("SIGTERM", signalHandler);
      process.off("SIGINT", signalHandler);
    }

    const summary = {
      reason,
      received: this.stats.received,
      published: this.stats.published,
      failed: this.stats.failed,
      deadLettered: this.stats.deadLettered,
      refused: direct ? this.stats.refused : undefined,
      checkpointFailures: this.stats.checkpointFailures,
      inFlightAbandoned: sink.messages + (cdc?.publisher.messages ?? 0),
      cdc: cdc?.stats,
      lastEventId: tracker.committed.lastEventId,
      checkpointSaved: finalSaved,
    };
    if (this.fatalError) {
      this.state = "failed";
      logger.error(summary, `stopped after a fatal error: ${this.fatalError.message}`);
      return 2;
    }
    if (timedOut && sink.messages + (cdc?.publisher.messages ?? 0) > 0) {
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
