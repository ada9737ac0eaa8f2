#!/usr/bin/env node
// Applies the Checkov baseline to one stack's Checkov JSON report and prints what is left.
//   node scripts/checkov-report.js STACK CDK.TF.JSON REPORT.json BASELINE.json
// Exit 0 when every failed check is explained by a baseline entry, 1 otherwise, 2 on a broken report.
//
// A baseline entry: { "check": "CKV_GCP_81", "resource": "google_bigquery_table.*", "stacks": ["dev"]?,
//   "has": ["view"]?, "reason": "..." }
// `has`: the entry applies only to resources that set one of these top-level attributes (e.g. views).
// `resource` is a glob (`*` = anything) over "<type>.<construct path below the stack>", e.g.
// "google_bigquery_table.warehouse/raw-changes/table": synthesized logical ids carry hashes, construct paths do not.
"use strict";
const fs = require("fs");

const [stack, stackFile, reportFile, baselineFile] = process.argv.slice(2);
if (!stack || !stackFile || !reportFile || !baselineFile) {
  console.error("usage: checkov-report.js STACK CDK.TF.JSON REPORT.json BASELINE.json");
  process.exit(2);
}

/** Glob with `*` only, anchored. */
function globToRegExp(glob) {
  return new RegExp(
    `^${glob
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
  );
}

/** Terraform address -> "<type>.<construct path below the stack>", from the stack's cdk.tf.json metadata. */
function constructNames(file) {
  const names = new Map();
  const bodies = new Map();
  if (!fs.existsSync(file)) return { names, bodies };
  const tf = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      const p = body?.["//"]?.metadata?.path;
      const readable = `${type}.${p ? p.split("/").slice(1).join("/") : name}`;
      names.set(`${type}.${name}`, readable);
      names.set(`resource.${name}`, readable); // Checkov's terraform_json names resources "resource.<logical id>"
      bodies.set(`${type}.${name}`, body);
      bodies.set(`resource.${name}`, body);
    }
  }
  return { names, bodies };
}

let raw;
try {
  raw = JSON.parse(fs.readFileSync(reportFile, "utf8") || "null");
} catch (error) {
  console.error(`checkov [${stack}]: unreadable report ${reportFile}: ${error.message}`);
  process.exit(2);
}
const reports = Array.isArray(raw) ? raw : raw ? [raw] : [];
if (reports.length === 0) {
  console.error(`checkov [${stack}]: Checkov produced no report (did it crash? see its stderr)`);
  process.exit(2);
}
const failed = reports.flatMap((r) => r?.results?.failed_checks ?? []);
const passed = reports.reduce((n, r) => n + (r?.summary?.passed ?? 0), 0);
const baseline = JSON.parse(fs.readFileSync(baselineFile, "utf8")).skips ?? [];
for (const b of baseline) {
  if (!b.check || !b.resource || typeof b.reason !== "string" || b.reason.trim().length < 20) {
    console.error(
      `checkov: baseline entry without a check, a resource pattern or a written reason: ${JSON.stringify(b)}`,
    );
    process.exit(2);
  }
}
const { names, bodies } = constructNames(stackFile);

const unexplained = [];
let skipped = 0;
for (const finding of failed) {
  const address = finding.resource; // e.g. google_bigquery_table.warehouse_raw-changes_1A2B3C
  const name = names.get(address) ?? address;
  const entry = baseline.find(
    (b) =>
      b.check === finding.check_id &&
      (!b.stacks || b.stacks.includes(stack)) &&
      (!b.has || [b.has].flat().some((attribute) => bodies.get(address)?.[attribute] !== undefined)) &&
      (globToRegExp(b.resource).test(name) || globToRegExp(b.resource).test(address)),
  );
  if (entry) skipped += 1;
  else
    unexplained.push({
      check: finding.check_id,
      title: finding.check_name,
      resource: name,
      guideline: finding.guideline,
    });
}
console.error(
  `checkov [${stack}]: ${passed} passed, ${failed.length} failed (${skipped} explained by the baseline, ${unexplained.length} not)`,
);
for (const u of unexplained) {
  console.error(`  UNEXPLAINED ${u.check} on ${u.resource}: ${u.title}${u.guideline ? ` (${u.guideline})` : ""}`);
}
process.exit(unexplained.length ? 1 : 0);
