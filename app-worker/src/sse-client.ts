/**
 * A resumable Server-Sent Events client on Node's `fetch` and a bounded byte-level parser
 * (`sse-parser.ts`).
 *
 * - Sends `Last-Event-ID` (the id of the last complete frame received, initially the checkpoint)
 *   on every connection; without one, adds `?since=` when a start time is configured. The id is
 *   sent UTF-8 encoded, as browsers' EventSource does (Node's `Headers` refuses characters above
 *   U+00FF as they are); an id no header can carry (control characters, surrounding blanks) is
 *   never adopted: its event is delivered with the previous id, and reported to `onEventId`.
 * - Reconnects with exponential backoff and jitter after network errors, 5xx, 408 and 429
 *   (a `Retry-After` header sets the delay, clamped to [backoffInitialMs, backoffMaxMs]), end of
 *   stream, `event: error` frames and the progress watchdog: no `message` event for
 *   `idleTimeoutMs` (comments and keep-alives do not count); any other 4xx/3xx, and a request
 *   header Node refuses, throw {@link SseFatalError}. An error response's body is read at most
 *   {@link ERROR_BODY_BYTES} far, then cancelled.
 * - A frame larger than `maxFrameBytes` is never buffered. With its id known (before its data), it
 *   is reported to `onOversizeFrame`, its id becomes the resume point, and the rest of it is
 *   discarded as it arrives, on the same connection. Its id is remembered: a copy the server
 *   replays later (a resume at or just before that id) is discarded the same way and reported to
 *   `onOversizeReplay`, not again to `onOversizeFrame`. Without an id the connection is dropped
 *   (the frame cannot be skipped: it comes again).
 * - Nothing grows with the number of connections: each one's listeners and timers are removed
 *   when it ends.
 * - A frame cut by a dropped connection is discarded with the connection's parser; it is
 *   received again after the reconnect because its id was never recorded.
 * - Backpressure: `beforeRead` is awaited before each read of the body; while it is pending,
 *   nothing is read (TCP flow control pushes back on the server) and the watchdog is paused.
 */
import { createHash } from "node:crypto";
import { FrameTooLargeError, SseParser } from "./sse-parser";

/** How much of an error response's body is read (for the log), before the rest is cancelled. */
export const ERROR_BODY_BYTES = 300;

/** Oversized frames remembered (by a digest of their id) to recognise a replayed copy. */
const REMEMBERED_OVERSIZE_IDS = 256;

/**
 * The `Last-Event-ID` value for an event id, as `fetch` must be given it: the id's UTF-8 bytes, one
 * character per byte (what EventSource sends; ASCII ids are unchanged); undefined when no header
 * can carry it: control characters (other than tab) or leading/trailing blanks, which `fetch`
 * refuses or strips.
 */
export function lastEventIdHeader(id: string): string | undefined {
  if (/[\u0000-\u0008\u000a-\u001f\u007f]|^[\t ]|[\t ]$/.test(id)) return undefined;
  return /^[\u0000-\u007f]*$/.test(id) ? id : Buffer.from(id, "utf8").toString("latin1");
}

/** A response that retrying will not fix (e.g. 403): the worker stops with this message. */
export class SseFatalError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = "SseFatalError";
  }
}

/** One `message` frame. */
export interface SseFrame {
  readonly data: string;
  /** The stream's last event id after this frame (the frame's own id, or the previous one). */
  readonly lastEventId: string | undefined;
  /** `performance.now()` when the chunk holding the end of this frame arrived. */
  readonly receivedAt: number;
}

export type ReconnectReason =
  "network" | "http_5xx" | "http_429" | "http_408" | "idle" | "eof" | "error_frame" | "oversize_frame";

