/**
 * Checkpointing: the SSE id of the last event that was fully handled (published and
 * acknowledged, or deliberately dropped) with every earlier event also fully handled.
 *
 * - {@link AckTracker} keeps events in arrival order and advances only across a contiguous
 *   prefix of completed events, so a crash replays from the checkpoint instead of losing.
 * - {@link FileCheckpointStore} persists it atomically (temp file, fsync, rename). On Cloud Run
 *   the file lives on a Cloud Storage volume mount, so the checkpoint is a GCS object.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** What is persisted. */
export interface Checkpoint {
  /** The SSE `id` (for Wikimedia: a JSON array of topic/partition/timestamp or offset). */
  readonly lastEventId: string;
  /** event_time of that event, when known (for humans). */
  readonly eventTime?: string;
  /** When this checkpoint was written. */
  readonly updatedAt: string;
}

/** Raised when the checkpoint file exists but cannot be used. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** Reads and writes the checkpoint file. */
export class FileCheckpointStore {
  constructor(public readonly file: string) {}

  /** The stored checkpoint, or undefined when there is none yet. */
  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new CheckpointError(`cannot read checkpoint ${this.file}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CheckpointError(`checkpoint ${this.file} is not valid JSON; fix or delete it to start from the live stream`);
    }
    const value = parsed as Partial<Checkpoint>;
    if (typeof value !== "object" || value === null || typeof value.lastEventId !== "string") {
      throw new CheckpointError(`checkpoint ${this.file} has no string "lastEventId"; fix or delete it`);
    }
    return { lastEventId: value.lastEventId, eventTime: value.eventTime, updatedAt: String(value.updatedAt ?? "") };
  }

  /** Writes atomically: a reader sees the old or the new checkpoint, never a torn one. */
  async save(checkpoint: Checkpoint): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    const handle = await fs.promises.open(temp, "w");
    try {
      await handle.writeFile(`${JSON.stringify(checkpoint)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, this.file);
  }
}

interface Entry {
  done: boolean;
  readonly lastEventId: string | undefined;
  readonly eventTime: string | undefined;
}

/**
 * Tracks events in arrival order. `begin` registers an event and returns a token; `complete`
 * marks it done. `committed` is the id of the newest event such that it and every earlier
 * event are done.
 */
export class AckTracker {
  private readonly entries: (Entry | undefined)[] = [];
  private head = 0;
  private nextSeq = 0;
  private committedId: string | undefined;
  private committedTime: string | undefined;
  private version = 0;

  constructor(initialId?: string) {
    this.committedId = initialId;
  }

  /** Registers the next event (its SSE id as of this frame). */
  begin(lastEventId: string | undefined, eventTime?: string): number {
    const seq = this.nextSeq++;
    this.entries.push({ done: false, lastEventId, eventTime });
    return seq;
  }

  /** Marks an event done and advances the committed position across the contiguous prefix. */
  complete(seq: number): void {
    const entry = this.entries[seq - this.base];
    if (!entry) return;
    entry.done = true;
    let advanced = false;
    while (this.head < this.entries.length && this.entries[this.head]?.done) {
      const head = this.entries[this.head]!;
      if (head.lastEventId !== undefined) {
        this.committedId = head.lastEventId;
        this.committedTime = head.eventTime ?? this.committedTime;
      }
      this.entries[this.head] = undefined;
      this.head++;
      advanced = true;
    }
    if (advanced) {
      this.version++;
      if (this.head > 4096 && this.head * 2 > this.entries.length) {
        this.entries.splice(0, this.head);
        this.base += this.head;
        this.head = 0;
      }
    }
  }

  private base = 0;

  /** Events begun and not yet part of the committed prefix. */
  get pending(): number {
    return this.entries.length - this.head;
  }

  /** The committed SSE id (undefined until the first event with an id completes). */
  get committed(): { lastEventId: string | undefined; eventTime: string | undefined; version: number } {
    return { lastEventId: this.committedId, eventTime: this.committedTime, version: this.version };
  }
}
