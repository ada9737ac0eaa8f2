/**
 * The verdict on one resource change, before allow entries: what it would lose and the way out. Private to the
 * library.
 */
import type { PlannedChange } from "./report-types";
import { actionOf } from "./plan-actions";
import { formatAttributePath, RawResourceChange } from "./plan-json";
import { dataflowOnDelete, statefulResource, StatefulResource } from "./stateful-resources";
import { schemaColumnChanges, SchemaColumnChanges } from "./table-schema-diff";

/** A change judged on its own (allow entries not yet applied). */
export type Judgement = PlannedChange;

type Attributes = Readonly<Record<string, unknown>>;

/** Judges `change`; `all` is every change of the plan (to find the create that a delete may have moved to). */
export function judgeChange(
  change: RawResourceChange,
  all: readonly RawResourceChange[],
  constructPath: string | undefined,
): Judgement {
  const action = actionOf(change);
  const base: Judgement = {
    address: change.address,
    resourceType: change.type,
    action,
    ...(change.previousAddress !== undefined && change.previousAddress !== change.address
      ? { previousAddress: change.previousAddress }
      : {}),
    ...(constructPath !== undefined ? { constructPath } : {}),
    ...(change.actionReason !== undefined ? { actionReason: change.actionReason } : {}),
    forcedBy: action === "replace" ? change.replacePaths.map(formatAttributePath) : [],
    verdict: "safe",
  };
  if (change.mode !== "managed") return base;
  if (action === "update" && change.type === "google_bigquery_table") return judgeSchemaUpdate(base, change);
  if (action !== "replace" && action !== "delete") return base;
  const kind = statefulResource(change.type);
  const before = change.before ?? {};
  if (kind === undefined) return base;
  if (kind.holdsData !== undefined && !kind.holdsData(before)) return withNote(base, change, kind);
  return refuse(base, change, kind, all);
}

function withNote(base: Judgement, change: RawResourceChange, kind: StatefulResource): Judgement {
  if (!kind.type.startsWith("google_dataflow_")) return base;
  const stopped = change.before?.type === "JOB_TYPE_BATCH" ? "the batch job is stopped" : "the running job is drained";
  const next = base.action === "replace" ? ", then a new job starts reading the same subscription" : "";
  return { ...base, note: `${stopped} (on_delete = "${dataflowOnDelete(kind.type, change.before ?? {})}")${next}` };
}

function refuse(
  base: Judgement,
  change: RawResourceChange,
  kind: StatefulResource,
  all: readonly RawResourceChange[],
): Judgement {
  const before = change.before ?? {};
  const columns =
    change.type === "google_bigquery_table" && base.forcedBy.includes("schema")
      ? nonEmptyColumns(schemaColumnChanges(before.schema, change.after?.schema))
      : undefined;
  return {
    ...base,
    verdict: "refused",
    loses: kind.loses(before) + (columns !== undefined ? ` (${describeColumns(columns)})` : ""),
    wayOut: wayOut(base, change, kind, all, columns),
    ...(columns !== undefined ? { columns } : {}),
  };
}

function wayOut(
  base: Judgement,
  change: RawResourceChange,
  kind: StatefulResource,
  all: readonly RawResourceChange[],
  columns: SchemaColumnChanges | undefined,
): string {
  const allowLine = `or, if the loss is intended, an allow entry { "address": "${change.address}", "reason": "…" } (planSafety.allow)`;
  const drain = kind.type.startsWith("google_dataflow_")
    ? 'set on_delete = "drain" and apply that alone first (an in-place change that leaves the job running), so that this change drains the job; '
    : "";
  if (base.action === "delete") {
    const target = movedTo(change, kind, all);
    if (target !== undefined) {
      return `${target} is the same ${kind.type} at a new address: keep it with a moved block (moved { from = ${change.address}, to = ${target} }) or cdktf's moveTo/moveFromId on the construct; ${drain}${allowLine}`;
    }
    return `if the resource moved to another construct path, keep it with a moved block or cdktf's moveTo/moveFromId; ${drain}${allowLine}`;
  }
  if (drain !== "") return `${drain}${allowLine}`;
  if (change.actionReason === "replace_because_tainted" || change.actionReason === "replace_by_request") {
    return `the replacement is requested (${change.actionReason}): run terraform untaint ${change.address}, or plan without -replace; ${allowLine}`;
  }
  if (columns !== undefined) {
    return `migrate instead: add a new NULLABLE column beside the old one (an in-place update), fill it with an UPDATE … SET new = CAST(old AS …), move readers to it, and drop the old column under an allow entry; or create a new table and copy the rows (CREATE TABLE … AS SELECT); ${allowLine}`;
  }
  const forced = base.forcedBy.length > 0 ? base.forcedBy.join(", ") : "the attributes that cannot be updated";
  return `keep ${forced} as deployed; to change it, create a new resource beside this one and migrate what it holds, then remove this one; ${allowLine}`;
}

/** The create of the same cloud object at another address (same identity attributes), if the plan has one. */
function movedTo(change: RawResourceChange, kind: StatefulResource, all: readonly RawResourceChange[]) {
  const before: Attributes = change.before ?? {};
  const keys = kind.identity.filter((key) => before[key] !== undefined && before[key] !== null);
  if (keys.length === 0) return undefined;
  return all.find(
    (other) =>
      other.type === change.type &&
      other.address !== change.address &&
      other.actions.join(",") === "create" &&
      keys.every((key) => other.after?.[key] === before[key]),
  )?.address;
}

/** A table update: refused when its schema change removes a column (its data is gone). */
function judgeSchemaUpdate(base: Judgement, change: RawResourceChange): Judgement {
  const before = change.before ?? {};
  if (!holdsRows(before)) return base;
  const columns = nonEmptyColumns(schemaColumnChanges(before.schema, change.after?.schema));
  if (columns === undefined) return base;
  const refused = columns.removed.length > 0 || columns.retyped.length > 0;
  if (!refused) return base;
  return {
    ...base,
    forcedBy: ["schema"],
    verdict: "refused",
    columns,
    loses: `the data of ${describeColumns(columns)}`,
    wayOut: `migrate instead: copy what the column holds to where it is still read (a new column, or a new table with CREATE TABLE … AS SELECT), move readers to it, then remove the column under an allow entry { "address": "${change.address}", "reason": "…" } (planSafety.allow)`,
  };
}

const holdsRows = (before: Attributes) =>
  !(Array.isArray(before.view) && before.view.length > 0) &&
  !(Array.isArray(before.materialized_view) && before.materialized_view.length > 0);

function nonEmptyColumns(columns: SchemaColumnChanges | undefined): SchemaColumnChanges | undefined {
  if (columns === undefined || (columns.removed.length === 0 && columns.retyped.length === 0)) return undefined;
  return columns;
}

function describeColumns(columns: SchemaColumnChanges): string {
  const parts: string[] = [];
  if (columns.removed.length > 0) {
    parts.push(`column${columns.removed.length > 1 ? "s" : ""} ${columns.removed.join(", ")} removed`);
  }
  if (columns.retyped.length > 0) {
    parts.push(`column${columns.retyped.length > 1 ? "s" : ""} ${columns.retyped.join(", ")} retyped`);
  }
  return parts.join("; ");
}
