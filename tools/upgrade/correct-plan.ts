/**
 * Gives a plan made with the provider built here 6.50.0's answer (provider-differences.ts): a
 * replacement forced only by attributes 6.50.0 does not have, or can update, becomes an update in
 * place; an update of an attribute only 6.50.0 cannot update becomes a replacement. The plan is
 * copied, never changed in place; the corrections are listed.
 */
import { attributePath, Correction, differenceFor } from "./provider-differences";
import type { PlanJson, ResourceChange } from "./terraform-workspace";

type Path = (string | number)[];

/** The leaf paths where `before` and `after` differ. */
export function changedPaths(before: unknown, after: unknown, prefix: Path = []): Path[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const container = (value: unknown) => value !== null && typeof value === "object";
  if (!container(before) || !container(after) || Array.isArray(before) !== Array.isArray(after)) return [prefix];
  const keys = new Set([...Object.keys(before as object), ...Object.keys(after as object)]);
  return [...keys].flatMap((key) => {
    const step = Array.isArray(before) ? Number(key) : key;
    const b = (before as Record<string, unknown>)[key];
    const a = (after as Record<string, unknown>)[key];
    return changedPaths(b, a, [...prefix, step]);
  });
}

const REPLACE = ["delete", "create"];

function isReplace(actions: readonly string[]): boolean {
  return actions.length === 2 && actions.includes("delete") && actions.includes("create");
}

/** The corrected change, and the correction made, when 6.50.0 would plan `change` differently. */
function correctChange(change: ResourceChange): { change: ResourceChange; correction?: Correction } {
  const { actions } = change.change;
  if (isReplace(actions) && change.change.replace_paths?.length) {
    const kept = change.change.replace_paths.filter(
      (path) =>
        differenceFor(change.type, attributePath(path))?.v6_50_0 !== "updates in place" &&
        differenceFor(change.type, attributePath(path))?.v6_50_0 !== "absent",
    );
    if (kept.length === change.change.replace_paths.length) return { change };
    if (kept.length > 0) return { change: { ...change, change: { ...change.change, replace_paths: kept } } };
    const dropped = change.change.replace_paths.map(attributePath).join(", ");
    return {
      change: { ...change, change: { ...change.change, actions: ["update"], replace_paths: undefined } },
      correction: {
        address: change.address,
        from: "replace",
        to: "update",
        reason: `6.50.0 does not replace the resource for ${dropped} (see provider-differences.ts)`,
      },
    };
  }
  if (actions.length === 1 && actions[0] === "update") {
    const forcing = changedPaths(change.change.before, change.change.after).filter(
      (path) => differenceFor(change.type, attributePath(path))?.v6_50_0 === "forces replacement",
    );
    if (forcing.length === 0) return { change };
    return {
      change: { ...change, change: { ...change.change, actions: REPLACE, replace_paths: forcing } },
      correction: {
        address: change.address,
        from: "update",
        to: "replace",
        reason: `6.50.0 cannot update ${forcing.map(attributePath).join(", ")} in place (see provider-differences.ts)`,
      },
    };
  }
  return { change };
}

/** A copy of `plan` with 6.50.0's actions, and the corrections made. */
export function correctPlan(plan: PlanJson): { plan: PlanJson; corrections: Correction[] } {
  const corrections: Correction[] = [];
  const resourceChanges = (plan.resource_changes ?? []).map((change) => {
    const corrected = correctChange(change);
    if (corrected.correction) corrections.push(corrected.correction);
    return corrected.change;
  });
  return { plan: { ...plan, resource_changes: resourceChanges }, corrections };
}
