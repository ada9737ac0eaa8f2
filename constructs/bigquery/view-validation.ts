/**
 * Checks shared by {@link View} and {@link MaterializedView}. Private to the library.
 */
import { Token } from "cdktf";
import { fail } from "../core/validation";
import { placeholdersOf } from "./sql-template";

/** BigQuery table ids: up to 1,024 letters, marks, numbers, connectors, dashes and spaces. */
const TABLE_ID = /^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]{1,1024}$/u;

/** Checks a view's id and query: one rendered statement without a terminating semicolon. */
export function validateViewProps(path: string, kind: string, tableId: string, query: string): void {
  if (!Token.isUnresolved(tableId) && !TABLE_ID.test(tableId)) {
    fail(path, `${kind} id "${tableId}" is not valid; use up to 1,024 letters, digits, underscores, dashes or spaces`);
  }
  if (Token.isUnresolved(query)) return;
  if (query.trim() === "") fail(path, `the ${kind} query is empty`);
  if (/;\s*$/.test(stripComments(query))) {
    fail(path, `the ${kind} query ends with ";"; a ${kind} is a single query without a terminating semicolon`);
  }
  const [placeholder] = placeholdersOf(query);
  if (placeholder !== undefined) {
    fail(
      path,
      `the ${kind} query still contains the placeholder {{${placeholder}}}; render it with renderSqlFile first`,
    );
  }
}

/** The query without `--` and block comments. */
export function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
}
