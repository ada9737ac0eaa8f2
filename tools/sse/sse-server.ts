/**
 * A local Server-Sent Events server that replays recorded-format recentchange events the
 * way stream.wikimedia.org does: `event: message`, `id: [{"topic":…,"partition":0,"offset":N}]`,
 * `data: <json>`, resuming after the offset in `Last-Event-ID`; after the last event the stream
 * stays open and idle, as the live one does between changes. Scripted faults: HTTP statuses
 * per connection (e.g. Retry-After), connections cut mid-frame, `event: error` frames, pacing,
 * comment-only keep-alives after the last event, a huge unterminated line, custom ids (e.g. characters
 * above U+00FF), and a replay mode that resumes at or just before the position in `Last-Event-ID`
 * (what EventStreams does with timestamp ids) instead of after it. It honours TCP
 * backpressure (waits for `drain`), so a client that stops reading really stalls it.
 * It stands in for the live stream in the worker's tests, its benchmark and the demo.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface SseServerOptions {
  /** The `data` payloads, in stream order (offset = index). */
  events: readonly string[];
  /** Port on 127.0.0.1; `start()` rejects (EADDRINUSE) when it is taken. @default 0 (a free port) */
  port?: number;
  /** Responses for the first connections (index = connection number), before streaming normally. */
  responses?: ScriptedResponse[];
  /** Cut every connection after this many frames, in the middle of the next frame. */
  cutEvery?: number;
  /** Send one `event: error` frame after this many frames (first connection reaching it only). */
  errorFrameAfter?: number;
  /** Events per second (paced); unlimited by default. */
  eventsPerSecond?: number;
  /** Frames per write when unpaced. @default 50 */
  framesPerWrite?: number;
  /** End the response after the last event (default: keep it open, like the live stream). */
  endAtEnd?: boolean;
  /** After the last event, send a `:` comment every this many ms (a connection alive but without events). */
  keepAliveMs?: number;
  /** After the last event, send one `data:` line of this many bytes that never ends (64 KiB per write). */
  unterminatedLineBytes?: number;
  /** Called with the wall time (performance.now()) each frame is written (paced bench). */
  onWrite?: (offset: number) => void;
  /**
   * Hold the stream before the frame at this offset (or at each of these offsets, in turn) until
   * `release()` is called: frames before it are written, the connection stays open and quiet (the
   * demo's pauses at fixed points of the replay).
   */
  holdAt?: number | readonly number[];
  /**
   * Frames re-sent before the resume position: 1 resumes at the frame named by `Last-Event-ID`
   * (EventStreams with timestamp ids: the position's own event comes again), more resumes just before it.
   * @default 0 (resume right after it, as with offset ids)
   */
  replay?: number;
  /** The `id` of the frame at each offset. @default sseId */
  idOf?: (offset: number) => string;
}

export interface RecordedRequest {
  url: string;
  lastEventId?: string;
  userAgent?: string;
  status: number;
  startOffset: number;
}

export function sseId(offset: number): string {
  return JSON.stringify([{ topic: "eqiad.mediawiki.recentchange", partition: 0, offset }]);
}

export function offsetFromId(id: string | undefined): number | undefined {
  if (!id) return undefined;
  try {
    const parsed = JSON.parse(id) as { offset?: number }[];
    const offset = parsed.find((p) => typeof p.offset === "number")?.offset;
    return offset;
  } catch {
    return undefined;
  }
}

export function frame(offset: number, data: string, id = sseId(offset)): string {
  return `event: message\nid: ${id}\ndata: ${data}\n\n`;
}

export class SseServer {
  public readonly requests: RecordedRequest[] = [];
  public url = "";
  private server?: http.Server;
  private readonly sockets = new Set<import("node:net").Socket>();
  private errorFrameSent = false;
  /** Frames written in total (including replays). */
  public framesWritten = 0;
  /** Keep-alive comments written. */
  public commentsWritten = 0;
  /** Bytes of the unterminated line written, over all connections. */
  public hugeBytesWritten = 0;

  private releaseHold: () => void = () => undefined;
  /** The offsets to hold at that the stream has not passed yet, ascending. */
  private readonly holds: number[];
  private held = false;
  private heldOffset = 0;
  private stopped = false;

  /** Frames rendered and UTF-8 encoded once, so serving costs little CPU (the benchmark shares the machine). */
  private readonly frames: Buffer[];

  constructor(private readonly options: SseServerOptions) {
    const idOf = options.idOf ?? sseId;
    this.frames = options.events.map((data, offset) => Buffer.from(frame(offset, data, idOf(offset))));
    const holdAt = options.holdAt;
    this.holds =
      holdAt === undefined ? [] : [...new Set(typeof holdAt === "number" ? [holdAt] : holdAt)].sort((a, b) => a - b);
  }

