/**
 * The SSE client against local HTTP servers on 127.0.0.1: error answers with huge bodies,
 * hundreds of reconnections, event ids that cannot be sent back as they are.
 */
import { getEventListeners } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { SseServer, sseId } from "../../tools/sse/sse-server";
import { lastEventIdHeader, ReconnectReason, SseClient, SseClientOptions, SseFatalError } from "../src/sse-client";

/** A server answering every request with `status` and a body of `bodyBytes` (Infinity: never ends); counts what it wrote. */
async function errorServer(status: number, bodyBytes: number) {
  const stats = { written: 0, requests: 0 };
  const piece = Buffer.alloc(64 * 1024, "y");
  const server = http.createServer((_req, res) => {
    stats.requests++;
    res.writeHead(status, { "content-type": "text/plain" });
    res.write(`upstream overloaded, try later `);
    let closed = false;
    res.on("close", () => (closed = true));
    const pump = () => {
      while (!closed && stats.written < bodyBytes) {
        stats.written += piece.length;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      if (!closed) res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, stats, stop };
}

const base = (url: string): SseClientOptions => ({
  url,
  userAgent: "fresh-streams-test/1.0",
  idleTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
  backoffInitialMs: 1,
  backoffMaxMs: 5,
  maxFrameBytes: 1024 * 1024,
  onFrame: () => undefined,
});

describe("error answers are read only a few hundred bytes far", () => {
  test("a 503 with an endless body: reconnect at once, the start of the body in the detail, the rest never read", async () => {
    const server = await errorServer(503, Infinity);
    const abort = new AbortController();
    const started = performance.now();
    const reconnects: { reason: ReconnectReason; detail: string; afterMs: number }[] = [];
    const client = new SseClient({
      ...base(server.url),
      onReconnect: (reason, _delay, detail) => {
        reconnects.push({ reason, detail, afterMs: performance.now() - started });
        abort.abort();
      },
    });
    try {
      await client.run(abort.signal);
      // Reading the whole body would last until the connect timeout (5 s) cut it, with an empty detail.
      expect(reconnects).toEqual([
        {
          reason: "http_5xx",
          detail: expect.stringMatching(/^HTTP 503 from .*: upstream overloaded, try later y+$/),
          afterMs: expect.any(Number),
        },
      ]);
      expect(reconnects[0].detail.length).toBeLessThan(600);
      expect(reconnects[0].afterMs).toBeLessThan(4_000); // before the 5 s connect timeout that used to cut it
      await new Promise((r) => setTimeout(r, 200));
      expect(server.stats.written).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await server.stop();
    }
  });

  test("a 403 with a 64 MB body: fatal at once, the body not read", async () => {
    const server = await errorServer(403, 64 * 1024 * 1024);
    try {
      const error = await new SseClient(base(server.url)).run(new AbortController().signal).catch((e: Error) => e);
      expect(error).toBeInstanceOf(SseFatalError);
      expect((error as SseFatalError).message).toMatch(
        /^HTTP 403 from .*: upstream overloaded, try later y+ — not retrying/,
      );
      await new Promise((r) => setTimeout(r, 200));
      // Reading it whole would put 64 MB into one string in the worker's 96 MB heap.
      expect(server.stats.written).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await server.stop();
    }
  });
});

describe("reconnections leave nothing behind", () => {
  test("300 reconnections: no abort listener, timer or active handle accumulates", async () => {
    const server = new SseServer({ events: Array.from({ length: 400 }, (_, i) => JSON.stringify({ i })), cutEvery: 1 });
    const url = await server.start();
    const abort = new AbortController();
    const timers = () => process.getActiveResourcesInfo().filter((type) => type === "Timeout").length;
    let reconnects = 0;
    let atTen: { listeners: number; timers: number } | undefined;
    let atThreeHundred: { listeners: number; timers: number } | undefined;
    const client = new SseClient({
      ...base(url),
      onReconnect: () => {
        reconnects++;
        const now = { listeners: getEventListeners(abort.signal, "abort").length, timers: timers() };
        if (reconnects === 10) atTen = now;
        if (reconnects === 300) {
          atThreeHundred = now;
          abort.abort();
        }
      },
    });
    try {
      await client.run(abort.signal);
      expect(server.requests.length).toBeGreaterThanOrEqual(300);
      // A listener left per connection would leave 300 here.
      expect(atThreeHundred!.listeners).toBeLessThanOrEqual(1);
      expect(atThreeHundred!.listeners).toBeLessThanOrEqual(atTen!.listeners);
      expect(atThreeHundred!.timers).toBeLessThanOrEqual(atTen!.timers + 2);
      expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);
    } finally {
      await server.stop();
    }
  });
});

describe("Last-Event-ID values", () => {
  test("ASCII as it is; other characters UTF-8 encoded (as EventSource sends them); control characters and surrounding blanks refused", () => {
    expect(lastEventIdHeader(sseId(7))).toBe(sseId(7));
    expect(lastEventIdHeader("a\u2013b")).toBe(Buffer.from("a\u2013b", "utf8").toString("latin1"));
    expect(lastEventIdHeader("caf\u00e9")).toBe("caf\u00c3\u00a9");
    expect(() => new Headers({ "last-event-id": lastEventIdHeader("a\u2013b")! })).not.toThrow();
    expect(lastEventIdHeader("a\u0001b")).toBeUndefined();
    expect(lastEventIdHeader("a\u007fb")).toBeUndefined();
    expect(lastEventIdHeader(" a")).toBeUndefined();
    expect(lastEventIdHeader("a\t")).toBeUndefined();
    expect(lastEventIdHeader("a\tb")).toBe("a\tb");
  });
});
