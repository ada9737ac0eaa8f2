import * as fs from "node:fs";
import * as path from "node:path";
import { ZodIssue } from "zod";
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

/** Validates parsed JSON as an environment config; returns the problems (one line each) or the config. */
export function parseEnvironment(
  file: string,
  raw: unknown,
): { config: EnvironmentConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const result = environmentConfigSchema.safeParse(raw);
  if (result.success) return { config: result.data, problems: [] };
  return { problems: result.error.issues.map((issue) => describeIssue(file, issue)) };
}

function describeIssue(file: string, issue: ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? ` in ${field}` : "";
    return `${file}: unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${where}`;
  }
  if (issue.code === "invalid_type" && issue.received === "undefined") {
    return `${file}: ${field}: is required`;
  }
  return `${file}: ${field}: ${issue.message}`;
}

/** Loads and validates one environment file. Throws {@link ConfigError} listing every problem. */
export function loadEnvironment(file: string): Environment {
  const name = path.basename(file, ".json");
  const display = path.relative(process.cwd(), file) || file;
  const problems: string[] = [];
  if (!ENVIRONMENT_NAME.test(name)) {
    problems.push(`${display}: the file name must be a lowercase environment name such as dev.json`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError([...problems, `${display}: cannot read as JSON: ${(error as Error).message}`]);
  }
  const parsed = parseEnvironment(display, raw);
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
