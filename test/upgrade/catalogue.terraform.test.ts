import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Construct } from "constructs";
import { TerraformStack, Testing } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { checkPlanSafety, PlannedChange } from "../../constructs/plan-safety/check-plan-safety";
import { CATALOGUE, CATALOGUE_PROJECT, ExpectedChange } from "../../tools/upgrade/catalogue";
import { planStackUpgrade, StackUpgrade } from "../../tools/upgrade/upgrade-plan";
import { ensureProvider, terraformAvailable } from "../../tools/validation/terraform";

// The catalogue of routine changes (tools/upgrade/catalogue.ts), planned by the upgrade lane with the
// real google provider: every case's "before" composed into one stack, every "after" into another, one
// offline state of the first, one plan of the second against it. Each case then asserts the actions
// its own resources get and the guard's verdicts.

function catalogueStack(head: boolean): unknown {
  const stack = new TerraformStack(Testing.app(), "catalogue");
  new GoogleProvider(stack, "google", { project: CATALOGUE_PROJECT, region: "us-central1" });
  for (const entry of CATALOGUE) entry.build(new Construct(stack, entry.id), head);
  return JSON.parse(Testing.synth(stack));
}

/** A change as the expectations spell it. */
function summary(change: PlannedChange): ExpectedChange {
  const forced = change.action === "replace" ? { forcedBy: [...change.forcedBy].sort() } : {};
  return { type: change.resourceType, action: change.action, verdict: change.verdict as "safe" | "refused", ...forced };
}

const order = (a: ExpectedChange, b: ExpectedChange) =>
  JSON.stringify([a.type, a.action, a.verdict]).localeCompare(JSON.stringify([b.type, b.action, b.verdict]));

/** The case a resource belongs to: cdktf's logical ids start with the construct ids of the path. */
function caseOf(change: PlannedChange): string | undefined {
  const logicalId = change.address.slice(change.resourceType.length + 1);
  return CATALOGUE.find((entry) => logicalId.startsWith(`${entry.id}_`))?.id;
}

const changed = (change: PlannedChange) => !["no-op", "read"].includes(change.action);

let upgrade: StackUpgrade;
let changes: PlannedChange[];
let scratch: string;

beforeAll(
  () => {
    if (!terraformAvailable()) throw new Error("terraform is not on the PATH: these machines ship 1.11.4");
    const provider = ensureProvider();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-catalogue-"));
    const started = Date.now();
    upgrade = planStackUpgrade(catalogueStack(false), catalogueStack(true), scratch, provider);
    changes = [...checkPlanSafety(upgrade.plan).changes];
    console.log(
      `catalogue: ${CATALOGUE.length} cases, ${upgrade.plan.resource_changes?.length} resources; state in ` +
        `${upgrade.stateRounds} plans (${upgrade.timings.stateMs} ms), upgrade plan ${upgrade.timings.planMs} ms, ` +
        `total ${Date.now() - started} ms`,
    );
  },
  30 * 60 * 1000,
);

afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

describe("the catalogue of routine changes, planned against an offline state of the base", () => {
  test.each(CATALOGUE.map((entry) => [entry.change, entry] as const))("%s", (_, entry) => {
    const actual = changes.filter((change) => changed(change) && caseOf(change) === entry.id).map(summary);
    const expected = entry.expected.map((e) => (e.forcedBy ? { ...e, forcedBy: [...e.forcedBy].sort() } : e));
    expect(actual.sort(order)).toEqual(expected.sort(order));
  });

  test("nothing outside the cases changes: every change belongs to a case", () => {
    const stray = changes.filter((change) => changed(change) && caseOf(change) === undefined);
    expect(stray.map((change) => change.address)).toEqual([]);
  });

  test("the built provider agrees with 6.50.0 on every case: no correction was needed", () => {
    expect(upgrade.corrections).toEqual([]);
  });
});
