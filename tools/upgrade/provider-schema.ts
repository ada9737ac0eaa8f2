/**
 * The resource schemas of the providers a stack uses (`terraform providers schema -json`): attribute
 * types to fill unknown values with, and each resource type's schema version for the offline state.
 * Cached per provider version next to the built provider (about 9 MB, a second to produce).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TerraformWorkspace } from "./terraform-workspace";

/** A cty type as the schema JSON spells it: "string", ["list","string"], ["object",{…}]… */
export type CtyType = string | [string, CtyType | Record<string, CtyType>] | [string, Record<string, CtyType>, string[]];

/** One attribute of a block. */
export interface SchemaAttribute {
  readonly type?: CtyType;
  readonly computed?: boolean;
  readonly optional?: boolean;
  readonly required?: boolean;
  readonly sensitive?: boolean;
}

/** A block: attributes and nested block types. */
export interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, { nesting_mode: string; block: SchemaBlock }>;
}

/** A resource type's schema. */
export interface ResourceSchema {
  readonly version: number;
  readonly block: SchemaBlock;
}

/** Resource schemas by provider source address ("registry.terraform.io/hashicorp/google") and type. */
export type ProviderSchemas = Record<string, Record<string, ResourceSchema>>;

interface SchemaJson {
  provider_schemas: Record<string, { resource_schemas?: Record<string, ResourceSchema> }>;
}

/**
 * The schemas of the providers `workspace` is initialised with; read from `cacheFile` when present,
 * else produced there and written (the builtin terraform provider's too).
 */
export function providerSchemas(workspace: TerraformWorkspace, cacheFile: string): ProviderSchemas {
  let raw: SchemaJson;
  if (fs.existsSync(cacheFile)) {
    raw = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as SchemaJson;
  } else {
    raw = JSON.parse(workspace.run(["providers", "schema", "-json"])) as SchemaJson;
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(temporary, JSON.stringify(raw));
    fs.renameSync(temporary, cacheFile);
  }
  const schemas: ProviderSchemas = {};
  for (const [source, provider] of Object.entries(raw.provider_schemas)) {
    schemas[source] = provider.resource_schemas ?? {};
  }
  return schemas;
}
