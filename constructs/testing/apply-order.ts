/**
 * The apply-order check: finds every resource of a synthesized stack that names an object of the
 * same stack by a literal (a dataset id, `project.dataset.table` in SQL, `projects/p/topics/t`, a
 * service account's email, `gs://bucket`…) without a dependency path to the resource that creates
 * that object. Terraform creates such a pair in parallel, so the first `terraform apply` can fail
 * with "Not found" or pass by luck; `terraform plan` shows nothing.
 *
 * A resource is ordered after another when its configuration refers to it (`${type.name.attr}`)
 * or lists it in `depends_on`, directly or through other resources, data sources, modules and
 * locals. Free text (`description`, `display_name`, `friendly_name`, `labels`, `user_labels`, alert
 * `documentation`) is not read.
 */
import { TerraformElement, TerraformStack, Testing } from "cdktf";

/** The kinds of object the check knows the names of. */
export type NamedObjectKind =
  | "dataset"
  | "table"
  | "routine"
  | "topic"
  | "subscription"
  | "schema"
  | "service account"
  | "bucket"
  | "repository"
  | "reservation"
  | "key ring"
  | "crypto key"
  | "secret";

/** A resource naming an object of its stack by a literal, without being ordered after the object's creator. */
export interface UnorderedReference {
  /** Terraform address of the resource that names the object, e.g. `google_bigquery_table.elt_view_1A2B3C4D`. */
  readonly address: string;
  /**
   * Its construct path, e.g. `dev/elt/view/Resource`.
   * @default - unknown (plain Terraform JSON without cdktf metadata)
   */
  readonly path?: string;
  /** The attribute holding the name, e.g. `view.query` or `template.containers[0].env[1].value`. */
  readonly attribute: string;
  /** The name as the attribute has it, e.g. `my-project.raw.events`. */
  readonly named: string;
  /** What kind of object it names. */
  readonly kind: NamedObjectKind;
  /** Terraform address of the resource creating the object. */
  readonly creator: string;
  /**
   * Its construct path.
   * @default - unknown (plain Terraform JSON without cdktf metadata)
   */
  readonly creatorPath?: string;
}

/** A stack, or its synthesized Terraform JSON (the text of `cdk.tf.json`, or that text parsed). */
export type SynthesizedStack = TerraformStack | string | Record<string, unknown>;

/**
 * Every literal reference to an object of the stack that is not ordered after the object's
 * creator, sorted by address. Empty when the first apply cannot race.
 */
export function findUnorderedReferences(stack: SynthesizedStack): UnorderedReference[] {
  return new ApplyOrderAnalysis(toJson(stack)).unordered();
}

/**
 * Throws an `Error` listing every unordered reference of the stack (see
 * {@link findUnorderedReferences}); does nothing when there is none. For users' own tests:
 * `expectApplyOrder(stack)` works under any test runner.
 */
export function expectApplyOrder(stack: SynthesizedStack): void {
  const json = toJson(stack);
  const found = new ApplyOrderAnalysis(json).unordered();
  if (found.length === 0) return;
  const name = stack instanceof TerraformStack ? ` of stack "${stack.node.id}"` : "";
  throw new Error(
    `${found.length} unordered reference(s)${name}: each resource below names an object created in the same stack ` +
      `but neither refers to its creator nor depends on it, so the first terraform apply may create it first and fail ` +
      `with "Not found". Name the object through a reference (datasetIdRef, tableIdRef, fqnRef, topicId…) or add its ` +
      `creator to dependsOn.\n` +
      found.map((r) => `  - ${describe(r)}`).join("\n"),
  );
}

/** One line per unordered reference: who names what, where, and who creates it. */
export function describeUnorderedReference(reference: UnorderedReference): string {
  return describe(reference);
}

function describe(r: UnorderedReference): string {
  const at = (address: string, path?: string) => (path ? `${path} (${address})` : address);
  return `${at(r.address, r.path)}: ${r.attribute} names ${r.kind} "${r.named}", created by ${at(r.creator, r.creatorPath)}`;
}

type Json = Record<string, unknown>;

