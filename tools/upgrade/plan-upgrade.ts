/**
 * The upgrade lane: what applying the working tree would do to environments deployed from a base ref,
 * planned by terraform with the real google provider, offline (no cloud, no credentials).
 *
 *   npm run plan:upgrade -- --base <git ref> [--env NAME ...] [--json] [--out DIR]
 *
 * For each environment: synthesize the base and the working tree; build an offline state of the base
 * (offline-state.ts); `terraform plan -refresh=false` of the working tree against it; give 6.50.0's
 * answer where the built provider's differs (correct-plan.ts); run the plan guard. Prints every action
 * with the attributes forcing each replacement and the guard's verdict (text, or JSON with --json);
 * writes each plan's `terraform show -json` to DIR/<env>.plan.json with --out (those files hold the
 * plan's sensitive values in clear text: keep them out of CI artifacts). Exit status: 0 safe, 1 the
 * guard refuses a change, 2 the lane could not plan.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CONFIG_DIR, loadEnvironment } from "../../config/load";
import type { PlanSafetyAllowEntry } from "../../constructs/plan-safety/check-plan-safety";
import { ensureProvider, terraformAvailable } from "../validation/terraform";
import { EnvironmentReport, formatUpgradeReport, judgeEnvironment, reportOf } from "./report";
import { resolveRef, synthesizeCommit, synthesizeWorkingTree } from "./synthesize";
import { planStackUpgrade } from "./upgrade-plan";

/** The command line, parsed. */
export interface UpgradeArguments {
  readonly base: string;
  readonly environments: string[];
  readonly json: boolean;
  readonly out?: string;
}

const USAGE = "usage: npm run plan:upgrade -- --base <git ref> [--env NAME ...] [--json] [--out DIR]";

/** Parses the arguments; throws the usage on a mistake. */
export function parseArguments(argv: readonly string[]): UpgradeArguments {
  let base: string | undefined;
  let out: string | undefined;
  let json = false;
  const environments: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${argv[i - 1]} needs a value\n${USAGE}`);
      return next;
    };
    if (argv[i] === "--base") base = value();
    else if (argv[i] === "--env") environments.push(value());
    else if (argv[i] === "--out") out = value();
    else if (argv[i] === "--json") json = true;
    else throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  if (!base) throw new Error(`--base is required\n${USAGE}`);
  return { base, environments, json, out };
}

/** The allow entries of an environment's configuration file in the working tree (`planSafety.allow`). */
function allowEntries(environment: string): PlanSafetyAllowEntry[] {
  const file = path.join(CONFIG_DIR, `${environment}.json`);
  if (!fs.existsSync(file)) return [];
  return loadEnvironment(file).config.planSafety.allow;
}

function log(message: string): void {
  process.stderr.write(`[plan:upgrade] ${message}\n`);
}

/** Plans every chosen environment; returns the exit status. */
export function run(args: UpgradeArguments): number {
  if (!terraformAvailable()) throw new Error("terraform is not on the PATH (these machines ship 1.11.4)");
  const provider = ensureProvider();
  const commit = resolveRef(args.base);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-upgrade-"));
  try {
    let start = Date.now();
    const base = synthesizeCommit(commit, scratch);
    log(`synthesized ${args.base} (${commit.slice(0, 12)}) in ${Date.now() - start} ms`);
    start = Date.now();
    const head = synthesizeWorkingTree(scratch);
    log(`synthesized the working tree in ${Date.now() - start} ms`);
    const names = args.environments.length > 0 ? args.environments : [...head.keys()];
    const unknown = names.filter((name) => !head.has(name));
    if (unknown.length > 0) throw new Error(`no environment ${unknown.join(", ")} in the working tree`);
    const reports: EnvironmentReport[] = [];
    for (const name of names) {
      log(`planning ${name}`);
      const upgrade = planStackUpgrade(base.get(name), head.get(name), path.join(scratch, name), provider);
      if (args.out) {
        fs.mkdirSync(args.out, { recursive: true });
        fs.writeFileSync(path.join(args.out, `${name}.plan.json`), JSON.stringify(upgrade.rawPlan), { mode: 0o600 });
      }
      const stacks = { base: base.get(name), head: head.get(name) };
      reports.push(judgeEnvironment(name, upgrade, stacks, allowEntries(name)));
    }
    const report = reportOf({ ref: args.base, commit }, provider.version, reports);
    if (args.out) log(`plans written to ${args.out}/<env>.plan.json (they hold sensitive values in clear text)`);
    process.stdout.write(`${args.json ? JSON.stringify(report, null, 2) : formatUpgradeReport(report)}\n`);
    return report.safe ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    process.exitCode = run(parseArguments(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`plan:upgrade: ${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}
