import { TerraformDataSource, TerraformResource } from "cdktf";

/** A synthesized block of Terraform JSON keyed by type, then by logical id (`resource` or `data`). */
type ElementsByType = Record<string, Record<string, Record<string, unknown>>>;

/**
 * The attributes of one provider resource or data source exactly as they will be synthesized: snake_case keys,
 * escape-hatch overrides applied, unresolved values still tokens; undefined for a moved resource, which
 * synthesizes no block of its own.
 */
export function synthesizedAttributes(
  element: TerraformResource | TerraformDataSource,
): Record<string, unknown> | undefined {
  const block = TerraformDataSource.isTerraformDataSource(element) ? "data" : "resource";
  const synthesized = element.toTerraform() as Partial<Record<typeof block, ElementsByType>>;
  const byType = synthesized[block]?.[element.terraformResourceType];
  return byType ? Object.values(byType)[0] : undefined;
}
