/**
 * A construct's refusal in config terms: when the value a construct refuses came from an environment
 * file, the error names the file, the key and its line and column (`config/dev.json: elt.stagingSchedule:
 * schedule "every 15 minuts" is not … (line 21, column 52; refused by dev/elt/staging-load)`), because the
 * user edits the file, not the construct. The value is found by what the construct's message quotes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { jsonLocations } from "./json-locations";
import type { Environment } from "./load";

/** A construct's error message: `<construct path>: <the value and the rule>`. */
const CONSTRUCT_ERROR = /^([A-Za-z0-9_-]+(?:\/[^\s:]+)*): ([\s\S]+)$/;

/**
 * The error thrown while building or synthesizing an environment's stack, described for the user: in config
 * terms when the refused value is one of the environment file's values, else as the construct's own message.
 * Undefined when the error is not a construct's refusal (a defect: let it surface with its stack trace).
 */
export function describeStackError(error: unknown, environments: readonly Environment[]): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = CONSTRUCT_ERROR.exec(error.message);
  if (!match) return undefined;
  const [, constructPath, rule] = match;
  const environment = environments.find((e) => constructPath === e.name || constructPath.startsWith(`${e.name}/`));
  if (environment === undefined) return undefined;
  const display = path.relative(process.cwd(), environment.file) || environment.file;
  const text = fs.readFileSync(environment.file, "utf8");
  const keys = refusedKeys(JSON.parse(text), rule);
  if (keys.length === 0) return error.message;
  const locations = jsonLocations(text);
  const at = locations.get(keys[0]);
  const where = at ? `line ${at.line}, column ${at.column}; ` : "";
  return `${display}: ${keys.join(" and ")}: ${rule} (${where}refused by ${constructPath})`;
}

/**
 * The keys of the file whose value the message names: a string quoted in it, or a number or boolean
 * next to the key's own name. When several match, those whose name the message uses win.
 */
function refusedKeys(raw: unknown, rule: string): string[] {
  const lower = rule.toLowerCase();
  const named = (key: string): boolean => {
    const last = key.split(".").pop()!.toLowerCase();
    return lower.includes(last) || lower.split(/[^a-z]+/).some((word) => word.length > 3 && last.includes(word));
  };
  const matches = leaves(raw).filter(([key, value]) =>
    typeof value === "string"
      ? value.length > 0 && rule.includes(JSON.stringify(value))
      : new RegExp(`(^|[^\\w.])${String(value).replace(/[.+]/g, "\\$&")}([^\\w.]|$)`).test(rule) && named(key),
  );
  const preferred = matches.filter(([key]) => named(key));
  return (preferred.length > 0 ? preferred : matches).map(([key]) => key);
}

/** Every scalar of a JSON value with its dotted path. */
function leaves(value: unknown, prefix: string[] = []): [string, string | number | boolean][] {
  if (value === null || value === undefined) return [];
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => leaves(v, [...prefix, key]));
  }
  return [[prefix.join("."), value as string | number | boolean]];
}
