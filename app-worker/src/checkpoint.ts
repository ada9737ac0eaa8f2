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
      throw new CheckpointError(
        `checkpoint ${this.file} is not valid JSON; fix or delete it to start from the live stream`,
      );
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

/**
 * Tracks events in arrival order. `begin` registers an event and returns a token; `complete`
 * marks it done. `committed` is the id of the newest event such that it and every earlier
 * event are done.
 *
 * A ring buffer of parallel arrays indexed by sequence number: O(1) per event, no object per
 * event; it doubles when more events are pending than it holds (bounded by the in-flight limit).
 */
export class AckTracker {
  private capacity = 1024;
  private mask = this.capacity - 1;
  private done = new Uint8Array(this.capacity);
  private ids: (string | undefined)[] = new Array(this.capacity).fill(undefined);
  private times: (string | undefined)[] = new Array(this.capacity).fill(undefined);
  /** Sequence number of the oldest event not yet committed. */
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
    if (this.nextSeq - this.head === this.capacity) this.grow();
    const seq = this.nextSeq++;
    const slot = seq & this.mask;
    this.done[slot] = 0;
    this.ids[slot] = lastEventId;
    this.times[slot] = eventTime;
    return seq;
  }

  /** Marks an event done and advances the committed position across the contiguous prefix. */
  complete(seq: number): void {
    if (seq < this.head || seq >= this.nextSeq) return;
    const { mask, done, ids, times } = this;
    done[seq & mask] = 1;
    if (seq !== this.head) return;
    let head = this.head;
    while (head < this.nextSeq && done[head & mask] === 1) {
      const slot = head & mask;
      const id = ids[slot];
      if (id !== undefined) {
        this.committedId = id;
        this.committedTime = times[slot] ?? this.committedTime;
      }
      done[slot] = 0;
      ids[slot] = undefined;
      times[slot] = undefined;
      head++;
    }
    this.head = head;
    this.version++;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const mask = capacity - 1;
    const done = new Uint8Array(capacity);
    const ids: (string | undefined)[] = new Array(capacity).fill(undefined);
    const times: (string | undefined)[] = new Array(capacity).fill(undefined);
    for (let seq = this.head; seq < this.nextSeq; seq++) {
      const from = seq & this.mask;
      done[seq & mask] = this.done[from];
      ids[seq & mask] = this.ids[from];
      times[seq & mask] = this.times[from];
    }
    Object.assign(this, { capacity, mask, done, ids, times });
  }

  /** Events begun and not yet part of the committed prefix. */
  get pending(): number {
    return this.nextSeq - this.head;
  }

  /** The committed SSE id (undefined until the first event with an id completes). */
  get committed(): { lastEventId: string | undefined; eventTime: string | undefined; version: number } {
    return { lastEventId: this.committedId, eventTime: this.committedTime, version: this.version };
  }
}
