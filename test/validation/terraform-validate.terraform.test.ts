import * as fs from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { toBeValidTerraform } from "cdktf/lib/testing/matchers";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { BigqueryDataset } from "@cdktf/provider-google/lib/bigquery-dataset";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { environmentConfig } from "../support";
import { StreamingAnalyticsStack } from "../../stacks/streaming-analytics-stack";
import { comparePlans } from "../../tools/validation/compare-plans";
import { exportHcl } from "../../tools/validation/export-hcl";
import { HCL_OVERRIDE_FILE, prepare } from "../../tools/validation/prepare-validation";
import { BuiltProvider, planAsJson, prepareForValidation, providerForTests } from "../../tools/validation/terraform";

// Validation with Terraform and the real google provider (built from source, installed through a
// filesystem mirror: no network). The first run builds the provider (5-15 minutes, cached after).
Testing.setupJest(); // registers toBeValidTerraform / toPlanSuccessfully (importing the adapter alone does not)
const PINNED = "6.50.0"; // what @cdktf/provider-google 16.12.x wraps, and what the stacks pin

let provider: BuiltProvider | undefined;
let unavailable: string | undefined;
const outdirs: string[] = [];

beforeAll(
  () => {
    ({ provider, unavailable } = providerForTests());
    if (provider && provider.version !== PINNED) {
      console.warn(
        `VALIDATING AGAINST hashicorp/google ${provider.version}, NOT ${PINNED}: ${provider.note}. ` +
          `The stacks' version constraint is rewritten in the synthesized test copies only.`,
      );
    }
  },
  45 * 60 * 1000,
);

const savedEnv = { ...process.env };

afterAll(() => {
  // toBeValidTerraform reads process.env: put back what synthForTerraform changed (jest reuses workers).
  for (const key of Object.keys(provider?.env ?? {})) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** fullSynth, then prepare the copy for offline validation and point terraform at the mirror. */
function synthForTerraform(stack: TerraformStack): string {
  if (!provider) throw new Error(unavailable);
  const outdir = Testing.fullSynth(stack);
  outdirs.push(outdir);
  prepareForValidation(outdir, provider.version);
  Object.assign(process.env, provider.env); // toBeValidTerraform runs terraform with process.env
  return outdir;
}

function skipIfNoProvider(): boolean {
  if (unavailable) {
    console.warn(`SKIPPED (loudly): ${unavailable}`);
    return true;
  }
  return false;
}

describe("every environment stack is valid Terraform for the real google provider", () => {
  test.each(["local", "dev", "prod", "direct"])(
    "%s: terraform init + validate, then plan offline",
    (name) => {
      if (skipIfNoProvider()) return;
      const stack = new StreamingAnalyticsStack(Testing.app(), name, {
        environment: name,
        config: environmentConfig(name),
      });
      const outdir = synthForTerraform(stack);
      expect(outdir).toBeValidTerraform();
      expect(outdir).toPlanSuccessfully();
    },
    300_000,
  );
});

describe("the way out to plain Terraform: the HCL export plans what the JSON plans", () => {
  test.each(["local", "dev", "prod", "direct"])(
    "%s: cdktf's HCL, exported, validates without warnings and plans the same resources and values",
    (name) => {
      if (skipIfNoProvider()) return;
      const stack = new StreamingAnalyticsStack(Testing.app(), name, {
        environment: name,
        config: environmentConfig(name),
      });
      const jsonDir = path.join(synthForTerraform(stack), "stacks", name);
      // What `cdktf synth --hcl` writes (the Aspects ran in the synthesis above).
      const hclDir = fs.mkdtempSync(path.join(path.dirname(jsonDir), "hcl-"));
      fs.writeFileSync(path.join(hclDir, "cdk.tf"), stack.toHclTerraform().hcl);
      prepare(path.join(hclDir, "cdk.tf"), provider!.version);
      const exportDir = fs.mkdtempSync(path.join(path.dirname(jsonDir), "export-"));
      fs.writeFileSync(
        path.join(exportDir, "main.tf"),
        exportHcl(fs.readFileSync(path.join(hclDir, "cdk.tf"), "utf8")),
      );
      fs.copyFileSync(path.join(hclDir, HCL_OVERRIDE_FILE), path.join(exportDir, HCL_OVERRIDE_FILE));

      const json = planAsJson(jsonDir, provider!);
      const exported = planAsJson(exportDir, provider!);
      expect(json.warnings).toBe(0);
      expect(exported.warnings).toBe(0);
      expect(comparePlans(json.plan as object, exported.plan as object)).toEqual({ problems: [], heredocNewlines: [] });
    },
    300_000,
  );
});

describe("the provider catches what TypeScript cannot", () => {
  test("an unknown time-partitioning type is rejected by the provider's own validation", () => {
    if (skipIfNoProvider()) return;
    const stack = new TerraformStack(Testing.app(), "invalid");
    new GoogleProvider(stack, "google", { project: "fresh-streams-test" });
    const dataset = new BigqueryDataset(stack, "ds", { datasetId: "raw", location: "EU" });
    new BigqueryTable(stack, "t", { datasetId: dataset.datasetId, tableId: "t", timePartitioning: { type: "WEEK" } });
    const outdir = synthForTerraform(stack);
    const result = toBeValidTerraform(outdir);
    expect(result.pass).toBe(false);
    // Rejected by `terraform validate` (the provider's schema), not by init.
    expect(result.message).toMatch(/time_partitioning.*type|WEEK/s);
  }, 300_000);
});
