/**
 * Checkpointing: the SSE id of the last event that was fully handled (published and
 * acknowledged, or deliberately dropped) with every earlier event also fully handled.
 *
 * - {@link AckTracker} keeps events in arrival order and advances only across a contiguous
 *   prefix of completed events, so a crash replays from the checkpoint instead of losing.
 * - {@link FileCheckpointStore} persists it atomically (temp file, fsync, rename), with a timeout
 *   on every filesystem call, temp names unique per instance, and never backwards. On Cloud Run
 *   the file lives on a Cloud Storage volume mount, so the checkpoint is a GCS object.
 * - {@link DeadLetterSink} records events that can never be published, beside the checkpoint.
 */
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import { FsCallError, FsProcess } from "./fs-process";

/** What is persisted. */
export interface Checkpoint {
  /** The SSE `id` (for Wikimedia: a JSON array of topic/partition/timestamp or offset). */
  readonly lastEventId: string;
  /** event_time of that event, when known (for humans, and to order ids that do not compare). */
  readonly eventTime?: string;
  /** When this checkpoint was written. */
  readonly updatedAt: string;
  /** Which worker instance wrote it (host, pid, random suffix). */
  readonly writer?: string;
}

/** Raised when the checkpoint cannot be read, written or used. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** A name unique to this process among every instance sharing the checkpoint folder. */
export function instanceId(): string {
  return `${os.hostname().replace(/[^A-Za-z0-9-]/g, "") || "host"}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * Orders two checkpoints: > 0 when `a` is ahead of `b`, < 0 when behind, 0 when the same or not
 * comparable. Wikimedia ids are JSON arrays of `{topic, partition, offset|timestamp}`: compared per
 * topic and partition; otherwise the event times decide.
 */
export function compareCheckpoints(
  a: Pick<Checkpoint, "lastEventId" | "eventTime">,
  b: Pick<Checkpoint, "lastEventId" | "eventTime">,
): number {
  if (a.lastEventId === b.lastEventId) return 0;
  const positions = (id: string): Map<string, number> | undefined => {
    try {
      const parsed = JSON.parse(id) as unknown;
      if (!Array.isArray(parsed)) return undefined;
      const out = new Map<string, number>();
      for (const p of parsed as Record<string, unknown>[]) {
        if (typeof p !== "object" || p === null) return undefined;
        const kind =
          typeof p.offset === "number" ? "offset" : typeof p.timestamp === "number" ? "timestamp" : undefined;
        if (kind === undefined) return undefined;
        out.set(`${String(p.topic)}/${String(p.partition)}/${kind}`, p[kind] as number);
      }
      return out;
    } catch {
      return undefined;
    }
  };
  const pa = positions(a.lastEventId);
  const pb = positions(b.lastEventId);
  if (pa && pb) {
    let sign = 0;
    for (const [key, value] of pa) {
      const other = pb.get(key);
      if (other === undefined || other === value) continue;
      const s = value > other ? 1 : -1;
      if (sign !== 0 && s !== sign) return 0; // ahead on one partition, behind on another
      sign = s;
    }
    if (sign !== 0) return sign;
  }
  if (a.eventTime && b.eventTime && a.eventTime !== b.eventTime) return a.eventTime > b.eventTime ? 1 : -1;
  return 0;
}

/**
 * What {@link FileCheckpointStore.save} did: written; superseded (the stored one is ahead, left as
 * is); busy (another instance holds the write lock: nothing written, try again later).
 */
export type SaveOutcome = "written" | "superseded" | "busy";

/** Wraps a helper error in a {@link CheckpointError} (timeouts already say what blocked). */
function checkpointError(error: unknown, what: string): CheckpointError {
  if (error instanceof CheckpointError) return error;
  return new CheckpointError(`${what}: ${(error as Error).message}`);
}

const code = (error: unknown) => (error instanceof FsCallError ? error.code : undefined);

/** Reads and writes the checkpoint file; every filesystem call has a timeout (see {@link FsProcess}). */
export class FileCheckpointStore {
  private temps = 0;
  /** Age after which a write lock is considered abandoned by a dead holder. */
  private readonly staleLockMs: number;

  constructor(
    public readonly file: string,
    private readonly fsCalls: FsProcess,
    public readonly instance: string = instanceId(),
    timeoutMs = 10_000,
  ) {
    // A holder makes at most eight calls under the lock, each within the timeout.
    this.staleLockMs = Math.max(30_000, 10 * timeoutMs);
  }

  /** The stored checkpoint, or undefined when there is none yet. */
  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await this.fsCalls.call(`reading ${this.file}`, "readFile", this.file);
    } catch (error) {
      if (code(error) === "ENOENT") return undefined;
      throw checkpointError(error, `cannot read checkpoint ${this.file}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CheckpointError(
        `checkpoint ${this.file} is not valid JSON; fix it, or delete it and choose where to start with START`,
      );
    }
    const value = parsed as Partial<Checkpoint>;
    if (typeof value !== "object" || value === null || typeof value.lastEventId !== "string") {
      throw new CheckpointError(`checkpoint ${this.file} has no string "lastEventId"; fix or delete it`);
    }
    return {
      lastEventId: value.lastEventId,
      eventTime: value.eventTime,
      updatedAt: String(value.updatedAt ?? ""),
      writer: value.writer,
    };
  }

  /**
   * Writes atomically (a reader sees the old or the new checkpoint, never a torn one) through a
   * temp file whose name is unique to this instance, and never moves the checkpoint backwards:
   * compare and replace happen under a lock (`<file>.lock`, a folder: `mkdir` either creates it or
   * fails, for one instance only), and when the stored checkpoint is ahead (another instance during
   * a revision overlap) it is left as is ("superseded"). A lock older than `staleLockMs` (its
   * holder died) is taken over.
   */
  async save(checkpoint: Checkpoint): Promise<SaveOutcome> {
    const { file, fsCalls } = this;
    const temp = `${file}.${this.instance}.${++this.temps}.tmp`;
    const body = `${JSON.stringify({ ...checkpoint, writer: this.instance })}\n`;
    const lock = `${file}.lock`;
    let locked = false;
    try {
      await fsCalls.call(`creating the folder of ${file}`, "mkdir", path.dirname(file), true);
      locked = await this.lock(lock);
      if (!locked) return "busy";
      await fsCalls.call(`writing ${temp}`, "writeSynced", temp, body, false);
      const stored = await this.load().catch(() => undefined);
      if (stored && compareCheckpoints(stored, checkpoint) > 0) {
        await fsCalls.call(`removing ${temp}`, "unlink", temp).catch(() => undefined);
        return "superseded";
      }
      await fsCalls.call(`replacing ${file}`, "rename", temp, file);
      return "written";
    } catch (error) {
      void fsCalls.call(`removing ${temp}`, "unlink", temp).catch(() => undefined);
      throw checkpointError(error, `cannot write checkpoint ${file}`);
    } finally {
      if (locked) await fsCalls.call(`unlocking ${file}`, "rmdir", lock).catch(() => undefined);
    }
  }

  private async lock(lock: string): Promise<boolean> {
    const take = () =>
      this.fsCalls.call(`locking ${this.file}`, "mkdir", lock, false).then(
        () => true,
        (error: unknown) => {
          if (code(error) === "EEXIST") return false;
          throw error;
        },
      );
    if (await take()) return true;
    const mtime = await this.fsCalls.call(`checking ${lock}`, "mtime", lock).catch(() => undefined);
    if (mtime === undefined || Date.now() - mtime < this.staleLockMs) return false;
    await this.fsCalls.call(`removing the stale ${lock}`, "rmdir", lock).catch(() => undefined);
    return take();
  }
}

