/**
 * The resource schemas of the providers a stack uses (`terraform providers schema -json`): attribute
 * types to fill unknown values with, and each resource type's schema version for the offline state.
 * Cached per provider version next to the built provider (about 9 MB, a second to produce).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TerraformWorkspace } from "./terraform-workspace";

/** A cty type as the schema JSON spells it: "string", ["list","string"], ["object",{…}]… */
export type CtyType =
  string | [string, CtyType | Record<string, CtyType>] | [string, Record<string, CtyType>, string[]];

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

/** Resource schemas by full provider source address ("<host>/hashicorp/google") and type. */
export type ProviderSchemas = Record<string, Record<string, ResourceSchema>>;

interface SchemaJson {
  provider_schemas: Record<string, { resource_schemas?: Record<string, ResourceSchema> }>;
}

/**
 * The schemas of `providers` (full source addresses, e.g. the google provider's "<host>/hashicorp/google"), which
 * `workspace` is initialised with: read from `cacheFile` when it has them all, else produced by the
 * workspace and merged into the cache (a workspace knows only the providers its stack uses).
 */
export function providerSchemas(
  workspace: TerraformWorkspace,
  cacheFile: string,
  providers: string[],
): ProviderSchemas {
  let raw: SchemaJson = { provider_schemas: {} };
  if (fs.existsSync(cacheFile)) raw = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as SchemaJson;
  if (providers.some((source) => !raw.provider_schemas[source])) {
    const fresh = JSON.parse(workspace.run(["providers", "schema", "-json"])) as SchemaJson;
    raw = { provider_schemas: { ...raw.provider_schemas, ...fresh.provider_schemas } };
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
