/**
 * scripts/ensure-bigquery-emulator.sh takes a prebuilt emulator where the user has one, before any
 * build: the binary BIGQUERY_EMULATOR_BIN names, else a `bigquery-emulator` on the PATH. Both are the
 * real emulator binary; the cache is an empty folder, so a build would show.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bigQueryEmulatorBinary } from "../../tools/emulators/bigquery-emulator";
import { ROOT } from "../support";

const script = path.join(ROOT, "scripts", "ensure-bigquery-emulator.sh");
let dir: string;

beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ensure-bqemu-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function ensure(env: Record<string, string | undefined>) {
  const merged: Record<string, string | undefined> = { ...process.env, FRESH_STREAMS_CACHE: path.join(dir, "cache") };
  delete merged.BIGQUERY_EMULATOR_BIN;
  return spawnSync("bash", [script], { encoding: "utf8", env: { ...merged, ...env } as NodeJS.ProcessEnv });
}

test("a bigquery-emulator on the PATH is used as it is, without a build", () => {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.symlinkSync(bigQueryEmulatorBinary(), path.join(bin, "bigquery-emulator"));
  const run = ensure({ PATH: `${bin}:${process.env.PATH}` });
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe(path.join(bin, "bigquery-emulator"));
  expect(run.stderr).toContain("BigQuery emulator from the PATH");
  expect(run.stderr).not.toContain("building");
});

test("BIGQUERY_EMULATOR_BIN wins, and a wrong one is refused by name", () => {
  const run = ensure({ BIGQUERY_EMULATOR_BIN: bigQueryEmulatorBinary() });
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe(bigQueryEmulatorBinary());

  const wrong = ensure({ BIGQUERY_EMULATOR_BIN: path.join(dir, "nothing-here") });
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toContain(`BIGQUERY_EMULATOR_BIN=${path.join(dir, "nothing-here")} is not an executable file`);
});