/** One event that can never be published, with what is needed to find it again in the stream. */
export interface DeadLetterRecord {
  /**
   * too_large, attribute_too_large, invalid_argument, unencodable or oversize_frame; for a page change, page_change_too_large,
   * page_change_attribute_too_large or page_change_invalid_argument.
   */
  readonly reason: string;
  /** The SSE id of the event: resuming with it as `Last-Event-ID` starts right after the event. */
  readonly sseId: string | undefined;
  readonly eventId?: string;
  readonly eventTime?: string;
  /** Size of the message or of the frame received, in bytes. */
  readonly bytes: number;
  readonly detail: string;
  /** The start of the message or frame (at most 4 KiB). */
  readonly sample?: string;
}

/** Dead-letter sink: one JSON file per event in a folder (on Cloud Run, objects in the checkpoint bucket). */
export class DeadLetterSink {
  private written = 0;

  constructor(
    public readonly folder: string,
    private readonly fsCalls: FsProcess,
    private readonly instance: string = instanceId(),
  ) {}

  /** Writes the record; resolves with its file name. Rejects with a {@link CheckpointError}. */
  async write(record: DeadLetterRecord): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = path.join(this.folder, `${stamp}-${this.instance}-${++this.written}-${record.reason}.json`);
    const body = `${JSON.stringify({ ...record, writtenAt: new Date().toISOString(), writer: this.instance })}\n`;
    try {
      await this.fsCalls.call(`creating ${this.folder}`, "mkdir", this.folder, true);
      await this.fsCalls.call(`writing ${file}`, "writeSynced", file, body, true);
      return file;
    } catch (error) {
      throw checkpointError(error, `cannot write dead-letter record ${file}`);
    }
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
