import { IConstruct } from "constructs";
import {
  Annotations,
  IAspect,
  TerraformDataSource,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  Token,
} from "cdktf";

/** One synthesized resource as policy rules see it: type, construct path, final attributes. */
export interface PolicyResource {
  /** The construct (a provider resource). */
  readonly construct: TerraformResource;
  /** Terraform type, e.g. `google_bigquery_table`. */
  readonly type: string;
  /** Construct path, e.g. `prod/warehouse/raw/wiki-changes/table`. */
  readonly path: string;
  /**
   * The resource's attributes exactly as they will be synthesized: snake_case keys, escape-hatch
   * overrides applied, unresolved values still tokens (test them with {@link isKnown}).
   */
  readonly attributes: Record<string, unknown>;
}

/** True for a value known at synth time (not a token, not a reference). */
export function isKnown(value: unknown): boolean {
  return value !== undefined && !Token.isUnresolved(value);
}

/** The first element of a block that cdktf may synthesize either as an object or as a one-element list. */
export function block(value: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== null && typeof first === "object" && !Token.isUnresolved(first)
    ? (first as Record<string, unknown>)
    : undefined;
}

/** The synthesized attributes of a provider resource, or undefined for anything else. */
export function policyResource(node: IConstruct): PolicyResource | undefined {
  if (!TerraformResource.isTerraformResource(node)) return undefined;
  const resource = node as TerraformResource;
  const synthesized = resource.toTerraform() as { resource?: Record<string, Record<string, Record<string, unknown>>> };
  const byType = synthesized.resource?.[resource.terraformResourceType];
  const attributes = byType ? Object.values(byType)[0] : undefined;
  if (!attributes) return undefined; // moved resources
  return { construct: resource, type: resource.terraformResourceType, path: resource.node.path, attributes };
}

/** The synthesized attributes of a data source (type prefixed `data.`), or undefined for anything else. */
export function policyDataSource(node: IConstruct): PolicyResource | undefined {
  if (!TerraformDataSource.isTerraformDataSource(node)) return undefined;
  const source = node as TerraformDataSource;
  const synthesized = source.toTerraform() as { data?: Record<string, Record<string, Record<string, unknown>>> };
  const byType = synthesized.data?.[source.terraformResourceType];
  const attributes = byType ? Object.values(byType)[0] : undefined;
  if (!attributes) return undefined;
  return {
    construct: source as unknown as TerraformResource,
    type: `data.${source.terraformResourceType}`,
    path: source.node.path,
    attributes,
  };
}

/** The synthesized configuration of the stack's `google` providers (the default one first). */
export function googleProviderConfigs(stack: TerraformStack): Record<string, unknown>[] {
  return stack.node
    .findAll()
    .filter(
      (c): c is TerraformProvider => TerraformProvider.isTerraformProvider(c) && c.terraformResourceType === "google",
    )
    .map((p) => {
      const out = p.toTerraform() as { provider?: Record<string, Record<string, unknown>[]> };
      return out.provider?.google?.[0] ?? {};
    });
}

/**
 * Base of the project's policy Aspects: visits every provider resource once and reports each
 * violation as an error annotation on it. cdktf refuses to synthesize a stack that carries error
 * annotations (`app.synth()` throws, `cdktf synth` exits non-zero), and the message names the
 * resource by type and construct path.
 */
export abstract class PolicyAspect implements IAspect {
  /** Short rule name used in messages, e.g. `required-labels`. */
  public abstract readonly rule: string;
  // Aspects can run more than once on a stack (Testing.synth then fullSynth): report each problem once.
  private readonly reported = new Set<string>();

  /** Whether the rule also looks at data sources (their type is then `data.<type>`). */
  protected readonly includeDataSources: boolean = false;

  public visit(node: IConstruct): void {
    const resource = policyResource(node) ?? (this.includeDataSources ? policyDataSource(node) : undefined);
    if (!resource) return;
    for (const problem of this.check(resource)) {
      const message = `[policy:${this.rule}] ${resource.type} ${resource.path}: ${problem}`;
      if (this.reported.has(message)) continue;
      this.reported.add(message);
      Annotations.of(node).addError(message);
    }
  }

  /** The violations of this rule by one resource, as sentences (empty when it complies). */
  protected abstract check(resource: PolicyResource): string[];
}
