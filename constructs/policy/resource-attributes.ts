import { IConstruct } from "constructs";
import { TerraformDataSource, TerraformProvider, TerraformResource, TerraformStack, Token } from "cdktf";
import { synthesizedAttributes } from "../core/synthesized-attributes";

/** One synthesized resource (or data source) as policy rules see it: type, construct path, final attributes. */
export interface PolicyResource {
  /** The construct: a provider resource, or a data source when the type starts with `data.`. */
  readonly construct: TerraformResource | TerraformDataSource;
  /** Terraform type, e.g. `google_bigquery_table`; data sources are prefixed, e.g. `data.google_iam_policy`. */
  readonly type: string;
  /** Construct path, e.g. `prod/warehouse/raw/wiki-changes/table`. */
  readonly path: string;
  /**
   * The resource's attributes exactly as they will be synthesized: snake_case keys, escape-hatch
   * overrides applied, unresolved values still tokens.
   */
  readonly attributes: Record<string, unknown>;
}

/** True for a value known at synth time (not a token, not a reference). */
export { isKnown } from "../core/validation";

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
  const attributes = synthesizedAttributes(resource);
  if (!attributes) return undefined; // moved resources
  return { construct: resource, type: resource.terraformResourceType, path: resource.node.path, attributes };
}

/** The synthesized attributes of a data source (type prefixed `data.`), or undefined for anything else. */
export function policyDataSource(node: IConstruct): PolicyResource | undefined {
  if (!TerraformDataSource.isTerraformDataSource(node)) return undefined;
  const source = node as TerraformDataSource;
  const attributes = synthesizedAttributes(source);
  if (!attributes) return undefined;
  return { construct: source, type: `data.${source.terraformResourceType}`, path: source.node.path, attributes };
}

/** The synthesized configuration of the stack's `google` providers, in construct order. */
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