export interface SseLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface SseClientOptions {
  readonly url: string;
  readonly userAgent: string;
  /** Resume point: sent as `Last-Event-ID`. */
  readonly lastEventId?: string;
  /** ISO-8601 start time, sent as `?since=` while no event id is known. */
  readonly since?: string;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Largest frame buffered. */
  readonly maxFrameBytes: number;
  /** Called synchronously for each complete `message` frame. */
  readonly onFrame: (frame: SseFrame) => void;
  /** Awaited before each read of the body (backpressure). */
  readonly beforeRead?: () => Promise<void> | void;
  /** Called before each reconnection wait. */
  readonly onReconnect?: (reason: ReconnectReason, delayMs: number, detail: string) => void;
  /**
   * Called when a frame exceeds `maxFrameBytes` (`bytes`: what had arrived of it). With an `id`,
   * the rest is discarded and reading goes on; `lastEventId` is the resume point after the frame
   * (the caller records the frame, e.g. in a dead-letter sink). Without one, the connection is dropped.
   */
  readonly onOversizeFrame?: (id: string | undefined, bytes: number, lastEventId: string | undefined) => void;
  /** Called when the server sends again a frame already reported to `onOversizeFrame`: discarded. */
  readonly onOversizeReplay?: (id: string, bytes: number) => void;
  /**
   * Called for an event id that is not ASCII: `utf8` (sent back UTF-8 encoded), or `refused` (no
   * header can carry it: not adopted, the resume point stays at the previous id).
   */
  readonly onEventId?: (handling: "utf8" | "refused", id: string) => void;
  /** Called when a Retry-After outside [backoffInitialMs, backoffMaxMs] is clamped. */
  readonly onRetryAfterClamped?: (requestedMs: number, usedMs: number) => void;
  /** Called when a connection is established (HTTP 200). */
  readonly onConnected?: (lastEventId: string | undefined) => void;
  readonly logger?: SseLogger;
  /** Random source in [0, 1) for jitter. */
  readonly random?: () => number;
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter: uniform in [delay/2, delay], delay = min(max, initial·2^attempt). */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

class Reconnect extends Error {
  constructor(
    public readonly reason: ReconnectReason,
    detail: string,
    public readonly retryAfterMs?: number,
  ) {
    super(detail);
  }
}

export class SseClient {
  private lastId: string | undefined;
  private serverRetryMs: number | undefined;
  /** Digests of the ids of the oversized frames reported, oldest first (a bounded FIFO). */
  private readonly oversizeIds = new Set<string>();
  /** Connections opened (HTTP 200), for tests and metrics. */
  public connections = 0;

  constructor(private readonly options: SseClientOptions) {
    this.lastId = options.lastEventId;
  }

  /** The last event id received (what the next connection sends). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Runs until `signal` is aborted (resolves) or a fatal response (rejects with {@link SseFatalError}). */
  async run(signal: AbortSignal): Promise<void> {
    const random = this.options.random ?? Math.random;
    let attempt = 0;
    while (!signal.aborted) {
      let framesThisConnection = 0;
      try {
        await this.connectOnce(signal, () => framesThisConnection++);
        if (signal.aborted) return;
        throw new Reconnect("eof", "the server ended the stream");
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof SseFatalError) throw error;
        const reconnect =
          error instanceof Reconnect ? error : new Reconnect("network", (error as Error).message ?? String(error));
        if (framesThisConnection > 0) attempt = 0;
        let delay = backoffDelay(
          attempt,
          Math.max(this.options.backoffInitialMs, this.serverRetryMs ?? 0),
          this.options.backoffMaxMs,
          random,
        );
        if (reconnect.retryAfterMs !== undefined) {
          const { backoffInitialMs, backoffMaxMs } = this.options;
          delay = Math.min(backoffMaxMs, Math.max(backoffInitialMs, reconnect.retryAfterMs));
          if (delay !== reconnect.retryAfterMs) this.options.onRetryAfterClamped?.(reconnect.retryAfterMs, delay);
        }
        if (reconnect.reason === "oversize_frame") delay = Math.min(delay, this.options.backoffInitialMs);
        attempt++;
        this.options.onReconnect?.(reconnect.reason, delay, reconnect.message);
        await sleep(delay, signal);
      }
    }
  }

  private requestUrl(): string {
    if (this.lastId !== undefined || !this.options.since) return this.options.url;
    const url = new URL(this.options.url);
    url.searchParams.set("since", this.options.since);
    return url.toString();
  }

  private async connectOnce(outer: AbortSignal, countFrame: () => void): Promise<void> {
    const controller = new AbortController();
    const abortAll = () => controller.abort();
    outer.addEventListener("abort", abortAll, { once: true });
    const watchdog = new Watchdog(this.options.connectTimeoutMs, controller);
    try {
      const body = await this.open(controller.signal, watchdog);
      this.connections++;
      this.options.onConnected?.(this.lastId);
      watchdog.arm(this.options.idleTimeoutMs);
      await this.readBody(body, outer, watchdog, countFrame);
    } finally {
      watchdog.stop();
      outer.removeEventListener("abort", abortAll);
      controller.abort();
    }
  }

