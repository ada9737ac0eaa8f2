/**
 * A process waiting for a build lock (scripts/lib/common.sh take_lock) says who holds it and how long
 * it has waited. The holder is a real second process holding the lock; the report interval is
 * shortened to one second through FRESH_STREAMS_LOCK_REPORT_SECONDS.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../support";

const common = path.join(ROOT, "scripts", "lib", "common.sh");
let dir: string;
let holder: ChildProcess | undefined;

beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "lock-wait-"))));
afterEach(() => {
  holder?.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` after sourcing common.sh; resolves with the child once its stdout or stderr shows `ready`. */
function start(
  script: string,
  ready: RegExp,
): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn("bash", ["-c", `. "${common}"; ${script}`], {
    env: { ...process.env, FRESH_STREAMS_LOCK_REPORT_SECONDS: "1", LOCK: path.join(dir, ".lock") },
  });
  let text = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    const check = (chunk: Buffer) => {
      text += chunk.toString();
      if (ready.test(text)) resolve({ child, output: () => text, exited });
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    child.once("exit", (code) => reject(new Error(`exited (${code}) before printing ${ready}:\n${text}`)));
  });
}

test("a waiter says every interval which process holds the lock, since when, and how long it has waited", async () => {
  // exec: the sleeping process keeps the PID the lock file records.
  const held = await start(`take_lock "$LOCK" "the test build"; echo locked; exec sleep 300`, /locked/);
  holder = held.child;
  const waiter = await start(`take_lock "$LOCK" "the test build"; echo got it`, /waited \d+ s so far[\s\S]*waited/);
  const report = waiter
    .output()
    .split("\n")
    .find((line) => line.includes("waiting for the test build"))!;
  expect(report).toMatch(
    new RegExp(
      `waiting for the test build: held by PID ${holder.pid} \\(bash -c .*take_lock.*\\) since \\d\\d:\\d\\d:\\d\\d \\(\\d+ s ago\\)`,
    ),
  );
  expect(report).toMatch(/waited \d+ s so far/);

  holder.kill("SIGKILL");
  expect(await waiter.exited).toBe(0);
  expect(waiter.output()).toContain("got it");
});

test("nothing is said when the lock is free", async () => {
  const alone = await start(`take_lock "$LOCK" "the test build"; echo got it`, /got it/);
  expect(await alone.exited).toBe(0);
  expect(alone.output()).toBe("got it\n");
});
