/**
 * Prepares a scratch copy of a synthesized stack for offline validation, in place:
 *
 *   npx tsx tools/validation/prepare-validation.ts PATH/cdk.tf.json PROVIDER_VERSION
 *
 * - drops the `terraform.backend` block (no remote state, no network; init -backend=false ignores it
 *   but plan would ask for it);
 * - pins hashicorp/google to the version actually built ("= PROVIDER_VERSION"), since the stacks pin
 *   the version @cdktf/provider-google wraps.
 *
 * Used by scripts/validate.sh and tools/validation/terraform.ts. Never run it on cdktf.out in the repo.
 */
import * as fs from "node:fs";

interface SynthesizedTerraform {
  terraform?: {
    backend?: unknown;
    required_providers?: Record<string, Record<string, unknown>>;
  };
  [key: string]: unknown;
}

/** Rewrites one synthesized `cdk.tf.json` for offline validation against `version` of the google provider. */
export function prepare(file: string, version: string): void {
  const tf = JSON.parse(fs.readFileSync(file, "utf8")) as SynthesizedTerraform;
  if (tf.terraform) {
    delete tf.terraform.backend;
    const providers = tf.terraform.required_providers;
    const google = providers?.google;
    if (providers && google) providers.google = { ...google, source: "hashicorp/google", version: `= ${version}` };
  }
  fs.writeFileSync(file, JSON.stringify(tf, null, 2));
}

if (require.main === module) {
  const [file, version] = process.argv.slice(2);
  if (!file || !version) {
    console.error("usage: prepare-validation.ts PATH/cdk.tf.json PROVIDER_VERSION");
    process.exit(2);
  }
  prepare(file, version);
}
