/**
 * A shortcut for the offline state's first round: values the plan leaves unknown only because they
 * name another resource's attribute (`"${google_pubsub_topic.events_1A2B.id}"`, or a template of such
 * references like `"serviceAccount:${google_service_account.w_3C4D.email}"`) are filled here from the
 * values already filled for that resource, in dependency order, as Terraform would evaluate them. A
 * value this gets wrong, or cannot read (a function call, a list index), is still corrected by the next
 * planning round (offline-state.ts); this only saves rounds.
 */

const REFERENCE = /\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}/g;
const ONLY_REFERENCES = /^(?:[^$]|\$(?!\{)|\$\{[a-z0-9_]+\.[A-Za-z0-9_-]+\.[a-z0-9_]+\})*$/;

/** Attributes of filled resources by address. */
export type FilledResources = Map<string, Record<string, unknown>>;

/** The value of a configured string made only of literal text and plain references, or undefined. */
function evaluate(text: string, filled: FilledResources): unknown {
  if (!text.includes("${") || !ONLY_REFERENCES.test(text)) return undefined;
  const references = [...text.matchAll(REFERENCE)];
  const values = references.map(([, type, name, attribute]) => filled.get(`${type}.${name}`)?.[attribute]);
  if (values.some((value) => value === undefined || value === null)) return undefined;
  if (references.length === 1 && references[0][0] === text) return values[0];
  if (values.some((value) => typeof value !== "string" && typeof value !== "number")) return undefined;
  let i = 0;
  return text.replace(REFERENCE, () => String(values[i++]));
}

/**
 * Fills, in `value`, the paths `unknown` marks from `config` (the resource's block in cdk.tf.json) where
 * the configured text evaluates; returns whether anything changed.
 */
function resolve(value: unknown, unknown: unknown, config: unknown, filled: FilledResources): boolean {
  if (value === null || typeof value !== "object" || unknown === null || typeof unknown !== "object") return false;
  let changed = false;
  for (const [key, mark] of Object.entries(unknown as Record<string, unknown>)) {
    // A nested block is a list in the plan, an object (or a list) in cdk.tf.json.
    const configured =
      Array.isArray(value) && !Array.isArray(config) ? config : (config as Record<string, unknown> | undefined)?.[key];
    const target = value as Record<string, unknown>;
    if (mark === true && typeof configured === "string") {
      const evaluated = evaluate(configured, filled);
      if (evaluated !== undefined && JSON.stringify(evaluated) !== JSON.stringify(target[key])) {
        target[key] = evaluated;
        changed = true;
      }
    } else if (mark !== true && configured !== undefined) {
      changed = resolve(target[key], mark, configured, filled) || changed;
    }
  }
  return changed;
}

/** One resource to resolve: its filled attributes, its plan's unknown marks, its configured block. */
export interface Resolvable {
  readonly address: string;
  readonly attributes: Record<string, unknown>;
  readonly unknown: unknown;
  readonly config: unknown;
}

/** Resolves the references of every resource, repeating until nothing changes (dependency order). */
export function resolveReferences(resources: readonly Resolvable[]): void {
  const filled: FilledResources = new Map(resources.map((r) => [r.address, r.attributes]));
  for (let pass = 0; pass < 20; pass++) {
    let changed = false;
    for (const resource of resources)
      changed = resolve(resource.attributes, resource.unknown, resource.config, filled) || changed;
    if (!changed) return;
  }
}
