/**
 * A foreign cdktf app for the packaging tests: its own folder, its own `npm install` of the
 * packed (or git) `fresh-streams` and of the peers at chosen versions, its own `tsc`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "../..");

/** The peer dependencies, name → exact version. */
export type PeerVersions = Record<string, string>;

/** What the foreign stack prints after synthesizing. */
export interface ForeignOutput {
  readonly exported: string[];
  readonly sameConstructs: boolean;
  readonly sqlShipped: boolean;
  readonly resources: string[];
  /** The synthesized stack without cdktf's `//` metadata and the provider's version constraint. */
  readonly terraform: unknown;
}

// Installs and builds in the foreign app: no audit or funding requests. The peers and the tarball
// have no install scripts, so --ignore-scripts changes nothing but guards against one appearing.
const QUIET = ["--no-audit", "--no-fund"];

// The environment without the npm_* variables that `npm test`/`npx jest` export (this repository's
// npm config, ignore-scripts and local prefix included): each app is its own npm project.
export const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

/** Runs a program and returns its stdout; a failure carries the command, its stderr and stdout. */
export function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: CLEAN_ENV,
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} (in ${cwd}) failed: ${failure.message}\n${failure.stderr ?? ""}\n${failure.stdout ?? ""}`,
    );
  }
}

/** The repository's package.json. */
export function rootPackage(): {
  name: string;
  version: string;
  main: string;
  types: string;
  bin?: string | Record<string, string>;
  exports: Record<string, { types?: string; default?: string } | string>;
  peerDependencies: Record<string, string>;
} {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
}

/** The command the package installs (its `bin`), if it has one. */
export function binName(): string | undefined {
  const pkg = rootPackage();
  return typeof pkg.bin === "string" ? pkg.name : Object.keys(pkg.bin ?? {})[0];
}

/**
 * `npm pack` of the repository, the way docs/releasing.md publishes: scripts on (the repository's .npmrc turns
 * them off for installs), so prepack deletes dist/ and builds it again. The tarball and its file list.
 */
export function packTarball(destination: string): { file: string; files: string[] } {
  const out = run("npm", ["pack", "--ignore-scripts=false", "--json", "--pack-destination", destination], ROOT);
  const [packed] = JSON.parse(out.slice(out.indexOf("[")));
  return {
    file: path.join(destination, packed.filename),
    files: packed.files.map((entry: { path: string }) => entry.path).sort(),
  };
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** The oldest and the newest published version of every peer that its declared range admits. */
export function peerEnds(): { oldest: PeerVersions; newest: PeerVersions } {
  const oldest: PeerVersions = {};
  const newest: PeerVersions = {};
  for (const [name, range] of Object.entries(rootPackage().peerDependencies)) {
    const listed = JSON.parse(run("npm", ["view", `${name}@${range}`, "version", "--json"], ROOT));
    const versions = ([] as string[]).concat(listed).sort(compareVersions);
    oldest[name] = versions[0];
    newest[name] = versions[versions.length - 1];
  }
  return { oldest, newest };
}

/** The version this repository's lock file installs of a package (the foreign app's TypeScript tools). */
function lockedVersion(name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  return lock.packages[`node_modules/${name}`].version;
}

/**
 * Writes the app's package.json (plus `manifest`'s fields), tsconfig.json and stack.ts; `fresh-streams`
 * comes from `source`.
 */
export function createForeignApp(dir: string, peers: PeerVersions, source: string, manifest: object = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const dependencies = {
    ...peers,
    "fresh-streams": source,
    typescript: lockedVersion("typescript"),
    "@types/node": lockedVersion("@types/node"),
  };
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "foreign-app", version: "1.0.0", private: true, dependencies, ...manifest }, null, 2),
  );
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(FOREIGN_TSCONFIG, null, 2));
  fs.writeFileSync(path.join(dir, "stack.ts"), FOREIGN_STACK);
}

/** `npm install` in the app, without --legacy-peer-deps: a peer conflict fails it. */
export function installForeignApp(dir: string, extra: string[] = ["--ignore-scripts"]): void {
  run("npm", ["install", ...QUIET, ...extra], dir);
}

/** Type-checks the app against the installed package (tsc), runs the stack and parses what it printed. */
export function synthForeignApp(dir: string): ForeignOutput {
  run(path.join(dir, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], dir);
  return JSON.parse(run("node", ["out/stack.js"], dir));
}

/**
 * Type-checks the library's own sources (constructs/, schemas/) against the app's peers: a property
 * or module an older provider binding lacks fails here, where the compiled JavaScript would drop it.
 */
export function typecheckLibrarySources(dir: string): void {
  const sources = path.join(dir, "library-sources");
  for (const folder of ["constructs", "schemas"]) {
    fs.cpSync(path.join(ROOT, folder), path.join(sources, folder), {
      recursive: true,
      filter: (file) => !file.endsWith(".test.ts"),
    });
  }
  const tsconfig = {
    compilerOptions: {
      ...FOREIGN_TSCONFIG.compilerOptions,
      module: "commonjs",
      moduleResolution: "node",
      noEmit: true,
    },
    include: ["library-sources/**/*.ts"],
  };
  fs.writeFileSync(path.join(dir, "tsconfig.library.json"), JSON.stringify(tsconfig));
  run(path.join(dir, "node_modules/.bin/tsc"), ["-p", "tsconfig.library.json"], dir);
}

const FOREIGN_TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: "node16",
    moduleResolution: "node16",
    target: "ES2022",
    outDir: "out",
    types: ["node"],
    resolveJsonModule: true,
    esModuleInterop: true,
    skipLibCheck: true,
  },
  files: ["stack.ts"],
};

// A foreign project's stack: imports only from the package name and the peers, composes the warehouse
// and ingestion constructs, reads one of the shipped SQL files, and prints what it synthesized.
const FOREIGN_STACK = `
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import * as lib from "fresh-streams";
import { CdcTable, Duration, LayeredDataset, Principal, renderSqlFile, StreamingTable, StreamTopic, TableSchema } from "fresh-streams";

