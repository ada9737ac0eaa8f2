/**
 * The rules of a {@link WindowedAggregate}'s props, as tables (the aws-sqs
 * `validate-queue-props.ts` way): each rule a check and the message naming the value and the rule.
 * Checked in the order they are listed; the first broken rule fails synthesis. Private to the library.
 */
import type { WindowedAggregateProps } from "./windowed-aggregate-props";
import { Duration } from "../core/duration";
import { ITable } from "../core/references";
import { checkRules, Rule } from "../core/rule-tables";
import { WindowKind } from "./window-kind";

/** What the rules read of `WindowedAggregateProps`. */
export type WindowRuleProps = Pick<
  WindowedAggregateProps,
  | "source"
  | "sourceMark"
  | "window"
  | "keyColumn"
  | "measure"
  | "countDistinct"
  | "timeColumn"
  | "idColumn"
  | "arrivalColumn"
  | "allowedLateness"
  | "sourceHorizon"
>;

/** A windowed aggregate's settings: checked, defaults filled in. */
export interface WindowSettings {
  readonly window: WindowKind;
  readonly keyColumn: string;
  readonly measure: string;
  readonly countDistinct: string;
  readonly timeColumn: string;
  readonly idColumn: string;
  readonly arrivalColumn: string;
  readonly markColumn: string;
  readonly allowedLateness: Duration;
  readonly sourceHorizon: Duration;
}

