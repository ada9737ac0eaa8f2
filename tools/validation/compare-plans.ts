/**
 * Compares two saved plans of the same stack, rendered with `terraform show -json PLAN`: the JSON
 * synthesis and the HCL one (`cdktf synth --hcl`) must plan the same resources with the same values.
 *
 *   npx tsx tools/validation/compare-plans.ts JSON_PLAN.json HCL_PLAN.json [--tolerate-heredoc-newline]
 *
 * Prints `same plan: N resources` and exits 0, or lists the differences (address, attribute, both
 * values) and exits 1. With `--tolerate-heredoc-newline`, a string the HCL plans with one more
 * trailing "\n" than the JSON (the defect of cdktf's heredocs, see export-hcl.ts) is counted, not
 * a difference. Used by scripts/validate.sh.
 */
import * as fs from "node:fs";

interface PlannedResource {
  readonly address: string;
  readonly values?: unknown;
}

interface PlanJson {
  readonly planned_values?: { readonly root_module?: { readonly resources?: PlannedResource[] } };
  readonly resource_changes?: { readonly address: string; readonly change?: { readonly after_unknown?: unknown } }[];
}

/** Planned values by resource address, with the attributes Terraform will only know after apply. */
export function plannedResources(plan: PlanJson): Map<string, { values: unknown; unknown: unknown }> {
  const unknownByAddress = new Map((plan.resource_changes ?? []).map((c) => [c.address, c.change?.after_unknown]));
  return new Map(
    (plan.planned_values?.root_module?.resources ?? []).map((r) => [
      r.address,
      { values: r.values, unknown: unknownByAddress.get(r.address) },
    ]),
  );
}

/** How two plans differ. */
export interface PlanComparison {
  /** One line per difference; empty when the plans hold the same resources and values. */
  readonly problems: string[];
  /** Strings the second plan has with one more trailing newline, when tolerated. */
  readonly heredocNewlines: string[];
}

/** Compares the planned resources and values of two plans of one stack. */
export function comparePlans(
  a: PlanJson,
  b: PlanJson,
  options: { tolerateHeredocNewline?: boolean; labels?: [string, string] } = {},
): PlanComparison {
  const labels = options.labels ?? ["json", "hcl"];
  const left = plannedResources(a);
  const right = plannedResources(b);
  const problems: string[] = [];
  const heredocNewlines: string[] = [];
  const tolerate = options.tolerateHeredocNewline
    ? (where: string, x: unknown, y: unknown) => {
        const extra = typeof x === "string" && typeof y === "string" && y === `${x}\n`;
        if (extra) heredocNewlines.push(where);
        return extra;
      }
    : () => false;
  for (const address of left.keys())
    if (!right.has(address)) problems.push(`${address}: only in the ${labels[0]} plan`);
  for (const address of right.keys())
    if (!left.has(address)) problems.push(`${address}: only in the ${labels[1]} plan`);
  for (const [address, l] of left) {
    const r = right.get(address);
    if (!r) continue;
    diff(l.values, r.values, address, problems, labels, tolerate);
    diff(l.unknown, r.unknown, `${address} (known after apply)`, problems, labels, tolerate);
  }
  return { problems, heredocNewlines };
}

function diff(
  a: unknown,
  b: unknown,
  where: string,
  problems: string[],
  labels: [string, string],
  tolerate: (where: string, a: unknown, b: unknown) => boolean,
): void {
  if (JSON.stringify(a) === JSON.stringify(b) || tolerate(where, a, b)) return;
  const isObject = (v: unknown) => v !== null && typeof v === "object";
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const key of keys) {
      const [x, y] = [(a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]];
      diff(x, y, `${where}.${key}`, problems, labels, tolerate);
    }
    return;
  }
  problems.push(`${where}: ${labels[0]} ${JSON.stringify(a)}, ${labels[1]} ${JSON.stringify(b)}`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const tolerateHeredocNewline = args.includes("--tolerate-heredoc-newline");
  const [jsonPlan, hclPlan] = args.filter((a) => !a.startsWith("--"));
  if (!jsonPlan || !hclPlan) {
    console.error("usage: compare-plans.ts JSON_PLAN.json HCL_PLAN.json [--tolerate-heredoc-newline]");
    process.exit(2);
  }
  const read = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as PlanJson;
  const a = read(jsonPlan);
  const { problems, heredocNewlines } = comparePlans(a, read(hclPlan), { tolerateHeredocNewline });
  if (problems.length > 0) {
    console.log(`plans differ (${problems.length}):\n${problems.map((p) => `  ${p}`).join("\n")}`);
    process.exit(1);
  }
  const extra =
    heredocNewlines.length > 0 ? `, ${heredocNewlines.length} strings with cdktf's extra heredoc newline` : "";
  console.log(`same plan: ${plannedResources(a).size} resources${extra}`);
}
