import { main } from "../../constructs/cli/main";
import type { CommandIo } from "../../constructs/cli/plan-guard-command";
import { planOf, removal } from "./plans";

// The command's arguments and exit statuses, run in-process over files given as text
// (plan-guard-cli.integration.test.ts runs the built command as a child process).

const REFUSED_PLAN = planOf(removal("google_pubsub_topic.t", { name: "t" }));
const SAFE_PLAN = planOf({ address: "google_pubsub_topic.n", actions: ["create"], after: { name: "n" } });
const REASON = "the topic is recreated with the same name";

function run(argv: string[], files: Record<string, unknown>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readText: (file) => {
      if (!(file in files)) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      const value = files[file];
      return typeof value === "string" ? value : JSON.stringify(value);
    },
  };
  const status = main(argv, io);
  return { status, stdout: out.join(""), stderr: err.join("") };
}

describe("fresh-streams plan-guard", () => {
  test("exit 0 on a safe plan, 1 on a refused one", () => {
    expect(run(["plan-guard", "safe.json"], { "safe.json": SAFE_PLAN })).toMatchObject({ status: 0, stderr: "" });
    const refused = run(["plan-guard", "plan.json"], { "plan.json": REFUSED_PLAN });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain("REFUSED: delete google_pubsub_topic.t");
  });

  test("--config reads planSafety.allow from an environment file; the refusal becomes allowed", () => {
    const config = { projectId: "x", planSafety: { allow: [{ address: "google_pubsub_topic.t", reason: REASON }] } };
    const result = run(["plan-guard", "plan.json", "--config", "config/dev.json"], {
      "plan.json": REFUSED_PLAN,
      "config/dev.json": config,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`allowed:   ${REASON}`);
  });

  test("--config without planSafety allows nothing", () => {
    const result = run(["plan-guard", "plan.json", "--config=c.json"], { "plan.json": REFUSED_PLAN, "c.json": {} });
    expect(result.status).toBe(1);
  });

  test("--allow reads a list of entries; --json prints the report only", () => {
    const result = run(["plan-guard", "plan.json", "--allow", "allow.json", "--json"], {
      "plan.json": REFUSED_PLAN,
      "allow.json": [{ address: "google_pubsub_topic.t", reason: REASON }],
    });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ safe: true, refused: [], changes: [{ verdict: "allowed", allowReason: REASON }] });
  });

  test("--synth names construct paths", () => {
    const synth = {
      terraform: {},
      resource: { google_pubsub_topic: { t: { "//": { metadata: { path: "dev/ingestion/topic/topic" } } } } },
    };
    const result = run(["plan-guard", "plan.json", "--synth", "cdk.tf.json", "--json"], {
      "plan.json": REFUSED_PLAN,
      "cdk.tf.json": synth,
    });
    expect(JSON.parse(result.stdout).refused[0].constructPath).toBe("dev/ingestion/topic/topic");
  });

  test.each([
    [["plan-guard"], /name the plan's JSON file/],
    [["plan-guard", "a.json", "b.json"], /one plan at a time/],
    [["plan-guard", "plan.json", "--frobnicate"], /unknown option --frobnicate/],
    [["plan-guard", "plan.json", "--synth"], /--synth needs a file/],
    [
      ["plan-guard", "plan.json", "--config", "c.json", "--allow", "a.json"],
      /--config and --allow both give allow entries/,
    ],
    [["plan-guard", "missing.json"], /cannot read plan missing\.json: ENOENT/],
    [["plan-guard", "text.json"], /plan text\.json is not JSON/],
    [["plan-guard", "state.json"], /neither planned_values nor resource_changes/],
    [["plan-guard", "plan.json", "--allow", "short.json"], /short\.json\[0\]\.reason: "short" is too short/],
    [["plan-guard", "plan.json", "--synth", "state.json"], /--synth not a synthesized stack/],
    [["plan-guard", "plan.json", "--config", "typo.json"], /typo\.json: unknown field "alow" in planSafety/],
    [["plan-guard", "plan.json", "--config", "short.json"], /config short\.json is not an environment file/],
    [["deploy"], /unknown command deploy/],
    [[], /Usage: fresh-streams <command>/],
  ])("%j is a usage or input error: exit 2", (argv, message) => {
    const result = run(argv, {
      "plan.json": REFUSED_PLAN,
      "text.json": "not json at all",
      "state.json": { format_version: "1.0", values: {} },
      "short.json": [{ address: "a.b", reason: "short" }],
      "typo.json": { planSafety: { alow: [] } },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  test("--help prints the usage and exits 0", () => {
    const result = run(["plan-guard", "--help"], {});
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: fresh-streams plan-guard PLAN\.json/);
    expect(result.stdout).toContain("Exit status: 0 safe, 1 refused, 2 usage or input error.");
  });
});
