import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArguments } from "../../tools/upgrade/plan-upgrade";
import type { UpgradeReport } from "../../tools/upgrade/report";
import { ROOT } from "../support";

// `npm run plan:upgrade` end to end on one environment: the base ref synthesized from a temporary
// worktree (removed afterwards), an offline state of it, the working tree planned against it. With
// --base HEAD and a working tree whose synthesized code is HEAD's, nothing may change: the offline
// state round-trips. (All four environments: see docs/upgrades.md for the command and its timings.)

const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();

/** The folders of the repository's worktrees (other helpers' commits move their HEADs, not their folders). */
const worktrees = () =>
  git("worktree", "list", "--porcelain")
    .split("\n")
    .filter((line) => line.startsWith("worktree "));

/** Whether files that feed synthesis differ from HEAD (then the tree is not "unchanged"). */
function synthesisInputsChanged(): boolean {
  const status = git("status", "--porcelain", "--", "main.ts", "config", "constructs", "stacks", "schemas", "sql");
  return status.length > 0;
}

describe("npm run plan:upgrade", () => {
  test("parses its arguments and refuses a missing --base", () => {
    expect(parseArguments(["--base", "HEAD~1", "--env", "dev", "--env", "prod", "--json", "--out", "x"])).toEqual({
      base: "HEAD~1",
      environments: ["dev", "prod"],
      json: true,
      out: "x",
    });
    expect(() => parseArguments(["--env", "dev"])).toThrow("--base is required");
    expect(() => parseArguments(["--base"])).toThrow("--base needs a value");
    expect(() => parseArguments(["--base", "HEAD", "--bogus"])).toThrow("unknown argument --bogus");
  });

  test(
    "--base HEAD plans no change in an unchanged environment, writes the plan privately, leaves no worktree",
    () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-plan-upgrade-"));
      const worktreesBefore = worktrees();
      const head = git("rev-parse", "HEAD");
      try {
        const result = spawnSync(
          path.join(ROOT, "node_modules", ".bin", "tsx"),
          ["tools/upgrade/plan-upgrade.ts", "--base", "HEAD", "--env", "local", "--json", "--out", out],
          { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
        );
        expect(result.stderr).not.toContain("plan:upgrade: ");
        const report = JSON.parse(result.stdout) as UpgradeReport;
        expect(report.base.commit).toBe(head);
        expect(report.provider.answersAs).toBe("6.50.0");
        expect(report.environments.map((env) => env.name)).toEqual(["local"]);
        expect(report.environments[0].stateRounds).toBeGreaterThanOrEqual(2);
        const planFile = path.join(out, "local.plan.json");
        expect(fs.statSync(planFile).mode & 0o077).toBe(0);
        expect(JSON.parse(fs.readFileSync(planFile, "utf8")).resource_changes.length).toBeGreaterThan(50);
        if (synthesisInputsChanged()) {
          console.warn("NOT ASSERTED (loudly): the working tree changes synthesis inputs, so HEAD is not unchanged");
        } else {
          expect(report.environments[0].changes).toEqual([]);
          expect(report.safe).toBe(true);
          expect(result.status).toBe(0);
        }
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
      expect(worktrees()).toEqual(worktreesBefore);
    },
    20 * 60 * 1000,
  );
});
