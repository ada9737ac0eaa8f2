import * as fs from "node:fs";
import * as path from "node:path";
import { ZodIssue } from "zod";
import { closestKey, knownKeysAt } from "./did-you-mean";
import { jsonLocations, positionOfJsonError, TextLocation } from "./json-locations";
import { EnvironmentConfig, environmentConfigSchema } from "./schema";

/** One loaded environment: its name (the file's base name) and validated settings. */
export interface Environment {
  readonly name: string;
  readonly file: string;
  readonly config: EnvironmentConfig;
}

/** Raised when one or more environment files are invalid; `problems` has one readable line each. */
export class ConfigError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** The folder holding the environment files. */
export const CONFIG_DIR = __dirname;

/**
 * Validates parsed JSON as an environment config; returns the problems (one line each) or the config.
 * With the file's `text`, each problem ends with the line and column it points at.
 */
export function parseEnvironment(
  file: string,
  raw: unknown,
  text?: string,
): { config: EnvironmentConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const result = environmentConfigSchema.safeParse(raw);
  if (result.success) return { config: result.data, problems: [] };
  const locations = text === undefined ? undefined : jsonLocations(text);
  return { problems: result.error.issues.map((issue) => describeIssue(file, issue, locations)) };
}

function describeIssue(file: string, issue: ZodIssue, locations?: Map<string, TextLocation>): string {
  const field = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? ` in ${field}` : "";
    const known = knownKeysAt(environmentConfigSchema, issue.path);
    const hints = issue.keys.map((key) => closestKey(key, known)).filter((key) => key !== undefined);
    const hint = hints.length > 0 ? `; did you mean ${hints.map((key) => `"${key}"`).join(", ")}?` : "";
    const at = at_(locations, [...issue.path, issue.keys[0]].join(".") + ":key");
    return `${file}: unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${where}${hint}${at}`;
  }
  const at = at_(locations, nearestLocatedPath(locations, issue.path));
  if (issue.code === "invalid_type" && issue.received === "undefined") {
    return `${file}: ${field}: is required${at}`;
  }
  return `${file}: ${field}: ${issue.message}${at}`;
}

/** " (line L, column C)" of a located path, or "" without locations. */
function at_(locations: Map<string, TextLocation> | undefined, key: string | undefined): string {
  const location = key === undefined ? undefined : locations?.get(key);
  return location ? ` (line ${location.line}, column ${location.column})` : "";
}

/** The longest prefix of `path` that the file has (a missing field points at the object that lacks it). */
function nearestLocatedPath(
  locations: Map<string, TextLocation> | undefined,
  path: readonly (string | number)[],
): string | undefined {
  if (locations === undefined) return undefined;
  for (let length = path.length; length >= 0; length--) {
    const key = path.slice(0, length).join(".");
    if (locations.has(key)) return key;
  }
  return undefined;
}

/** Loads and validates one environment file. Throws {@link ConfigError} listing every problem. */
export function loadEnvironment(file: string): Environment {
  const name = path.basename(file, ".json");
  const display = path.relative(process.cwd(), file) || file;
  const problems: string[] = [];
  if (!ENVIRONMENT_NAME.test(name)) {
    problems.push(`${display}: the file name must be a lowercase environment name such as dev.json`);
  }
  const text = fs.readFileSync(file, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = positionOfJsonError(text, message);
    const where = at ? ` at line ${at.line}, column ${at.column}` : "";
    throw new ConfigError([...problems, `${display}: not valid JSON${where}: ${message}`]);
  }
  const parsed = parseEnvironment(display, raw, text);
  problems.push(...parsed.problems);
  if (problems.length > 0 || parsed.config === undefined) throw new ConfigError(problems);
  return { name, file, config: parsed.config };
}

/** Loads every `*.json` in the folder, sorted by name; all problems of all files are reported together. */
export function loadEnvironments(dir: string = CONFIG_DIR): Environment[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new ConfigError([`${dir}: no environment files (*.json) found`]);
  const environments: Environment[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      environments.push(loadEnvironment(file));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return environments;
}
