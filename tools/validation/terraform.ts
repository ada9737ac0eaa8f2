import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { prepare } from "./prepare-validation";

const ROOT = path.resolve(__dirname, "../..");

/** The locally built google provider, as scripts/ensure-provider.sh describes it. */
export interface BuiltProvider {
  /** The provider's true release, e.g. "8.0.0". */
  readonly version: string;
  /** Why it is not the version the stacks pin, when it is not. */
  readonly note: string;
  /** Environment for terraform: TF_CLI_CONFIG_FILE (the filesystem mirror), plugin cache, placeholder token. */
  readonly env: Record<string, string>;
}

/** Whether terraform is on the PATH. */
export function terraformAvailable(): boolean {
  try {
    execFileSync("terraform", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the provider if needed (idempotent: instant once cached; a cold build takes 5-15 minutes)
 * and returns how to use it. Throws with the script's output when the build fails.
 */
export function ensureProvider(): BuiltProvider {
  const out = execFileSync("bash", [path.join(ROOT, "scripts/ensure-provider.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const vars: Record<string, string> = {};
  // One line: export A=... B=... (printf %q quoting); let bash itself parse it.
  const parsed = execFileSync("bash", ["-c", `${out}\nenv -0`], { encoding: "utf8" });
  for (const entry of parsed.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) vars[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const cache = path.join(path.dirname(vars.TF_CLI_CONFIG_FILE), "plugin-cache");
  fs.mkdirSync(cache, { recursive: true });
  return {
    version: vars.FRESH_STREAMS_PROVIDER_VERSION,
    note: vars.FRESH_STREAMS_PROVIDER_NOTE,
    env: {
      TF_CLI_CONFIG_FILE: vars.TF_CLI_CONFIG_FILE,
      TF_PLUGIN_CACHE_DIR: cache,
      GOOGLE_OAUTH_ACCESS_TOKEN: "placeholder-offline-token",
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
    },
  };
}

/**
 * For a terraform test's `beforeAll`: the provider, or why it is unavailable (said loudly on the console).
 * Fails at once when terraform itself is missing: these machines ship it.
 */
export function providerForTests(): { provider?: BuiltProvider; unavailable?: string } {
  if (!terraformAvailable()) throw new Error("terraform is not on the PATH: these machines ship 1.11.4");
  try {
    return { provider: ensureProvider() };
  } catch (error) {
    const unavailable = `the google provider could not be built: ${(error as Error).message.slice(0, 2000)}`;
    console.warn(`SKIPPED (loudly): ${unavailable}`);
    return { unavailable };
  }
}

/** Rewrites every stack of a `Testing.fullSynth` output for offline validation (no backend, built provider version). */
export function prepareForValidation(outdir: string, providerVersion: string): void {
  const stacksDir = path.join(outdir, "stacks");
  for (const stack of fs.readdirSync(stacksDir)) prepare(path.join(stacksDir, stack, "cdk.tf.json"), providerVersion);
}

/**
 * Runs `terraform init -backend=false`, `validate -json` and an offline `plan`, saved and shown as
 * JSON, in a prepared folder. Returns the plan (`terraform show -json`) and the validation warnings;
 * throws with terraform's output when a step fails.
 */
export function planAsJson(dir: string, provider: BuiltProvider): { plan: unknown; warnings: number } {
  const env = { ...process.env, ...provider.env };
  const run = (args: string[]) => {
    try {
      return execFileSync("terraform", [`-chdir=${dir}`, ...args], { env, encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      throw new Error(`terraform ${args[0]} failed in ${dir}:\n${e.stdout ?? ""}${e.stderr ?? ""}`.slice(0, 8000));
    }
  };
  run(["init", "-backend=false", "-input=false", "-no-color"]);
  const validation = JSON.parse(run(["validate", "-json", "-no-color"])) as { valid: boolean; warning_count: number };
  if (!validation.valid) throw new Error(`terraform validate found errors in ${dir}`);
  run(["plan", "-refresh=false", "-lock=false", "-input=false", "-no-color", "-out=plan.bin"]);
  return { plan: JSON.parse(run(["show", "-json", "plan.bin"])), warnings: validation.warning_count };
}
