/**
 * docs/configuration.md: every key of `config/<env>.json`, from the zod schema in config/schema.ts.
 * The schema gives each key's type, default and rule (range, pattern, choices); the JSDoc above the
 * key in config/schema.ts gives its meaning. One table per top-level section (`project` for the
 * top-level keys).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { z } from "zod";
import { environmentConfigSchema } from "../../../config/schema";
import type { DocSection } from "../doc-section";
import { markdownTable } from "../markdown-table";

const SCHEMA_FILE = path.resolve(__dirname, "..", "..", "..", "config", "schema.ts");

/** One key of the environment file. */
export interface ConfigKey {
  /** Dotted path, e.g. `ingestion.dataflow.maxWorkers`. */
  readonly path: string;
  /** Required wherever its enclosing object is present. */
  readonly required: boolean;
  /** The schema's default; absent when it has none. */
  readonly default?: unknown;
  /** The value's type, e.g. `integer`, `"dataflow" \| "direct"`, `list of string`. */
  readonly type: string;
  /** The schema's checks in words, e.g. `1–1000`, `a duration in seconds, e.g. 300s`. */
  readonly rule: string;
  /** Its JSDoc in config/schema.ts; empty when it has none. */
  readonly meaning: string;
}

interface Unwrapped {
  readonly schema: z.ZodTypeAny;
  readonly required: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue?: unknown;
}

function unwrap(schema: z.ZodTypeAny): Unwrapped {
  let current = schema;
  let required = true;
  let hasDefault = false;
  let defaultValue: unknown;
  for (;;) {
    if (current instanceof z.ZodDefault) {
      if (!hasDefault) defaultValue = current._def.defaultValue();
      hasDefault = true;
      required = false;
      current = current._def.innerType;
    } else if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
      required = false;
      current = current.unwrap();
    } else if (current instanceof z.ZodEffects) {
      current = current.innerType();
    } else if (current instanceof z.ZodBranded || current instanceof z.ZodReadonly) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipeline) {
      current = current._def.in;
    } else {
      return { schema: current, required, hasDefault, defaultValue };
    }
  }
}

