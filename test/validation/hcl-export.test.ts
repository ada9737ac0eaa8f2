import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { comparePlans } from "../../tools/validation/compare-plans";
import { exactHeredocs, exportHcl, unquoteDependsOn } from "../../tools/validation/export-hcl";
import { HCL_OVERRIDE_FILE, prepare, withoutBackend } from "../../tools/validation/prepare-validation";

/**
 * What cdktf 0.21 writes (`cdktf synth --hcl` writes `stack.toHclTerraform().hcl`) for a stack with
 * two views, one query ending in a newline, one not.
 */
function cdktfHcl(): string {
  const stack = new TerraformStack(new App({ outdir: os.tmpdir() }), "views");
  new GoogleProvider(stack, "google", { project: "p" });
  const base = new BigqueryTable(stack, "base", { datasetId: "d", tableId: "base", deletionProtection: false });
  for (const [id, query] of [
    ["with_newline", "SELECT 1\nFROM `p.d.base`\n"],
    ["without_newline", "SELECT 2\nFROM `p.d.base`"],
  ]) {
    new BigqueryTable(stack, id, {
      datasetId: "d",
      tableId: id,
      deletionProtection: false,
      view: { query, useLegacySql: false },
      dependsOn: [base],
    });
  }
  return stack.toHclTerraform().hcl;
}

describe("the HCL export (tools/validation/export-hcl.ts)", () => {
  const raw = cdktfHcl();

  test("cdktf writes every multi-line string as a heredoc one newline longer, and quotes depends_on", () => {
    expect(raw).toContain("<<EOF\nSELECT 1\nFROM `p.d.base`\n\nEOF");
    expect(raw).toContain("<<EOF\nSELECT 2\nFROM `p.d.base`\nEOF");
    expect(raw).toMatch(/depends_on = \[\s*"google_bigquery_table\.base"/);
  });

  test("the export holds exactly the original strings and unquoted references", () => {
    const exported = exportHcl(raw);
    expect(exported).toContain("<<EOF\nSELECT 1\nFROM `p.d.base`\nEOF");
    expect(exported).toContain('trimsuffix(<<EOF\nSELECT 2\nFROM `p.d.base`\nEOF\n, "\\n")');
    expect(exported).toMatch(/depends_on = \[\s*google_bigquery_table\.base\s*,?\s*\]/);
    expect(exported).not.toMatch(/"google_bigquery_table\.base"/);
  });

  test("each fix alone leaves the rest of the text as it was", () => {
    expect(unquoteDependsOn('x = "google_a.b"\ndepends_on = [\n  "google_a.b",\n  "module.m",\n]\n')).toBe(
      'x = "google_a.b"\ndepends_on = [\n  google_a.b,\n  module.m,\n]\n',
    );
    expect(exactHeredocs('a = "one line"\nb = 1\n')).toBe('a = "one line"\nb = 1\n');
  });

  test("a Cloud Run container's depends_on (container names, not references) keeps its strings", () => {
    const containers = 'containers {\n  depends_on = [\n    "worker"\n  ]\n  name = "metrics-collector"\n}\n';
    expect(unquoteDependsOn(containers)).toBe(containers);
  });
});

describe("validation preparation of HCL (tools/validation/prepare-validation.ts)", () => {
  test("drops the backend block, braces in strings included, and pins the built provider in an override file", () => {
    const hcl = 'terraform {\n  backend "gcs" {\n    bucket = "b}"\n    prefix = "p"\n  }\n}\nresource "x" "y" {}\n';
    expect(withoutBackend(hcl)).toBe('terraform {\n}\nresource "x" "y" {}\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-prepare-"));
    try {
      fs.writeFileSync(path.join(dir, "cdk.tf"), hcl);
      prepare(path.join(dir, "cdk.tf"), "8.0.0");
      expect(fs.readFileSync(path.join(dir, "cdk.tf"), "utf8")).not.toContain("backend");
      expect(fs.readFileSync(path.join(dir, HCL_OVERRIDE_FILE), "utf8")).toMatch(
        /source\s+= "hashicorp\/google"\n\s+version = "= 8\.0\.0"/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("plan comparison (tools/validation/compare-plans.ts)", () => {
  const plan = (query: string, extra: Record<string, unknown> = {}) => ({
    planned_values: {
      root_module: { resources: [{ address: "google_bigquery_table.v", values: { view: [{ query }], ...extra } }] },
    },
    resource_changes: [{ address: "google_bigquery_table.v", change: { after_unknown: { id: true } } }],
  });

  test("the same plan is the same", () => {
    expect(comparePlans(plan("SELECT 1\n"), plan("SELECT 1\n"))).toEqual({ problems: [], heredocNewlines: [] });
  });

  test("an extra trailing newline is a difference, unless tolerated as cdktf's heredoc newline", () => {
    expect(comparePlans(plan("SELECT 1\n"), plan("SELECT 1\n\n")).problems).toEqual([
      'google_bigquery_table.v.view.0.query: json "SELECT 1\\n", hcl "SELECT 1\\n\\n"',
    ]);
    expect(comparePlans(plan("SELECT 1\n"), plan("SELECT 1\n\n"), { tolerateHeredocNewline: true })).toEqual({
      problems: [],
      heredocNewlines: ["google_bigquery_table.v.view.0.query"],
    });
  });

  test("any other difference is reported, tolerated or not", () => {
    const found = comparePlans(plan("SELECT 1"), plan("SELECT 2", { labels: { a: "b" } }), {
      tolerateHeredocNewline: true,
    }).problems;
    expect(found).toEqual([
      'google_bigquery_table.v.view.0.query: json "SELECT 1", hcl "SELECT 2"',
      'google_bigquery_table.v.labels: json undefined, hcl {"a":"b"}',
    ]);
    const missing = comparePlans(plan("x"), { planned_values: { root_module: { resources: [] } } }).problems;
    expect(missing).toEqual(["google_bigquery_table.v: only in the json plan"]);
  });
});
