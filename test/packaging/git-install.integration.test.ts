import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  binName,
  createForeignApp,
  ForeignOutput,
  installForeignApp,
  peerEnds,
  ROOT,
  rootPackage,
  run,
  synthForeignApp,
} from "./foreign-app";

/**
 * `npm install git+file:///…` of a bare clone of this repository's committed HEAD (uncommitted changes
 * are not in it), into a foreign app at the newest supported peers. npm clones it, installs its
 * dependencies and runs its `prepare` script, which builds dist/: the package a git URL gives.
 */
const SLOW = 15 * 60 * 1000;
let work: string;
let app: string;
let output: ForeignOutput;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-git-install-"));
  const bare = path.join(work, "fresh-streams.git");
  run("git", ["clone", "--quiet", "--bare", ROOT, bare], work);
  app = path.join(work, "app");
  // Scripts on: the git dependency's prepare script is what builds it. npm 11 asks for its approval
  // (an allowScripts entry, what `npm install-scripts approve fresh-streams` writes).
  createForeignApp(app, peerEnds().newest, `git+file://${bare}`, { allowScripts: { "fresh-streams": true } });
  installForeignApp(app, []);
  output = synthForeignApp(app);
}, SLOW);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("a git-URL install", () => {
  test("builds dist/ with the prepare script: the entry point and its declarations are there", () => {
    const pkg = rootPackage();
    const installed = path.join(app, "node_modules", pkg.name);
    expect(fs.existsSync(path.join(installed, pkg.main))).toBe(true);
    expect(fs.existsSync(path.join(installed, pkg.types))).toBe(true);
  });

  test("the foreign app type-checks against it and synthesizes, reading the SQL it ships", () => {
    expect(output.sameConstructs).toBe(true);
    expect(output.sqlShipped).toBe(true);
    expect(output.resources).toEqual(expect.arrayContaining(["google_bigquery_table", "google_pubsub_topic"]));
    expect(output.exported).toEqual(Object.keys(require("../../constructs/index")).sort());
  });

  const bin = binName();
  (bin ? test : test.skip)(`npx --no-install ${bin ?? "(the package has no bin)"} --help answers`, () => {
    expect(run("npx", ["--no-install", String(bin), "--help"], app)).toMatch(/\S/);
  });
});
