import { App } from "cdktf";
import { describeStackError } from "./config/config-errors";
import { CONFIG_DIR, ConfigError, Environment, loadEnvironments } from "./config/load";
import { StreamingAnalyticsStack } from "./stacks/streaming-analytics-stack";

/**
 * The cdktf app: one stack per environment file in config/.
 * FRESH_STREAMS_CONFIG_DIR points it at another folder of environment files (used by tests).
 * A refused setting is printed once, in the terms of the file it came from, without a stack trace.
 */
function main(): void {
  let environments: Environment[] = [];
  try {
    environments = loadEnvironments(process.env.FRESH_STREAMS_CONFIG_DIR || CONFIG_DIR);
    const app = new App();
    for (const { name, config } of environments) {
      new StreamingAnalyticsStack(app, name, { environment: name, config });
    }
    app.synth();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [describeStackError(error, environments)];
    if (problems.some((problem) => problem === undefined)) throw error;
    process.stderr.write(`Invalid environment configuration:\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
    process.exit(1);
  }
}

main();
