import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs, run } from "../../tools/cost/cli";
import { synthesizeEnvironment, environmentConfig } from "../../tools/cost/synth";

/** `npm run cost -- --env dev --rate 50 --json`, as a user runs it (the stack synthesized in-process). */
describe("npm run cost", () => {
  let report: {
    env: string;
    rate: number;
    total: number;
    categories: Array<{ category: string; monthly: number; lines: Array<{ source: string; monthly: number }> }>;
    assumptions: Array<{ name: string; value: number }>;
    freeTier: { gross: number; free: number; net: number };
  };
  let dir: string;

  beforeAll(() => {
    report = JSON.parse(run(["--env", "dev", "--rate", "50", "--json"]));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cost-"));
    fs.mkdirSync(path.join(dir, "stacks", "dev"), { recursive: true });
    const stack = synthesizeEnvironment("dev", environmentConfig("dev"));
    fs.writeFileSync(path.join(dir, "stacks", "dev", "cdk.tf.json"), JSON.stringify(stack));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("--json for dev has a total and the reservation, ingestion and worker categories", () => {
    expect(report.env).toBe("dev");
    expect(report.rate).toBe(50);
    expect(report.categories.map((c) => c.category)).toEqual(
      expect.arrayContaining(["reservation", "ingestion", "worker", "scheduled-queries", "storage", "monitoring"]),
    );
    for (const category of ["reservation", "ingestion", "worker"]) {
      expect(report.categories.find((c) => c.category === category)!.monthly).toBeGreaterThan(0);
    }
    const sum = report.categories.reduce((s, c) => s + c.monthly, 0);
    expect(report.total).toBeCloseTo(sum, 1);
    expect(report.freeTier.net).toBeCloseTo(report.freeTier.gross - report.freeTier.free, 1);
    expect(report.assumptions.find((a) => a.name === "eventsPerSecond")!.value).toBe(50);
  });

  test("every line names its price page and the date it was read", () => {
    const lines = report.categories.flatMap((c) => c.lines);
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect(line.source).toMatch(/^https:\/\/cloud\.google\.com\/\S+ .*20\d\d-\d\d-\d\d/);
  });

  test("a cdktf output folder given with --stacks-dir prices the same stack", () => {
    expect(JSON.parse(run(["--env", "dev", "--rate", "50", "--json", "--stacks-dir", dir]))).toEqual(report);
  });

  test("bad arguments are refused with the usage", () => {
    expect(() => parseArgs(["--rate", "50"])).toThrow("--env is required");
    expect(() => parseArgs(["--env", "dev", "--autoscale-utilisation", "2"])).toThrow(
      '--autoscale-utilisation "2": a number from 0 to 1 is required',
    );
    expect(() => parseArgs(["--env", "dev", "--fast"])).toThrow('unknown argument "--fast"');
  });
});
