/**
 * What a change of a table schema does to the table that already exists, by the google provider's
 * rule (6.50.0, `resourceBigQueryTableSchemaIsChangeable` in resource_bigquery_table.go) and
 * BigQuery's: which changes update the table in place and keep every row, and which replace it or
 * drop data. Pure (no cdktf): the worker's contract, the stacks and tests can all ask it.
 *
 * A rolling change is one an old and a new writer can run through side by side: only NULLABLE or
 * REPEATED columns added (at the top level or inside a RECORD), REQUIRED relaxed to NULLABLE, and
 * descriptions or default values changed. Everything else is a migration (docs/schema-evolution.md).
 */
import { ColumnDefinition, ColumnMode, TableSchema } from "./table-schema";

/** How one column changed between two schemas. */
export type SchemaChangeKind =
  /** A NULLABLE or REPEATED column was added: an update in place; old rows read NULL (or []). */
  | "add"
  /** A REQUIRED column was added: the provider replaces the table (BigQuery refuses it on a table with rows). */
  | "add-required"
  /** A column was removed: its data is gone (a top-level one in place, a nested one by replacing the table). */
  | "remove"
  /** The type changed, or the mode to or from REPEATED: the provider replaces the table. */
  | "retype"
  /** REQUIRED became NULLABLE: an update in place. */
  | "relax"
  /** NULLABLE became REQUIRED: the provider replaces the table. */
  | "tighten";

/** One column's change. */
export interface SchemaChange {
  readonly kind: SchemaChangeKind;
  /** Dotted path of the column, e.g. `minor` or `geo.country`. */
  readonly column: string;
  /** Whether an old and a new writer can both write the table through this change (no row refused, none lost). */
  readonly rolling: boolean;
  /** What happens, in a sentence. */
  readonly detail: string;
}

/** The migration a non-rolling change needs, in one sentence. */
export const COLUMN_MIGRATION =
  "add the new column (NULLABLE), backfill it from the old one, switch every reader and writer to it, and drop the old column in a later release with an allow entry for the plan guard (docs/schema-evolution.md#removing-or-retyping-a-column)";

const mode = (column: ColumnDefinition): ColumnMode => column.mode ?? "NULLABLE";

/**
 * Every column-level difference between `before` (the deployed schema) and `after`, in the order of
 * `after`'s columns, then removed columns. Names match exactly, as the provider compares them (a change of
 * case is a removal and an addition, which it plans as a replacement).
 * Descriptions, default values and column order are not changes here (the provider updates them in place).
 */
export function diffTableSchemas(before: TableSchema, after: TableSchema): SchemaChange[] {
  return diffColumns(before.columns, after.columns, "");
}

function diffColumns(
  before: readonly ColumnDefinition[],
  after: readonly ColumnDefinition[],
  prefix: string,
): SchemaChange[] {
  const old = new Map(before.map((c) => [c.name, c]));
  const changes: SchemaChange[] = [];
  after.forEach((column, index) => {
    const path = `${prefix}${column.name}`;
    const previous = old.get(column.name);
    old.delete(column.name);
    const kept = after.slice(index + 1).some((later) => before.some((c) => c.name === later.name));
    if (previous === undefined) changes.push(added(column, path, kept));
    else changes.push(...changed(previous, column, path));
  });
  for (const column of old.values()) {
    changes.push({
      kind: "remove",
      column: `${prefix}${column.name}`,
      rolling: false,
      detail: `column ${prefix}${column.name} is removed: its data is gone, and an old writer still sending it is refused`,
    });
  }
  return changes;
}

/** `beforeExisting`: the new column comes before a column the table already has. */
function added(column: ColumnDefinition, path: string, beforeExisting: boolean): SchemaChange {
  if (mode(column) === "REQUIRED") {
    return {
      kind: "add-required",
      column: path,
      rolling: false,
      detail: `column ${path} is added as REQUIRED: the provider replaces the table (its rows are lost) and an old writer's rows lack it; add it as NULLABLE`,
    };
  }
  return {
    kind: "add",
    column: path,
    rolling: true,
    detail: `column ${path} (${column.type}, ${mode(column)}) is added in place; rows written before read NULL${
      beforeExisting
        ? "; it comes before columns the table has, and BigQuery is reported to put an added column last (the next plan would show the schema again): define it last"
        : ""
    }`,
  };
}

function changed(previous: ColumnDefinition, column: ColumnDefinition, path: string): SchemaChange[] {
  const [from, to] = [mode(previous), mode(column)];
  if (previous.type !== column.type || (from !== to && (from === "REPEATED" || to === "REPEATED"))) {
    return [
      {
        kind: "retype",
        column: path,
        rolling: false,
        detail: `column ${path} changes from ${previous.type} ${from} to ${column.type} ${to}: the provider replaces the table (its rows are lost)`,
      },
    ];
  }
  const changes: SchemaChange[] = [];
  if (from === "REQUIRED" && to === "NULLABLE") {
    changes.push({
      kind: "relax",
      column: path,
      rolling: true,
      detail: `column ${path} is relaxed to NULLABLE in place`,
    });
  } else if (from === "NULLABLE" && to === "REQUIRED") {
    changes.push({
      kind: "tighten",
      column: path,
      rolling: false,
      detail: `column ${path} becomes REQUIRED: the provider replaces the table (its rows are lost)`,
    });
  }
  if (column.type === "RECORD") changes.push(...diffColumns(previous.fields ?? [], column.fields ?? [], `${path}.`));
  return changes;
}

/**
 * Throws unless every change from `before` to `after` is rolling (see {@link diffTableSchemas}), naming
 * the schema, each offending column with what would happen, and the migration to follow instead.
 * Returns the changes otherwise (an empty list when nothing changed).
 */
export function assertRollingSchemaChange(before: TableSchema, after: TableSchema): SchemaChange[] {
  const changes = diffTableSchemas(before, after);
  const refused = changes.filter((c) => !c.rolling);
  if (refused.length > 0) {
    throw new Error(
      `${after.name}: ${refused.length} change(s) cannot roll out beside the old writer: ${refused
        .map((c) => c.detail)
        .join("; ")}. Instead: ${COLUMN_MIGRATION}`,
    );
  }
  return changes;
}