function toJson(stack: SynthesizedStack): Json {
  if (typeof stack === "string") return JSON.parse(stack) as Json;
  if (!(stack instanceof TerraformStack)) return stack;
  // Testing.synth runs the Aspects (which may add dependencies) and drops cdktf's metadata:
  // the construct paths are put back from the construct tree.
  const json = JSON.parse(Testing.synth(stack)) as Json;
  const paths = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    if (!(node instanceof TerraformElement)) continue;
    const element = node as TerraformElement & { terraformResourceType?: string };
    if (element.terraformResourceType) {
      paths.set(`${element.terraformResourceType}.${element.friendlyUniqueId}`, node.node.path);
    }
  }
  for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, Record<string, Json>>)) {
    for (const [name, body] of Object.entries(byName)) {
      const path = paths.get(`${type}.${name}`);
      if (path) body["//"] = { metadata: { path } };
    }
  }
  return json;
}

/** A resource, data source or module of the configuration. */
interface Block {
  readonly address: string;
  readonly type: string;
  readonly body: Json;
  readonly path?: string;
}

/** An object a resource creates, with the literal forms other resources may name it by. */
interface Created {
  readonly kind: NamedObjectKind;
  readonly creator: Block;
  /** Project the object lives in, when known. */
  readonly project?: string;
  /** Forms found anywhere in a string, at identifier boundaries (`p.d.t`, `projects/p/topics/t`, emails…). */
  readonly qualified: string[];
  /** Bare names found only as a whole attribute value (`dev_raw`, `wiki-changes`). */
  readonly bare: string[];
  /** A dataset id naming the dataset in SQL when followed by a dot (`raw.events`, `raw.INFORMATION_SCHEMA`). */
  readonly sqlPrefix?: string;
}

/** Keys of free text and meta-arguments: never read for names. */
const SKIPPED_KEYS = new Set([
  "//",
  "depends_on",
  "lifecycle",
  "provider",
  "providers",
  "provisioner",
  "connection",
  "count",
  "for_each",
  "source",
  "version",
  "description",
  "display_name",
  "friendly_name",
  "labels",
  "user_labels",
  // An alert policy's runbook text.
  "documentation",
]);
/** A resource as {@link NAMED_RESOURCES} reads it: its literal attributes, project and location. */
interface ResourceView {
  /** The attribute as a literal string (references to literals resolved), or undefined. */
  readonly lit: (key: string) => string | undefined;
  /** The resource's project, else the provider's. */
  readonly project?: string;
  readonly location?: string;
}

/** The names of what a resource creates; forms that are not strings (unknown parts) are dropped. */
interface NameForms {
  readonly kind: NamedObjectKind;
  /** Forms found anywhere in a string (see {@link Created.qualified}). */
  readonly qualified: (string | undefined | false)[];
  /** Names found only as a whole attribute value (see {@link Created.bare}). */
  readonly bare?: (string | undefined)[];
  /** See {@link Created.sqlPrefix}. */
  readonly sqlPrefix?: string;
}

/** A BigQuery table or routine: `d.t`, `p.d.t`, `p:d.t` and its resource name. */
function tableOrRoutine(
  { lit, project }: ResourceView,
  kind: "table" | "routine",
  idKey: string,
  collection: string,
): NameForms | undefined {
  const d = lit("dataset_id");
  const t = lit(idKey);
  if (!d || !t) return undefined;
  return {
    kind,
    qualified: [
      `${d}.${t}`,
      project && `${project}.${d}.${t}`,
      project && `${project}:${d}.${t}`,
      project && `projects/${project}/datasets/${d}/${collection}/${t}`,
    ],
  };
}

/** A Pub/Sub topic, subscription or schema: `projects/p/<collection>/<name>`, and its bare name. */
function pubsubObject(
  { lit, project }: ResourceView,
  kind: NamedObjectKind,
  collection: string,
): NameForms | undefined {
  const name = lit("name");
  return name ? { kind, qualified: [project && `projects/${project}/${collection}/${name}`], bare: [name] } : undefined;
}

/** An Artifact Registry repository: its resource name and its Docker host path, or only its id. */
function repository({ lit, project, location }: ResourceView): NameForms | undefined {
  const id = lit("repository_id");
  if (!id) return undefined;
  if (!location || !project) return { kind: "repository", qualified: [], bare: [id] };
  const format = (lit("format") ?? "DOCKER").toLowerCase();
  return {
    kind: "repository",
    qualified: [
      `projects/${project}/locations/${location}/repositories/${id}`,
      `${location}-${format}.pkg.dev/${project}/${id}`,
    ],
    bare: [id],
  };
}

/**
 * What each resource type creates, by the names other resources may use for it: one entry per
 * type, undefined when a name is not literal. A type missing here creates nothing that is named.
 */
