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
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

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
 * Runs filesystem calls with a timeout each. Node cannot cancel a call blocked in the kernel (a
 * hanging FUSE mount): it keeps a libuv thread until it returns. So while one timed-out call is
 * still blocked, every later call fails at once instead of piling more blocked threads up.
 */
export class TimedFs {
  private blocked: { what: string; since: number } | undefined;

  constructor(private readonly timeoutMs: number) {}

  async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.blocked) {
      throw new CheckpointError(
        `${what}: an earlier filesystem call (${this.blocked.what}) has been blocked for ${Date.now() - this.blocked.since} ms`,
      );
    }
    const started = Date.now();
    const running = operation();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      return await Promise.race([
        running,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new CheckpointError(`${what}: no answer within ${this.timeoutMs} ms (CHECKPOINT_TIMEOUT_MS)`));
          }, this.timeoutMs);
          timer.unref();
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (timedOut) {
        this.blocked = { what, since: started };
        running.then(
          () => (this.blocked = undefined),
          () => (this.blocked = undefined),
        );
      }
    }
  }
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
        const kind = typeof p.offset === "number" ? "offset" : typeof p.timestamp === "number" ? "timestamp" : undefined;
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

/** Reads and writes the checkpoint file; every filesystem call has a timeout. */
export class FileCheckpointStore {
  private readonly fsCalls: TimedFs;
  private temps = 0;
  /** Age after which a write lock is considered abandoned by a dead holder. */
  private readonly staleLockMs: number;

  constructor(
    public readonly file: string,
    options: { readonly timeoutMs?: number; readonly instance?: string } = {},
    public readonly instance: string = options.instance ?? instanceId(),
  ) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.fsCalls = new TimedFs(timeoutMs);
    // A holder makes at most eight calls under the lock, each within the timeout.
    this.staleLockMs = Math.max(30_000, 10 * timeoutMs);
  }

  /** The stored checkpoint, or undefined when there is none yet. */
  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await this.fsCalls.call(`reading ${this.file}`, () => fs.promises.readFile(this.file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`cannot read checkpoint ${this.file}: ${(error as Error).message}`);
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
    const call = <T>(what: string, op: () => Promise<T>) => this.fsCalls.call(`${what} ${this.file}`, op);
    const temp = `${this.file}.${this.instance}.${++this.temps}.tmp`;
    const body = `${JSON.stringify({ ...checkpoint, writer: this.instance })}\n`;
    const lock = `${this.file}.lock`;
    let locked = false;
    try {
      await call("creating the folder of", () => fs.promises.mkdir(path.dirname(this.file), { recursive: true }));
      locked = await this.lock(lock, call);
      if (!locked) return "busy";
      const handle = await call("opening a temp file for", () => fs.promises.open(temp, "w"));
      try {
        await call("writing", () => handle.writeFile(body));
        await call("syncing", () => handle.sync());
      } finally {
        await call("closing", () => handle.close()).catch(() => undefined);
      }
      const stored = await this.load().catch(() => undefined);
      if (stored && compareCheckpoints(stored, checkpoint) > 0) {
        await call("removing a temp file of", () => fs.promises.unlink(temp)).catch(() => undefined);
        return "superseded";
      }
      await call("replacing", () => fs.promises.rename(temp, this.file));
      return "written";
    } catch (error) {
      void fs.promises.unlink(temp).catch(() => undefined);
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`cannot write checkpoint ${this.file}: ${(error as Error).message}`);
    } finally {
      if (locked) await call("unlocking", () => fs.promises.rmdir(lock)).catch(() => undefined);
    }
  }

  private async lock(lock: string, call: <T>(what: string, op: () => Promise<T>) => Promise<T>): Promise<boolean> {
    const take = () =>
      call("locking", () => fs.promises.mkdir(lock)).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === "EEXIST") return false;
          throw error;
        },
      );
    if (await take()) return true;
    const stat = await call("checking the lock of", () => fs.promises.stat(lock)).catch(() => undefined);
    if (!stat || Date.now() - stat.mtimeMs < this.staleLockMs) return false;
    await call("removing a stale lock of", () => fs.promises.rmdir(lock)).catch(() => undefined);
    return take();
  }
}

/** One event that can never be published, with what is needed to find it again in the stream. */
export interface DeadLetterRecord {
  /** too_large, attribute_too_large, invalid_argument or oversize_frame. */
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
  private readonly fsCalls: TimedFs;
  private written = 0;

  constructor(
    public readonly folder: string,
    timeoutMs: number,
    private readonly instance: string = instanceId(),
  ) {
    this.fsCalls = new TimedFs(timeoutMs);
  }

  /** Writes the record; resolves with its file name. Rejects with a {@link CheckpointError}. */
  async write(record: DeadLetterRecord): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = path.join(this.folder, `${stamp}-${this.instance}-${++this.written}-${record.reason}.json`);
    const body = `${JSON.stringify({ ...record, writtenAt: new Date().toISOString(), writer: this.instance })}\n`;
    try {
      await this.fsCalls.call(`creating ${this.folder}`, () => fs.promises.mkdir(this.folder, { recursive: true }));
      await this.fsCalls.call(`writing ${file}`, () => fs.promises.writeFile(file, body, { flag: "wx" }));
      return file;
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`cannot write dead-letter record ${file}: ${(error as Error).message}`);
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
