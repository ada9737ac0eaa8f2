import { IConstruct } from "constructs";
import { Annotations, TerraformResource, TerraformStack, Token } from "cdktf";
import type { PolicyResource } from "./resource-attributes";

/** Metadata type under which a suppression is stored on its construct. */
const SUPPRESSION_METADATA = "fresh-streams:policy-suppression";

/** The shortest reason a suppression accepts, in characters (leading and trailing blanks not counted). */
export const MIN_SUPPRESSION_REASON_LENGTH = 10;

/** A deliberate exception to one policy rule, with the reason a reviewer reads. */
export interface PolicySuppression {
  /** Id of the rule suppressed, e.g. `FS-PROD-1` (see `POLICY_RULES` and docs/policy.md). */
  readonly id: string;
  /** Why the rule does not apply here, for a reviewer: at least 10 characters. */
  readonly reason: string;
}

/**
 * The policy suppressions of a construct, the cdk-nag way:
 * `PolicySuppressions.of(construct).add({ id: "FS-PROD-1", reason: "…" })`.
 *
 * A suppression silences its rule on the construct and on everything below it (so a suppression
 * on a higher-level construct covers its resources), and on nothing else. Each suppression that
 * silences a finding is written into the synthesized Terraform JSON, under `//` (Terraform's
 * comment key): on the resource as `policySuppressions: [{ id, reason, declaredOn }]` (except on
 * data sources, whose `//` cdktf rewrites), and on the stack as a list of every suppressed
 * resource with its reason.
 *
 * Synthesis fails on a suppression whose reason is shorter than 10 characters or whose rule id
 * is not a rule of the project nor of a policy aspect applied to the construct. A suppression
 * whose rule finds nothing on the construct or below it (or is not checked there) is stale: it
 * is reported as a warning so that it can be removed.
 */
export class PolicySuppressions {
  /** The suppressions of `scope`. */
  public static of(scope: IConstruct): PolicySuppressions {
    return new PolicySuppressions(scope);
  }

  private constructor(private readonly scope: IConstruct) {}

  /** The suppressions added on this construct itself (not those inherited from its scopes). */
  public get all(): PolicySuppression[] {
    return declaredSuppressions(this.scope);
  }

  /** Suppresses rules on this construct and everything below it, each with its reason. */
  public add(...suppressions: PolicySuppression[]): void {
    const path = pathOf(this.scope);
    for (const { id, reason } of suppressions) {
      if (typeof id !== "string" || Token.isUnresolved(id) || id.trim() === "") {
        Annotations.of(this.scope).addError(
          `[policy suppression] ${path}: the rule id ${JSON.stringify(String(id))} is not a literal rule id; name one of POLICY_RULES, e.g. FS-PROD-1`,
        );
        continue;
      }
      const text = typeof reason === "string" ? reason.trim() : "";
      if (!Token.isUnresolved(reason) && text.length < MIN_SUPPRESSION_REASON_LENGTH) {
        Annotations.of(this.scope).addError(
          `${suppressionPrefix(id)} ${path}: the suppression's reason ${JSON.stringify(text)} is too short (${text.length} characters); write at least ${MIN_SUPPRESSION_REASON_LENGTH} saying why the rule does not apply here`,
        );
      }
      if (declaredSuppressions(this.scope).some((s) => s.id === id)) {
        Annotations.of(this.scope).addError(
          `${suppressionPrefix(id)} ${path}: ${id} is suppressed twice on this construct; keep one suppression with one reason`,
        );
        continue;
      }
      this.scope.node.addMetadata(SUPPRESSION_METADATA, { id, reason: typeof reason === "string" ? text : reason });
    }
  }
}

/** The suppressions declared on a construct itself. */
export function declaredSuppressions(construct: IConstruct): PolicySuppression[] {
  return construct.node.metadata
    .filter((m) => m.type === SUPPRESSION_METADATA)
    .map((m) => {
      const { id, reason } = m.data as PolicySuppression;
      return { id, reason };
    });
}

/** A suppression that covers a construct, with the path of the construct it was declared on. */
export interface FoundSuppression extends PolicySuppression {
  readonly declaredOn: string;
}

/** The suppression of rule `id` nearest to `construct`: on the construct itself or on one of its scopes. */
export function findSuppression(construct: IConstruct, id: string): FoundSuppression | undefined {
  for (let c: IConstruct | undefined = construct; c; c = c.node.scope) {
    const hit = declaredSuppressions(c).find((s) => s.id === id);
    if (hit) return { ...hit, declaredOn: pathOf(c) };
  }
  return undefined;
}

/** How messages about a suppression of rule `id` start. */
export function suppressionPrefix(id: string): string {
  return `[${id} suppression]`;
}

/** A construct's path, or `<app>` for the root. */
export function pathOf(construct: IConstruct): string {
  return construct.node.path || "<app>";
}

interface StackEntry extends FoundSuppression {
  readonly type: string;
  readonly path: string;
}

const appliedOnResource = new WeakMap<IConstruct, Map<string, FoundSuppression>>();
const appliedInStack = new WeakMap<TerraformStack, Map<string, StackEntry>>();

/**
 * Records in the synthesized JSON that `suppression` silenced a finding on `resource`: under
 * `//.policySuppressions` on the resource (data sources excepted: cdktf rewrites their `//`), and
 * on the stack. Idempotent: aspects may run more than once.
 */
export function recordAppliedSuppression(resource: PolicyResource, suppression: FoundSuppression): void {
  const { id, reason, declaredOn } = suppression;
  if (TerraformResource.isTerraformResource(resource.construct)) {
    const byId = appliedOnResource.get(resource.construct) ?? new Map<string, FoundSuppression>();
    appliedOnResource.set(resource.construct, byId);
    byId.set(id, { id, reason, declaredOn });
    resource.construct.addOverride(
      "//.policySuppressions",
      [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)),
    );
  }
  const stack = TerraformStack.of(resource.construct);
  const entries = appliedInStack.get(stack) ?? new Map<string, StackEntry>();
  appliedInStack.set(stack, entries);
  entries.set(`${resource.path}\n${id}`, { type: resource.type, path: resource.path, id, reason, declaredOn });
  stack.addOverride(
    "//.policySuppressions",
    [...entries.values()].sort((a, b) => a.path.localeCompare(b.path) || a.id.localeCompare(b.id)),
  );
}
