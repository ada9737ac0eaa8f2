/**
 * The upgrade lane's core: what the working tree's stack plans against a state of the base's stack,
 * with the real google provider, offline. Used by the command (plan-upgrade.ts) and by the catalogue
 * of routine changes (test/upgrade), which composes small stacks in-process instead of whole
 * environments.
 */
import * as path from "node:path";
import type { BuiltProvider } from "../validation/terraform";
import { correctPlan } from "./correct-plan";
import { buildOfflineState, OfflineState } from "./offline-state";
import type { Correction } from "./provider-differences";
import { providerSchemas } from "./provider-schema";
import { PlanJson, TerraformWorkspace } from "./terraform-workspace";

/** What one stack's upgrade plans. */
export interface StackUpgrade {
  /** The plan with 6.50.0's actions (correct-plan.ts): what the guard reads. */
  readonly plan: PlanJson;
  /** `terraform show -json` of the plan as the built provider made it. */
  readonly rawPlan: PlanJson;
  /** Where 6.50.0's answer differs from the built provider's. */
  readonly corrections: Correction[];
  /** Plans it took to build a state of the base that round-trips (0: no base, nothing exists yet). */
  readonly stateRounds: number;
  /** Wall-clock milliseconds: building the state, planning the working tree. */
  readonly timings: { readonly stateMs: number; readonly planMs: number };
}

/** The cache file of the provider schemas, next to the built provider. */
export function schemaCacheFile(provider: BuiltProvider): string {
  return path.join(path.dirname(provider.env.TF_CLI_CONFIG_FILE), `schemas-${provider.version}.json`);
}

/** An offline state of a stack, and the workspace it was built and written in. */
export interface BaseState {
  readonly workspace: TerraformWorkspace;
  readonly state: OfflineState;
  /** Plans it took to build a state that round-trips. */
  readonly rounds: number;
}

/**
 * Builds the offline state of `base` (a synthesized stack, parsed cdk.tf.json) in the scratch folder `dir`
 * (offline-state.ts), which then holds it: sensitive values in clear text, the caller removes the folder.
 */
export function offlineStateOf(base: unknown, dir: string, provider: BuiltProvider): BaseState {
  const workspace = new TerraformWorkspace(dir, base, provider);
  const schemasOf = (providers: string[]) => providerSchemas(workspace, schemaCacheFile(provider), providers);
  const { state, rounds } = buildOfflineState(workspace, schemasOf);
  return { workspace, state, rounds };
}

/**
 * Plans `head` (a synthesized stack, parsed cdk.tf.json) against an offline state of `base` (none when
 * the stack is new) in the scratch folder `dir`, which then holds the state and plan (sensitive values
 * in clear text: the caller removes it).
 */
export function planStackUpgrade(
  base: unknown | undefined,
  head: unknown,
  dir: string,
  provider: BuiltProvider,
): StackUpgrade {
  let start = Date.now();
  let workspace: TerraformWorkspace;
  let stateRounds = 0;
  if (base !== undefined) {
    ({ workspace, rounds: stateRounds } = offlineStateOf(base, dir, provider));
    workspace.configure(head);
  } else {
    workspace = new TerraformWorkspace(dir, head, provider);
  }
  const stateMs = Date.now() - start;
  start = Date.now();
  const rawPlan = workspace.plan();
  const { plan, corrections } = correctPlan(rawPlan);
  return { plan, rawPlan, corrections, stateRounds, timings: { stateMs, planMs: Date.now() - start } };
}
