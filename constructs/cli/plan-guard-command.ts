/**
 * `fresh-streams plan-guard`: the plan guard as a command for a deploy script or a CI step. Reads the JSON of a
 * saved plan, prints the verdict, and exits 0 (safe), 1 (refused) or 2 (usage or input error).
 */
import * as fs from "node:fs";
import { AllowEntryError, parseAllowEntries, PlanSafetyAllowEntry } from "../plan-safety/allow-entries";
import { checkPlanSafety, constructPathsOf, formatPlanSafetyReport } from "../plan-safety/check-plan-safety";
import { PlanFormatError } from "../plan-safety/plan-json";

/** Where the command writes and how it reads files (a test passes its own). */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads a file as text; `-` is standard input. */
  readonly readText: (file: string) => string;
}

/** Exit codes of the command. */
export const EXIT = { safe: 0, refused: 1, usage: 2 } as const;

export const PLAN_GUARD_USAGE = `Usage: fresh-streams plan-guard PLAN.json [--synth cdk.tf.json] [--config config/<env>.json | --allow FILE.json] [--json]

Refuses a saved plan that would delete or replace what holds data or a position (datasets, tables that are not
views, topics, subscriptions, Pub/Sub schemas, buckets, KMS keys and key rings, secrets, reservations, streaming
Dataflow jobs that would be cancelled) or drop or retype a table's column, unless an allow entry names it.

  PLAN.json          the output of \`terraform show -json PLANFILE\` (- reads it from standard input)
  --synth FILE       the stack's synthesized cdk.tf.json: name each resource's construct path
  --config FILE      an environment config: allow entries from its planSafety.allow
  --allow FILE       a JSON list of allow entries [{ "address": "...", "reason": "..." }]
  --json             print the report as JSON only
  -h, --help         print this help

Exit status: 0 safe, 1 refused, 2 usage or input error.`;

/** Raised on a usage or input error: the message is printed, the exit status is 2. */
class UsageError extends Error {}

interface Arguments {
  readonly plan: string;
  readonly synth?: string;
  readonly config?: string;
  readonly allow?: string;
  readonly json: boolean;
}

const VALUE_FLAGS = new Set(["--synth", "--config", "--allow"]);

function parseArguments(argv: readonly string[]): Arguments {
  const values: Record<string, string> = {};
  const positional: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag === "--json") json = true;
    else if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === "") throw new UsageError(`${flag} needs a file`);
      if (values[flag] !== undefined) throw new UsageError(`${flag} is given twice`);
      values[flag] = value;
    } else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) {
    throw new UsageError(
      positional.length === 0 ? "name the plan's JSON file" : `one plan at a time, got ${positional.join(" ")}`,
    );
  }
  if (values["--config"] !== undefined && values["--allow"] !== undefined) {
    throw new UsageError("--config and --allow both give allow entries: use one");
  }
  return { plan: positional[0], synth: values["--synth"], config: values["--config"], allow: values["--allow"], json };
}

function readJson(io: CommandIo, file: string, what: string): unknown {
  let text: string;
  try {
    text = io.readText(file);
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // The parser's message may quote the input, which can hold secret values: name the position only.
    const position = /position \d+/.exec((error as Error).message)?.[0];
    throw new UsageError(`${what} ${file} is not JSON${position !== undefined ? ` (at ${position})` : ""}`);
  }
}

/** The allow entries of an environment file's `planSafety` section (absent: none). */
function configAllowEntries(io: CommandIo, file: string): PlanSafetyAllowEntry[] {
  const config = readJson(io, file, "config");
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new UsageError(`config ${file} is not an environment file (a JSON object)`);
  }
  const section = (config as Record<string, unknown>).planSafety;
  if (section === undefined) return [];
  if (typeof section !== "object" || section === null || Array.isArray(section)) {
    throw new UsageError(`${file}: planSafety: expected an object { "allow": [...] }`);
  }
  const unknown = Object.keys(section).filter((key) => key !== "allow");
  if (unknown.length > 0) {
    throw new UsageError(
      `${file}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} in planSafety`,
    );
  }
  return parseAllowEntries((section as Record<string, unknown>).allow ?? [], `${file}: planSafety.allow`);
}

function allowEntries(io: CommandIo, args: Arguments): PlanSafetyAllowEntry[] {
  if (args.config !== undefined) return configAllowEntries(io, args.config);
  if (args.allow !== undefined) return parseAllowEntries(readJson(io, args.allow, "allow file"), args.allow);
  return [];
}

/** Runs `plan-guard` with its arguments; returns the exit status. */
export function runPlanGuard(argv: readonly string[], io: CommandIo): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(`${PLAN_GUARD_USAGE}\n`);
    return EXIT.safe;
  }
  try {
    const args = parseArguments(argv);
    const allow = allowEntries(io, args);
    const constructPaths =
      args.synth !== undefined ? constructPathsOf(readJson(io, args.synth, "synthesized stack")) : undefined;
    const report = checkPlanSafety(readJson(io, args.plan, "plan"), { allow, constructPaths });
    io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPlanSafetyReport(report)}\n`);
    return report.safe ? EXIT.safe : EXIT.refused;
  } catch (error) {
    if (error instanceof UsageError || error instanceof PlanFormatError || error instanceof AllowEntryError) {
      io.stderr(
        `fresh-streams plan-guard: ${error.message}\n${error instanceof UsageError ? "Run fresh-streams plan-guard --help for the usage.\n" : ""}`,
      );
      return EXIT.usage;
    }
    if (error instanceof Error && error.message.startsWith("not a synthesized stack")) {
      io.stderr(`fresh-streams plan-guard: --synth ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

/** The command's input and output on the real process. */
export const PROCESS_IO: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readText: (file) => fs.readFileSync(file === "-" ? 0 : file, "utf8"),
};
