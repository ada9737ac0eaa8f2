/**
 * An offline Terraform state (v4 JSON) of a synthesized stack, built from what the real provider plans
 * for it, with no cloud and no credentials:
 *
 * 1. plan the stack against an empty state (`terraform plan -refresh=false`);
 * 2. each planned resource becomes a state instance: its planned values, its unknown values filled
 *    plausibly (plausible-values.ts), at its schema version from `terraform providers schema -json`;
 * 3. plan again against that state. A value that referred to an unknown one (a topic's ID in a
 *    subscription, a service account's name in an IAM member) is now known from the state: the plan
 *    shows it as a change, whose planned values go into the state. Repeated until the plan is empty:
 *    the references resolve in dependency order, one level per round.
 *
 * The result round-trips: planning the same stack against it changes nothing. It holds sensitive
 * values in clear text (as any state does); callers keep it in private scratch folders.
 */
import { randomUUID } from "node:crypto";
import { emptyBlock, FillContext, plausibleValue } from "./plausible-values";
import { resolveReferences } from "./resolve-references";
import type { CtyType, ProviderSchemas, SchemaBlock } from "./provider-schema";
import type { PlanJson, ResourceChange, TerraformWorkspace } from "./terraform-workspace";

/** Rounds of planning before the state is declared not to round-trip. */
const MAX_ROUNDS = 10;

/**
 * Where a value sits in the schema: a block (nested blocks and attributes), a list or set of blocks,
 * or an attribute's cty type.
 */
type SchemaNode = { block: SchemaBlock } | { elements: SchemaBlock } | { type: CtyType | undefined };

/** A state file, version 4. */
export interface OfflineState {
  readonly version: 4;
  readonly terraform_version: string;
  readonly serial: number;
  readonly lineage: string;
  readonly outputs: Record<string, { value: unknown; type: unknown; sensitive?: boolean }>;
  readonly resources: StateResource[];
}

interface StateResource {
  module?: string;
  mode: string;
  type: string;
  name: string;
  provider: string;
  instances: Record<string, unknown>[];
}

interface Instance {
  readonly change: ResourceChange;
  readonly attributes: Record<string, unknown>;
}

/** The child schema node of `key` under `node`. */
function child(node: SchemaNode, key: string | number): SchemaNode {
  if ("block" in node) {
    const attribute = node.block.attributes?.[key];
    if (attribute) return { type: attribute.type };
    const nested = node.block.block_types?.[key];
    if (nested) {
      return nested.nesting_mode === "single" || nested.nesting_mode === "group"
        ? { block: nested.block }
        : { elements: nested.block };
    }
    return { type: undefined };
  }
  if ("elements" in node) return { block: node.elements };
  const type = node.type;
  if (Array.isArray(type)) {
    if (type[0] === "object") return { type: (type[1] as Record<string, CtyType>)[key] };
    return { type: type[1] as CtyType };
  }
  return { type: undefined };
}

/** The value for an unknown whole `key` of `parent`. */
function unknownValue(parent: SchemaNode, key: string, context: FillContext, seed: string, topLevel: boolean): unknown {
  if ("block" in parent && parent.block.block_types?.[key]) return emptyBlock(parent.block.block_types[key]);
  return plausibleValue((child(parent, key) as { type?: CtyType }).type, key, context, seed, topLevel);
}

/**
 * `after` with every path `unknown` marks filled: from `previous` (the value filled in an earlier round)
 * when there is one, else plausibly.
 */
