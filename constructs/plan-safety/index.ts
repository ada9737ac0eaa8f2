/** The plan guard: the public names of `constructs/plan-safety/`. */
export { checkPlanSafety } from "./check-plan-safety";
export type {
  ColumnChanges,
  PlanAction,
  PlannedChange,
  PlanSafetyAllowEntry,
  PlanSafetyOptions,
  PlanSafetyReport,
} from "./check-plan-safety";
export { AllowEntryError, MIN_ALLOW_REASON_LENGTH, parseAllowEntries } from "./allow-entries";
export { constructPathsOf } from "./construct-paths";
export { formatPlanSafetyReport } from "./format-report";
export { PlanFormatError, PLAN_FORMAT_MAJOR } from "./plan-json";
export { STATEFUL_RESOURCES } from "./stateful-resources";
export type { StatefulResource } from "./stateful-resources";
