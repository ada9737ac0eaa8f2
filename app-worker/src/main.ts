/**
 * The worker: SSE → projection → Pub/Sub, with checkpointing, metrics and graceful shutdown.
 *
 * Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT, everything in flight acknowledged and
 * the checkpoint written); 1 for invalid configuration or an unreadable checkpoint; 2 when the
 * worker had to stop (a fatal HTTP response, a publish that failed after retries, or a shutdown
 * that missed its deadline; the checkpoint still only covers acknowledged events).
 */
import { performance } from "node:perf_hooks";
import pino, { Logger } from "pino";
import { PubSub } from "@google-cloud/pubsub";
import { CdcPublisher } from "./cdc-publisher";
import { AckTracker, CheckpointError, FileCheckpointStore } from "./checkpoint";
import { parseConfig, sseConnectionSettings, WorkerConfig } from "./config";
import { startMetricsServer, WorkerMetrics } from "./metrics";
import { projectData } from "./projection";
import { BoundedPublisher } from "./publisher";
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
  public readonly stats = { received: 0, published: 0, failed: 0, canary: 0, malformed: 0 };
  public metricsPort: number | undefined;
  private publisher: BoundedPublisher | undefined;
  /** The page-state (CDC) publisher, when CDC_TOPIC is set. */
  public cdc: CdcPublisher | undefined;

  /** Publishes not yet acknowledged (messages and bytes). */
  get inFlight(): { messages: number; bytes: number } {
    return { messages: this.publisher?.messages ?? 0, bytes: this.publisher?.bytes ?? 0 };
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
    const store = new FileCheckpointStore(config.checkpointPath);
    let checkpoint;
    try {
      checkpoint = await store.load();
    } catch (error) {
      if (error instanceof CheckpointError) {
        logger.error({ err: error.message }, error.message);
        return 1;
      }
      throw error;
    }
    const tracker = new AckTracker(checkpoint?.lastEventId);
    logger.info(
      {
        checkpoint: config.checkpointPath,
        lastEventId: checkpoint?.lastEventId,
        since: checkpoint ? undefined : config.since,
        topic: config.topic,
        project: config.project,
        sseUrl: config.sseUrl,
      },
      checkpoint
        ? "resuming from checkpoint"
        : "no checkpoint: starting from the live stream" + (config.since ? " at SINCE" : ""),
    );

    const publisher = new BoundedPublisher({ ...config, pubsub: this.options.pubsub });
    this.publisher = publisher;
    // Page-state changes (CDC_TOPIC), on the same client: an event is done when all its publishes are.
    const cdc = config.cdcTopic
      ? new CdcPublisher({ ...config, topic: config.cdcTopic, pubsub: publisher.pubsub }, logger)
      : undefined;
    this.cdc = cdc;

    let savedVersion = tracker.committed.version;
    let saving: Promise<void> = Promise.resolve();
    const saveCheckpoint = (): Promise<void> => {
      saving = saving.then(async () => {
        const { lastEventId, eventTime, version } = tracker.committed;
        if (version === savedVersion || lastEventId === undefined) return;
        try {
          await store.save({ lastEventId, eventTime, updatedAt: new Date().toISOString() });
          savedVersion = version;
          metrics.checkpointWrites.inc();
        } catch (error) {
          // Not fatal: the next write retries; a crash before it replays a little more.
          logger.warn({ err: (error as Error).message }, "checkpoint write failed");
        }
      });
      return saving;
    };
    const checkpointTimer = setInterval(() => void saveCheckpoint(), config.checkpointIntervalMs);

    let connected = false;
    const health = () => ({
      healthy: this.state === "starting" || this.state === "running" || this.state === "stopping",
      state: this.state,
      connected,
      inFlightMessages: publisher.messages,
      pendingEvents: tracker.pending,
    });
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
      inFlightMessages: () => publisher.messages,
      inFlightBytes: () => publisher.bytes,
      lastEventTimeMs: () => (lastEventTime === undefined ? undefined : Date.parse(lastEventTime)),
    };
    const onFrame = (frame: SseFrame) => {
      this.stats.received++; // the received/published counters read stats when scraped
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
      // The callback captures two numbers only: the frame's text must not live until the ack.
      const receivedAt = frame.receivedAt;
      let publishes = 1;
      const settle = () => {
        if (--publishes === 0) tracker.complete(seq);
      };
      if (cdc)
        publishes += cdc.publishChanges(frame.data, row.event_id, (error) => (error ? this.fail(error) : settle()));
      publisher.send(data, { event_id: row.event_id }, (error) => {
        if (error) {
          this.stats.failed++;
          metrics.failed.inc();
          this.fail(error);
          return;
        }
        const latencyMs = performance.now() - receivedAt;
        this.stats.published++;
        metrics.publishLatency.observe(latencyMs / 1000);
        onAck?.(latencyMs);
        settle();
      });
    };

    const sse = new SseClient({
      ...sseConnectionSettings(config),
      lastEventId: checkpoint?.lastEventId,
      since: config.since,
      onFrame,
      beforeRead: () => {
        if (publisher.hasCapacity && (!cdc || cdc.publisher.hasCapacity)) return undefined;
        metrics.backpressurePauses.inc();
        return cdc
          ? Promise.all([publisher.waitForCapacity(), cdc.publisher.waitForCapacity()]).then(() => undefined)
          : publisher.waitForCapacity();
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
          inFlight: publisher.messages,
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
      publisher.flush().then(() => publisher.waitForIdle()),
      cdc?.publisher.flush().then(() => cdc.publisher.waitForIdle()),
    ]);
    await Promise.race([drained, deadline]);
    clearInterval(checkpointTimer);
    clearInterval(progress);
    await saveCheckpoint();
    await Promise.race([publisher.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await metricsServer?.close();
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
      inFlightAbandoned: publisher.messages + (cdc?.publisher.messages ?? 0),
      cdc: cdc?.stats,
      lastEventId: tracker.committed.lastEventId,
    };
    if (this.fatalError) {
      this.state = "failed";
      logger.error(summary, `stopped after a fatal error: ${this.fatalError.message}`);
      return 2;
    }
    if (timedOut && publisher.messages + (cdc?.publisher.messages ?? 0) > 0) {
      this.state = "failed";
      logger.error(
        summary,
        `shutdown deadline of ${config.shutdownDeadlineMs} ms passed with publishes in flight; the checkpoint covers only acknowledged events`,
      );
      return 2;
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
