/**
 * Reading `terraform show -json` output of a saved plan: the checks that it is one, and each entry of its
 * `resource_changes` as a plain record. Private to the library.
 */

/** The `format_version` major of `terraform show -json` this guard reads (Terraform 1.x writes 1.y). */
export const PLAN_FORMAT_MAJOR = 1;

/** Raised on input that is not the JSON of a saved plan this guard can read; the message says what is wrong. */
export class PlanFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanFormatError";
  }
}

/** One entry of a plan's `resource_changes`, reduced to what the guard reads. */
export interface RawResourceChange {
  readonly address: string;
  readonly previousAddress?: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly actions: readonly string[];
  readonly actionReason?: string;
  readonly before: Readonly<Record<string, unknown>> | null;
  readonly after: Readonly<Record<string, unknown>> | null;
  readonly replacePaths: readonly (readonly (string | number)[])[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Checks that `plan` is the JSON of a saved plan (`terraform show -json PLANFILE`) of a format this guard reads,
 * and returns its resource changes. Throws {@link PlanFormatError} naming what is wrong otherwise.
 */
export function readResourceChanges(plan: unknown): RawResourceChange[] {
  if (!isObject(plan)) {
    throw new PlanFormatError(`a plan must be a JSON object (terraform show -json PLANFILE); got ${describe(plan)}`);
  }
  const version = plan.format_version;
  if (typeof version !== "string" || !/^\d+\.\d+$/.test(version)) {
    throw new PlanFormatError(
      "not the JSON of a plan: it has no format_version; write it with `terraform show -json PLANFILE` of a plan saved by `terraform plan -out PLANFILE`",
    );
  }
  const major = Number(version.split(".")[0]);
  if (major !== PLAN_FORMAT_MAJOR) {
    throw new PlanFormatError(
      `plan format_version ${version} is not supported: this guard reads format ${PLAN_FORMAT_MAJOR}.x (Terraform 1.x)`,
    );
  }
  if (!("planned_values" in plan) && !("resource_changes" in plan)) {
    throw new PlanFormatError(
      "not the JSON of a plan: it has neither planned_values nor resource_changes (is it `terraform show -json` of a state rather than of a saved plan?)",
    );
  }
  const changes = plan.resource_changes ?? [];
  if (!Array.isArray(changes)) throw new PlanFormatError("the plan's resource_changes is not a list");
  return changes.map((entry, index) => readChange(entry, index));
}

function readChange(entry: unknown, index: number): RawResourceChange {
  const where = `resource_changes[${index}]`;
  if (!isObject(entry) || typeof entry.address !== "string" || typeof entry.type !== "string") {
    throw new PlanFormatError(`${where}: expected an object with an address and a type`);
  }
  const change = entry.change;
  if (!isObject(change) || !Array.isArray(change.actions) || !change.actions.every((a) => typeof a === "string")) {
    throw new PlanFormatError(`${where} (${entry.address}): expected change.actions, a list of action names`);
  }
  const replacePaths = Array.isArray(change.replace_paths) ? change.replace_paths.filter(Array.isArray) : [];
  return {
    address: entry.address,
    previousAddress: typeof entry.previous_address === "string" ? entry.previous_address : undefined,
    mode: entry.mode === "data" ? "data" : "managed",
    type: entry.type,
    actions: change.actions as string[],
    actionReason: typeof entry.action_reason === "string" ? entry.action_reason : undefined,
    before: isObject(change.before) ? change.before : null,
    after: isObject(change.after) ? change.after : null,
    replacePaths: replacePaths as (string | number)[][],
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "string" ? "a string" : typeof value;
}

/** A replace path as one readable attribute path: `time_partitioning[0].field`. */
export function formatAttributePath(path: readonly (string | number)[]): string {
  return path.map((step, i) => (typeof step === "number" ? `[${step}]` : i === 0 ? step : `.${step}`)).join("");
}
