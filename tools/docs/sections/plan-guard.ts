/**
 * docs/plan-guard.md: what the plan guard refuses, from `STATEFUL_RESOURCES`
 * (constructs/plan-safety/stateful-resources.ts), in table order.
 */
import { STATEFUL_RESOURCES } from "../../../constructs/plan-safety/stateful-resources";
import type { DocSection } from "../doc-section";
import { markdownTable } from "../markdown-table";

/** The refusals table: resource type, when a delete or replacement is refused, what it loses. */
export function renderPlanGuardRefusals(): string {
  return markdownTable(
    ["resource type", "refused", "what a delete or replacement loses"],
    STATEFUL_RESOURCES.map((kind) => [`\`${kind.type}\``, kind.when, kind.loses({})]),
  );
}

export const SECTIONS: DocSection[] = [
  { file: "docs/plan-guard.md", name: "plan-guard-refusals", render: renderPlanGuardRefusals },
];