function fill(
  after: unknown,
  unknown: unknown,
  previous: unknown,
  node: SchemaNode,
  context: FillContext,
  seed: string,
  depth: number,
): unknown {
  if (Array.isArray(after) && Array.isArray(unknown)) {
    return after.map((item, i) =>
      unknown[i] === true && item == null
        ? ((previous as unknown[] | undefined)?.[i] ?? null)
        : fill(
            item,
            unknown[i],
            (previous as unknown[] | undefined)?.[i],
            child(node, i),
            context,
            `${seed}[${i}]`,
            depth + 1,
          ),
    );
  }
  if (after === null || typeof after !== "object" || typeof unknown !== "object" || unknown === null) {
    return after === undefined ? null : after;
  }
  const result: Record<string, unknown> = { ...(after as Record<string, unknown>) };
  const before = (previous ?? {}) as Record<string, unknown>;
  for (const [key, mark] of Object.entries(unknown as Record<string, unknown>)) {
    if (mark === true) {
      result[key] = before[key] ?? unknownValue(node, key, context, `${seed}.${key}`, depth === 0);
    } else {
      result[key] = fill(result[key], mark, before[key], child(node, key), context, `${seed}.${key}`, depth + 1);
    }
  }
  return result;
}

/** The state attributes of a planned resource: its planned values, the unknown ones filled. */
function attributesOf(
  change: ResourceChange,
  previous: Record<string, unknown> | undefined,
  schemas: ProviderSchemas,
  project: string,
): Record<string, unknown> {
  const after = change.change.after ?? {};
  const schema = schemas[change.provider_name]?.[change.type];
  const context: FillContext = { type: change.type, values: { ...previous, ...after }, project };
  const node: SchemaNode = { block: schema?.block ?? {} };
  const attributes = fill(
    after,
    change.change.after_unknown ?? {},
    previous,
    node,
    context,
    change.address,
    0,
  ) as Record<string, unknown>;
  if (change.type === "terraform_data" && change.change.after_unknown?.output === true) {
    attributes.output = attributes.input; // terraform_data's output is its input once applied
  }
  // Every attribute of the schema is present in a state the provider wrote, null when unset; a
  // dynamically-typed value is stored with its type.
  for (const [key, attribute] of Object.entries(schema?.block.attributes ?? {})) {
    if (!(key in attributes)) attributes[key] = null;
    else if (attribute.type === "dynamic" && attributes[key] !== null) {
      attributes[key] = { value: attributes[key], type: typeOf(attributes[key]) };
    }
  }
  for (const [key, nested] of Object.entries(schema?.block.block_types ?? {})) {
    if (!(key in attributes)) attributes[key] = emptyBlock(nested);
  }
  return attributes;
}

/** The provider's default project (the lane fills IDs of resources naming none with it). */
function defaultProject(plan: PlanJson): string {
  const config = plan.configuration as
    { provider_config?: Record<string, { expressions?: { project?: { constant_value?: unknown } } }> } | undefined;
  const project = config?.provider_config?.google?.expressions?.project?.constant_value;
  return typeof project === "string" ? project : "offline-project";
}

/** Sensitive paths of `marks` (a plan's `after_sensitive`) in the state's path syntax. */
function sensitivePaths(marks: unknown, prefix: unknown[] = []): unknown[][] {
  if (marks === true) return [prefix];
  if (Array.isArray(marks)) {
    return marks.flatMap((mark, i) =>
      sensitivePaths(mark, [...prefix, { type: "index", value: { value: i, type: "number" } }]),
    );
  }
  if (marks && typeof marks === "object") {
    return Object.entries(marks).flatMap(([key, mark]) =>
      sensitivePaths(mark, [...prefix, { type: "get_attr", value: key }]),
    );
  }
  return [];
}

