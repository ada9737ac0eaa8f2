import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { environmentConfigSchema } from "../../config/schema";
import { ROOT } from "./markdown";

/**
 * docs/configuration.md documents every key of config/<env>.json: each leaf of the zod schema
 * (object shapes walked through optional, default, effects and unions) has a table row with
 * its full path, no row names a key the schema lacks, and the default column agrees with the
 * schema (`required`, the default value, or something else for optional keys).
 */

const DOC = "docs/configuration.md";

interface Leaf {
  /** The key's dotted path, e.g. `ingestion.dataflow.maxWorkers`. */
  readonly path: string;
  /** Required wherever its enclosing object is present (in at least one union branch). */
  readonly required: boolean;
  /** The schema's default, when it has one. */
  readonly default?: unknown;
}

function schemaLeaves(schema: z.ZodTypeAny, prefix = ""): Leaf[] {
  let current = schema;
  let required = true;
  let hasDefault = false;
  let defaultValue: unknown;
  for (;;) {
    if (current instanceof z.ZodDefault) {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = current._def.defaultValue();
      }
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
      break;
    }
  }
  const join = (key: string): string => (prefix ? `${prefix}.${key}` : key);
  if (current instanceof z.ZodObject) {
    return Object.entries(current.shape as Record<string, z.ZodTypeAny>).flatMap(([key, value]) =>
      schemaLeaves(value, join(key)),
    );
  }
  if (current instanceof z.ZodDiscriminatedUnion || current instanceof z.ZodUnion) {
    const options: z.ZodTypeAny[] =
      current instanceof z.ZodDiscriminatedUnion ? [...current.options.values()] : current.options;
    const merged = new Map<string, Leaf>();
    for (const leaf of options.flatMap((option) => schemaLeaves(option, prefix))) {
      const seen = merged.get(leaf.path);
      merged.set(leaf.path, {
        path: leaf.path,
        required: (seen?.required ?? false) || leaf.required,
        default: seen?.default ?? leaf.default,
      });
    }
    if (merged.size > 0) return [...merged.values()];
  }
  return [{ path: prefix, required, ...(hasDefault ? { default: defaultValue } : {}) }];
}

/** Rows of the doc's tables whose first cell is one backticked key path: path → default cell. */
function documentedKeys(): Map<string, string> {
  const rows = new Map<string, string>();
  const text = fs.readFileSync(path.join(ROOT, DOC), "utf8");
  for (const line of text.split("\n")) {
    const cells = line.trim().startsWith("|") ? line.trim().slice(1, -1).split("|") : [];
    const key = /^`([A-Za-z0-9_.]+)`$/.exec(cells[0]?.trim() ?? "");
    if (!key || cells.length < 3) continue;
    if (rows.has(key[1])) throw new Error(`${DOC}: ${key[1]} is documented twice`);
    rows.set(key[1], cells[1].trim());
  }
  return rows;
}

/** How the default column must show a schema default: strings bare, everything else as JSON, in backticks. */
function shownDefault(value: unknown): string {
  return `\`${typeof value === "string" ? (value === "" ? '""' : value) : JSON.stringify(value)}\``;
}

describe(DOC, () => {
  const leaves = schemaLeaves(environmentConfigSchema);
  const documented = documentedKeys();

  test("the schema walk finds the nested keys", () => {
    const paths = leaves.map((l) => l.path);
    expect(paths).toEqual(
      expect.arrayContaining(["projectId", "backend.bucket", "ingestion.dataflow.maxWorkers", "worker.environment"]),
    );
    expect(paths.length).toBeGreaterThan(30);
  });

  test("every key of the schema is documented", () => {
    expect(leaves.map((l) => l.path).filter((p) => !documented.has(p))).toEqual([]);
  });

  test("every documented key exists in the schema", () => {
    const known = new Set(leaves.map((l) => l.path));
    expect([...documented.keys()].filter((p) => !known.has(p))).toEqual([]);
  });

  test("the default column agrees with the schema", () => {
    const mismatches: string[] = [];
    for (const leaf of leaves) {
      const cell = documented.get(leaf.path);
      if (cell === undefined) continue;
      if (leaf.required) {
        if (!cell.startsWith("required")) mismatches.push(`${leaf.path}: required in the schema, doc says "${cell}"`);
      } else if (cell.startsWith("required")) {
        mismatches.push(`${leaf.path}: optional in the schema, doc says "${cell}"`);
      } else if ("default" in leaf && !cell.includes(shownDefault(leaf.default))) {
        mismatches.push(`${leaf.path}: schema default ${shownDefault(leaf.default)}, doc says "${cell}"`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
