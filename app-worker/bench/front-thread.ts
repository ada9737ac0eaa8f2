/**
 * Benchmark experiment (not the product): the worker's front half in a worker thread.
 *
 * The thread runs the worker's SSE client and projection and hands the main thread one batch per
 * read of the body: every message body of the batch in one transferred buffer (no copy), with
 * their end offsets and event ids. At most `MAX_BATCHES_AHEAD` batches may wait on the main
 * thread (credits), so a slow publish path pauses reading as in the worker. Used by
 * `child.ts threaded` to measure what a second thread buys on this machine.
 */
import { parentPort, workerData } from "node:worker_threads";
import { sseConnectionSettings, WorkerConfig } from "../src/config";
import { projectData } from "../src/projection";
import { SseClient } from "../src/sse-client";

/** One read's worth of projected messages. */
export interface FrontBatch {
  /** The bodies, back to back (UTF-8 JSON). */
  readonly bodies: ArrayBuffer;
  /** End offset of each body in `bodies`. */
  readonly ends: Uint32Array;
  readonly eventIds: string[];
}

export const MAX_BATCHES_AHEAD = 8;

function runFront(config: WorkerConfig, port: NonNullable<typeof parentPort>): void {
  let bodies: string[] = [];
  let eventIds: string[] = [];
  let credits = MAX_BATCHES_AHEAD;
  let wake: (() => void) | undefined;
  port.on("message", (message: { credit?: number; stop?: boolean }) => {
    if (message.stop) abort.abort();
    if (message.credit) credits += message.credit;
    wake?.();
    wake = undefined;
  });
  const flush = () => {
    if (bodies.length === 0) return;
    const encoded = Buffer.from(bodies.join(""));
    const ends = new Uint32Array(bodies.length);
    let end = 0;
    for (let i = 0; i < bodies.length; i++) ends[i] = end += Buffer.byteLength(bodies[i]);
    // A fresh ArrayBuffer of exactly this batch, so transferring it moves no one else's bytes.
    const transferable = encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.length);
    const batch: FrontBatch = { bodies: transferable, ends, eventIds };
    port.postMessage(batch, [transferable, ends.buffer]);
    credits--;
    bodies = [];
    eventIds = [];
  };
  const abort = new AbortController();
  const sse = new SseClient({
    ...sseConnectionSettings(config),
    onFrame: (frame) => {
      const result = projectData(frame.data);
      if (result.kind !== "row") return;
      bodies.push(result.json);
      eventIds.push(result.row.event_id);
    },
    beforeRead: () => {
      flush();
      if (credits > 0) return undefined;
      return new Promise<void>((resolve) => (wake = resolve));
    },
  });
  void sse.run(abort.signal).then(() => port.close());
}

if (parentPort && workerData) runFront(workerData as WorkerConfig, parentPort);
