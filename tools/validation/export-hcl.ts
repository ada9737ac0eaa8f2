/**
 * Turns the HCL of `cdktf synth --hcl` into plain Terraform that plans exactly what the JSON
 * synthesis plans, fixing the two defects cdktf 0.21's HCL renderer has on these stacks:
 *
 * - a multi-line string is written as `<<EOF` heredoc whose last line is followed by a newline, so
 *   every multi-line value (every SQL query) gains a trailing "\n": the first plan after moving to
 *   the HCL would update every view and scheduled query. The heredoc is rewritten to hold exactly
 *   the original string (`trimsuffix(<<EOF … EOF, "\n")` when the original has no final newline);
 * - `depends_on` entries are quoted (`"google_x.y"`), which Terraform warns is deprecated and
 *   "will be removed in a future version": they are unquoted.
 *
 *   npx tsx tools/validation/export-hcl.ts IN/cdk.tf OUT/main.tf
 *
 * scripts/validate.sh validates the raw HCL and this export; the export must plan the same
 * resources and values as the JSON and validate without warnings. See docs/migration.md.
 */
import * as fs from "node:fs";

/** cdktf's heredoc: `<<EOF`, the string's lines, `EOF` on its own line. */
const HEREDOC = /<<EOF\n([\s\S]*?)\nEOF(?=\n|$)/g;

/** The exported HCL text. */
export function exportHcl(hcl: string): string {
  return unquoteDependsOn(exactHeredocs(hcl));
}

/** Every cdktf heredoc rewritten to hold the original string, not the string plus "\n". */
export function exactHeredocs(hcl: string): string {
  return hcl.replace(HEREDOC, (_whole, body: string) =>
    body.endsWith("\n")
      ? // The original ended with a newline: the heredoc's own final newline supplies it.
        `<<EOF\n${body.slice(0, -1)}\nEOF`
      : `trimsuffix(<<EOF\n${body}\nEOF\n, "\\n")`,
  );
}

/** `depends_on = ["a.b", …]` written as references, `depends_on = [a.b, …]`. */
export function unquoteDependsOn(hcl: string): string {
  return hcl.replace(/(^[ \t]*depends_on\s*=\s*\[)([^\]]*)\]/gm, (_whole, open: string, items: string) => {
    // Only references (`type.name`, `data.type.name`, `module.name`): a Cloud Run container's own
    // `depends_on` lists container names, which stay strings.
    const unquoted = items.replace(/"((?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)"/g, "$1");
    return `${open}${unquoted}]`;
  });
}

if (require.main === module) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error("usage: export-hcl.ts IN/cdk.tf OUT/main.tf");
    process.exit(2);
  }
  fs.writeFileSync(output, exportHcl(fs.readFileSync(input, "utf8")));
}
