/**
 * "Did you mean" for an unknown config key: the known keys at the same place in the schema, and the
 * closest one to what was written.
 */
import { z } from "zod";

/** The keys an object at `path` of `schema` accepts (empty when the path leads to no object). */
export function knownKeysAt(schema: z.ZodTypeAny, path: readonly (string | number)[]): string[] {
  const here = unwrap(schema);
  if (path.length === 0) {
    if (here instanceof z.ZodObject) return Object.keys(here.shape);
    if (here instanceof z.ZodDiscriminatedUnion) {
      return [...new Set((here.options as z.ZodTypeAny[]).flatMap((option) => knownKeysAt(option, [])))];
    }
    return [];
  }
  const [head, ...rest] = path;
  if (here instanceof z.ZodObject) {
    const next = here.shape[String(head)] as z.ZodTypeAny | undefined;
    return next ? knownKeysAt(next, rest) : [];
  }
  if (here instanceof z.ZodArray) return knownKeysAt(here.element, rest);
  if (here instanceof z.ZodRecord) return knownKeysAt(here.valueSchema, rest);
  if (here instanceof z.ZodDiscriminatedUnion) {
    return [...new Set((here.options as z.ZodTypeAny[]).flatMap((option) => knownKeysAt(option, path)))];
  }
  return [];
}

/** The wrapped schema of defaults, optionals, nullables, refinements and transforms. */
function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  if (schema instanceof z.ZodDefault) return unwrap(schema._def.innerType);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return unwrap(schema.unwrap());
  if (schema instanceof z.ZodEffects) return unwrap(schema.innerType());
  return schema;
}

/** The known key closest to `written` (case, a few typos or a missing plural), or undefined when none is close. */
export function closestKey(written: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(written.toLowerCase(), key.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(2, Math.floor(best.key.length / 4)) ? best.key : undefined;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
