/**
 * The minimal, explicit adaptations that let the BigQuery emulator (goccy/bigquery-emulator
 * v0.8.1) run the staging MERGE exactly as the stack deploys it. Real BigQuery needs none.
 *
 * 1. MERGE's source must be a single table reference on the emulator ("MERGE: source must be a
 *    single-table reference"): the USING (...) subquery is materialized first with
 *    CREATE TABLE ... AS, and the MERGE, otherwise unchanged, reads that table.
 * 2. A query parameter in MERGE's ON condition never matches on the emulator: the scheduled
 *    query's @run_time is bound as a TIMESTAMP literal, the value the Data Transfer Service binds.
 */
import { scriptStatements } from "../../constructs/bigquery/sql-script";

/** Splits `MERGE ... USING ( <source> ) AS alias ...` into the source query and a MERGE reading `table` instead. */
export function splitMergeSource(mergeSql: string, table: string): { source: string; merge: string } {
  const sql = mergeSql.replace(/--[^\n]*/g, "");
  const start = sql.search(/\bUSING\s*\(/);
  if (start < 0) throw new Error("no USING ( in the MERGE");
  const open = sql.indexOf("(", start);
  let depth = 0;
  let close = -1;
  for (let i = open; i < sql.length; i++) {
    if (sql[i] === "(") depth++;
    if (sql[i] === ")" && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) throw new Error("unbalanced parentheses in the MERGE source");
  return { source: sql.slice(open + 1, close), merge: `${sql.slice(0, start)}USING ${table}${sql.slice(close + 1)}` };
}

/** Binds `@run_time` as a TIMESTAMP literal (adaptation 2). */
export function bindRunTime(sql: string, runTime: Date): string {
  return sql.replace(/@run_time\b/g, `TIMESTAMP '${runTime.toISOString()}'`);
}

/**
 * Runs a scheduled MERGE on the emulator with both adaptations: `run` executes one statement,
 * `scratchTable` is a fully qualified, not yet existing table for the materialized source.
 */
export async function mergeOnEmulator(
  mergeSql: string,
  runTime: Date,
  scratchTable: string,
  run: (statement: string) => Promise<unknown>,
  options: { insertOnlyAsInsert?: boolean } = {},
): Promise<void> {
  const { source, merge } = splitMergeSource(bindRunTime(mergeSql, runTime), scratchTable);
  await run(`CREATE TABLE ${scratchTable} AS ${source}`);
  const insert = options.insertOnlyAsInsert ? insertOnlyMergeAsInsert(merge) : undefined;
  await run(insert ?? merge);
}

/**
 * Runs a scheduled query's script (one or more statements, see constructs/bigquery/sql-script.ts)
 * on the emulator, in order: each MERGE with both adaptations (its source materialized into
 * `${scratchPrefix}_<n>`, a fully qualified, not yet existing table name without backticks
 * around the last part), every other statement with @run_time bound as a literal.
 */
export async function scriptOnEmulator(
  script: string,
  runTime: Date,
  scratchTable: (n: number) => string,
  run: (statement: string) => Promise<unknown>,
  options: { insertOnlyAsInsert?: boolean } = {},
): Promise<void> {
  const statements = scriptStatements(script);
  for (const [n, statement] of statements.entries()) {
    if (/^\s*(--[^\n]*\n\s*)*MERGE\b/i.test(statement))
      await mergeOnEmulator(statement, runTime, scratchTable(n), run, options);
    else await run(bindRunTime(statement, runTime));
  }
}

/**
 * Evaluates a view "as of" a time: `CURRENT_TIMESTAMP()` replaced by that TIMESTAMP literal. The
 * demo replays recorded events whose times are long past; a view whose constant partition filters
 * are relative to now is read as of the replay's clock instead. Real BigQuery needs none of this.
 */
export function asOf(sql: string, time: Date): string {
  return sql.replace(/\bCURRENT_TIMESTAMP\(\)/g, `TIMESTAMP '${time.toISOString()}'`);
}

/**
 * The emulator's MERGE compares every target row with every source row (its ON condition is a
 * function call, which SQLite cannot index): seconds for thousands of rows each, minutes beyond.
 * An insert-only MERGE (`ON t.key = s.key [AND <filter on t>] WHEN NOT MATCHED BY TARGET THEN
 * INSERT (...) VALUES (...)`) is the same as INSERT ... SELECT ... WHERE s.key NOT IN (SELECT
 * t.key FROM target): the filter on t only prunes partitions, and NOT IN runs in linear time.
 * Used by the demo, whose final staging load meets a staging table already filled mid-replay;
 * the tests run the MERGE itself. Returns undefined for any other MERGE.
 */
export function insertOnlyMergeAsInsert(merge: string): string | undefined {
  const sql = merge.replace(/--[^\n]*/g, "");
  const match =
    /^\s*MERGE\s+(\S+)\s+AS\s+(\w+)\s+USING\s+(\S+)\s+AS\s+(\w+)\s+ON\s+(\w+)\.(\w+)\s*=\s*(\w+)\.(\w+)\b[\s\S]*?\bWHEN\s+NOT\s+MATCHED\s+BY\s+TARGET\s+THEN\s+INSERT\s*(\([^)]*\))\s*VALUES\s*\(([\s\S]*)\)\s*$/i.exec(
      sql,
    );
  if (!match || /\bWHEN\s+MATCHED\b|\bNOT\s+MATCHED\s+BY\s+SOURCE\b/i.test(sql)) return undefined;
  const [, target, targetAlias, source, sourceAlias, leftAlias, leftKey, rightAlias, rightKey, columns, values] = match;
  const keys: Record<string, string> = { [leftAlias]: leftKey, [rightAlias]: rightKey };
  if (!(targetAlias in keys) || !(sourceAlias in keys)) return undefined;
  return `INSERT INTO ${target} ${columns}
SELECT ${values}
FROM ${source} AS ${sourceAlias}
WHERE ${sourceAlias}.${keys[sourceAlias]} NOT IN (SELECT ${targetAlias}.${keys[targetAlias]} FROM ${target} AS ${targetAlias})`;
}
