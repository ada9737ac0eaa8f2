import * as path from "node:path";
import { parseEnvironment } from "../../config/load";
import { checkPlanSafety, constructPathsOf, formatPlanSafetyReport } from "../../constructs";
import { environmentConfig, newStack, newTopic, ROOT } from "../support";
import { planOf, removal } from "./plans";
import * as fs from "node:fs";

describe("construct paths from a synthesized stack", () => {
  test("each resource's address maps to its construct path, and the refusal names it", () => {
    const stack = newStack("guard");
    newTopic(stack);
    // What `cdktf synth` writes to cdk.tf.json: Testing.synth drops the "//" metadata, toTerraform keeps it.
    const json = JSON.parse(JSON.stringify(stack.toTerraform()));
    const paths = constructPathsOf(json);
    const [name] = Object.keys(json.resource.google_pubsub_topic);
    const address = `google_pubsub_topic.${name}`;
    expect(paths[address]).toBe(json.resource.google_pubsub_topic[name]["//"].metadata.path);
    expect(paths[address]).toMatch(/^guard\/events\//);

    const report = checkPlanSafety(planOf(removal(address, { name: "events" })), { constructPaths: paths });
    expect(report.refused[0].constructPath).toBe(paths[address]);
    expect(formatPlanSafetyReport(report)).toContain(`construct: ${paths[address]}`);
  });

  test('an instance address ([0], ["k"]) takes its resource\'s construct path', () => {
    const report = checkPlanSafety(planOf(removal("google_pubsub_topic.t[0]", { name: "a" })), {
      constructPaths: { "google_pubsub_topic.t": "s/topic" },
    });
    expect(report.refused[0].constructPath).toBe("s/topic");
  });

  test("input that is not a synthesized stack is an error", () => {
    expect(() => constructPathsOf({ format_version: "1.2" })).toThrow(/not a synthesized stack/);
  });
});

describe("the report as text", () => {
  test("a table of changes, each refusal with what it loses and the way out, stale entries, a verdict line", () => {
    const report = checkPlanSafety(
      planOf(removal("google_pubsub_subscription.s", { name: "s" }), {
        address: "google_pubsub_topic.n",
        actions: ["create"],
        after: { name: "n" },
      }),
      { allow: [{ address: "google_storage_bucket.b", reason: "the bucket is recreated empty on purpose" }] },
    );
    const text = formatPlanSafetyReport(report);
    expect(text).toMatch(/^VERDICT\s+ACTION\s+ADDRESS/);
    expect(text).toMatch(/refused\s+delete\s+google_pubsub_subscription\.s/);
    expect(text).toMatch(/safe\s+create\s+google_pubsub_topic\.n/);
    expect(text).toContain("REFUSED: delete google_pubsub_subscription.s");
    expect(text).toContain("  loses:     the subscription's backlog");
    expect(text).toContain("  way out:   ");
    expect(text).toContain("STALE ALLOW ENTRY: google_storage_bucket.b allows nothing in this plan");
    expect(text.split("\n").pop()).toBe(
      "plan guard: REFUSED: 1 refused, 0 allowed, 1 safe changes, 0 unchanged or read",
    );
  });
});

describe("allow entries in the environment's config (planSafety.allow)", () => {
  const base = JSON.parse(fs.readFileSync(path.join(ROOT, "config/dev.json"), "utf8"));
  const withAllow = (allow: unknown) => parseEnvironment("config/dev.json", { ...base, planSafety: { allow } });

  test("every environment has none by default", () => {
    expect(environmentConfig("dev").planSafety).toEqual({ allow: [] });
  });

  test("an entry with an address and a reason of at least 10 characters is accepted", () => {
    const entry = { address: "google_pubsub_topic.t", reason: "recreated on purpose in dev" };
    expect(withAllow([entry]).config?.planSafety.allow).toEqual([entry]);
  });

  test.each([
    [
      [{ address: "google_pubsub_topic.t", reason: "short" }],
      "config/dev.json: planSafety.allow.0.reason: at least 10 characters saying why losing what the resource holds is acceptable",
    ],
    [[{ reason: "recreated on purpose" }], "config/dev.json: planSafety.allow.0.address: is required"],
    [
      [{ address: "a.b", reason: "recreated on purpose", id: "x" }],
      'config/dev.json: unknown field "id" in planSafety.allow.0',
    ],
    [
      [
        { address: "a.b", reason: "recreated on purpose" },
        { address: "a.b", reason: "recreated on purpose" },
      ],
      "config/dev.json: planSafety.allow.1.address: a.b is allowed twice; keep one entry with one reason",
    ],
  ])("%j is a config error", (allow, problem) => {
    expect(withAllow(allow).problems).toEqual([problem]);
  });
});
