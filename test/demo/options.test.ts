import * as path from "node:path";
import { parseOptions, DEFAULT_FIXTURE, OPTION_MODES, OPTION_SINKS, USAGE, DemoOptions } from "../../demo/options";
import { DEMO_MODES } from "../../demo/ingestion-mode";
import { DIRECT_SINKS } from "../../schemas/worker-contract";
import { FIXTURE } from "../../tools/fixtures/generate";

const parse = (...argv: string[]) => parseOptions(argv) as DemoOptions;

test("--duration without --source wikimedia is an argument error", () => {
  expect(() => parse("--duration", "30")).toThrow(/--duration applies to --source wikimedia only/);
  expect(() => parse("--source", "replay", "--duration", "30")).toThrow(/--source wikimedia only/);
});

test("--duration with --source wikimedia is taken, in either order", () => {
  expect(parse("--duration", "30", "--source", "wikimedia").durationSeconds).toBe(30);
  expect(parse("--source", "wikimedia", "--duration", "5").durationSeconds).toBe(5);
});

test("--report takes an .html file name and resolves it", () => {
  expect(parse("--report", "out/run.html").report).toBe(path.resolve("out/run.html"));
  expect(parse().report).toBeUndefined();
  expect(() => parse("--report", "run.json")).toThrow(/--report takes a file name ending in .html, got "run.json"/);
  expect(() => parse("--report")).toThrow(/--report needs a value/);
});

test("--help and -h ask for the usage, which lists every option", () => {
  expect(parseOptions(["--json", "--help"])).toBe("help");
  expect(parseOptions(["-h"])).toBe("help");
  for (const flag of ["--fixture", "--json", "--report", "--source", "--duration", "--mode", "--sink", "--sse-port"])
    expect(USAGE).toContain(flag);
});

test("the option table's lists and default fixture are the product's", () => {
  expect(OPTION_MODES).toEqual([...DEMO_MODES]);
  expect(OPTION_SINKS).toEqual([...DIRECT_SINKS]);
  expect(DEFAULT_FIXTURE).toBe(FIXTURE);
});

test("other argument errors name the option and the rule", () => {
  expect(() => parse("--sink", "insert-all")).toThrow(/--sink applies to --mode direct only/);
  expect(() => parse("--mode", "kafka")).toThrow(/--mode takes "pubsub" or "direct", got "kafka"/);
  expect(() => parse("--sse-port", "70000")).toThrow(/--sse-port takes a port number from 1 to 65535, got "70000"/);
  expect(() => parse("--frobnicate")).toThrow(/unknown option "--frobnicate"/);
});