  /** Starts listening on 127.0.0.1 and resolves with the stream's URL. */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/stream/recentchange`;
    return this.url;
  }

  /** True once the stream has written every frame before the next `holdAt` and waits for `release()`. */
  get holding(): boolean {
    return this.held;
  }

  /** The offset the stream is held at, while `holding`. */
  get heldAt(): number | undefined {
    return this.held ? this.heldOffset : undefined;
  }

  /** Lets the stream continue past the offset it is held at (no effect while it is not held). */
  release(): void {
    this.releaseHold();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.releaseHold();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private drained(res: http.ServerResponse): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const connection = this.requests.length;
    // Node reads header bytes as Latin-1; the client sends the id UTF-8 encoded (as EventSource does).
    const header = req.headers["last-event-id"] as string | undefined;
    const lastEventId = header === undefined ? undefined : Buffer.from(header, "latin1").toString("utf8");
    const resumeAfter = offsetFromId(lastEventId);
    const startOffset = resumeAfter === undefined ? 0 : Math.max(0, resumeAfter + 1 - (this.options.replay ?? 0));
    const scripted = this.options.responses?.[connection];
    this.requests.push({
      url: req.url ?? "",
      lastEventId,
      userAgent: req.headers["user-agent"],
      status: scripted?.status ?? 200,
      startOffset,
    });
    if (scripted) {
      res
        .writeHead(scripted.status, { "content-type": "text/plain", ...scripted.headers })
        .end(scripted.body ?? `status ${scripted.status}\n`);
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    res.write(":ok\n\n");
    const { events, cutEvery, eventsPerSecond } = this.options;
    const perWrite = eventsPerSecond ? 1 : (this.options.framesPerWrite ?? 50);
    let sentThisConnection = 0;
    let offset = startOffset;
    const started = performance.now();
    let closed = false;
    res.on("close", () => (closed = true));
    const holdAt = () => this.holds.find((h) => h >= offset);
    while (offset < events.length && !closed) {
      if (offset === holdAt() && !this.stopped) {
        this.held = true;
        this.heldOffset = offset;
        await new Promise<void>((resolve) => (this.releaseHold = resolve));
        this.held = false;
        this.holds.splice(this.holds.indexOf(offset), 1);
        if (closed) break;
      }
      const parts: Buffer[] = [];
      const first = offset;
      const nextHold = holdAt();
      while (offset < events.length && offset - first < perWrite && (offset === first || offset !== nextHold)) {
        if (cutEvery && sentThisConnection >= cutEvery) {
          // Cut mid-frame: half of the next frame, then drop the connection.
          const partial = this.frames[offset];
          res.write(partial.subarray(0, Math.floor(partial.length / 2)));
          await new Promise((r) => setTimeout(r, 5));
          res.socket?.destroy();
          return;
        }
        if (
          this.options.errorFrameAfter !== undefined &&
          !this.errorFrameSent &&
          offset === this.options.errorFrameAfter
        ) {
          this.errorFrameSent = true;
          parts.push(Buffer.from(`event: error\ndata: {"message":"upstream consumer lagging, reconnect"}\n\n`));
          break;
        }
        parts.push(this.frames[offset]);
        offset++;
        sentThisConnection++;
        if (cutEvery && sentThisConnection % cutEvery === 0) break;
      }
      if (parts.length === 0) continue;
      this.framesWritten += offset - first;
      if (!res.write(parts.length === 1 ? parts[0] : Buffer.concat(parts))) await this.drained(res);
      if (this.options.onWrite) for (let o = first; o < offset; o++) this.options.onWrite(o);
      if (eventsPerSecond) {
        const due = started + (sentThisConnection / eventsPerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
    }
    if (this.options.unterminatedLineBytes && !closed) {
      const piece = Buffer.alloc(64 * 1024, "x");
      res.write("data: ");
      for (let sent = 0; sent < this.options.unterminatedLineBytes && !closed; sent += piece.length) {
        this.hugeBytesWritten += piece.length;
        if (!res.write(piece)) await this.drained(res);
      }
    }
    if (this.options.keepAliveMs && !closed) {
      const timer = setInterval(() => {
        if (closed) clearInterval(timer);
        else {
          res.write(":keep-alive\n\n");
          this.commentsWritten++;
        }
      }, this.options.keepAliveMs);
      res.on("close", () => clearInterval(timer));
    }
    if (this.options.endAtEnd && !closed) res.end();
    // Otherwise keep the connection open and quiet, like the live stream between events.
  }
}
