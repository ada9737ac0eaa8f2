import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, loadEnvironment, loadEnvironments, parseEnvironment } from "../../config/load";

const ROOT = path.resolve(__dirname, "../..");
const VALID = JSON.parse(fs.readFileSync(path.join(ROOT, "config/dev.json"), "utf8"));

/** Problems reported for a config derived from dev.json. */
function problemsOf(change: (config: Record<string, any>) => void): string[] {
  const config = structuredClone(VALID);
  change(config);
  return parseEnvironment("config/test.json", config).problems;
}

function tempConfigDir(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-config-"));
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  return dir;
}

describe("environment files in config/", () => {
  test("direct, local, dev and prod are valid and load in name order", () => {
    const names = loadEnvironments().map((e) => e.name);
    expect(names).toEqual(["dev", "direct", "local", "prod"]);
  });

  test("defaults are filled in for omitted optional sections", () => {
    const { config } = parseEnvironment("x.json", { ...VALID, elt: undefined, ingestion: undefined });
    expect(config?.elt.lookbackHours).toBe(48);
    expect(config?.ingestion.mode).toBe("dataflow");
    expect(config?.ingestion.maxDeliveryAttempts).toBe(10);
  });

  test("prod is production with deletion protection and CMEK", () => {
    const prod = loadEnvironment(path.join(ROOT, "config/prod.json")).config;
    expect(prod.production).toBe(true);
    expect(prod.deletionProtection).toBe(true);
    expect(prod.requireCmek).toBe(true);
  });
});

