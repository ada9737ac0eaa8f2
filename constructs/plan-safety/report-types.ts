/**
 * The types of the plan guard's input options and report. Re-exported by `check-plan-safety.ts`.
 */
import type { PlanSafetyAllowEntry } from "./allow-entries";
import type { PlanAction } from "./plan-actions";

/** What the guard reads besides the plan. */
export interface PlanSafetyOptions {
  /**
   * Deliberate exceptions: a refused delete or replacement of an address listed here is "allowed" instead.
   * @default - none
   */
  readonly allow?: readonly PlanSafetyAllowEntry[];
  /**
   * Construct path of each resource address, for the report (see `constructPathsOf`).
   * @default - refusals name the address only
   */
  readonly constructPaths?: Readonly<Record<string, string>>;
}

/** The columns a table schema change removes or retypes. */
export interface ColumnChanges {
  /** Columns removed, by dotted path. */
  readonly removed: readonly string[];
  /** Columns retyped, as `path: OLD → NEW`. */
  readonly retyped: readonly string[];
}

/** One resource change of the plan and the guard's verdict on it. */
export interface PlannedChange {
  /** The resource address in the plan. */
  readonly address: string;
  /** The Terraform resource type. */
  readonly resourceType: string;
  /** What Terraform would do: a replacement is a delete and a create, in either order. */
  readonly action: PlanAction;
  /**
   * The address the resource had before (a `moved` block or cdktf's move support).
   * @default - none: the address did not change
   */
  readonly previousAddress?: string;
  /**
   * The construct path of the resource, when construct paths were given.
   * @default - none: no construct paths were given, or none is known for the address
   */
  readonly constructPath?: string;
  /** The attributes that force the replacement (the plan's `replace_paths`), or `schema` for a column removal. */
  readonly forcedBy: readonly string[];
  /** "safe", "refused", or "allowed" (refused, but an allow entry names it). */
  readonly verdict: "safe" | "refused" | "allowed";
  /**
   * What would be lost, for a refused or allowed change.
   * @default - none: the change is safe
   */
  readonly loses?: string;
  /**
   * How to make the change without the loss: a move, a migration, or an allow entry.
   * @default - none: the change is safe
   */
  readonly wayOut?: string;
  /**
   * The allow entry's reason, for an allowed change.
   * @default - none: no allow entry names the change
   */
  readonly allowReason?: string;
  /**
   * Why Terraform plans this action (the plan's `action_reason`), e.g. `replace_because_cannot_update`.
   * @default - none: the plan gives no reason
   */
  readonly actionReason?: string;
  /**
   * The columns a table schema change removes or retypes.
   * @default - none: not a table schema change that removes or retypes a column
   */
  readonly columns?: ColumnChanges;
  /**
   * What a safe change does that a reviewer should know (e.g. a streaming job drained and started again).
   * @default - none
   */
  readonly note?: string;
}

/** The guard's verdict on a whole plan. */
export interface PlanSafetyReport {
  /** Every resource change of the plan (no-op ones included). */
  readonly changes: readonly PlannedChange[];
  /** The changes refused (no allow entry names them). */
  readonly refused: readonly PlannedChange[];
  /** Whether the plan may be applied: nothing refused. */
  readonly safe: boolean;
  /** Allow entries that allow nothing in this plan: remove them, or they would silently allow a later loss. */
  readonly staleAllow: readonly PlanSafetyAllowEntry[];
}
