/** The replay server's holds, which put the demo's mid-replay reads at fixed events: held at each offset in turn. */
import { SseServer } from "../../tools/sse/sse-server";

const until = async (done: () => boolean): Promise<void> => {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
};

test("holdAt with several offsets: the stream stops before each, in turn, until released", async () => {
  const events = Array.from({ length: 6 }, (_, i) => JSON.stringify({ n: i }));
  const server = new SseServer({ events, holdAt: [4, 2] });
  const url = await server.start();
  const controller = new AbortController();
  let received = "";
  const reading = (async () => {
    const response = await fetch(url, { signal: controller.signal });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
      received += decoder.decode(chunk, { stream: true });
  })().catch(() => undefined);
  const frames = () => (received.match(/^data: /gm) ?? []).length;
  try {
    await until(() => server.holding && frames() === 2);
    expect([server.heldAt, server.framesWritten]).toEqual([2, 2]);
    server.release();
    await until(() => server.heldAt === 4 && frames() === 4);
    expect(server.framesWritten).toBe(4);
    server.release();
    await until(() => frames() === 6);
    expect([server.holding, server.heldAt, server.framesWritten]).toEqual([false, undefined, 6]);
  } finally {
    controller.abort();
    await server.stop();
    await reading;
  }
});
