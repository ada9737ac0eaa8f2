/**
 * TypeScript refuses a construct without one of its required props; plain JavaScript (or tsx, which
 * does not type-check) does not. Every exported construct checks its required props itself at
 * synthesis: leaving one out, or passing `undefined` or `null`, fails with the construct's path, the
 * construct, the prop and the rule, never `undefined` in the Terraform (`service-undefined@…`).
 * The list of required props is read from the declarations, so a new construct or a new required
 * prop is covered without editing this test.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Construct } from "constructs";
import { TerraformStack, Testing } from "cdktf";
import { CONSTRUCT_FIXTURES } from "../../support/construct-fixtures";
import { exportedConstructRequirements } from "../../support/required-props";
import { ROOT } from "../../support";

const REQUIREMENTS = exportedConstructRequirements(ROOT);

test("every exported construct has a fixture (new constructs join this test by adding one)", () => {
  expect(REQUIREMENTS.length).toBeGreaterThan(10);
  expect(REQUIREMENTS.map((r) => r.construct).filter((name) => !(name in CONSTRUCT_FIXTURES))).toEqual([]);
});

test("each fixture sets every options object whose members are required (so they are taken away below)", () => {
  const unset = REQUIREMENTS.flatMap(({ construct, required }) => {
    const props = CONSTRUCT_FIXTURES[construct].props(new Construct(new TerraformStack(Testing.app(), "t"), "base"));
    return required.filter((prop) => prop.includes(".") && props[prop.split(".")[0]] === undefined);
  });
  expect(unset).toEqual([]);
});

test("each fixture synthesizes as it is (so a failure below is the missing prop's)", () => {
  for (const { construct } of REQUIREMENTS) {
    const fixture = CONSTRUCT_FIXTURES[construct];
    const stack = new TerraformStack(Testing.app(), "test");
    new fixture.construct(stack, "it", fixture.props(new Construct(stack, "base")));
    expect(() => Testing.synth(stack)).not.toThrow();
  }
});

const cases = REQUIREMENTS.flatMap(({ construct, required }) =>
  required.flatMap((prop) => [
    [construct, prop, "left out"],
    [construct, prop, "undefined"],
    [construct, prop, "null"],
  ]),
);

test.each(cases)("%s without %s (%s) fails at synthesis with the path, the prop and the rule", (name, prop, how) => {
  const fixture = CONSTRUCT_FIXTURES[name];
  const stack = new TerraformStack(Testing.app(), "test");
  const props = fixture.props(new Construct(stack, "base"));
  const [head, member] = prop.split(".");
  const owner =
    member === undefined ? props : ((props[head] = { ...(props[head] as object) }) as Record<string, unknown>);
  const key = member ?? head;
  if (how === "left out") delete owner[key];
  else owner[key] = how === "null" ? null : undefined;
  expect(() => new fixture.construct(stack, "it", props)).toThrow(
    `test/it: ${name} needs ${prop}: it is a required prop and was ${how === "null" ? "null" : "not given"}`,
  );
});

test.each(REQUIREMENTS.map((r) => r.construct))("%s without any props fails with the props it needs", (name) => {
  const fixture = CONSTRUCT_FIXTURES[name];
  const stack = new TerraformStack(Testing.app(), "test");
  const required = REQUIREMENTS.find((r) => r.construct === name)!.required.filter((p) => !p.includes("."));
  expect(() => new fixture.construct(stack, "it", undefined)).toThrow(
    `test/it: ${name} needs props: an object with ${required.join(", ")}`,
  );
});

test("from plain JavaScript: a StreamTopic without projectNumber and a ScheduledQuery without it fail; nothing is written", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "required-props-"));
  try {
    const script = path.join(dir, "app.js");
    fs.writeFileSync(
      script,
      `const { App, TerraformStack } = require(${JSON.stringify(require.resolve("cdktf"))});
       const { StreamTopic, ScheduledQuery } = require(${JSON.stringify(path.join(ROOT, "constructs/index.ts"))});
       const app = new App({ outdir: ${JSON.stringify(path.join(dir, "out"))} });
       const stack = new TerraformStack(app, "plain");
       const which = process.argv[2];
       if (which === "topic") new StreamTopic(stack, "topic", { project: "p-project", topicName: "events" });
       else new ScheduledQuery(stack, "query", { project: "p-project", location: "US", query: "SELECT 1" });
       app.synth();`,
    );
    for (const [which, expected] of [
      ["topic", "plain/topic: StreamTopic needs projectNumber: it is a required prop and was not given"],
      ["query", "plain/query: ScheduledQuery needs projectNumber: it is a required prop and was not given"],
    ]) {
      let stderr = "";
      let status = 0;
      try {
        execFileSync(process.execPath, ["--import", "tsx", script, which], { cwd: ROOT, stdio: "pipe" });
      } catch (error) {
        status = (error as { status: number }).status;
        stderr = String((error as { stderr: Buffer }).stderr);
      }
      expect(status).not.toBe(0);
      expect(stderr).toContain(expected);
      expect(stderr).not.toContain("service-undefined");
      const written = fs.existsSync(path.join(dir, "out"))
        ? fs.readdirSync(path.join(dir, "out"), { recursive: true })
        : [];
      expect(written.map(String).filter((file) => file.endsWith("cdk.tf.json"))).toEqual([]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