const app = Testing.app();
const stack = new TerraformStack(app, "foreign");
new GoogleProvider(stack, "google", { project: "shop-project", region: "europe-west1" });
const schema = new TableSchema(
  [
    { name: "order_id", type: "INT64", mode: "REQUIRED" },
    { name: "customer", type: "STRING" },
    { name: "placed_at", type: "TIMESTAMP" },
  ],
  { name: "orders" },
);
const dataset = new LayeredDataset(stack, "raw", { datasetId: "shop_raw", layer: "raw", location: "EU" });
new StreamingTable(stack, "events", {
  dataset,
  tableId: "order_events",
  schema,
  partitioning: { type: "INGESTION_TIME" },
  clustering: ["customer"],
});
new CdcTable(stack, "orders", { dataset, tableId: "orders", schema, primaryKey: ["order_id"], maxStaleness: Duration.minutes(10) });
const topic = new StreamTopic(stack, "topic", {
  project: "shop-project",
  projectNumber: "123456789012",
  topicName: "orders",
  messageRetentionDuration: Duration.days(3),
});
topic.grantPublish(Principal.serviceAccount("shop@shop-project.iam.gserviceaccount.com"));
dataset.grantRead(Principal.group("analysts@example.com"));

function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).filter(([key]) => key !== "//").map(([key, v]) => [key, withoutMetadata(v)]),
  );
}
const synthesized = JSON.parse(Testing.synth(stack));
delete synthesized.terraform?.required_providers?.google?.version;
process.stdout.write(JSON.stringify({
  exported: Object.keys(lib).sort(),
  // One copy of constructs: the library's constructs are Constructs of the project's own module.
  sameConstructs: dataset instanceof Construct && topic instanceof Construct,
  sqlShipped: renderSqlFile("quality/dedup_view.sql", { "raw.wiki_changes": "shop_raw.order_events", lookback_hours: 24 }).includes("ROW_NUMBER()"),
  resources: Object.keys(synthesized.resource).sort(),
  terraform: withoutMetadata(synthesized),
}));
`;
