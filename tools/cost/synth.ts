/**
 * An environment's synthesized stack for the cost model: synthesized in-process from its config file
 * (as main.ts does), or read from a cdktf output folder (`cdktf.out`, or its `stacks/` folder).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { CONFIG_DIR, loadEnvironment } from "../../config/load";
import type { EnvironmentConfig } from "../../config/schema";
import type { SynthesizedStack } from "./stack";

/** A stack and the config it came from. */
export interface EnvironmentStack {
  readonly stack: SynthesizedStack;
  readonly config: EnvironmentConfig;
}

/** The environment's validated config (config/<name>.json, or under `configDir`). */
export function environmentConfig(name: string, configDir: string = CONFIG_DIR): EnvironmentConfig {
  return loadEnvironment(path.join(configDir, `${name}.json`)).config;
}

/** Synthesizes the environment's stack in-process, aspects included. */
export function synthesizeEnvironment(name: string, config: EnvironmentConfig): SynthesizedStack {
  // Loaded here: the stacks pull in every construct, which only synthesis needs.
  const { StreamingAnalyticsStack } =
    require("../../stacks/streaming-analytics-stack") as typeof import("../../stacks/streaming-analytics-stack");
  const stack = new StreamingAnalyticsStack(Testing.app(), name, { environment: name, config });
  return JSON.parse(Testing.synth(stack)) as SynthesizedStack;
}

/** Reads `<dir>/stacks/<name>/cdk.tf.json` or `<dir>/<name>/cdk.tf.json`. */
export function readSynthesizedStack(dir: string, name: string): SynthesizedStack {
  const candidates = [path.join(dir, "stacks", name, "cdk.tf.json"), path.join(dir, name, "cdk.tf.json")];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new Error(`no synthesized stack for ${name}: looked for ${candidates.join(" and ")}`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as SynthesizedStack;
}

/** The environment's stack and config: read from `stacksDir` when given, else synthesized. */
export function loadEnvironmentStack(
  name: string,
  options: { stacksDir?: string; configDir?: string } = {},
): EnvironmentStack {
  const config = environmentConfig(name, options.configDir);
  const stack = options.stacksDir ? readSynthesizedStack(options.stacksDir, name) : synthesizeEnvironment(name, config);
  return { stack, config };
}
