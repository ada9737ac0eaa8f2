import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { planOf, removal } from "./plans";

/**
 * `fresh-streams plan-guard` as a consuming project runs it: the package's `bin` entry, built by the library's own
 * build (tsconfig.build.json) into a folder with no node_modules above it, run by plain Node as a child process.
 */
const ROOT = path.resolve(__dirname, "../..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

let work: string;
let bin: string;

beforeAll(
  () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "plan-guard-cli-"));
    const outDir = path.join(work, "package");
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", path.join(outDir, "dist")], {
      cwd: ROOT,
      stdio: "pipe",
    });
    bin = path.join(outDir, PKG.bin["fresh-streams"]);
    fs.chmodSync(bin, 0o755); // what npm does to a bin entry when it installs the package
  },
  10 * 60 * 1000,
);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs the built command, executed through its shebang (`#!/usr/bin/env node`), in `work`. */
function run(args: string[], input?: string) {
  const result = spawnSync(bin, args, { cwd: work, input, encoding: "utf8", env: { PATH: process.env.PATH } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeJson(name: string, value: unknown): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

const REFUSED = planOf(removal("google_bigquery_dataset.raw", { project: "p", dataset_id: "raw" }));
const SAFE = planOf({ address: "google_pubsub_topic.t", actions: ["create"], after: { name: "t" } });

test("package.json's bin names the built command, which starts with a node shebang and needs no node_modules", () => {
  expect(PKG.bin).toEqual({ "fresh-streams": "dist/constructs/cli/main.js" });
  expect(fs.readFileSync(bin, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  expect(fs.existsSync(path.join(work, "node_modules"))).toBe(false);
});

test("exit 0 on a safe plan, 1 on a refused one, with the table on stdout", () => {
  expect(run(["plan-guard", writeJson("safe.json", SAFE)])).toMatchObject({ status: 0, stderr: "" });
  const refused = run(["plan-guard", writeJson("refused.json", REFUSED)]);
  expect(refused.status).toBe(1);
  expect(refused.stdout).toMatch(/^VERDICT\s+ACTION\s+ADDRESS/);
  expect(refused.stdout).toContain("REFUSED: delete google_bigquery_dataset.raw");
});

test("the plan read from standard input (-), allowed by --config, reported with --json", () => {
  const config = writeJson("dev.json", {
    planSafety: { allow: [{ address: "google_bigquery_dataset.raw", reason: "the raw layer is rebuilt by replay" }] },
  });
  const result = run(["plan-guard", "-", "--config", config, "--json"], JSON.stringify(REFUSED));
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ safe: true, changes: [{ verdict: "allowed" }] });
});

test("exit 2 on a usage or input error, with the message on stderr", () => {
  const bad = run(["plan-guard", writeJson("state.json", { format_version: "1.0", values: {} })]);
  expect(bad).toMatchObject({ status: 2, stdout: "" });
  expect(bad.stderr).toMatch(/neither planned_values nor resource_changes/);
  expect(run(["plan-guard"]).status).toBe(2);
  expect(run(["plan-guard", "--allow"]).status).toBe(2);
  const short = writeJson("allow.json", [{ address: "a.b", reason: "short" }]);
  expect(run(["plan-guard", writeJson("p.json", SAFE), "--allow", short]).stderr).toMatch(/is too short/);
});

test("--help exits 0", () => {
  const help = run(["plan-guard", "--help"]);
  expect(help.status).toBe(0);
  expect(help.stdout).toContain("Exit status: 0 safe, 1 refused, 2 usage or input error.");
  expect(run(["--help"]).stdout).toMatch(/^Usage: fresh-streams <command>/);
});
