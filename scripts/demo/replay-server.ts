/**
 * A local Server-Sent Events server that replays recorded recentchange events the way
 * stream.wikimedia.org serves them: `id:` (a JSON array of topic/partition/offset), `event: message`,
 * `data:` (the event JSON). It honours `Last-Event-ID`, so a reconnecting worker resumes
 * after the last event it saw; after the last event the stream stays open and idle, as the
 * real one would between changes. Local-only: it stands in for the live stream in the demo.
 */
import * as http from "node:http";

export interface ReplayServer {
  /** URL of the stream, e.g. http://127.0.0.1:PORT/v2/stream/recentchange */
  readonly url: string;
  readonly port: number;
  /** Events sent, over every connection (a resumed connection sends only the rest). */
  readonly sent: number;
  /** Connections opened by clients. */
  readonly connections: number;
  close(): Promise<void>;
}

const TOPIC = "eqiad.mediawiki.recentchange";

/** The SSE id of the event at this offset, in Wikimedia's format. */
export function eventId(offset: number): string {
  return JSON.stringify([{ topic: TOPIC, partition: 0, offset }]);
}

/** The offset after which to resume for a Last-Event-ID header (-1: from the start). */
export function resumeOffset(lastEventId: string | undefined): number {
  if (!lastEventId) return -1;
  try {
    const parsed = JSON.parse(lastEventId) as Array<{ offset?: unknown }>;
    const offset = Array.isArray(parsed) ? parsed[0]?.offset : undefined;
    return typeof offset === "number" && Number.isInteger(offset) ? offset : -1;
  } catch {
    return -1;
  }
}

/** Starts the server on 127.0.0.1 (port 0: any free port). Rejects with EADDRINUSE if the port is taken. */
export function startReplayServer(events: readonly string[], port = 0): Promise<ReplayServer> {
  let sent = 0;
  let connections = 0;
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((request, response) => {
    if (!request.url?.startsWith("/v2/stream/recentchange")) {
      response.writeHead(404).end("not found\n");
      return;
    }
    connections += 1;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    let next = resumeOffset(request.headers["last-event-id"] as string | undefined) + 1;
    const pump = (): void => {
      while (next < events.length) {
        const frame = `id: ${eventId(next)}\nevent: message\ndata: ${events[next]}\n\n`;
        next += 1;
        sent += 1;
        if (!response.write(frame)) {
          response.once("drain", pump); // backpressure: wait for the client to read
          return;
        }
      }
      response.write(":ok\n\n"); // a comment line, as the real stream sends when idle
    };
    pump();
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address() as import("node:net").AddressInfo;
      resolve({
        url: `http://127.0.0.1:${address.port}/v2/stream/recentchange`,
        port: address.port,
        get sent() {
          return sent;
        },
        get connections() {
          return connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
