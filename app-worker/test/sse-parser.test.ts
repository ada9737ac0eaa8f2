import { FrameTooLargeError, ParsedEvent, SseParser } from "../src/sse-parser";

function parse(chunks: (string | Buffer)[], maxFrameBytes = 1024) {
  const events: ParsedEvent[] = [];
  let comments = 0;
  const retries: number[] = [];
  const parser = new SseParser(maxFrameBytes, {
    onEvent: (e) => events.push(e),
    onComment: () => comments++,
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.feed(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return { events, comments, retries };
}

describe("SseParser", () => {
  test("fields, multi-line data, comments, retry; LF, CRLF and CR line ends, split anywhere", () => {
    const text = ':ok\n\nevent: message\nid: 1\ndata: {"a":1}\n\r\nid: 2\r\ndata: x\rdata:y\r\r: ping\nretry: 250\n\n';
    const whole = parse([text]);
    expect(whole.events).toEqual([
      { event: "message", id: "1", data: '{"a":1}' },
      { event: undefined, id: "2", data: "x\ny" },
    ]);
    expect(whole.comments).toBe(2);
    expect(whole.retries).toEqual([250]);
    // The same bytes, one at a time: the same events.
    const bytes = Buffer.from(text);
    const split = parse([...bytes].map((b) => Buffer.from([b])));
    expect(split.events).toEqual(whole.events);
  });

  test("multi-byte UTF-8 split across chunks is decoded whole", () => {
    const bytes = Buffer.from("data: Zoë – 東京\n\n");
    const { events } = parse([bytes.subarray(0, 9), bytes.subarray(9, 14), bytes.subarray(14)]);
    expect(events[0].data).toBe("Zoë – 東京");
  });

  test("a frame over the bound throws with its id before buffering it (an unterminated line included)", () => {
    const huge = "x".repeat(5000);
    const attempt = () => parse([`id: 7\ndata: ${huge.slice(0, 600)}`, huge.slice(600)], 1024);
    expect(attempt).toThrow(FrameTooLargeError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ id: "7", maxFrameBytes: 1024 });
      expect((error as FrameTooLargeError).bytes).toBeGreaterThan(1024);
      expect((error as FrameTooLargeError).bytes).toBeLessThan(1024 + 5000);
    }
    // Frames at the bound are fine, and the count restarts with each frame.
    const ok = parse(
      Array.from({ length: 10 }, (_, i) => `id: ${i}\ndata: ${"y".repeat(900)}\n\n`),
      1024,
    );
    expect(ok.events).toHaveLength(10);
  });

  test("with onOversize, a frame over the bound whose id is known is reported once and the rest of it discarded; the next frames follow", () => {
    const events: ParsedEvent[] = [];
    const oversize: [string, number][] = [];
    const parser = new SseParser(1024, {
      onEvent: (e) => events.push(e),
      onOversize: (id, bytes) => oversize.push([id, bytes]),
    });
    const big = `id: 7\r\ndata: ${"x".repeat(5 * 1024 * 1024)}\r\ndata: more\r\nid: 8\r\n\r\n`;
    const text = `id: 6\ndata: before\n\n${big}id: 9\ndata: after\n\n`;
    const bytes = Buffer.from(text);
    // In 64 KiB pieces, then split at every position around the big frame's end (CR LF across chunks).
    for (let i = 0; i < bytes.length; i += 64 * 1024) parser.feed(bytes.subarray(i, i + 64 * 1024));
    expect(events).toEqual([
      { event: undefined, id: "6", data: "before" },
      { event: undefined, id: "9", data: "after" },
    ]);
    expect(oversize).toEqual([["7", expect.any(Number)]]);
    expect(oversize[0][1]).toBeGreaterThan(1024);
    const end = Buffer.byteLength(`id: 6\ndata: before\n\n${big}`);
    for (let cut = end - 12; cut <= end + 2; cut++) {
      const got: ParsedEvent[] = [];
      const split = new SseParser(1024, { onEvent: (e) => got.push(e), onOversize: () => undefined });
      split.feed(bytes.subarray(0, cut));
      split.feed(bytes.subarray(cut));
      expect(got.map((e) => e.id)).toEqual(["6", "9"]);
    }
    // Without an id before the overflow, it still throws (the frame cannot be skipped).
    const noId = new SseParser(1024, { onEvent: () => undefined, onOversize: () => undefined });
    expect(() => noId.feed(Buffer.from(`data: ${"x".repeat(2000)}`))).toThrow(FrameTooLargeError);
  });
});