const NAMED_RESOURCES: Readonly<Record<string, (resource: ResourceView) => NameForms | undefined>> = {
  google_bigquery_dataset: ({ lit, project }) => {
    const d = lit("dataset_id");
    if (!d) return undefined;
    const qualified = [project && `${project}.${d}`, project && `${project}:${d}`];
    return {
      kind: "dataset",
      qualified: [...qualified, project && `projects/${project}/datasets/${d}`],
      bare: [d],
      sqlPrefix: d,
    };
  },
  google_bigquery_table: (r) => tableOrRoutine(r, "table", "table_id", "tables"),
  google_bigquery_routine: (r) => tableOrRoutine(r, "routine", "routine_id", "routines"),
  google_pubsub_topic: (r) => pubsubObject(r, "topic", "topics"),
  google_pubsub_subscription: (r) => pubsubObject(r, "subscription", "subscriptions"),
  google_pubsub_schema: (r) => pubsubObject(r, "schema", "schemas"),
  google_service_account: ({ lit, project }) => {
    const id = lit("account_id");
    return id && project
      ? { kind: "service account", qualified: [`${id}@${project}.iam.gserviceaccount.com`] }
      : undefined;
  },
  google_storage_bucket: ({ lit }) => {
    const name = lit("name");
    return name
      ? { kind: "bucket", qualified: [`gs://${name}`, `projects/_/buckets/${name}`], bare: [name] }
      : undefined;
  },
  google_artifact_registry_repository: repository,
  google_bigquery_reservation: ({ lit, project, location }) => {
    const name = lit("name");
    if (!name) return undefined;
    const qualified = [project && location && `projects/${project}/locations/${location}/reservations/${name}`];
    return { kind: "reservation", qualified, bare: [name] };
  },
  google_kms_key_ring: ({ lit, project, location }) => {
    const name = lit("name");
    if (!name || !project || !location) return undefined;
    return { kind: "key ring", qualified: [`projects/${project}/locations/${location}/keyRings/${name}`] };
  },
  google_kms_crypto_key: ({ lit }) => {
    const ring = lit("key_ring");
    const name = lit("name");
    return ring && name ? { kind: "crypto key", qualified: [`${ring}/cryptoKeys/${name}`] } : undefined;
  },
  google_secret_manager_secret: ({ lit, project }) => {
    const id = lit("secret_id");
    return id ? { kind: "secret", qualified: [project && `projects/${project}/secrets/${id}`], bare: [id] } : undefined;
  },
};
/** Top-level attributes holding the resource's own name. */
const IDENTITY_KEYS = new Set(["name", "account_id", "repository_id", "secret_id", "table_id", "routine_id", "job_id"]);
/** Characters that continue an identifier, a project id or a resource name. */
const WORD = /[A-Za-z0-9_-]/;
/** A reference inside an interpolation: `data.type.name`, `module.name`, `local.name` or `type.name`. */
const REFERENCE =
  /(?:data\.[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*|module\.[A-Za-z_][\w-]*|local\.[A-Za-z_][\w-]*|[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)/g;
/** A whole interpolation that is one attribute of one resource: `${type.name.attribute}`. */
const SIMPLE_REFERENCE = /^(data\.)?([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)$/;

class ApplyOrderAnalysis {
  private readonly blocks = new Map<string, Block>();
  private readonly locals: Json;
  private readonly providerProject?: string;
  private readonly direct = new Map<string, Set<string>>();
  private readonly ancestorsCache = new Map<string, Set<string>>();

  constructor(json: Json) {
    const add = (address: string, type: string, body: Json) => {
      const meta = (body["//"] as { metadata?: { path?: string } } | undefined)?.metadata;
      this.blocks.set(address, { address, type, body, path: meta?.path });
    };
    for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, Record<string, Json>>)) {
      for (const [name, body] of Object.entries(byName)) add(`${type}.${name}`, type, body);
    }
    for (const [type, byName] of Object.entries((json.data ?? {}) as Record<string, Record<string, Json>>)) {
      for (const [name, body] of Object.entries(byName)) add(`data.${type}.${name}`, `data.${type}`, body);
    }
    for (const [name, body] of Object.entries((json.module ?? {}) as Record<string, Json>)) {
      add(`module.${name}`, "module", body);
    }
    this.locals = (json.locals ?? {}) as Json;
    const google = (json.provider as Record<string, unknown> | undefined)?.google;
    const providers = (Array.isArray(google) ? google : google ? [google] : []) as Json[];
    const main = providers.find((p) => p.alias === undefined) ?? providers[0];
    this.providerProject = main ? this.literal(main.project) : undefined;
  }

  /** Every unordered reference, one per resource, attribute and named object. */
  public unordered(): UnorderedReference[] {
    const created = [...this.blocks.values()].flatMap((block) => this.createdBy(block));
    const found = new Map<string, UnorderedReference>();
    for (const block of this.blocks.values()) {
      const own = created.filter((c) => c.creator === block);
      const others = created.filter((c) => c.creator !== block);
      if (others.length === 0) continue;
      const project = this.literal(block.body.project) ?? this.providerProject;
      this.walk(block.body, "", (attribute, raw, siblings) => {
        const text = this.resolve(raw);
        const inSql = /(^|\.)query$/.test(attribute.replace(/\[\d+\]$/, ""));
        const siblingProject = this.literal(siblings.project) ?? project;
        // What the resource itself is called is not a reference: a subscription may share its topic's
        // name, a service account its subscription's.
        const identity =
          IDENTITY_KEYS.has(attribute) || (/^[\w-]+$/.test(attribute) && own.some((o) => o.bare.includes(text)));
        for (const c of others) {
          const named = this.names(c, text, inSql, siblingProject, identity);
          if (named === undefined) continue;
          if (this.ancestors(block.address).has(c.creator.address)) continue;
          const key = `${block.address}\0${attribute}\0${c.creator.address}\0${c.kind}`;
          if (!found.has(key)) {
            found.set(key, {
              address: block.address,
              path: block.path,
              attribute,
              named,
              kind: c.kind,
              creator: c.creator.address,
              creatorPath: c.creator.path,
            });
          }
        }
      });
    }
    return [...found.values()].sort(
      (a, b) =>
        a.address.localeCompare(b.address) ||
        a.attribute.localeCompare(b.attribute) ||
        a.creator.localeCompare(b.creator),
    );
  }

  /** The name of `c` found in `text`, if any. */
  private names(
    c: Created,
    text: string,
    inSql: boolean,
    project: string | undefined,
    identity: boolean,
  ): string | undefined {
    for (const form of c.qualified) if (occurs(text, form)) return form;
    const sameProject = project === undefined || c.project === undefined || project === c.project;
    if (!sameProject) return undefined;
    if (!identity && c.bare.includes(text)) return text;
    if (inSql && c.sqlPrefix !== undefined && occurs(text, c.sqlPrefix, ".")) return `${c.sqlPrefix}.`;
    return undefined;
  }

  /** Calls `visit` with every string value of `value`, its attribute path and the object holding it. */
  private walk(value: unknown, path: string, visit: (attribute: string, text: string, siblings: Json) => void): void {
    const visitIn = (v: unknown, p: string, holder: Json) => {
      if (typeof v === "string") visit(p, v, holder);
      else if (Array.isArray(v)) v.forEach((item, i) => visitIn(item, `${p}[${i}]`, holder));
      else if (v !== null && typeof v === "object") this.walk(v, p, visit);
    };
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    const object = value as Json;
    for (const [key, v] of Object.entries(object)) {
      if (SKIPPED_KEYS.has(key)) continue;
      visitIn(v, path ? `${path}.${key}` : key, object);
    }
  }

  /** What a resource creates and the names others may use for it ({@link NAMED_RESOURCES}). */
  private createdBy(block: Block): Created[] {
    const lit = (key: string) => this.literal(block.body[key]);
    const project = lit("project") ?? this.providerProject;
    const forms = NAMED_RESOURCES[block.type]?.({ lit, project, location: lit("location") });
    if (!forms) return [];
    const created: Created = {
      kind: forms.kind,
      creator: block,
      project,
      // Longest first: a match reports the fullest form (`p:d.t` rather than `d.t`).
      qualified: forms.qualified.filter((q): q is string => typeof q === "string").sort((x, y) => y.length - x.length),
      bare: (forms.bare ?? []).filter((n): n is string => typeof n === "string"),
    };
    return [forms.sqlPrefix === undefined ? created : { ...created, sqlPrefix: forms.sqlPrefix }];
  }

  /** The value as a literal string: references to literal attributes of other resources resolved. */
  private literal(value: unknown, depth = 0): string | undefined {
    if (typeof value !== "string") return undefined;
    const resolved = this.resolve(value, depth);
    return resolved.includes("\u0000") ? undefined : resolved;
  }

  /**
   * The string with every `${type.name.attr}` whose target is a literal replaced by that literal,
   * and every other interpolation by a NUL (never part of a name). Backticks (SQL quoting) dropped.
   */
  private resolve(text: string, depth = 0): string {
    let out = "";
    let i = 0;
    while (i < text.length) {
      const start = text.indexOf("${", i);
      if (start < 0) {
        out += text.slice(i);
        break;
      }
      out += text.slice(i, start);
      const end = closingBrace(text, start + 2);
      const inner = text.slice(start + 2, end).trim();
      out += this.resolveReference(inner, depth) ?? "\u0000";
      i = end + 1;
    }
    return out.replace(/`/g, "");
  }

  private resolveReference(inner: string, depth: number): string | undefined {
    if (depth > 8) return undefined;
    const m = SIMPLE_REFERENCE.exec(inner);
    if (!m) return undefined;
    const target = this.blocks.get(`${m[1] ?? ""}${m[2]}.${m[3]}`);
    if (!target) return undefined;
    const attribute = m[4];
    if (attribute === "project" && target.body.project === undefined) return this.providerProject;
    return this.literal(target.body[attribute], depth + 1);
  }

  /** Addresses of everything `address` is created after. */
  private ancestors(address: string): Set<string> {
    const cached = this.ancestorsCache.get(address);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...this.directDependencies(address)];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...this.directDependencies(next));
    }
    this.ancestorsCache.set(address, seen);
    return seen;
  }

  private directDependencies(address: string): Set<string> {
    const cached = this.direct.get(address);
    if (cached) return cached;
    const deps = new Set<string>();
    this.direct.set(address, deps);
    const block = this.blocks.get(address);
    if (block) {
      for (const entry of (block.body.depends_on ?? []) as string[])
        this.addReferences(interpolated(entry), deps, new Set());
      this.referencesIn(block.body, deps, new Set());
    }
    return deps;
  }

  /** Adds the blocks referred to from interpolations anywhere in `value` (meta-arguments aside). */
  private referencesIn(value: unknown, into: Set<string>, seenLocals: Set<string>): void {
    if (typeof value === "string") {
      let i = 0;
      while ((i = value.indexOf("${", i)) >= 0) {
        const end = closingBrace(value, i + 2);
        this.addReferences(value.slice(i + 2, end), into, seenLocals);
        i = end + 1;
      }
    } else if (Array.isArray(value)) {
      for (const item of value) this.referencesIn(item, into, seenLocals);
    } else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value))
        if (key !== "//" && key !== "depends_on") this.referencesIn(v, into, seenLocals);
    }
  }

  private addReferences(expression: string, into: Set<string>, seenLocals: Set<string>): void {
    for (const [candidate] of expression.matchAll(REFERENCE)) {
      if (candidate.startsWith("local.")) {
        const name = candidate.slice("local.".length);
        if (seenLocals.has(name)) continue;
        seenLocals.add(name);
        this.referencesIn(this.locals[name], into, seenLocals);
      } else if (this.blocks.has(candidate)) {
        into.add(candidate);
      }
    }
  }
}

/** `depends_on` entries are addresses, sometimes written as an interpolation. */
function interpolated(entry: string): string {
  const m = /^\$\{(.*)\}$/s.exec(entry);
  return m ? m[1] : entry;
}

/** Index of the `}` closing an interpolation whose body starts at `from` (nested braces and quotes skipped). */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "{") depth++;
    else if (ch === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return text.length;
}

/**
 * Whether `name` occurs in `text` as a whole name: not inside a longer identifier, dotted name or
 * `project:dataset` name before it (an email may follow `serviceAccount:`), not followed by an
 * identifier character (or, with `next`, followed by exactly that).
 */
function occurs(text: string, name: string, next?: string): boolean {
  const qualifier = name.includes("@") ? /[.]/ : /[.:]/;
  let i = text.indexOf(name);
  while (i >= 0) {
    const before = i === 0 ? "" : text[i - 1];
    const after = text.slice(i + name.length, i + name.length + 1);
    const startsClean = before === "" || !(WORD.test(before) || qualifier.test(before));
    const endsClean = next === undefined ? after === "" || !WORD.test(after) : after === next;
    if (startsClean && endsClean) return true;
    i = text.indexOf(name, i + 1);
  }
  return false;
}
