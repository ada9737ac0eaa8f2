/**
 * An emulator that exits before it is ready: the error carries the last lines of its log, so it still
 * says why after its caller's cleanup has deleted the folder holding that log (as the demo's does).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startBigQueryEmulator } from "../../tools/emulators/bigquery-emulator";

test("the BigQuery emulator's early exit is explained from its log, not by a path to it", async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "emulator-exit-log-"));
  const logFile = path.join(work, "bigquery-emulator.log");
  let message = "";
  try {
    // The real emulator refuses an unknown log level and exits at once.
    await startBigQueryEmulator({ projectId: "exit-log", logFile, logLevel: "bogus" as never });
  } catch (error) {
    message = (error as Error).message;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  expect(message).toMatch(/the BigQuery emulator exited before it was ready/);
  expect(message).toContain("unexpected log level bogus");
  expect(message).not.toContain(logFile);
});
