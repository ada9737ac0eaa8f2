/**
 * SQL templates: the statements under `sql/` with `{{name}}` placeholders, filled from
 * construct attributes so that no project or dataset name is ever written in SQL.
 *
 * Pure (no cdktf): the constructs, the ZetaSQL checks and the emulator tests all render
 * the same files the same way. Values may be cdktf tokens (e.g. a table's `project`
 * before synthesis); they are rendered into the string like any other text.
 */
import * as fs from "fs";
import * as path from "path";

/** A table (or view) a statement reads or writes. */
export interface SqlTableRef {
  /** Project that holds the table. */
  readonly project: string;
  /** Dataset that holds the table. */
  readonly datasetId: string;
  /** Table id. */
  readonly tableId: string;
}

/** A dataset, for dataset-qualified `INFORMATION_SCHEMA` views. */
export interface SqlDatasetRef {
  /** Project that holds the dataset. */
  readonly project: string;
  /** Dataset id. */
  readonly datasetId: string;
}

/** A region qualifier, for region-qualified `INFORMATION_SCHEMA` views (`JOBS`, `JOBS_TIMELINE_BY_PROJECT`). */
export interface SqlRegionRef {
  /** Project whose jobs are read. */
  readonly project: string;
  /** BigQuery location, e.g. `US`, `EU` or `europe-west1`; rendered as `region-us`. */
  readonly location: string;
}

/** What a placeholder may be bound to. */
export type SqlBinding = SqlTableRef | SqlDatasetRef | SqlRegionRef | string | number;

/** Placeholder name → value. */
export type SqlBindings = Readonly<Record<string, SqlBinding>>;

/** `{{ name }}`: letters, digits, `_`, `.` and `-`. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** Quotes one identifier part with backticks (backticks and backslashes escaped). */
export function quoteIdentifier(part: string): string {
  return "`" + part.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}

/** `` `project`.`dataset`.`table` ``: every part quoted, so ZetaSQL and BigQuery see the same three-part path. */
export function tableReference(ref: SqlTableRef): string {
  return [ref.project, ref.datasetId, ref.tableId].map(quoteIdentifier).join(".");
}

/** `` `project`.`dataset` ``. */
export function datasetReference(ref: SqlDatasetRef): string {
  return [ref.project, ref.datasetId].map(quoteIdentifier).join(".");
}

/**
 * `` `project`.`region-xx` `` (the location lower-cased, as BigQuery writes region qualifiers; a cdktf
 * token is left as it is: lower-casing its text would break it, and BigQuery's qualifiers ignore case).
 */
export function regionReference(ref: SqlRegionRef): string {
  const location = ref.location.includes("${") ? ref.location : ref.location.toLowerCase();
  return [ref.project, `region-${location}`].map(quoteIdentifier).join(".");
}

function renderBinding(value: SqlBinding): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot render the number ${value} into SQL`);
    return String(value);
  }
  // Most specific first: a table or dataset construct also has a `location`.
  if ("tableId" in value) return tableReference(value);
  if ("datasetId" in value) return datasetReference(value);
  return regionReference(value);
}

/** The placeholder names a template uses, in order of first use. */
export function placeholdersOf(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (!names.includes(match[1])) names.push(match[1]);
  }
  return names;
}

/**
 * Fills every `{{name}}` of `template`. A placeholder without a binding is an error
 * naming the template and the missing and available names; extra bindings are allowed
 * (one binding set serves every file).
 */
export function renderSql(template: string, bindings: SqlBindings, templateName = "SQL template"): string {
  const missing = placeholdersOf(template).filter((name) => !(name in bindings));
  if (missing.length > 0) {
    throw new Error(
      `${templateName}: no value for placeholder${missing.length > 1 ? "s" : ""} ${missing
        .map((m) => `{{${m}}}`)
        .join(", ")}; bound: ${Object.keys(bindings).sort().join(", ") || "(none)"}`,
    );
  }
  return template.replace(PLACEHOLDER, (_whole, name: string) => renderBinding(bindings[name]));
}

/**
 * The `sql/` folder: next to `constructs/` in the repository, and next to `dist/` in the
 * published package (`files` ships both).
 */
export function sqlDirectory(): string {
  const candidates = [path.resolve(__dirname, "..", "..", "sql"), path.resolve(__dirname, "..", "..", "..", "sql")];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, "staging")));
  if (!found) throw new Error(`cannot find the sql/ folder; looked in ${candidates.join(", ")}`);
  return found;
}

/** Where {@link loadSql} and {@link renderSqlFile} read from. */
export interface SqlFileOptions {
  /**
   * Folder the path is relative to: your own SQL folder (absolute, or relative to the working directory).
   * @default - the library's `sql/` folder
   */
  readonly directory?: string;
}

/** Reads `<directory>/<relativePath>` (by default the library's `sql/`, e.g. `staging/wiki_staged.sql`). */
export function loadSql(relativePath: string, options: SqlFileOptions = {}): string {
  const root = options.directory === undefined ? sqlDirectory() : path.resolve(options.directory);
  const file = path.resolve(root, relativePath);
  if (path.relative(root, file).startsWith("..") || path.isAbsolute(path.relative(root, file))) {
    throw new Error(`SQL file "${relativePath}" is outside its folder ${root}; give a path relative to it`);
  }
  if (!fs.existsSync(file)) {
    throw new Error(
      options.directory === undefined ? `no SQL file sql/${relativePath}` : `no SQL file ${relativePath} in ${root}`,
    );
  }
  return fs.readFileSync(file, "utf8");
}

/**
 * Reads and renders a SQL file: by default one of the library's (`sql/<relativePath>`), or, with
 * `options.directory`, one of your own.
 *
 * @example
 * renderSqlFile("daily_views.sql", { views: pageViews }, { directory: path.join(__dirname, "sql") });
 */
export function renderSqlFile(relativePath: string, bindings: SqlBindings, options: SqlFileOptions = {}): string {
  const name = options.directory === undefined ? `sql/${relativePath}` : path.join(options.directory, relativePath);
  return renderSql(loadSql(relativePath, options), bindings, name);
}

/** Every `.sql` file under `sql/`, as paths relative to it, sorted. */
export function listSqlFiles(): string[] {
  const root = sqlDirectory();
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".sql")) out.push(path.relative(root, full).split(path.sep).join("/"));
    }
  };
  walk(root);
  return out.sort();
}
