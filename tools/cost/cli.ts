/**
 * `npm run cost -- --env NAME [--rate EVENTS_PER_S] [--json] [--autoscale-utilisation F] [--stacks-dir DIR]`:
 * the monthly list cost of an environment, per resource and per category, from its synthesized stack
 * (synthesized in-process from config/NAME.json, or read from a cdktf output folder) and its config.
 */
import { DEFAULT_ASSUMPTIONS, type Assumptions } from "./line";
import { costReport } from "./model";
import { reportJson, reportText } from "./format";
import { loadEnvironmentStack } from "./synth";

/** The parsed command line. */
export interface CostArgs {
  readonly env: string;
  readonly json: boolean;
  readonly stacksDir?: string;
  readonly assumptions: Assumptions;
}

const USAGE =
  "usage: npm run cost -- --env NAME [--rate EVENTS_PER_S] [--json] [--autoscale-utilisation F] [--stacks-dir DIR]";

function numberArg(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${flag} ${JSON.stringify(value ?? "")}: a number from ${min} to ${max} is required\n${USAGE}`);
  }
  return n;
}

/** Parses the arguments; throws with the usage on a bad one. */
export function parseArgs(argv: readonly string[]): CostArgs {
  let env: string | undefined;
  let json = false;
  let stacksDir: string | undefined;
  let assumptions = DEFAULT_ASSUMPTIONS;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--json") json = true;
    else if (flag === "--env") env = argv[++i];
    else if (flag === "--stacks-dir") stacksDir = argv[++i];
    else if (flag === "--rate") assumptions = { ...assumptions, eventsPerSecond: numberArg(flag, argv[++i], 0, 1e6) };
    else if (flag === "--autoscale-utilisation")
      assumptions = { ...assumptions, autoscaleUtilisation: numberArg(flag, argv[++i], 0, 1) };
    else throw new Error(`unknown argument ${JSON.stringify(flag)}\n${USAGE}`);
  }
  if (!env) throw new Error(`--env is required\n${USAGE}`);
  return { env, json, stacksDir, assumptions };
}

/** Runs the command; returns what it prints. */
export function run(argv: readonly string[]): string {
  const args = parseArgs(argv);
  const { stack, config } = loadEnvironmentStack(args.env, { stacksDir: args.stacksDir });
  const report = costReport(args.env, stack, config, args.assumptions);
  return args.json ? JSON.stringify(reportJson(report), null, 2) : reportText(report);
}

if (require.main === module) {
  try {
    process.stdout.write(`${run(process.argv.slice(2))}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