/** What the rules look at: the settings, the source, and the column props by name as the errors name them. */
type WindowFacts = WindowSettings & {
  readonly source: ITable;
  readonly columns: ReadonlyArray<readonly [string, string]>;
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;
const DEFAULT_LATENESS = Duration.minutes(10);
const DEFAULT_HORIZON = Duration.hours(96);
/** Columns the window table defines itself: neither the key nor the measure may take their names. */
const WINDOW_TABLE_COLUMNS = [
  "window_start",
  "window_end",
  "session_start",
  "session_end",
  "is_final",
  "watermark",
  "staged_through",
  "computed_at",
];

/** The first `[prop, value]` of `entries` that `breaks`, if any. */
const firstBreaking = (entries: ReadonlyArray<readonly [string, string]>, breaks: (value: string) => boolean) =>
  entries.find(([, value]) => breaks(value));

/** The column props that must name source columns (the measure and the mark's column name other tables' columns). */
const sourceColumns = (f: WindowFacts) =>
  f.columns.filter(([prop]) => prop !== "measure" && prop !== "sourceMark.column");
const notInSource = (f: WindowFacts) =>
  firstBreaking(sourceColumns(f), (value) => !(f.source.schema?.hasColumn(value) ?? false));
const ownColumn = (f: WindowFacts) =>
  firstBreaking(
    [
      ["keyColumn", f.keyColumn],
      ["measure", f.measure],
    ],
    (value) => WINDOW_TABLE_COLUMNS.includes(value.toLowerCase()),
  );
const notTimestamp = (f: WindowFacts) =>
  [f.timeColumn, f.arrivalColumn].find((column) => f.source.schema?.column(column)?.type !== "TIMESTAMP");
const typeOf = (f: WindowFacts, column: string) => f.source.schema?.column(column)?.type;
/** The lateness plus the window's reach, when all are known: the least horizon. */
const neededHorizon = ({ allowedLateness, window }: WindowFacts) =>
  allowedLateness.isUnresolved() || window.reach.isUnresolved()
    ? undefined
    : Duration.seconds(allowedLateness.toSeconds() + window.reach.toSeconds());

/** The window kind and the column names. */
const COLUMN_RULES: readonly Rule<WindowFacts>[] = [
  {
    breaks: ({ window }) => !(window instanceof WindowKind),
    message: () => "window must be a WindowKind (tumbling, hopping or session)",
  },
  {
    breaks: ({ window }) => window.problem() !== undefined,
    message: ({ window }) => window.problem() ?? "",
  },
  {
    breaks: ({ columns }) => firstBreaking(columns, (value) => !IDENTIFIER.test(value)) !== undefined,
    message: ({ columns }) => {
      const [prop, value] = firstBreaking(columns, (v) => !IDENTIFIER.test(v)) ?? [];
      return `${prop} "${value}" is not a column name (letters, digits, _)`;
    },
  },
  {
    breaks: (f) => ownColumn(f) !== undefined,
    message: (f) => {
      const [prop, value] = ownColumn(f) ?? [];
      return `${prop} "${value}" is a column the window table defines itself`;
    },
  },
  {
    breaks: ({ keyColumn, measure }) => keyColumn.toLowerCase() === measure.toLowerCase(),
    message: ({ measure }) => `keyColumn and measure are both "${measure}"; the window table needs two columns`,
  },
];

/** The source's columns, when its schema is known. */
const SOURCE_RULES: readonly Rule<WindowFacts>[] = [
  {
    breaks: (f) => notInSource(f) !== undefined,
    message: (f) => {
      const [prop, value] = notInSource(f) ?? [];
      return `${prop} "${value}" is not a column of the source ${f.source.fqn}`;
    },
  },
  {
    breaks: (f) => typeOf(f, f.keyColumn) !== "STRING",
    message: (f) => `keyColumn "${f.keyColumn}" is ${typeOf(f, f.keyColumn)}; it must be a STRING`,
  },
  {
    breaks: (f) => notTimestamp(f) !== undefined,
    message: (f) => {
      const column = notTimestamp(f) ?? "";
      return `"${column}" of the source is ${typeOf(f, column)}; it must be a TIMESTAMP`;
    },
  },
];

/** How late events may be, how far back the source is read. */
const TIME_RULES: readonly Rule<WindowFacts>[] = [
  {
    breaks: ({ allowedLateness: lateness }) => !lateness.isUnresolved() && !lateness.isWhole("seconds"),
    message: ({ allowedLateness }) =>
      `allowedLateness ${allowedLateness.toHumanString()} is not a whole number of seconds`,
  },
  {
    breaks: ({ sourceHorizon: horizon }) =>
      !horizon.isUnresolved() && (!horizon.isWhole("hours") || horizon.toHours() <= 0),
    message: ({ sourceHorizon }) =>
      `sourceHorizon ${sourceHorizon.toHumanString()} is not a positive whole number of hours`,
  },
  {
    breaks: (f) => {
      const needed = neededHorizon(f);
      return (
        !f.sourceHorizon.isUnresolved() && needed !== undefined && f.sourceHorizon.toSeconds() < needed.toSeconds()
      );
    },
    message: (f) =>
      `sourceHorizon ${f.sourceHorizon.toHumanString()} is shorter than the allowed lateness plus the window's ${
        f.window.kind === "session" ? "gap" : "size"
      } (${neededHorizon(f)?.toHumanString()}); touched windows would be recomputed from part of their events`,
  },
];

/** Checks a windowed aggregate's props; returns its settings, defaults filled in. */
export function validateWindowedAggregateProps(path: string, props: WindowRuleProps): WindowSettings {
  const measure = props.measure ?? "changes";
  const idColumn = props.idColumn ?? "event_id";
  const settings: WindowSettings = {
    window: props.window,
    keyColumn: props.keyColumn,
    measure,
    countDistinct: props.countDistinct ?? idColumn,
    timeColumn: props.timeColumn ?? "event_time",
    idColumn,
    arrivalColumn: props.arrivalColumn ?? "staged_at",
    markColumn: props.sourceMark.column ?? "recorded_at",
    allowedLateness: props.allowedLateness ?? DEFAULT_LATENESS,
    sourceHorizon: props.sourceHorizon ?? DEFAULT_HORIZON,
  };
  const s = settings;
  const facts: WindowFacts = {
    ...settings,
    source: props.source,
    columns: [
      ["keyColumn", s.keyColumn],
      ["measure", s.measure],
      ["timeColumn", s.timeColumn],
      ["idColumn", s.idColumn],
      ["arrivalColumn", s.arrivalColumn],
      ["countDistinct", s.countDistinct],
      ["sourceMark.column", s.markColumn],
    ],
  };
  checkRules(path, facts, COLUMN_RULES);
  if (props.source.schema !== undefined) checkRules(path, facts, SOURCE_RULES);
  checkRules(path, facts, TIME_RULES);
  return settings;
}
