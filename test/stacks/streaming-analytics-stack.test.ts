import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inventory } from "../../constructs/testing/inventory";
import { ENVIRONMENTS, ROOT, synthEnvironment as synthesize } from "../support";

/** The environment's synthesized Terraform JSON. */
const synthEnvironment = (name: string): any => synthesize(name).json;

describe("StreamingAnalyticsStack", () => {
  test.each(ENVIRONMENTS)("%s: google provider from the config, with the environment's default labels", (name) => {
    const { config, json: synthesized } = synthesize(name);
    const [provider] = synthesized.provider.google;
    expect(provider.project).toBe(config.projectId);
    expect(provider.region).toBe(config.region);
    expect(provider.default_labels).toEqual({ ...config.labels, env: name, app: "fresh-streams" });
  });

  test("label keys keep their hyphens (cdktf would snake_case provider map keys)", () => {
    const [provider] = synthEnvironment("dev").provider.google;
    expect(provider.default_labels).toHaveProperty("cost-center", "analytics");
    expect(provider.default_labels).not.toHaveProperty("cost_center");
  });

  test("dev and prod keep state in GCS; local keeps it on disk", () => {
    expect(synthEnvironment("dev").terraform.backend.gcs).toEqual({
      bucket: "fresh-streams-dev-tfstate",
      prefix: "fresh-streams/dev",
    });
    expect(synthEnvironment("prod").terraform.backend.gcs.bucket).toBe("fresh-streams-prod-tfstate");
    expect(synthEnvironment("local").terraform.backend.local).toEqual({ path: "terraform.local.tfstate" });
  });

  test("the provider is pinned to the version @cdktf/provider-google wraps", () => {
    expect(synthEnvironment("dev").terraform.required_providers.google).toEqual({
      source: "google",
      version: "6.50.0",
    });
  });

  test("no stack uses a data source (plans must run offline)", () => {
    for (const name of ENVIRONMENTS) {
      expect(synthEnvironment(name).data).toBeUndefined();
    }
  });

  test("main.ts synthesizes one stack per environment file, named after it", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-synth-"));
    execFileSync("npx", ["tsx", "main.ts"], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      stdio: "pipe",
    });
    expect(fs.readdirSync(path.join(outdir, "stacks")).sort()).toEqual(["dev", "direct", "local", "prod"]);
    const dev = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "dev", "cdk.tf.json"), "utf8"));
    expect(dev["//"].metadata.stackName).toBe("dev");
  });

  // The inventory of each environment (every address, the attributes that state intent, counts per
  // type, outputs) catches unintended drift in a snapshot a reviewer reads. What it leaves out is
  // held by the tests that read it: SQL (test/sql), schemas (test/schemas), alert runbooks
  // (test/docs/alerts.test.ts), the dashboard (test/constructs/monitoring), apply order
  // (test/constructs/testing/apply-order.test.ts), provider and backend (above).
  test.each(ENVIRONMENTS)("%s: the inventory matches its snapshot", (name) => {
    expect(inventory(synthEnvironment(name))).toMatchSnapshot();
  });
});