describe("invalid environment files: one readable line per problem, naming file and field", () => {
  test.each<[string, (c: Record<string, any>) => void, string]>([
    ["missing projectId", (c) => delete c.projectId, "config/test.json: projectId: is required"],
    [
      "wrong type",
      (c) => (c.deletionProtection = "yes"),
      "config/test.json: deletionProtection: Expected boolean, received string",
    ],
    ["unknown key", (c) => (c.projectid = "x"), 'config/test.json: unknown field "projectid"'],
    [
      "unknown nested key",
      (c) => (c.ingestion.maxDeliveryAttempt = 5),
      'config/test.json: unknown field "maxDeliveryAttempt" in ingestion',
    ],
    ["invalid project id", (c) => (c.projectId = "My_Project"), "config/test.json: projectId: must be 6-30 characters"],
    ["invalid location", (c) => (c.location = "Mars"), "config/test.json: location: must be US, EU or a region name"],
    ["invalid region", (c) => (c.region = "central"), "config/test.json: region: must be a region name"],
    [
      "project number not digits",
      (c) => (c.projectNumber = "12ab"),
      "config/test.json: projectNumber: must be the project's number",
    ],
    [
      "invalid label key",
      (c) => (c.labels = { Team: "x" }),
      "config/test.json: labels.Team: label keys start with a lowercase letter",
    ],
    [
      "bad backend type",
      (c) => (c.backend = { type: "s3" }),
      "config/test.json: backend.type: Invalid discriminator value",
    ],
    [
      "gcs backend without bucket",
      (c) => (c.backend = { type: "gcs" }),
      "config/test.json: backend.bucket: is required",
    ],
    [
      "CMEK required but no key",
      (c) => (c.requireCmek = true),
      "config/test.json: kmsKeyName: is required when requireCmek is true",
    ],
    [
      "production without deletion protection",
      (c) => (c.production = true),
      "config/test.json: deletionProtection: must be true in a production environment",
    ],
    [
      "a production baseline without its justification",
      (c) => {
        c.production = true;
        c.deletionProtection = true;
        c.reservation = { edition: "ENTERPRISE", baselineSlots: 100 };
      },
      "config/test.json: reservation.baselineJustification: is required in production with 100 baseline slots",
    ],
    [
      "an unknown worker host",
      (c) => (c.worker = { host: "vm" }),
      "config/test.json: worker.host: Invalid enum value. Expected 'worker-pool' | 'service'",
    ],
    [
      "max delivery attempts out of range",
      (c) => (c.ingestion.maxDeliveryAttempts = 3),
      "config/test.json: ingestion.maxDeliveryAttempts: Number must be greater than or equal to 5",
    ],
  ])("%s", (_name, change, expected) => {
    const problems = problemsOf(change);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test("several problems are all reported, one line each", () => {
    const problems = problemsOf((c) => {
      delete c.projectId;
      c.location = "moon";
      c.extra = 1;
    });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/projectId: is required/);
    expect(problems.join("\n")).toMatch(/location: must be/);
    expect(problems.join("\n")).toMatch(/unknown field "extra"/);
  });

  test("a file that is not JSON names the file", () => {
    const dir = tempConfigDir({ "dev.json": "{ not json" });
    expect(() => loadEnvironments(dir)).toThrow(ConfigError);
    expect(() => loadEnvironments(dir)).toThrow(/dev\.json: cannot read as JSON/);
  });

  test("a file name that is not an environment name is rejected", () => {
    const dir = tempConfigDir({ "Dev Env.json": VALID });
    expect(() => loadEnvironments(dir)).toThrow(/must be a lowercase environment name/);
  });
});

describe("the cdktf app with a bad config", () => {
  test("exits 1 with the file and field, and no stack trace", () => {
    const { projectId: _omitted, ...missing } = VALID;
    const dir = tempConfigDir({ "dev.json": missing, "local.json": VALID });
    const result = spawnSync("npx", ["tsx", "main.ts"], {
      cwd: ROOT,
      env: { ...process.env, FRESH_STREAMS_CONFIG_DIR: dir, CDKTF_OUTDIR: path.join(dir, "out") },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Invalid environment configuration:");
    expect(result.stderr).toMatch(/dev\.json: projectId: is required/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test("`cdktf synth` fails too", () => {
    const { projectId: _omitted, ...missing } = VALID;
    const dir = tempConfigDir({ "dev.json": missing });
    const out = path.join(dir, "out");
    let failed = false;
    try {
      execFileSync("npx", ["cdktf", "synth", "--output", out], {
        cwd: ROOT,
        env: { ...process.env, FRESH_STREAMS_CONFIG_DIR: dir, CHECKPOINT_DISABLE: "1" },
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (error) {
      failed = true;
      expect(String((error as { stderr: string }).stderr) + String((error as { stdout: string }).stdout)).toMatch(
        /projectId: is required/,
      );
    }
    expect(failed).toBe(true);
    expect(fs.existsSync(path.join(out, "stacks", "dev"))).toBe(false);
  });
});

describe("ingestion mode direct", () => {
  const directOf = (ingestion: Record<string, unknown>) =>
    problemsOf((c) => {
      c.ingestion = ingestion;
    });

  test("direct.api defaults to storage-write and accepts insert-all", () => {
    const parsed = (ingestion: Record<string, unknown>) =>
      parseEnvironment("x.json", { ...structuredClone(VALID), ingestion }).config?.ingestion;
    expect(parsed({ mode: "direct" })).toMatchObject({ mode: "direct", direct: { api: "storage-write" } });
    expect(parsed({ mode: "direct", direct: { api: "insert-all" } })?.direct.api).toBe("insert-all");
    expect(directOf({ mode: "direct", direct: { api: "streaming" } })).toEqual([
      "config/test.json: ingestion.direct.api: Invalid enum value. Expected 'storage-write' | 'insert-all', received 'streaming'",
    ]);
    expect(directOf({ mode: "direct", direct: { api: "insert-all", batch: 1 } })).toEqual([
      'config/test.json: unknown field "batch" in ingestion.direct',
    ]);
  });

  test("Pub/Sub-only settings given in a direct environment are refused, each with the rule", () => {
    expect(
      directOf({
        mode: "direct",
        topicSchema: true,
        dataflow: { maxWorkers: 2 },
        maxDeliveryAttempts: 10,
        messageRetentionDuration: "86400s",
      }),
    ).toEqual([
      'config/test.json: ingestion.dataflow: {"maxWorkers":2} is refused with mode "direct": dataflow only applies when events travel through Pub/Sub (modes "dataflow" and "bigquery-subscription"); remove it',
      'config/test.json: ingestion.maxDeliveryAttempts: 10 is refused with mode "direct": maxDeliveryAttempts only applies when events travel through Pub/Sub (modes "dataflow" and "bigquery-subscription"); remove it',
      'config/test.json: ingestion.messageRetentionDuration: "86400s" is refused with mode "direct": messageRetentionDuration only applies when events travel through Pub/Sub (modes "dataflow" and "bigquery-subscription"); remove it',
      'config/test.json: ingestion.topicSchema: true is refused with mode "direct": topicSchema only applies when events travel through Pub/Sub (modes "dataflow" and "bigquery-subscription"); remove it',
    ]);
    // topicSchema: false says nothing that does not hold; the Pub/Sub modes keep every key.
    expect(directOf({ mode: "direct", topicSchema: false })).toEqual([]);
    expect(directOf({ mode: "bigquery-subscription", topicSchema: true, maxDeliveryAttempts: 20 })).toEqual([]);
  });

  test("a direct section in a Pub/Sub mode is accepted (switching modes is one key)", () => {
    expect(directOf({ ...VALID.ingestion, direct: { api: "insert-all" } })).toEqual([]);
  });

  test("the environment files keep their modes", () => {
    const modes = Object.fromEntries(loadEnvironments().map((e) => [e.name, e.config.ingestion.mode]));
    expect(modes).toEqual({ dev: "dataflow", direct: "direct", local: "bigquery-subscription", prod: "dataflow" });
  });
});