  /** The request's headers; a value Node refuses (above Latin-1) is fatal: retrying cannot help. */
  private requestHeaders(): Headers {
    const headers: Record<string, string> = {
      accept: "text/event-stream",
      "user-agent": this.options.userAgent,
      "cache-control": "no-cache",
    };
    if (this.lastId !== undefined) {
      // Only a checkpoint written elsewhere can hold an id no header carries (ids received are checked).
      const value = lastEventIdHeader(this.lastId);
      if (value === undefined)
        throw new SseFatalError(
          `request header last-event-id ${JSON.stringify(this.lastId)} is not a valid HTTP header value (control characters or surrounding blanks) — not retrying`,
        );
      headers["last-event-id"] = value;
    }
    // Node refuses header values above Latin-1 before sending anything: retrying cannot help.
    try {
      return new Headers(headers);
    } catch (error) {
      const bad = Object.entries(headers).find(([name, value]) => {
        try {
          new Headers({ [name]: value });
          return false;
        } catch {
          return true;
        }
      });
      throw new SseFatalError(
        `request header ${bad?.[0] ?? "?"} ${JSON.stringify(bad?.[1] ?? "")} is not a valid HTTP header value (${(error as Error).message}) — not retrying`,
      );
    }
  }

  /** Sends the request; resolves with the body of a 200, throws a {@link Reconnect} or an {@link SseFatalError} otherwise. */
  private async open(signal: AbortSignal, watchdog: Watchdog): Promise<ReadableStream<Uint8Array>> {
    const headers = this.requestHeaders();
    let response: Response;
    try {
      response = await fetch(this.requestUrl(), { headers, signal, redirect: "follow" });
    } catch (error) {
      if (watchdog.fired) throw new Reconnect("network", `no response within ${this.options.connectTimeoutMs} ms`);
      throw error;
    }
    if (response.status !== 200) throw await this.refusal(response);
    if (!response.body) throw new Reconnect("network", "response has no body");
    return response.body;
  }

  /** What a response other than 200 means: retry (429, 5xx with their Retry-After; 408), or stop. */
  private async refusal(response: Response): Promise<Reconnect | SseFatalError> {
    const body = (await errorBodyStart(response)).replace(/\s+/g, " ").trim();
    const detail = `HTTP ${response.status} from ${this.options.url}${body ? `: ${body}` : ""}`;
    if (response.status === 429)
      return new Reconnect("http_429", detail, parseRetryAfter(response.headers.get("retry-after")));
    if (response.status >= 500)
      return new Reconnect("http_5xx", detail, parseRetryAfter(response.headers.get("retry-after")));
    if (response.status === 408) return new Reconnect("http_408", detail);
    return new SseFatalError(
      `${detail} — not retrying${response.status === 403 ? " (Wikimedia answers 403 to requests without a descriptive USER_AGENT)" : ""}`,
      response.status,
    );
  }

