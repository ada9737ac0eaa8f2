/**
 * Multi-statement scripts for scheduled queries: each statement stays in its own file under
 * `sql/` (and is checked on its own), and a scheduled query that must run several in order,
 * stopping at the first failure, runs them as one BigQuery script.
 *
 * Pure (no cdktf), shared by the constructs, the ZetaSQL checks and the emulator runs.
 */

/** Joins statements into one script: each ends with `;`, in order. */
export function sqlScript(statements: readonly string[]): string {
  return statements.map((statement) => `${statement.trim().replace(/;\s*$/, "")};`).join("\n\n");
}

/**
 * Splits a script into its statements (without the `;`), ignoring semicolons in comments,
 * string literals and quoted identifiers. A single statement without `;` comes back alone.
 */
export function scriptStatements(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < script.length) {
    const ch = script[i];
    if (ch === "-" && script[i + 1] === "-") {
      const end = script.indexOf("\n", i);
      const stop = end < 0 ? script.length : end;
      current += script.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      while (j < script.length && script[j] !== ch) j += script[j] === "\\" ? 2 : 1;
      current += script.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ";") {
      if (current.trim() !== "") statements.push(current.trim());
      current = "";
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.replace(/--[^\n]*/g, "").trim() !== "") statements.push(current.trim());
  return statements;
}
