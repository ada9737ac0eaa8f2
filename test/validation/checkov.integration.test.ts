import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";

const ROOT = path.resolve(__dirname, "../..");
const baseline = JSON.parse(fs.readFileSync(path.join(ROOT, ".checkov-baseline.json"), "utf8")) as {
  skips: { check: string; resource: string; stacks?: string[]; has?: string[]; reason: string }[];
};

describe("Checkov baseline", () => {
  test("every skip names a check, a resource pattern and a written reason", () => {
    expect(baseline.skips.length).toBeGreaterThan(0);
    for (const skip of baseline.skips) {
      expect(skip.check).toMatch(/^CKV2?_[A-Z]+_\d+$/);
      expect(skip.resource).toMatch(/^google_[a-z0-9_]+\./);
      expect(skip.reason.trim().length).toBeGreaterThan(40);
      for (const stack of skip.stacks ?? []) expect(["local", "dev", "prod", "direct"]).toContain(stack);
    }
  });

  test("no skip for public Dataflow worker IPs: every environment's job runs with private IPs (CKV_GCP_94)", () => {
    expect(baseline.skips.filter((skip: { check: string }) => skip.check === "CKV_GCP_94")).toEqual([]);
  });

  test("no skip silences a check in every environment by check id alone (each is scoped by resource, stack or attribute)", () => {
    for (const skip of baseline.skips) {
      const scoped =
        skip.stacks !== undefined || skip.has !== undefined || !/^google_[a-z0-9_]+\.\*$/.test(skip.resource);
      expect({ skip: skip.check, resource: skip.resource, scoped }).toEqual({
        skip: skip.check,
        resource: skip.resource,
        scoped: true,
      });
    }
  });
});

describe("scripts/checkov.sh (real Checkov, cached venv)", () => {
  test("a new finding that the baseline does not explain fails the scan and is named", () => {
    const stack = new TerraformStack(Testing.app(), "checkov-probe");
    new GoogleProvider(stack, "google", { project: "fresh-streams-test" });
    new StorageBucket(stack, "exports", {
      name: "fresh-streams-exports",
      location: "EU",
      uniformBucketLevelAccess: true,
    });
    const outdir = Testing.fullSynth(stack);
    try {
      const run = spawnSync("bash", [path.join(ROOT, "scripts/checkov.sh"), "--stacks-dir", outdir], {
        cwd: ROOT,
        encoding: "utf8",
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /UNEXPLAINED CKV_GCP_78 on google_storage_bucket\.exports: Ensure Cloud storage has versioning enabled/,
      );
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 600_000);
});
