import { IConstruct } from "constructs";
import { Annotations, Aspects, IAspect } from "cdktf";
import { POLICY_RULES, PolicyRule } from "./rules";
import { PolicyResource, policyDataSource, policyResource } from "./resource-attributes";
import {
  declaredSuppressions,
  findSuppression,
  pathOf,
  PolicySuppression,
  recordAppliedSuppression,
  suppressionPrefix,
} from "./suppressions";

/** One violation of a rule by one resource. */
export interface PolicyFinding {
  /** Id of the rule broken: one of the aspect's {@link PolicyAspect.rules}. */
  readonly rule: string;
  /**
   * What is wrong, naming the bad value, and how to fix it, e.g.
   * `deletion_protection is false in a production environment; leave it true`.
   */
  readonly message: string;
}

/**
 * Base of the project's policy Aspects: visits every provider resource once and reports each
 * finding as an error annotation on it (a warning for a rule whose `level` is `warning`),
 * `[<rule id> <aspect name>] <type> <construct path>: <message>`.
 * cdktf refuses to synthesize a stack that carries error annotations (`app.synth()` throws,
 * `cdktf synth` exits non-zero).
 *
 * A finding covered by a {@link PolicySuppressions} suppression of its rule (on the resource or
 * one of its scopes) is not reported; the suppression is written into the synthesized JSON.
 * The aspect also reviews the suppressions declared on the constructs it visits: an unknown rule
 * id is an error, a suppression that silences nothing is a warning.
 *
 * To write a rule of your own, subclass it: give each distinct check a stable id in `rules`, and
 * return findings naming those ids from `check`.
 */
export abstract class PolicyAspect implements IAspect {
  /** Short name used in messages after the rule id, e.g. `production-safety`. */
  public abstract readonly name: string;
  /** The rules this aspect checks; every finding names one of them. */
  public abstract readonly rules: readonly PolicyRule[];
  /** Whether the aspect also looks at data sources (their type is then `data.<type>`). */
  protected readonly includeDataSources: boolean = false;
  // Aspects can run more than once on a stack (Testing.synth then fullSynth): report each problem once.
  private readonly reported = new Set<string>();

  public visit(node: IConstruct): void {
    const declared = declaredSuppressions(node);
    if (declared.length > 0) this.reviewSuppressions(node, declared);
    const resource = this.resourceOf(node);
    if (!resource) return;
    for (const finding of this.findings(resource)) {
      const suppression = findSuppression(node, finding.rule);
      if (suppression) recordAppliedSuppression(resource, suppression);
      else
        this.report(
          node,
          this.levelOf(finding.rule),
          `[${finding.rule} ${this.name}] ${resource.type} ${resource.path}: ${finding.message}`,
        );
    }
  }

  /** The violations of this aspect's rules by one resource (empty when it complies). */
  protected abstract check(resource: PolicyResource): PolicyFinding[];

  /** Whether a finding of rule `id` fails synthesis (`error`, the default) or is only reported (`warning`). */
  private levelOf(id: string): "error" | "warning" {
    return this.rules.find((r) => r.id === id)?.level ?? "error";
  }

  private resourceOf(node: IConstruct): PolicyResource | undefined {
    return policyResource(node) ?? (this.includeDataSources ? policyDataSource(node) : undefined);
  }

  private findings(resource: PolicyResource): PolicyFinding[] {
    const findings = this.check(resource);
    for (const f of findings) {
      if (!this.rules.some((r) => r.id === f.rule)) {
        throw new Error(
          `${this.constructor.name} reported a finding of rule ${f.rule}, which is not one of its rules (${this.rules.map((r) => r.id).join(", ")})`,
        );
      }
    }
    return findings;
  }

  /**
   * Reviews the suppressions declared on `node`. Each is reviewed by one aspect only: the first
   * policy aspect applied to the node that checks its rule, or, for a rule no applied aspect
   * checks, the first policy aspect applied to the node.
   */
  private reviewSuppressions(node: IConstruct, declared: PolicySuppression[]): void {
    const applied = policyAspectsOf(node);
    const path = pathOf(node);
    for (const { id } of declared) {
      const prefix = suppressionPrefix(id);
      const owner = applied.find((a) => a.rules.some((r) => r.id === id));
      if (!owner) {
        if (applied[0] !== this) continue;
        const builtIn = POLICY_RULES.find((r) => r.id === id);
        if (builtIn) {
          this.report(
            node,
            "warning",
            `${prefix} ${path}: stale suppression: ${id} is not checked here (no ${builtIn.aspect} is applied to ${path}); remove the suppression`,
          );
        } else {
          const known = [...new Set([...POLICY_RULES, ...applied.flatMap((a) => a.rules)].map((r) => r.id))];
          this.report(
            node,
            "error",
            `${prefix} ${path}: ${id} is not a policy rule id; use one of ${known.join(", ")} (docs/policy.md)`,
          );
        }
        continue;
      }
      if (owner !== this) continue;
      const used = node.node.findAll().some((c) => {
        const resource = this.resourceOf(c);
        return resource !== undefined && this.findings(resource).some((f) => f.rule === id);
      });
      if (!used) {
        this.report(
          node,
          "warning",
          `${prefix} ${path}: stale suppression: ${id} finds nothing to suppress on ${path} or below; remove the suppression`,
        );
      }
    }
  }

  private report(node: IConstruct, level: "error" | "warning", message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    if (level === "error") Annotations.of(node).addError(message);
    else Annotations.of(node).addWarning(message);
  }
}

/** The policy aspects applied to a construct (added to it or to one of its scopes), outermost first. */
function policyAspectsOf(node: IConstruct): PolicyAspect[] {
  const aspects: PolicyAspect[] = [];
  for (const scope of node.node.scopes) {
    for (const aspect of Aspects.of(scope).all) {
      if (aspect instanceof PolicyAspect && !aspects.includes(aspect)) aspects.push(aspect);
    }
  }
  return aspects;
}
