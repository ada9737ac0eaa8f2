/**
 * When the worker writes its checkpoint: every `CHECKPOINT_INTERVAL_MS` while it runs (when the
 * committed position moved), and once more at shutdown. Writes never overlap; a failed write is not
 * fatal while running (counted, logged at error; the next one retries, and /healthz fails once
 * it lasts), and another instance writing at the same time is not a failure.
 */
import { performance } from "node:perf_hooks";
import { AckTracker, FileCheckpointStore } from "./checkpoint";

/** Counts the schedule keeps up to date: the worker's plain counts, and its Prometheus counters. */
export interface CheckpointCounts {
  readonly stats: { checkpointWrites: number; checkpointFailures: number };
  readonly metrics: { readonly checkpointWrites: { inc(): void }; readonly checkpointFailures: { inc(): void } };
}

export interface CheckpointLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export class CheckpointSchedule {
  private savedVersion: number;
  private saving: Promise<boolean> = Promise.resolve(true);
  private timer: NodeJS.Timeout | undefined;
  /** `performance.now()` of the last successful write (or of the start). */
  public lastWrittenAt = performance.now();

  constructor(
    private readonly tracker: AckTracker,
    private readonly store: FileCheckpointStore,
    private readonly counts: CheckpointCounts,
    private readonly logger: CheckpointLogger,
  ) {
    this.savedVersion = tracker.committed.version;
  }

  /** Whether the committed position moved since the last write. */
  get unsaved(): boolean {
    return this.tracker.committed.version !== this.savedVersion;
  }

  /** Writes every `intervalMs` from now on (the timer does not hold the process). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.save(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Writes the checkpoint when it moved; resolves false when the write failed (`final`: retries a busy store). */
  save(final = false): Promise<boolean> {
    this.saving = this.saving.then(() => this.write(final));
    return this.saving;
  }

  private async write(final: boolean): Promise<boolean> {
    const { lastEventId, eventTime, version } = this.tracker.committed;
    if (version === this.savedVersion || lastEventId === undefined) return true;
    const { stats, metrics } = this.counts;
    try {
      let outcome = await this.store.save({ lastEventId, eventTime, updatedAt: new Date().toISOString() });
      // Another instance is writing right now: not a failure; the next interval tries again,
      // the final write a few times right away.
      for (let attempt = 0; final && outcome === "busy" && attempt < 20; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        outcome = await this.store.save({ lastEventId, eventTime, updatedAt: new Date().toISOString() });
      }
      if (outcome === "busy") return false;
      if (outcome === "superseded")
        this.logger.warn(
          { lastEventId },
          "the stored checkpoint is ahead of this worker's (another instance wrote it): left as is",
        );
      this.savedVersion = version;
      this.lastWrittenAt = performance.now();
      stats.checkpointWrites++;
      metrics.checkpointWrites.inc();
      return true;
    } catch (error) {
      // Not fatal while running: the next write retries, a crash before it replays a little
      // more. Loud: counted, logged at error, and /healthz fails once it lasts.
      stats.checkpointFailures++;
      metrics.checkpointFailures.inc();
      this.logger.error(
        { err: (error as Error).message, failures: stats.checkpointFailures },
        "checkpoint write failed",
      );
      return false;
    }
  }
}
