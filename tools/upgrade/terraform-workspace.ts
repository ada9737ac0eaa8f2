/**
 * A scratch folder holding one synthesized stack, prepared for offline planning with the locally built
 * google provider (tools/validation: no backend, the built version pinned), and the terraform commands the
 * upgrade lane runs in it. Plans are shown as JSON; that JSON holds sensitive values in clear text, so it
 * is returned to the caller and never logged here.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuiltProvider } from "../validation/terraform";
import { prepare } from "../validation/prepare-validation";

/** What `terraform show -json` prints for a saved plan (the parts the lane reads). */
export interface PlanJson {
  readonly format_version?: string;
  readonly resource_changes?: ResourceChange[];
  readonly output_changes?: Record<string, { actions: string[] }>;
  readonly planned_values?: {
    outputs?: Record<string, { value?: unknown; sensitive?: boolean }>;
  };
  readonly configuration?: unknown;
  readonly [key: string]: unknown;
}

/** One entry of a plan's `resource_changes`. */
export interface ResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly module_address?: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly provider_name: string;
  readonly action_reason?: string;
  readonly change: {
    readonly actions: string[];
    readonly before: Record<string, unknown> | null;
    readonly after: Record<string, unknown> | null;
    readonly after_unknown?: Record<string, unknown>;
    readonly replace_paths?: (string | number)[][];
  };
}

/** A prepared folder and the provider it plans with. */
export class TerraformWorkspace {
  private readonly env: NodeJS.ProcessEnv;
  /** The configuration last written (parsed cdk.tf.json, as prepared). */
  config: { resource?: Record<string, Record<string, unknown>> } = {};

  /**
   * Writes `cdkTfJson` (a synthesized stack) into `dir` as cdk.tf.json, prepared for offline planning,
   * and runs `terraform init -backend=false` there (the provider comes from the plugin cache).
   */
  constructor(
    readonly dir: string,
    cdkTfJson: unknown,
    readonly provider: BuiltProvider,
  ) {
    this.env = { ...process.env, ...provider.env };
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.configure(cdkTfJson);
  }

  /** Replaces the folder's configuration with `cdkTfJson` (the state stays) and initialises it. */
  configure(cdkTfJson: unknown): void {
    const file = path.join(this.dir, "cdk.tf.json");
    fs.writeFileSync(file, JSON.stringify(cdkTfJson));
    prepare(file, this.provider.version);
    this.config = JSON.parse(fs.readFileSync(file, "utf8")) as TerraformWorkspace["config"];
    this.run(["init", "-backend=false", "-input=false", "-no-color"]);
  }

  /** Runs terraform in the folder; throws with its output (never a plan's values) when it fails. */
  run(args: string[]): string {
    try {
      return execFileSync("terraform", [`-chdir=${this.dir}`, ...args], {
        env: this.env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 512 * 1024 * 1024,
      });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      const output = `${e.stderr ?? ""}${e.stdout ?? ""}`.slice(0, 8000);
      throw new Error(`terraform ${args[0]} failed in ${this.dir}:\n${output}`);
    }
  }

  /**
   * `terraform plan -refresh=false` against the folder's terraform.tfstate (or none: the state is
   * written by the caller), saved and returned as `terraform show -json`.
   */
  plan(): PlanJson {
    this.run(["plan", "-refresh=false", "-lock=false", "-input=false", "-no-color", "-out=plan.bin"]);
    return JSON.parse(this.run(["show", "-json", "plan.bin"])) as PlanJson;
  }

  /** Writes a state file (v4 JSON) the next plan starts from. */
  writeState(state: unknown): void {
    fs.writeFileSync(path.join(this.dir, "terraform.tfstate"), JSON.stringify(state), { mode: 0o600 });
  }

  /** Removes any state file: the next plan starts from nothing. */
  clearState(): void {
    fs.rmSync(path.join(this.dir, "terraform.tfstate"), { force: true });
  }
}
