/**
 * Construct paths of a synthesized stack's resources, read from the `//` metadata cdktf writes into
 * `cdk.tf.json` (`"//": { "metadata": { "path": "dev/ingestion/topic/topic", … } }`).
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The construct path written under a block's `//` metadata, if any. */
function metadataPath(block: unknown): string | undefined {
  if (!isObject(block)) return undefined;
  const comment = block["//"];
  const metadata = isObject(comment) ? comment.metadata : undefined;
  return isObject(metadata) && typeof metadata.path === "string" ? metadata.path : undefined;
}

/**
 * The construct path of every resource (`type.name`) and data source (`data.type.name`) of a synthesized stack
 * (its `cdk.tf.json`, parsed), for the guard's `constructPaths` option. Throws when the input is not a
 * synthesized stack.
 */
export function constructPathsOf(synthesizedStack: unknown): Record<string, string> {
  if (!isObject(synthesizedStack) || (!("resource" in synthesizedStack) && !("terraform" in synthesizedStack))) {
    throw new Error("not a synthesized stack: expected the JSON of a cdk.tf.json, with resource and terraform blocks");
  }
  const paths: Record<string, string> = {};
  const collect = (blocks: unknown, prefix: string) => {
    if (!isObject(blocks)) return;
    for (const [type, byName] of Object.entries(blocks)) {
      if (!isObject(byName)) continue;
      for (const [name, block] of Object.entries(byName)) {
        const path = metadataPath(block);
        if (path !== undefined) paths[`${prefix}${type}.${name}`] = path;
      }
    }
  };
  collect(synthesizedStack.resource, "");
  collect(synthesizedStack.data, "data.");
  return paths;
}
