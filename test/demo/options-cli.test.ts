/**
 * `npm run demo`'s argument check runs before any install or build: scripts/demo.sh with
 * demo/options-table.js in a folder that has no node_modules at all. An `npm` placed first on the
 * PATH records whether the script went on to install (it must only for good arguments).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../support";

let dir: string;
const marker = () => path.join(dir, "npm-was-called");

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "demo-options-cli-"));
  for (const file of ["scripts/demo.sh", "scripts/lib/common.sh", "demo/options-table.js", "package.json"]) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "bin", "npm"), `#!/bin/sh\necho "$@" > "${marker()}"\nexit 97\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "events.jsonl"), "{}\n");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => fs.rmSync(marker(), { force: true }));

function demo(...args: string[]) {
  const result = spawnSync("bash", [path.join(dir, "scripts", "demo.sh"), ...args], {
    encoding: "utf8",
    cwd: dir,
    env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, FRESH_STREAMS_CACHE: dir },
  });
  return { ...result, installed: fs.existsSync(marker()) };
}

test("the folder has no node_modules", () => {
  expect(fs.existsSync(path.join(dir, "node_modules"))).toBe(false);
});

test("--help prints the usage and stops, before any install", () => {
  const run = demo("--help");
  expect(run.status).toBe(0);
  expect(run.stdout).toContain("usage: npm run demo -- [options]");
  expect(run.stdout).toContain("--report FILE");
  expect(run.installed).toBe(false);
});

test.each([
  [["--duration", "30"], /--duration applies to --source wikimedia only/],
  [["--bogus"], /unknown option "--bogus"/],
  [["--mode", "direct", "--sink", "nowhere"], /--sink takes "storage-write" or "insert-all", got "nowhere"/],
  [["--fixture", "no-such-file.jsonl"], /--fixture: no such file .*no-such-file\.jsonl/],
  [
    ["--fixture", "events.jsonl", "--report", "/no/such/folder/run.html"],
    /--report: no such folder \/no\/such\/folder/,
  ],
])("%j is refused before any install", (args, message) => {
  const run = demo(...args);
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.installed).toBe(false);
});

test("good arguments pass the check and go on to the install", () => {
  const run = demo("--fixture", "events.jsonl", "--json");
  expect(run.installed).toBe(true);
  expect(fs.readFileSync(marker(), "utf8")).toMatch(/^ci\b/);
  expect(run.status).toBe(97);
});
