/**
 * Synthesizes every environment stack of a git ref or of the working tree (`npx tsx main.ts` with
 * CDKTF_OUTDIR), the way the upgrade lane needs them. A ref is checked out with `git worktree add
 * --detach` into a scratch folder, with the working tree's node_modules linked in (never installed),
 * and the worktree is removed afterwards, whatever happens.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "../..");

/** Synthesized stacks by environment name (parsed cdk.tf.json). */
export type SynthesizedStacks = Map<string, unknown>;

function git(args: string[], cwd = ROOT): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** Runs the cdktf app of `sourceDir` into `outdir` and reads each stack it wrote. */
function synthesizeFolder(sourceDir: string, outdir: string): SynthesizedStacks {
  const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
  try {
    execFileSync(tsx, ["main.ts"], {
      cwd: sourceDir,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    throw new Error(`synthesizing ${sourceDir} failed:\n${(e.stderr ?? "") + (e.stdout ?? "")}`.slice(0, 6000));
  }
  const stacks: SynthesizedStacks = new Map();
  const stacksDir = path.join(outdir, "stacks");
  for (const name of fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : []) {
    const file = path.join(stacksDir, name, "cdk.tf.json");
    if (fs.existsSync(file)) stacks.set(name, JSON.parse(fs.readFileSync(file, "utf8")));
  }
  return stacks;
}

/** The working tree's environments, synthesized under `scratch`. */
export function synthesizeWorkingTree(scratch: string): SynthesizedStacks {
  return synthesizeFolder(ROOT, path.join(scratch, "head.out"));
}

/** The commit `ref` names (throws a readable error when it names none). */
export function resolveRef(ref: string): string {
  try {
    return git(["rev-parse", "--verify", `${ref}^{commit}`]);
  } catch {
    throw new Error(`--base ${ref}: not a commit of this repository`);
  }
}

/**
 * The environments of commit `commit`, synthesized from a temporary detached worktree under `scratch`
 * (removed before returning, also on failure or interruption).
 */
export function synthesizeCommit(commit: string, scratch: string): SynthesizedStacks {
  const source = path.join(scratch, "base.src");
  const remove = () => {
    try {
      git(["worktree", "remove", "--force", source]);
    } catch {
      fs.rmSync(source, { recursive: true, force: true });
      git(["worktree", "prune"]);
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    process.kill(process.pid, signal);
  };
  git(["worktree", "add", "--detach", source, commit]);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(source, "node_modules"));
    return synthesizeFolder(source, path.join(scratch, "base.out"));
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    remove();
  }
}
