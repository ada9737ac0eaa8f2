import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_VARIABLES } from "../../app-worker/src/config";
import { ROOT } from "./markdown";

/** docs/worker.md's table of environment variables lists exactly the variables the worker reads. */
describe("docs/worker.md", () => {
  test("documents every environment variable of the worker, and no other", () => {
    const text = fs.readFileSync(path.join(ROOT, "docs/worker.md"), "utf8");
    const table = text.split(/^\| variable\b.*$/m)[1]?.split(/\n\s*\n/)[0] ?? "";
    const documented = table
      .split("\n")
      .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
      .flatMap((line) => [...line.split("|")[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
