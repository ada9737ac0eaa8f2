/**
 * docs/policy.md: the rules of the policy Aspects, from `POLICY_RULES` (constructs/policy/rules.ts),
 * in catalogue order.
 */
import { POLICY_RULES } from "../../../constructs/policy/rules";
import type { DocSection } from "../doc-section";
import { markdownTable } from "../markdown-table";

/** The rules table: id, aspect, what it checks, why. */
export function renderPolicyRules(): string {
  return markdownTable(
    ["id", "aspect", "what it checks", "why"],
    POLICY_RULES.map((rule) => [`\`${rule.id}\``, `\`${rule.aspect}\``, rule.summary, rule.explanation]),
  );
}

export const SECTIONS: DocSection[] = [{ file: "docs/policy.md", name: "policy-rules", render: renderPolicyRules }];
