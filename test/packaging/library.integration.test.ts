import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The constructs are a library: another cdktf project installs `fresh-streams` and composes
 * them from the package entry point only. This builds dist/ and type-checks and runs such a
 * foreign project against it.
 */
const ROOT = path.resolve(__dirname, "../..");

// A foreign project's stack: imports only from the package name, composes the warehouse and
// ingestion constructs, and prints what it synthesized.
const FOREIGN_STACK = `
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import * as lib from "fresh-streams";
import { CdcTable, Duration, LayeredDataset, Principal, StreamingTable, StreamTopic, TableSchema } from "fresh-streams";

const app = Testing.app();
const stack = new TerraformStack(app, "foreign");
const schema = new TableSchema(
  [
    { name: "order_id", type: "INT64", mode: "REQUIRED" },
    { name: "customer", type: "STRING" },
    { name: "placed_at", type: "TIMESTAMP" },
  ],
  { name: "orders" },
);
const dataset = new LayeredDataset(stack, "raw", { datasetId: "shop_raw", layer: "raw", location: "EU" });
const events = new StreamingTable(stack, "events", {
  dataset,
  tableId: "order_events",
  schema,
  partitioning: { type: "INGESTION_TIME" },
  clustering: ["customer"],
});
const orders = new CdcTable(stack, "orders", {
  dataset,
  tableId: "orders",
  schema,
  primaryKey: ["order_id"],
  maxStaleness: Duration.minutes(10),
});
const topic = new StreamTopic(stack, "topic", {
  project: "shop-project",
  projectNumber: "123456789012",
  topicName: "orders",
  messageRetentionDuration: Duration.days(3),
});
topic.grantPublish(Principal.serviceAccount("shop@shop-project.iam.gserviceaccount.com"));
dataset.grantRead(Principal.group("analysts@example.com"));
const synthesized = JSON.parse(Testing.synth(stack));
process.stdout.write(JSON.stringify({
  exported: Object.keys(lib).sort(),
  // One copy of constructs: the library's constructs are Constructs of the project's own module.
  sameConstructs: dataset instanceof Construct && topic instanceof Construct,
  fqn: events.fqn,
  cdcTable: orders.tableId,
  resources: Object.keys(synthesized.resource).sort(),
}));
`;

describe("the package as a library", () => {
  let foreign: string;

  beforeAll(() => {
    execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "pipe" });
    foreign = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-foreign-"));
    fs.mkdirSync(path.join(foreign, "node_modules"));
    // The way npm links a local dependency. cdktf, constructs and the provider are peer dependencies:
    // the foreign project installs them itself (here: links to the same versions).
    fs.symlinkSync(ROOT, path.join(foreign, "node_modules", "fresh-streams"));
    for (const dep of ["cdktf", "constructs", "@types"]) {
      fs.symlinkSync(path.join(ROOT, "node_modules", dep), path.join(foreign, "node_modules", dep));
    }
    fs.mkdirSync(path.join(foreign, "node_modules", "@cdktf"));
    fs.symlinkSync(
      path.join(ROOT, "node_modules", "@cdktf", "provider-google"),
      path.join(foreign, "node_modules", "@cdktf", "provider-google"),
    );
    fs.writeFileSync(path.join(foreign, "stack.ts"), FOREIGN_STACK);
    fs.writeFileSync(
      path.join(foreign, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "node16",
          moduleResolution: "node16",
          target: "ES2022",
          outDir: "out",
          types: ["node"],
          skipLibCheck: true,
        },
        files: ["stack.ts"],
      }),
    );
  });

  test("npm run build emits the entry point with type declarations", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(fs.existsSync(path.join(ROOT, pkg.main))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, pkg.types))).toBe(true);
    expect(pkg.exports["."].types).toBe(`./${pkg.types}`);
    expect(fs.readFileSync(path.join(ROOT, pkg.types), "utf8")).toMatch(/table-schema/);
  });

  test("a foreign cdktf project type-checks and runs against the public entry point", () => {
    execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: foreign, stdio: "pipe" });
    const output = JSON.parse(execFileSync("node", ["out/stack.js"], { cwd: foreign, encoding: "utf8" }));
    expect(output.exported).toEqual(
      expect.arrayContaining([
        "TableSchema",
        "LayeredDataset",
        "StreamingTable",
        "CdcTable",
        "BackgroundReservation",
        "StreamTopic",
        "PubSubToBigQueryJob",
        "ScheduledQuery",
        "View",
        "MaterializedView",
        "SsePublisherService",
      ]),
    );
    expect(output.cdcTable).toBe("orders");
    expect(output.resources).toEqual(
      expect.arrayContaining([
        "google_bigquery_dataset",
        "google_bigquery_table",
        "google_pubsub_topic",
        "google_pubsub_subscription",
      ]),
    );
  });

  test("the entry point does not leak test or stack code", () => {
    const output = JSON.parse(execFileSync("node", ["out/stack.js"], { cwd: foreign, encoding: "utf8" }));
    expect(output.exported).not.toContain("StreamingAnalyticsStack");
  });

  test("the built entry point exposes exactly the names constructs/index.ts lists (docs/api.md documents them)", () => {
    const built = Object.keys(require(path.join(ROOT, "dist/constructs/index.js"))).sort();
    const source = Object.keys(require("../../constructs/index")).sort();
    expect(built).toEqual(source);
    for (const helper of [
      "fail",
      "shortHash",
      "grantOnce",
      "validateMember",
      "isKnown",
      "block",
      "serviceAccountIdFor",
    ]) {
      expect(built).not.toContain(helper);
    }
  });

  test("cdktf, constructs and the provider are peer dependencies, pinned alike for this repository", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    for (const dep of ["cdktf", "constructs", "@cdktf/provider-google"]) {
      expect(pkg.dependencies?.[dep]).toBeUndefined();
      expect(pkg.peerDependencies[dep]).toMatch(/^\d+\.\d+\.\d+$/);
      expect(pkg.devDependencies[dep]).toBe(pkg.peerDependencies[dep]);
    }
  });

  test("library constructs are Constructs of the composing project's own constructs module", () => {
    const output = JSON.parse(execFileSync("node", ["out/stack.js"], { cwd: foreign, encoding: "utf8" }));
    expect(output.sameConstructs).toBe(true);
    expect(output.resources).toEqual(
      expect.arrayContaining(["google_pubsub_topic_iam_member", "google_bigquery_dataset_iam_member"]),
    );
  });
});
