import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { planOf, removal } from "../plan-safety/plans";
import {
  binName,
  CLEAN_ENV,
  createForeignApp,
  ForeignOutput,
  installForeignApp,
  packTarball,
  peerEnds,
  PeerVersions,
  ROOT,
  rootPackage,
  run,
  synthForeignApp,
  typecheckLibrarySources,
} from "./foreign-app";

/**
 * The package as a user gets it: `npm pack` (whose prepack script builds dist/ from scratch), the
 * tarball's contents, `npm publish --dry-run`, and the real tarball installed into foreign cdktf apps
 * at the oldest and at the newest versions of cdktf, constructs and @cdktf/provider-google that the
 * peer ranges admit (read from the registry), with npm's peer checks on.
 */
const SLOW = 15 * 60 * 1000;
const pkg = rootPackage();
let work: string;
let packed: { file: string; files: string[] };
let ends: { oldest: PeerVersions; newest: PeerVersions };
const outputs: Record<string, ForeignOutput> = {};

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-packaging-"));
  packed = packTarball(work);
  ends = peerEnds();
}, SLOW);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

// Anything but the compiled library, its declarations, the SQL it reads and the package's own documents.
const LEAKS = [
  /\.test\./,
  /^(test|config|stacks|tools|demo|docs|app-worker|scripts)\//,
  /(?<!\.d)\.ts$/,
  /tsconfig|jest\.config|eslint|prettier|\.tsbuildinfo|\.tfstate|checkov|cdktf\.json|^main\.(js|ts)$/,
];

describe("the packed tarball", () => {
  test("cdktf, constructs and the provider are peer dependencies, never dependencies", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    for (const dep of ["cdktf", "constructs", "@cdktf/provider-google"]) {
      expect(manifest.dependencies?.[dep]).toBeUndefined();
      expect(manifest.peerDependencies[dep]).toBeDefined();
    }
  });

  test("ships the entry points with their type declarations and every SQL file; no sources, tests or config", () => {
    const entries = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e))),
    ];
    for (const entry of entries) expect(packed.files).toContain(entry.replace(/^\.\//, ""));
    const scripts = packed.files.filter((file) => /^dist\/.*\.js$/.test(file));
    expect(scripts.length).toBeGreaterThan(20);
    expect(scripts.filter((file) => !packed.files.includes(file.replace(/\.js$/, ".d.ts")))).toEqual([]);
    const sql = fs.readdirSync(path.join(ROOT, "sql"), { recursive: true, encoding: "utf8" });
    for (const file of sql.filter((f) => f.endsWith(".sql"))) expect(packed.files).toContain(`sql/${file}`);
    expect(packed.files.filter((file) => LEAKS.some((leak) => leak.test(file)))).toEqual([]);
  });

  test("ships no source map that points at a file it does not ship", () => {
    const dir = path.join(work, "unpacked");
    fs.mkdirSync(dir);
    run("tar", ["-xzf", packed.file, "-C", dir], work);
    const root = path.join(dir, "package");
    const dangling: string[] = [];
    for (const file of packed.files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(root, file), "utf8"))?.[1];
      if (url === undefined || url.startsWith("data:")) continue;
      const map = path.posix.join(path.posix.dirname(file), url);
      if (!packed.files.includes(map)) {
        dangling.push(`${file} → ${map}`);
        continue;
      }
      const parsed = JSON.parse(fs.readFileSync(path.join(root, map), "utf8"));
      parsed.sources.forEach((source: string, i: number) => {
        const target = path.posix.join(path.posix.dirname(map), parsed.sourceRoot ?? "", source);
        if (!packed.files.includes(target) && !parsed.sourcesContent?.[i]) dangling.push(`${map} → ${target}`);
      });
    }
    expect(dangling).toEqual([]);
  });

  test("npm publish --dry-run publishes the same files and warns of nothing but the missing login", () => {
    const result = spawnSync("npm", ["publish", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
      env: CLEAN_ENV,
    });
    expect({ status: result.status, stderr: result.status === 0 ? "" : result.stderr }).toEqual({
      status: 0,
      stderr: "",
    });
    const warnings = result.stderr.split("\n").filter((line) => /^npm (warn|error)/i.test(line));
    expect(warnings.filter((line) => !/logged in/.test(line))).toEqual([]);
    const published = JSON.parse(result.stdout.slice(result.stdout.indexOf("{")));
    const files = (published[pkg.name] ?? published).files.map((entry: { path: string }) => entry.path).sort();
    expect(files).toEqual(packed.files);
  });
});

describe.each(["oldest", "newest"])("a foreign cdktf app at the %s supported peers", (end) => {
  let dir: string;

  beforeAll(() => {
    dir = path.join(work, end);
    createForeignApp(dir, ends[end as keyof typeof ends], `file:${packed.file}`);
    installForeignApp(dir);
    outputs[end] = synthForeignApp(dir);
  }, SLOW);

  test("installs the tarball beside exactly those peers, type-checks and synthesizes", () => {
    const peers = ends[end as keyof typeof ends];
    const installed = Object.fromEntries(
      Object.keys(peers).map((name) => [
        name,
        JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")).version,
      ]),
    );
    expect(installed).toEqual(peers);
    const output = outputs[end];
    expect(output.sameConstructs).toBe(true);
    expect(output.sqlShipped).toBe(true);
    expect(output.resources).toEqual(
      expect.arrayContaining([
        "google_bigquery_dataset",
        "google_bigquery_dataset_iam_member",
        "google_bigquery_table",
        "google_pubsub_topic",
        "google_pubsub_topic_iam_member",
      ]),
    );
  });

  test("the entry point exports exactly the names constructs/index.ts lists", () => {
    const source = Object.keys(require("../../constructs/index")).sort();
    expect(outputs[end].exported).toEqual(source);
    expect(outputs[end].exported).not.toContain("StreamingAnalyticsStack");
  });

  test(
    "the library's own sources compile against these peers (no property or module the binding lacks)",
    () => typecheckLibrarySources(dir),
    SLOW,
  );

  const bin = binName();
  (bin ? test : test.skip)(`npx --no-install ${bin ?? "(the package has no bin)"} --help answers`, () => {
    expect(run("npx", ["--no-install", String(bin), "--help"], dir)).toMatch(/\S/);
  });

  (bin ? test : test.skip)(
    "the consuming app runs the plan guard through the bin: a safe plan passes, a lost dataset is refused",
    () => {
      const write = (name: string, plan: unknown) => {
        fs.writeFileSync(path.join(dir, name), JSON.stringify(plan));
        return name;
      };
      const guard = (plan: string) =>
        spawnSync("npx", ["--no-install", String(bin), "plan-guard", plan, "--json"], { cwd: dir, encoding: "utf8" });
      const safe = guard(
        write("safe.json", planOf({ address: "google_pubsub_topic.t", actions: ["create"], after: {} })),
      );
      expect(safe.status).toBe(0);
      const refused = guard(
        write("refused.json", planOf(removal("google_bigquery_dataset.raw", { dataset_id: "raw" }))),
      );
      expect(refused.status).toBe(1);
      expect(JSON.parse(refused.stdout).refused.map((c: { address: string }) => c.address)).toEqual([
        "google_bigquery_dataset.raw",
      ]);
    },
  );
});

describe("both ends of the peer ranges", () => {
  test("synthesize the same Terraform (no attribute dropped by an older binding)", () => {
    expect(outputs.oldest.terraform).toEqual(outputs.newest.terraform);
  });
});
