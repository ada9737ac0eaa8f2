import { App } from "cdktf";
import { CONFIG_DIR, ConfigError, loadEnvironments } from "./config/load";
import { StreamingAnalyticsStack } from "./stacks/streaming-analytics-stack";

/**
 * The cdktf app: one stack per environment file in config/.
 * FRESH_STREAMS_CONFIG_DIR points it at another folder of environment files (used by tests).
 */
function main(): void {
  let environments;
  try {
    environments = loadEnvironments(process.env.FRESH_STREAMS_CONFIG_DIR || CONFIG_DIR);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid environment configuration:\n${error.problems.map((p) => `  ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  const app = new App();
  for (const { name, config } of environments) {
    new StreamingAnalyticsStack(app, name, { environment: name, config });
  }
  app.synth();
}

main();
