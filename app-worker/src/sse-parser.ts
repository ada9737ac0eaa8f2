/**
 * A bounded Server-Sent Events parser working on bytes (the event-stream format of the HTML
 * standard: lines end in LF, CRLF or CR; fields `event`, `data`, `id`, `retry`; `:` comments;
 * a blank line dispatches).
 *
 * Bounded: a frame (its lines so far plus an unterminated line) larger than `maxFrameBytes` is
 * never buffered. When its id line came before the overflow (Wikimedia sends `id` before `data`)
 * and the caller handles `onOversize`, the frame is reported there and the rest of it is discarded
 * as it arrives (counted, never kept), up to the blank line that ends it: parsing goes on with the
 * next frame on the same connection. Otherwise {@link FrameTooLargeError} is thrown, carrying the
 * frame's id when known.
 * Lines are decoded one by one from the bytes, so no string ever holds a whole network chunk.
 */

/** One dispatched event. */
export interface ParsedEvent {
  /** The `event` field, undefined for the default type (`message`). */
  readonly event: string | undefined;
  readonly data: string;
  /** The `id` field of this frame, when it had one. */
  readonly id: string | undefined;
}

export interface SseParserHandlers {
  onEvent(event: ParsedEvent): void;
  /** A `retry:` field with a valid integer. */
  onRetry?(ms: number): void;
  /** A `:` comment line (keep-alive). */
  onComment?(): void;
  /**
   * A frame with a known id grew past the bound: called once, when it does; the rest of the frame
   * is then discarded without buffering and no event is dispatched for it.
   * @default - none: {@link FrameTooLargeError} is thrown instead
   */
  onOversize?(id: string, bytes: number): void;
}

/** A frame grew past the bound; `id` is its id when already seen, `bytes` what had arrived of it. */
export class FrameTooLargeError extends Error {
  constructor(
    public readonly id: string | undefined,
    public readonly bytes: number,
    public readonly maxFrameBytes: number,
  ) {
    super(
      `SSE frame${id === undefined ? "" : ` ${id}`} exceeds MAX_FRAME_BYTES (${bytes} bytes received, at most ${maxFrameBytes})`,
    );
    this.name = "FrameTooLargeError";
  }
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

export class SseParser {
  /** Pieces of a line not yet terminated (subarrays of earlier chunks). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Bytes of the complete lines of the frame being read. */
  private frameBytes = 0;
  private data: string | undefined;
  private eventType: string | undefined;
  private frameId: string | undefined;
  /** The previous chunk ended in CR: a leading LF of the next chunk belongs to it. */
  private skipLf = false;
  private first = true;
  /** The rest of an oversized frame is being discarded (up to its blank line). */
  private discarding = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly handlers: SseParserHandlers,
  ) {}

  /** Parses one chunk; dispatches events synchronously. Throws {@link FrameTooLargeError}. */
  feed(chunk: Uint8Array): void {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.first && buf.length > 0) {
      this.first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    let pos = 0;
    if (this.skipLf && buf.length > 0) {
      if (buf[0] === LF) pos = 1;
      this.skipLf = false;
    }
    // The next CR is looked up once and reused, so a stream without CRs costs one scan per chunk.
    let nextCr = buf.indexOf(CR, pos);
    while (pos < buf.length) {
      const lf = buf.indexOf(LF, pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = buf.indexOf(CR, pos);
      let end: number;
      let next: number;
      if (nextCr !== -1 && (lf === -1 || nextCr < lf)) {
        end = nextCr;
        if (nextCr + 1 < buf.length) next = buf[nextCr + 1] === LF ? nextCr + 2 : nextCr + 1;
        else {
          next = nextCr + 1;
          this.skipLf = true;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        // An unterminated line: keep it only while the frame stays within the bound.
        const rest = buf.length - pos;
        if (!this.discarding && this.frameBytes + this.partialBytes + rest > this.maxFrameBytes) this.tooLarge(rest);
        // Discarding: the line's bytes are counted (to tell an empty line), never kept.
        if (!this.discarding) this.partial.push(buf.subarray(pos));
        this.partialBytes += rest;
        return;
      }
      const length = end - pos + this.partialBytes;
      if (!this.discarding && this.frameBytes + length > this.maxFrameBytes) this.tooLarge(end - pos);
      if (this.discarding) {
        // Only the blank line that ends the oversized frame matters.
        if (length === 0) this.discarding = false;
        this.partialBytes = 0;
        pos = next;
        continue;
      }
      if (this.partialBytes > 0) {
        this.partial.push(buf.subarray(pos, end));
        const line = Buffer.concat(this.partial, length);
        this.partial = [];
        this.partialBytes = 0;
        this.line(line, 0, line.length);
      } else this.line(buf, pos, end);
      pos = next;
    }
  }

  /** Forgets a partly received frame (a new connection starts clean). */
  reset(): void {
    this.discarding = false;
    this.partial = [];
    this.partialBytes = 0;
    this.frameBytes = 0;
    this.data = undefined;
    this.eventType = undefined;
    this.frameId = undefined;
    this.skipLf = false;
    this.first = true;
  }

  /**
   * The frame passed the bound: with its id known and an `onOversize` handler, reported and its rest
   * discarded (what is buffered of it is let go now); otherwise thrown.
   */
  private tooLarge(extra: number): void {
    const { frameId, handlers } = this;
    const bytes = this.frameBytes + this.partialBytes + extra;
    if (frameId === undefined || !handlers.onOversize) {
      this.reset();
      throw new FrameTooLargeError(frameId, bytes, this.maxFrameBytes);
    }
    this.partial = [];
    this.data = undefined;
    this.eventType = undefined;
    this.frameId = undefined;
    this.frameBytes = 0;
    this.discarding = true;
    handlers.onOversize(frameId, bytes);
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (start === end) {
      this.dispatch();
      return;
    }
    this.frameBytes += end - start + 1;
    if (buf[start] === COLON) {
      this.handlers.onComment?.();
      return;
    }
    let colon = buf.indexOf(COLON, start);
    if (colon === -1 || colon > end) colon = end;
    const name = buf.toString("latin1", start, colon);
    let valueStart = colon + 1;
    if (valueStart < end && buf[valueStart] === SPACE) valueStart++;
    if (valueStart > end) valueStart = end;
    switch (name) {
      case "data": {
        const value = buf.toString("utf8", valueStart, end);
        this.data = this.data === undefined ? value : `${this.data}\n${value}`;
        break;
      }
      case "event":
        this.eventType = buf.toString("utf8", valueStart, end);
        break;
      case "id": {
        const value = buf.toString("utf8", valueStart, end);
        if (!value.includes("\u0000")) this.frameId = value;
        break;
      }
      case "retry": {
        const value = buf.toString("latin1", valueStart, end);
        if (/^[0-9]+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      }
      default:
      // Unknown fields are ignored, as the standard says.
    }
  }

  private dispatch(): void {
    const { data, eventType, frameId } = this;
    this.data = undefined;
    this.eventType = undefined;
    this.frameId = undefined;
    this.frameBytes = 0;
    if (data === undefined && frameId === undefined) return;
    this.handlers.onEvent({ event: eventType === "" ? undefined : eventType, data: data ?? "", id: frameId });
  }
}
