import { TerraformProvider, TerraformStack } from "cdktf";
import { PolicyAspect, PolicyFinding } from "./policy-aspect";
import { googleProviderConfigs, isKnown, PolicyResource } from "./resource-attributes";
import { rulesOf } from "./rules";

/** Props of {@link RequiredLabelsAspect}. */
export interface RequiredLabelsAspectProps {
  /**
   * Labels every labelled resource must carry, key and value (e.g. `env`, `app` and the
   * environment's configured labels).
   */
  readonly labels: Record<string, string>;
  /**
   * Whether the google provider's `default_labels` count: the provider merges them into every
   * resource that supports labels, so a resource need not repeat them.
   * @default true
   */
  readonly includeProviderDefaultLabels?: boolean;
}

/**
 * FS-LABELS-1: every resource that takes labels carries the required labels, with the required values.
 *
 * "Takes labels" means what the google provider means by it: the resource has `effective_labels`,
 * i.e. top-level `labels` that the provider's `default_labels` apply to. Resources whose `labels`
 * mean something else (a notification channel's settings, a metric descriptor's label schema)
 * have no `effective_labels` and are not checked. Labels that are unresolved tokens are not checked.
 */
export class RequiredLabelsAspect extends PolicyAspect {
  public readonly name = "required-labels";
  public readonly rules = rulesOf("RequiredLabelsAspect");
  private readonly required: Record<string, string>;
  private readonly includeProviderDefaults: boolean;
  private readonly providerDefaults = new WeakMap<object, Record<string, unknown> | null>();

  constructor(props: RequiredLabelsAspectProps) {
    super();
    this.required = props.labels;
    this.includeProviderDefaults = props.includeProviderDefaultLabels ?? true;
  }

  protected check(resource: PolicyResource): PolicyFinding[] {
    if (!("effectiveLabels" in resource.construct)) return [];
    const own = resource.attributes.labels;
    if (own !== undefined && !isKnown(own)) return [];
    const defaults = this.defaultsOf(TerraformStack.of(resource.construct), resource.construct.provider);
    if (defaults === null) return []; // provider default labels are a token: unknown here
    const effective: Record<string, unknown> = { ...defaults, ...((own as Record<string, unknown>) ?? {}) };
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const [key, value] of Object.entries(this.required)) {
      if (!(key in effective)) missing.push(key);
      else if (isKnown(effective[key]) && effective[key] !== value)
        wrong.push(`${key}=${String(effective[key])} (expected ${value})`);
    }
    const findings: PolicyFinding[] = [];
    if (missing.length)
      findings.push({
        rule: "FS-LABELS-1",
        message: `missing required labels ${missing.join(", ")} (set them on the resource or in the provider's default_labels)`,
      });
    if (wrong.length)
      findings.push({
        rule: "FS-LABELS-1",
        message: `labels with the wrong value: ${wrong.join(", ")}; set the expected values on the resource or in the provider's default_labels`,
      });
    return findings;
  }

  private defaultsOf(stack: TerraformStack, provider: TerraformProvider | undefined): Record<string, unknown> | null {
    if (!this.includeProviderDefaults) return {};
    // The resource's own provider when it names one (an alias), else the stack's default google provider.
    const key = provider ?? stack;
    if (!this.providerDefaults.has(key)) {
      let labels: unknown;
      if (provider) {
        const out = provider.toTerraform() as { provider?: Record<string, Record<string, unknown>[]> };
        labels = Object.values(out.provider ?? {})[0]?.[0]?.default_labels;
      } else {
        const main = googleProviderConfigs(stack).find((c) => c.alias === undefined) ?? {};
        labels = main.default_labels;
      }
      this.providerDefaults.set(
        key,
        labels === undefined ? {} : isKnown(labels) ? (labels as Record<string, unknown>) : null,
      );
    }
    return this.providerDefaults.get(key) ?? null;
  }
}
