/**
 * Prepares a scratch copy of a synthesized stack for offline validation, in place:
 *
 *   npx tsx tools/validation/prepare-validation.ts PATH/cdk.tf.json PROVIDER_VERSION
 *   npx tsx tools/validation/prepare-validation.ts PATH/cdk.tf PROVIDER_VERSION     (`cdktf synth --hcl`)
 *
 * - drops the `terraform.backend` block (no remote state, no network; init -backend=false ignores it
 *   but plan would ask for it);
 * - pins hashicorp/google to the version actually built ("= PROVIDER_VERSION"), since the stacks pin
 *   the version @cdktf/provider-google wraps. In JSON the constraint is rewritten; next to HCL an
 *   override file (`validation_override.tf`, Terraform's own merge rules) replaces it, so the
 *   generated HCL is validated as generated, its backend block aside.
 *
 * Used by scripts/validate.sh and tools/validation/terraform.ts. Never run it on cdktf.out in the repo.
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface SynthesizedTerraform {
  terraform?: {
    backend?: unknown;
    required_providers?: Record<string, Record<string, unknown>>;
  };
  [key: string]: unknown;
}

/** Name of the override file written next to a prepared `cdk.tf`. */
export const HCL_OVERRIDE_FILE = "validation_override.tf";

/**
 * Rewrites one synthesized stack (`cdk.tf.json`, or `cdk.tf` from `cdktf synth --hcl`) for offline
 * validation against `version` of the google provider.
 */
export function prepare(file: string, version: string): void {
  if (file.endsWith(".tf")) {
    prepareHcl(file, version);
    return;
  }
  const tf = JSON.parse(fs.readFileSync(file, "utf8")) as SynthesizedTerraform;
  if (tf.terraform) {
    delete tf.terraform.backend;
    const providers = tf.terraform.required_providers;
    const google = providers?.google;
    if (providers && google) providers.google = { ...google, source: "hashicorp/google", version: `= ${version}` };
  }
  fs.writeFileSync(file, JSON.stringify(tf, null, 2));
}

/** The HCL form: the backend block removed from the text, the provider version set by an override file. */
function prepareHcl(file: string, version: string): void {
  fs.writeFileSync(file, withoutBackend(fs.readFileSync(file, "utf8")));
  fs.writeFileSync(
    path.join(path.dirname(file), HCL_OVERRIDE_FILE),
    [
      "# Written by tools/validation/prepare-validation.ts for offline validation: the google provider actually built.",
      "terraform {",
      "  required_providers {",
      "    google = {",
      '      source  = "hashicorp/google"',
      `      version = "= ${version}"`,
      "    }",
      "  }",
      "}",
      "",
    ].join("\n"),
  );
}

/** The HCL text without its `backend "…" { … }` blocks (braces inside quoted strings are skipped). */
export function withoutBackend(hcl: string): string {
  const start = /^[ \t]*backend\s+"[^"]*"\s*\{/m;
  let text = hcl;
  for (let match = start.exec(text); match; match = start.exec(text)) {
    let depth = 0;
    let quoted = false;
    let end = text.length;
    for (let i = match.index + match[0].length - 1; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === "\\") i++;
        else if (ch === '"') quoted = false;
      } else if (ch === '"') quoted = true;
      else if (ch === "{") depth++;
      else if (ch === "}" && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    text = text.slice(0, match.index) + text.slice(end).replace(/^[ \t]*\n/, "");
  }
  return text;
}

if (require.main === module) {
  const [file, version] = process.argv.slice(2);
  if (!file || !version) {
    console.error("usage: prepare-validation.ts PATH/cdk.tf.json|PATH/cdk.tf PROVIDER_VERSION");
    process.exit(2);
  }
  prepare(file, version);
}