const code = (value: unknown): string => `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

function typeOf(schema: z.ZodTypeAny): string {
  const inner = unwrap(schema).schema;
  if (inner instanceof z.ZodString) return "string";
  if (inner instanceof z.ZodNumber) return inner.isInt ? "integer" : "number";
  if (inner instanceof z.ZodBoolean) return "boolean";
  if (inner instanceof z.ZodEnum) return (inner.options as string[]).map(code).join(" or ");
  if (inner instanceof z.ZodLiteral) return code(inner.value);
  if (inner instanceof z.ZodArray) return `list of ${typeOf(inner.element)}`;
  if (inner instanceof z.ZodRecord) return `map of ${typeOf(inner.keySchema)} → ${typeOf(inner.valueSchema)}`;
  if (inner instanceof z.ZodObject) return "object";
  return inner.constructor.name.replace(/^Zod/, "").toLowerCase();
}

function checksOf(schema: z.ZodTypeAny): string[] {
  const inner = unwrap(schema).schema;
  const rules: string[] = [];
  if (inner instanceof z.ZodString) {
    for (const check of inner._def.checks) {
      if (check.kind === "min" && check.value === 1) rules.push("not empty");
      else if (check.kind === "min") rules.push(`at least ${check.value} characters`);
      else if (check.kind === "max") rules.push(`at most ${check.value} characters`);
      else if (check.kind === "url") rules.push("a URL");
      else if ("message" in check && check.message) rules.push(check.message);
    }
  } else if (inner instanceof z.ZodNumber) {
    const min = inner.minValue;
    const max = inner.maxValue;
    if (min !== null && max !== null) rules.push(`${min}–${max}`);
    else if (min !== null)
      rules.push(inner._def.checks.some((c) => c.kind === "min" && !c.inclusive) ? `> ${min}` : `≥ ${min}`);
    else if (max !== null) rules.push(`≤ ${max}`);
  } else if (inner instanceof z.ZodArray) {
    rules.push(...checksOf(inner.element).map((r) => `each: ${r}`));
  } else if (inner instanceof z.ZodRecord) {
    rules.push(...checksOf(inner.keySchema).map((r) => `keys: ${r}`));
    rules.push(...checksOf(inner.valueSchema).map((r) => `values: ${r}`));
  }
  return rules;
}

/** The discriminator values of the union branches a key appears in, when it is not in every branch. */
interface Leaf extends Omit<ConfigKey, "meaning"> {
  readonly only?: string;
}

function leaves(schema: z.ZodTypeAny, prefix = ""): Leaf[] {
  const { schema: inner, required, hasDefault, defaultValue } = unwrap(schema);
  const join = (key: string): string => (prefix ? `${prefix}.${key}` : key);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodTypeAny>).flatMap(([key, value]) =>
      leaves(value, join(key)),
    );
  }
  if (inner instanceof z.ZodDiscriminatedUnion) return unionLeaves(inner, prefix);
  return [
    {
      path: prefix,
      required,
      ...(hasDefault ? { default: defaultValue } : {}),
      type: typeOf(schema),
      rule: checksOf(schema).join("; "),
    },
  ];
}

/** The keys of every branch, merged: a key in some branches only says which. */
function unionLeaves(union: z.ZodDiscriminatedUnion<string, z.ZodObject<z.ZodRawShape>[]>, prefix: string): Leaf[] {
  const discriminator = union.discriminator;
  const branches = [...union.options.values()];
  const merged = new Map<string, { leaf: Leaf; types: string[]; branches: string[] }>();
  for (const branch of branches) {
    const tag = String((branch.shape[discriminator] as z.ZodLiteral<unknown>).value);
    for (const leaf of leaves(branch, prefix)) {
      const seen = merged.get(leaf.path);
      merged.set(leaf.path, {
        leaf: seen?.leaf ?? leaf,
        types: [...(seen?.types ?? []), leaf.type],
        branches: [...(seen?.branches ?? []), tag],
      });
    }
  }
  return [...merged.values()].map(({ leaf, types, branches: tags }) => ({
    ...leaf,
    type: [...new Set(types)].join(" or "),
    ...(tags.length < branches.length ? { only: `${prefix}.${discriminator}: ${tags.join(", ")}` } : {}),
  }));
}

/** The JSDoc of every key of config/schema.ts, by dotted path, found by following the schema's constants. */
export function schemaComments(): Map<string, string> {
  const source = ts.createSourceFile(SCHEMA_FILE, fs.readFileSync(SCHEMA_FILE, "utf8"), ts.ScriptTarget.Latest, true);
  const constants = new Map<string, ts.Expression>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer) constants.set(d.name.text, d.initializer);
    }
  }
  const isZodObjectCall = (node: ts.Node): node is ts.CallExpression =>
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === "object" &&
    node.expression.expression.getText(source) === "z";
  const comments = new Map<string, string>();
  const visitShape = (shape: ts.ObjectLiteralExpression, prefix: string, seen: Set<string>): void => {
    for (const property of shape.properties) {
      if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
      const key = property.name.getText(source);
      const keyPath = prefix ? `${prefix}.${key}` : key;
      const doc = ts.getJSDocCommentsAndTags(property).find(ts.isJSDoc);
      const text = ts.getTextOfJSDocComment(doc?.comment);
      if (text) comments.set(keyPath, text.replace(/\s*\n\s*/g, " ").trim());
      const value = ts.isPropertyAssignment(property) ? property.initializer : property.name;
      for (const inner of shapesOf(value, seen)) visitShape(inner, keyPath, seen);
    }
  };
  /** The `z.object({...})` literals an expression builds, directly or through the file's constants. */
  const shapesOf = (node: ts.Node, seen: Set<string>): ts.ObjectLiteralExpression[] => {
    if (isZodObjectCall(node)) {
      const [shape] = node.arguments;
      return shape && ts.isObjectLiteralExpression(shape) ? [shape] : [];
    }
    if (ts.isIdentifier(node) && constants.has(node.text) && !seen.has(node.text)) {
      return shapesOf(constants.get(node.text)!, new Set([...seen, node.text]));
    }
    const found: ts.ObjectLiteralExpression[] = [];
    node.forEachChild((child) => {
      found.push(...shapesOf(child, seen));
    });
    return found;
  };
  for (const shape of shapesOf(constants.get("environmentConfigSchema")!, new Set())) visitShape(shape, "", new Set());
  return comments;
}

/** Every key of the schema, in schema order, with its meaning. */
export function configKeys(): ConfigKey[] {
  const comments = schemaComments();
  return leaves(environmentConfigSchema).map((leaf) => ({
    ...leaf,
    rule: [leaf.only ? `only with \`${leaf.only}\`` : "", leaf.rule].filter(Boolean).join("; "),
    meaning: comments.get(leaf.path) ?? "",
  }));
}

/** The top-level section a key belongs to: its first segment, or `project` for a top-level key. */
const groupOf = (key: ConfigKey): string => (key.path.includes(".") ? key.path.split(".")[0] : "project");

function shownDefault(key: ConfigKey): string {
  if (key.required) return "required";
  if ("default" in key) return code(key.default === "" ? '""' : key.default);
  return "unset";
}

/** The table of one section's keys: key, type, default, rule, meaning. */
export function renderConfigGroup(group: string): string {
  const keys = configKeys().filter((key) => groupOf(key) === group);
  if (keys.length === 0) throw new Error(`config/schema.ts has no section ${group}`);
  return markdownTable(
    ["key", "type", "default", "rule", "meaning"],
    keys.map((k) => [code(k.path), k.type, shownDefault(k), k.rule, k.meaning]),
  );
}

const GROUPS = [
  "project",
  "backend",
  "ingestion",
  "elt",
  "windows",
  "cdc",
  "reservation",
  "worker",
  "monitoring",
  "planSafety",
];

export const SECTIONS: DocSection[] = GROUPS.map((group) => ({
  file: "docs/configuration.md",
  name: `config-${group}`,
  render: () => renderConfigGroup(group),
}));
