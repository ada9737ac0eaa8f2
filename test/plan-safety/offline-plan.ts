/**
 * Plans of the plan guard's test stack with terraform and the real google provider against an offline state of
 * its base version (no cloud, no credentials), through the upgrade lane's own parts (tools/upgrade): one state of
 * the base, then one plan per variant in a workspace of its own, with 6.50.0's answers.
 *
 * `terraform show -json` prints secret values: the plans stay in memory and in the temporary folders only.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { correctPlan } from "../../tools/upgrade/correct-plan";
import type { OfflineState } from "../../tools/upgrade/offline-state";
import { PlanJson, TerraformWorkspace } from "../../tools/upgrade/terraform-workspace";
import { offlineStateOf } from "../../tools/upgrade/upgrade-plan";
import type { BuiltProvider } from "../../tools/validation/terraform";

/** The synthesized cdk.tf.json of `stack`, parsed, with its "//" metadata (the construct paths) kept. */
export function synthesized(stack: TerraformStack, cleanup: string[]): unknown {
  const outdir = Testing.fullSynth(stack);
  cleanup.push(outdir);
  return JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stack.node.id, "cdk.tf.json"), "utf8"));
}

/** The offline state of `base`, built in a temporary folder. */
export function baseState(base: unknown, provider: BuiltProvider, cleanup: string[]): OfflineState {
  return offlineStateOf(base, tempDir(cleanup), provider).state;
}

/** `head` planned against `state` (`terraform plan -refresh=false`), with 6.50.0's actions. */
export function planAgainst(state: OfflineState, head: unknown, provider: BuiltProvider, cleanup: string[]): PlanJson {
  const workspace = new TerraformWorkspace(tempDir(cleanup), head, provider);
  workspace.writeState(state);
  return correctPlan(workspace.plan()).plan;
}

/** A temporary folder the caller removes. */
function tempDir(cleanup: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-guard-"));
  cleanup.push(dir);
  return path.join(dir, "stack");
}
