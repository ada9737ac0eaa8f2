/**
 * Plans a synthesized stack with terraform and the real google provider against an offline state of another
 * version of the stack (no cloud, no credentials), for the plan guard's end-to-end test.
 *
 * The state of the base version is built the way an apply would leave it, as far as a plan can tell: the planned
 * values of the base against an empty state, each resource at its schema version (`terraform providers schema
 * -json`), an `id` in the provider's format, then re-planned against itself until it plans no change, so that
 * attributes known only after apply (a topic's id that a subscription names) are filled consistently.
 *
 * `terraform show -json` prints secret values: the plans stay in memory and in the temporary folder only.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { BuiltProvider, prepareForValidation } from "../../tools/validation/terraform";

type Attributes = Record<string, unknown>;

/** One stack's folder, ready for terraform (init done). */
export interface PlanFolder {
  readonly dir: string;
  /** The synthesized cdk.tf.json, parsed (its "//" metadata kept). */
  readonly synthesized: unknown;
}

/** Synthesizes `stack` into a temporary folder, prepared for the built provider and initialised. */
export function synthesizeForPlan(stack: TerraformStack, provider: BuiltProvider, cleanup: string[]): PlanFolder {
  const outdir = Testing.fullSynth(stack);
  cleanup.push(outdir);
  const synthesized = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack.node.id, "cdk.tf.json"), "utf8"));
  prepareForValidation(outdir, provider.version);
  const dir = path.join(outdir, "stacks", stack.node.id);
  terraform(dir, provider, ["init", "-backend=false", "-input=false", "-no-color"]);
  return { dir, synthesized };
}

/** Runs terraform in `dir`; on failure, throws with its messages (never with a plan's JSON). */
function terraform(dir: string, provider: BuiltProvider, args: string[]): string {
  try {
    return execFileSync("terraform", [`-chdir=${dir}`, ...args], {
      env: { ...process.env, ...provider.env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stderr?: string };
    throw new Error(`terraform ${args[0]} failed in ${dir}:\n${e.stderr ?? ""}`.slice(0, 6000));
  }
}

/** `terraform plan -refresh=false -out` against the state in the folder, shown as JSON. */
export function planJson(folder: PlanFolder, provider: BuiltProvider): any {
  terraform(folder.dir, provider, [
    "plan",
    "-refresh=false",
    "-lock=false",
    "-input=false",
    "-no-color",
    "-out=plan.bin",
  ]);
  return JSON.parse(terraform(folder.dir, provider, ["show", "-json", "plan.bin"]));
}

/** Ids in the provider's format, for the resource types of the test stack (others: `type/name`). */
const ID_FORMATS: Record<string, (a: Attributes) => string> = {
  google_bigquery_dataset: (a) => `projects/${a.project}/datasets/${a.dataset_id}`,
  google_bigquery_table: (a) => `projects/${a.project}/datasets/${a.dataset_id}/tables/${a.table_id}`,
  google_pubsub_topic: (a) => `projects/${a.project}/topics/${a.name}`,
  google_pubsub_subscription: (a) => `projects/${a.project}/subscriptions/${a.name}`,
};

interface StateResource {
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  attributes: Attributes;
}

/** Writes `resources` as a version-4 state file in `dir`. */
function writeState(
  dir: string,
  provider: string,
  resources: readonly StateResource[],
  versions: Record<string, number>,
): void {
  const state = {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "00000000-0000-4000-8000-000000000000",
    outputs: {},
    resources: resources.map((r) => ({
      mode: r.mode,
      type: r.type,
      name: r.name,
      provider: `provider["${provider}"]`,
      instances: [{ schema_version: versions[r.type] ?? 0, attributes: r.attributes, sensitive_attributes: [] }],
    })),
    check_results: null,
  };
  fs.writeFileSync(path.join(dir, "terraform.tfstate"), JSON.stringify(state));
}

/**
 * Builds the offline state of `base` (see the module's comment) and returns it as the text of a state file.
 * Throws when the base does not plan zero changes against its own state within a few rounds.
 */
export function offlineState(base: PlanFolder, provider: BuiltProvider): string {
  const schemas = JSON.parse(terraform(base.dir, provider, ["providers", "schema", "-json"]));
  // The google provider's full source address, as terraform names it (its registry host in front).
  const google = Object.keys(schemas.provider_schemas).find((source) => source.endsWith("/hashicorp/google"))!;
  const versions: Record<string, number> = Object.fromEntries(
    Object.entries(schemas.provider_schemas[google].resource_schemas as Record<string, { version: number }>).map(
      ([type, schema]) => [type, schema.version],
    ),
  );
  const resources = new Map<string, StateResource>();
  for (let round = 0; round < 4; round++) {
    const plan = planJson(base, provider);
    const changes = (plan.resource_changes ?? []).filter((c: any) => c.mode === "managed");
    if (round > 0 && changes.every((c: any) => c.change.actions.join() === "no-op")) {
      return fs.readFileSync(path.join(base.dir, "terraform.tfstate"), "utf8");
    }
    for (const c of changes) {
      const known = c.change.after ?? {};
      const previous = resources.get(c.address)?.attributes ?? {};
      const attributes: Attributes = { ...previous, ...known };
      attributes.id = ID_FORMATS[c.type]?.(attributes) ?? `${c.type}/${c.name}`;
      resources.set(c.address, { mode: "managed", type: c.type, name: c.name, attributes });
    }
    writeState(base.dir, google, [...resources.values()], versions);
  }
  const left = planJson(base, provider).resource_changes.filter((c: any) => c.change.actions.join() !== "no-op");
  throw new Error(
    `the offline state does not round-trip: ${left.map((c: any) => `${c.address} ${c.change.actions}`).join("; ")}`,
  );
}

/** A temporary folder the caller removes. */
export function tempDir(cleanup: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-guard-"));
  cleanup.push(dir);
  return dir;
}
