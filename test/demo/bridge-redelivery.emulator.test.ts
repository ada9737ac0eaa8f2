/**
 * The demo's bridge on both emulators when Pub/Sub redelivers the messages it holds (their ack deadline passed
 * while the process was starved, as on a loaded machine): each published row lands in the raw table once, and
 * every redelivered copy is counted and acknowledged without a second row. test/demo/bridge-redelivery.ts runs the
 * case as a program; without the bridge's redelivery check, its raw table held three rows per event.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const EVENTS = 50;

test("a redelivered message is acked without a second row; every published row lands once", () => {
  const run = spawnSync("npx", ["tsx", "test/demo/bridge-redelivery.ts", "--events", String(EVENTS)], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`bridge-redelivery failed (${run.status}):\n${run.stderr.slice(-3000)}`);
  const report = JSON.parse(run.stdout.trim().split("\n").pop()!);
  expect(report.published).toBe(EVENTS);
  // The emulator redelivered every held message at least once.
  expect(report.stats.received).toBeGreaterThanOrEqual(2 * EVENTS);
  expect(report.stats.redelivered).toBeGreaterThanOrEqual(EVENTS);
  const { received, inserted, errors, nacked, redelivered } = report.stats;
  expect(received).toBe(inserted + errors + nacked + redelivered);
  expect(report).toMatchObject({ rawRows: EVENTS, rawIds: EVENTS, errorRows: 0 });
  expect(report.stats).toMatchObject({ inserted: EVENTS, errors: 0, nacked: 0 });
}, 320_000);
