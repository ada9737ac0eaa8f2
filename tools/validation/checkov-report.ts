/**
 * Applies the Checkov baseline to one stack's Checkov JSON report and prints what is left:
 *
 *   npx tsx tools/validation/checkov-report.ts STACK CDK.TF.JSON REPORT.json BASELINE.json
 *
 * Exit 0 when every failed check is explained by a baseline entry, 1 otherwise, 2 on a broken report.
 *
 * A baseline entry: { "check": "CKV_GCP_81", "resource": "google_bigquery_table.*", "stacks": ["dev"]?,
 *   "has": ["view"]?, "reason": "..." }
 * `has`: the entry applies only to resources that set one of these top-level attributes (e.g. views).
 * `resource` is a glob (`*` = anything) over "<type>.<construct path below the stack>", e.g.
 * "google_bigquery_table.warehouse/raw-changes/table": synthesized logical ids carry hashes, construct paths do not.
 */
import * as fs from "node:fs";

/** One entry of `.checkov-baseline.json`'s `skips`. */
export interface BaselineEntry {
  readonly check: string;
  readonly resource: string;
  readonly stacks?: readonly string[];
  readonly has?: string | readonly string[];
  readonly reason: string;
}

/** A failed check as Checkov's JSON report lists it. */
interface Finding {
  check_id: string;
  check_name?: string;
  resource: string;
  guideline?: string;
}

interface CheckovReport {
  results?: { failed_checks?: Finding[] };
  summary?: { passed?: number };
}

/** A finding no baseline entry explains. */
export interface Unexplained {
  readonly check: string;
  readonly title?: string;
  readonly resource: string;
  readonly guideline?: string;
}

type ResourceBody = Record<string, unknown> & { "//"?: { metadata?: { path?: string } } };

/** Glob with `*` only, anchored. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
  );
}

/** Terraform address -> "<type>.<construct path below the stack>", from the stack's cdk.tf.json metadata. */
function constructNames(file: string): { names: Map<string, string>; bodies: Map<string, ResourceBody> } {
  const names = new Map<string, string>();
  const bodies = new Map<string, ResourceBody>();
  if (!fs.existsSync(file)) return { names, bodies };
  const tf = JSON.parse(fs.readFileSync(file, "utf8")) as { resource?: Record<string, Record<string, ResourceBody>> };
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

/** Whether a baseline entry names a check, a resource pattern and a written reason. */
export function isCompleteEntry(entry: Partial<BaselineEntry>): boolean {
  return !!entry.check && !!entry.resource && typeof entry.reason === "string" && entry.reason.trim().length >= 20;
}

/** The failed checks of `reports` that no entry of `baseline` explains for this stack. */
export function unexplainedFindings(
  stack: string,
  stackFile: string,
  reports: readonly CheckovReport[],
  baseline: readonly BaselineEntry[],
): { failed: number; passed: number; skipped: number; unexplained: Unexplained[] } {
  const failed = reports.flatMap((r) => r?.results?.failed_checks ?? []);
  const passed = reports.reduce((n, r) => n + (r?.summary?.passed ?? 0), 0);
  const { names, bodies } = constructNames(stackFile);
  const unexplained: Unexplained[] = [];
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
  return { failed: failed.length, passed, skipped, unexplained };
}

/**
 * One stack's summary: what fails the scan is only what the baseline does not explain, so the line
 * counts those apart ("3 passed, 0 failing the scan, 62 explained by the baseline").
 */
export function summaryLine(
  stack: string,
  counts: { readonly passed: number; readonly skipped: number; readonly unexplained: readonly unknown[] },
): string {
  const failing = counts.unexplained.length;
  return `checkov [${stack}]: ${counts.passed} passed, ${failing} failing the scan, ${counts.skipped} explained by the baseline (.checkov-baseline.json)`;
}

function main(argv: readonly string[]): number {
  const [stack, stackFile, reportFile, baselineFile] = argv;
  if (!stack || !stackFile || !reportFile || !baselineFile) {
    console.error("usage: checkov-report.ts STACK CDK.TF.JSON REPORT.json BASELINE.json");
    return 2;
  }
  let raw: CheckovReport | CheckovReport[] | null;
  try {
    raw = JSON.parse(fs.readFileSync(reportFile, "utf8") || "null");
  } catch (error) {
    console.error(`checkov [${stack}]: unreadable report ${reportFile}: ${(error as Error).message}`);
    return 2;
  }
  const reports = Array.isArray(raw) ? raw : raw ? [raw] : [];
  if (reports.length === 0) {
    console.error(`checkov [${stack}]: Checkov produced no report (did it crash? see its stderr)`);
    return 2;
  }
  const baseline = (JSON.parse(fs.readFileSync(baselineFile, "utf8")).skips ?? []) as BaselineEntry[];
  for (const b of baseline) {
    if (!isCompleteEntry(b)) {
      console.error(
        `checkov: baseline entry without a check, a resource pattern or a written reason: ${JSON.stringify(b)}`,
      );
      return 2;
    }
  }
  const counts = unexplainedFindings(stack, stackFile, reports, baseline);
  const { unexplained } = counts;
  console.error(summaryLine(stack, counts));
  for (const u of unexplained) {
    console.error(`  UNEXPLAINED ${u.check} on ${u.resource}: ${u.title}${u.guideline ? ` (${u.guideline})` : ""}`);
  }
  return unexplained.length ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