/** The state file of `instances` and the known planned outputs. */
function stateOf(instances: Map<string, Instance>, schemas: ProviderSchemas, plan: PlanJson): OfflineState {
  const resources = new Map<string, StateResource>();
  for (const { change, attributes } of instances.values()) {
    const key = `${change.module_address ?? ""}|${change.mode}|${change.type}|${change.name}`;
    let resource = resources.get(key);
    if (!resource) {
      resource = {
        ...(change.module_address ? { module: change.module_address } : {}),
        mode: change.mode,
        type: change.type,
        name: change.name,
        provider: `provider["${change.provider_name}"]`,
        instances: [],
      };
      resources.set(key, resource);
    }
    resource.instances.push({
      ...(change.index !== undefined ? { index_key: change.index } : {}),
      schema_version: schemas[change.provider_name]?.[change.type]?.version ?? 0,
      attributes,
      sensitive_attributes: sensitivePaths((change.change as { after_sensitive?: unknown }).after_sensitive),
      dependencies: [],
    });
  }
  const outputs: OfflineState["outputs"] = {};
  for (const [name, output] of Object.entries(plan.planned_values?.outputs ?? {})) {
    if (output.value === undefined) continue;
    outputs[name] = {
      value: output.value,
      type: typeOf(output.value),
      ...(output.sensitive ? { sensitive: true } : {}),
    };
  }
  return {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: randomUUID(),
    outputs,
    resources: [...resources.values()],
  };
}

/** The cty type of a JSON value (for state outputs). */
function typeOf(value: unknown): unknown {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return ["tuple", value.map(typeOf)];
  if (value && typeof value === "object") {
    return ["object", Object.fromEntries(Object.entries(value).map(([key, v]) => [key, typeOf(v)]))];
  }
  return "dynamic";
}

/** Resource changes of a plan that are not no-ops. */
export function pendingChanges(plan: PlanJson): ResourceChange[] {
  return (plan.resource_changes ?? []).filter((change) => !change.change.actions.every((a) => a === "no-op"));
}

/** Output changes of a plan that are not no-ops. */
function pendingOutputs(plan: PlanJson): string[] {
  return Object.entries(plan.output_changes ?? {})
    .filter(([, change]) => !change.actions.every((a) => a === "no-op"))
    .map(([name]) => name);
}

/** Fills the references the first plan left unknown from the values filled for what they name. */
function resolveFirstRound(instances: Map<string, Instance>, workspace: TerraformWorkspace): void {
  resolveReferences(
    [...instances.values()]
      .filter(({ change }) => change.module_address === undefined && change.index === undefined)
      .map(({ change, attributes }) => ({
        address: change.address,
        attributes,
        unknown: change.change.after_unknown,
        config: workspace.config.resource?.[change.type]?.[change.name],
      })),
  );
}

/** An offline state of the stack in `workspace`, and how many plans it took. */
export interface BuiltState {
  readonly state: OfflineState;
  readonly rounds: number;
}

/**
 * Builds the offline state of the stack prepared in `workspace` (see the module comment) and leaves it
 * written there. Throws, naming what still changes, when it does not round-trip after {@link MAX_ROUNDS}.
 */
export function buildOfflineState(
  workspace: TerraformWorkspace,
  schemasOf: (providers: string[]) => ProviderSchemas,
): BuiltState {
  workspace.clearState();
  let plan = workspace.plan();
  const project = defaultProject(plan);
  const schemas = schemasOf([...new Set((plan.resource_changes ?? []).map((change) => change.provider_name))]);
  const instances = new Map<string, Instance>();
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    for (const change of pendingChanges(plan)) {
      if (change.mode !== "managed") continue;
      const previous = instances.get(change.address)?.attributes;
      instances.set(change.address, { change, attributes: attributesOf(change, previous, schemas, project) });
    }
    if (round === 1) resolveFirstRound(instances, workspace);
    const state = stateOf(instances, schemas, plan);
    workspace.writeState(state);
    plan = workspace.plan();
    if (pendingChanges(plan).length === 0 && pendingOutputs(plan).length === 0) return { state, rounds: round + 1 };
  }
  const left = pendingChanges(plan).map((change) => `${change.address} (${change.change.actions.join("+")})`);
  throw new Error(
    `the offline state does not round-trip after ${MAX_ROUNDS} rounds: still planned: ` +
      `${[...left, ...pendingOutputs(plan).map((name) => `output ${name}`)].slice(0, 20).join(", ")}`,
  );
}
