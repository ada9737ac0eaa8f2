#!/usr/bin/env node
// Prepares a scratch copy of a synthesized stack for offline validation, in place:
//   node scripts/prepare-validation.js PATH/cdk.tf.json PROVIDER_VERSION
// - drops the `terraform.backend` block (no remote state, no network; init -backend=false ignores it
//   but plan would ask for it);
// - pins hashicorp/google to the version actually built ("= PROVIDER_VERSION"), since the stacks pin
//   the version @cdktf/provider-google wraps.
// Used by scripts/validate.sh and test/validation/terraform.ts. Never run it on cdktf.out in the repo.
"use strict";
const fs = require("fs");

function prepare(file, version) {
  const tf = JSON.parse(fs.readFileSync(file, "utf8"));
  if (tf.terraform) {
    delete tf.terraform.backend;
    const google = tf.terraform.required_providers?.google;
    if (google)
      tf.terraform.required_providers.google = { ...google, source: "hashicorp/google", version: `= ${version}` };
  }
  fs.writeFileSync(file, JSON.stringify(tf, null, 2));
}

module.exports = { prepare };

if (require.main === module) {
  const [file, version] = process.argv.slice(2);
  if (!file || !version) {
    console.error("usage: prepare-validation.js PATH/cdk.tf.json PROVIDER_VERSION");
    process.exit(2);
  }
  prepare(file, version);
}
