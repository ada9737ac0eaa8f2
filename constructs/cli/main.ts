#!/usr/bin/env node
/**
 * The `fresh-streams` command (the package's `bin`): `fresh-streams plan-guard PLAN.json …`. Plain Node: it runs
 * from the built library (`dist/constructs/cli/main.js`) and loads only the plan guard's modules.
 */
import { CommandIo, EXIT, PROCESS_IO, runPlanGuard } from "./plan-guard-command";

const USAGE = `Usage: fresh-streams <command> [arguments]

Commands:
  plan-guard PLAN.json [--synth cdk.tf.json] [--config config/<env>.json | --allow FILE.json] [--json]
                     refuse a saved plan that would lose data or a position (see plan-guard --help)`;

/** Runs the command line `argv` (without node and the script); returns the exit status. */
export function main(argv: readonly string[], io: CommandIo = PROCESS_IO): number {
  const [command, ...rest] = argv;
  if (command === "plan-guard") return runPlanGuard(rest, io);
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    io[command === undefined ? "stderr" : "stdout"](`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.safe;
  }
  io.stderr(`fresh-streams: unknown command ${command}\n${USAGE}\n`);
  return EXIT.usage;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
