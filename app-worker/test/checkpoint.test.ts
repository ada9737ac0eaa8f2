import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AckTracker, CheckpointError, compareCheckpoints, FileCheckpointStore } from "../src/checkpoint";
import { FsProcess, FsTimeoutError } from "../src/fs-process";
import { backoffDelay, parseRetryAfter } from "../src/sse-client";

describe("AckTracker", () => {
  test("advances only across a contiguous prefix of completed events", () => {
    const tracker = new AckTracker("start");
    const a = tracker.begin("a");
    const b = tracker.begin("b");
    const c = tracker.begin("c");
    tracker.complete(c);
    expect(tracker.committed.lastEventId).toBe("start");
    tracker.complete(a);
    expect(tracker.committed.lastEventId).toBe("a");
    tracker.complete(b);
    expect(tracker.committed.lastEventId).toBe("c");
    expect(tracker.pending).toBe(0);
  });

  test("stays correct across its internal compaction (100,000 events completed out of order)", () => {
    const tracker = new AckTracker();
    const seqs = Array.from({ length: 100_000 }, (_, i) => tracker.begin(String(i)));
    for (let i = 0; i < seqs.length; i += 2) tracker.complete(seqs[i + 1]);
    expect(tracker.committed.lastEventId).toBeUndefined();
    for (let i = 0; i < seqs.length; i += 2) tracker.complete(seqs[i]);
    expect(tracker.committed.lastEventId).toBe("99999");
    expect(tracker.pending).toBe(0);
  });
});

describe("AckTracker ring buffer", () => {
  test("wraps around and grows while acknowledgements arrive out of order (a sliding window of 1,500)", () => {
    const tracker = new AckTracker();
    let random = 7;
    const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const open: number[] = [];
    let begun = 0;
    const lowestOpen = () => Math.min(...open);
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 500; i++) open.push(tracker.begin(String(begun++)));
      while (open.length > 1_500) {
        const [seq] = open.splice(Math.floor(next() * open.length), 1);
        tracker.complete(seq);
        const committed = tracker.committed.lastEventId;
        // The committed id is the one just before the oldest event still open.
        expect(committed === undefined ? -1 : Number(committed)).toBe(lowestOpen() - 1);
      }
      expect(tracker.pending).toBe(begun - Number(tracker.committed.lastEventId ?? -1) - 1);
    }
    for (const seq of open.splice(0)) tracker.complete(seq);
    expect(tracker.committed.lastEventId).toBe(String(begun - 1));
    expect(tracker.pending).toBe(0);
  });
});

describe("FileCheckpointStore", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoint-"));
  const fsCalls = new FsProcess(5_000);
  afterAll(() => {
    fsCalls.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("round-trips, creating the folder, and has no checkpoint before the first save", async () => {
    const store = new FileCheckpointStore(path.join(dir, "nested", "cp.json"), fsCalls);
    expect(await store.load()).toBeUndefined();
    await store.save({ lastEventId: '[{"offset":1}]', updatedAt: "now" });
    expect(await store.load()).toMatchObject({ lastEventId: '[{"offset":1}]' });
    expect(fs.readdirSync(path.join(dir, "nested"))).toEqual(["cp.json"]);
  });

  test("a corrupt checkpoint is an error that says what to do", async () => {
    const file = path.join(dir, "bad.json");
    fs.writeFileSync(file, "{oops");
    await expect(new FileCheckpointStore(file, fsCalls).load()).rejects.toThrow(CheckpointError);
    await expect(new FileCheckpointStore(file, fsCalls).load()).rejects.toThrow(/not valid JSON; fix it, or delete it/);
  });

  test("never moves backwards: a stored checkpoint ahead of this one is left as is", async () => {
    const file = path.join(dir, "overlap.json");
    const ahead = new FileCheckpointStore(file, fsCalls, "new-revision");
    const behind = new FileCheckpointStore(file, fsCalls, "old-revision");
    const at = (offset: number) => JSON.stringify([{ topic: "t", partition: 0, offset }]);
    expect(await ahead.save({ lastEventId: at(200), updatedAt: "now" })).toBe("written");
    expect(await behind.save({ lastEventId: at(150), updatedAt: "now" })).toBe("superseded");
    expect(await behind.load()).toMatchObject({ lastEventId: at(200), writer: "new-revision" });
    expect(await behind.save({ lastEventId: at(250), updatedAt: "now" })).toBe("written");
    expect(await ahead.load()).toMatchObject({ lastEventId: at(250), writer: "old-revision" });
    // No temp file is left behind, and none is shared between instances.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("overlap"))).toEqual(["overlap.json"]);
  });
});

describe("compareCheckpoints", () => {
  const at = (offset: number, partition = 0) => JSON.stringify([{ topic: "t", partition, offset }]);
  test("per topic and partition, by offset or timestamp; otherwise by event time; 0 when not comparable", () => {
    expect(compareCheckpoints({ lastEventId: at(2) }, { lastEventId: at(1) })).toBe(1);
    expect(compareCheckpoints({ lastEventId: at(1) }, { lastEventId: at(2) })).toBe(-1);
    const ts = (timestamp: number) => JSON.stringify([{ topic: "t", partition: 0, timestamp }]);
    expect(compareCheckpoints({ lastEventId: ts(1717243200001) }, { lastEventId: ts(1717243200000) })).toBe(1);
    expect(
      compareCheckpoints(
        { lastEventId: "x", eventTime: "2024-06-01T12:00:00.000Z" },
        { lastEventId: "y", eventTime: "2024-06-01T11:00:00.000Z" },
      ),
    ).toBe(1);
    expect(compareCheckpoints({ lastEventId: "x" }, { lastEventId: "y" })).toBe(0);
  });
});

describe("FsProcess", () => {
  test("a call blocked in the kernel (a FIFO without writer) times out; later calls fail at once; close() frees the worker", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fs-process-"));
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const fsCalls = new FsProcess(1000);
    try {
      await expect(fsCalls.call("reading the fifo", "readFile", fifo)).rejects.toThrow(
        new FsTimeoutError("reading the fifo: no answer within 1000 ms (CHECKPOINT_TIMEOUT_MS)"),
      );
      const started = Date.now();
      await expect(fsCalls.call("next", "mtime", dir)).rejects.toThrow(
        /^next: an earlier filesystem call \(reading the fifo\) has been blocked for \d+ ms$/,
      );
      // Well under the 1 s timeout: it did not wait for one (the margin absorbs a loaded machine's pauses).
      expect(Date.now() - started).toBeLessThan(500);
      // Once the blocked helper is gone, a new one answers.
      fsCalls.close();
      expect(await fsCalls.call("stat", "mtime", dir)).toBeGreaterThan(0);
    } finally {
      fsCalls.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("reconnect timing", () => {
  test("backoff doubles up to the maximum, with jitter in [delay/2, delay]", () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 0.999999)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 0.999999)).toBe(8000);
    expect(backoffDelay(20, 1000, 60_000, () => 0.999999)).toBe(60_000);
  });

  test("Retry-After in seconds or as an HTTP date (the client clamps it to the backoff bounds)", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(5000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