  /**
   * Reads the body until it ends, the stream is stopped or the connection must be dropped (an
   * error frame, an oversize frame, the watchdog): message frames go to `onFrame`.
   */
  private async readBody(
    body: ReadableStream<Uint8Array>,
    outer: AbortSignal,
    watchdog: Watchdog,
    countFrame: () => void,
  ): Promise<void> {
    let errorFrame: string | undefined;
    let receivedAt = 0;
    let sawMessage = false;
    const parser = new SseParser(this.options.maxFrameBytes, {
      onEvent: (event) => {
        // After an error frame this connection is abandoned: later frames of the same read are
        // not delivered and must not move the resume point either.
        if (errorFrame !== undefined) return;
        if (event.event === "error") {
          errorFrame = event.data;
          return;
        }
        // The parser decodes each id from the bytes: a small string of its own, safe to keep
        // until the event's publish is acknowledged.
        if (event.id !== undefined && event.id !== this.lastId) this.adopt(event.id);
        if (event.data === "" || (event.event !== undefined && event.event !== "message")) return;
        sawMessage = true;
        countFrame();
        this.options.onFrame({ data: event.data, lastEventId: this.lastId, receivedAt });
      },
      onRetry: (ms) => {
        this.serverRetryMs = ms;
      },
      onOversize: (id, bytes) => {
        if (errorFrame === undefined) this.oversize(id, bytes);
      },
    });
    // Removed when this connection ends: a listener per connection would pile up on `outer`.
    let onStop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      onStop = resolve;
      if (outer.aborted) resolve();
      else outer.addEventListener("abort", onStop, { once: true });
    });
    const reader = body.getReader();
    try {
      for (;;) {
        if (this.options.beforeRead) {
          const wait = this.options.beforeRead();
          if (wait) {
            watchdog.pause();
            // A shutdown must not wait for capacity (Pub/Sub may be the thing that is down).
            await Promise.race([wait, stopped]);
            if (outer.aborted) return;
            watchdog.arm(this.options.idleTimeoutMs);
          }
        }
        const { done, value } = await reader.read();
        if (done) break;
        receivedAt = performance.now();
        try {
          parser.feed(value);
        } catch (error) {
          if (!(error instanceof FrameTooLargeError)) throw error;
          // Only a frame without an id before its data gets here: it cannot be skipped, it comes again.
          this.options.onOversizeFrame?.(error.id, error.bytes, this.lastId);
          throw new Reconnect("oversize_frame", error.message);
        }
        // Only message events are progress: comments and keep-alives do not re-arm the watchdog.
        if (sawMessage) {
          sawMessage = false;
          watchdog.refresh();
        }
        if (errorFrame !== undefined)
          throw new Reconnect("error_frame", `event: error frame: ${errorFrame.slice(0, 300)}`);
        if (outer.aborted) return;
      }
    } catch (error) {
      if (watchdog.fired) throw watchdog.fired;
      throw error;
    } finally {
      outer.removeEventListener("abort", onStop);
      reader.cancel().catch(() => undefined);
    }
  }

  /** Makes `id` the resume point, unless no header can carry it back. */
  private adopt(id: string): void {
    const header = lastEventIdHeader(id);
    if (header !== id) this.options.onEventId?.(header === undefined ? "refused" : "utf8", id);
    if (header !== undefined) this.lastId = id;
  }

  /** An oversized frame with an id (its rest is being discarded): reported once, then its replays recognised. */
  private oversize(id: string, bytes: number): void {
    // Either way the resume point moves past the frame.
    if (id !== this.lastId) this.adopt(id);
    const key = createHash("sha256").update(id).digest("base64");
    if (this.oversizeIds.has(key)) {
      this.options.onOversizeReplay?.(id, bytes);
      return;
    }
    this.oversizeIds.add(key);
    if (this.oversizeIds.size > REMEMBERED_OVERSIZE_IDS)
      this.oversizeIds.delete(this.oversizeIds.values().next().value!);
    this.options.onOversizeFrame?.(id, bytes, this.lastId);
  }
}

/** At most {@link ERROR_BODY_BYTES} of an error response's body, as text; the rest is cancelled, never read. */
async function errorBodyStart(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
    }
  } catch {
    // A body cut short (or the connect timeout) still leaves the status to act on.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks)
    .subarray(0, ERROR_BODY_BYTES)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
}

/**
 * Drops a connection that makes no progress: no response within the connect timeout, then no
 * message event within the idle timeout (paused while reading waits for capacity).
 */
class Watchdog {
  /** Why the connection was dropped, once the watchdog fired. */
  public fired: Reconnect | undefined;
  private timer: NodeJS.Timeout;

  constructor(
    private ms: number,
    private readonly controller: AbortController,
  ) {
    this.timer = setTimeout(this.onTimeout, ms);
  }

  private readonly onTimeout = () => {
    this.fired = new Reconnect("idle", `no message event for ${this.ms} ms`);
    this.controller.abort();
  };

  /** Restarts the countdown at `ms`. */
  arm(ms: number): void {
    clearTimeout(this.timer);
    this.ms = ms;
    this.timer = setTimeout(this.onTimeout, ms);
  }

  /** Restarts the countdown with the same time (progress was made). */
  refresh(): void {
    this.timer.refresh();
  }

  pause(): void {
    clearTimeout(this.timer);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
