import { Op, Token } from "cdktf";

/** Units a {@link Duration} can be expressed in, with their length in milliseconds. */
const UNIT_MS = {
  milliseconds: 1,
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
} as const;
type TimeUnit = keyof typeof UNIT_MS;

/**
 * A length of time, the one type every time-valued prop of the library takes (retention,
 * backoff, staleness, refresh intervals, expirations). Each construct renders it in the form
 * its API wants: `"604800s"` for Pub/Sub, milliseconds for BigQuery expirations, an INTERVAL
 * literal for `max_staleness`.
 *
 * The amount may be an unresolved number token (e.g. a Terraform variable): conversions then
 * return tokens computed by Terraform, and constructs skip their range checks.
 *
 * @example
 * Duration.days(7).toPubsubString(); // "604800s"
 * Duration.minutes(10).toBigQueryInterval(); // "0-0 0 0:10:0"
 */
export class Duration {
  /** A duration of `amount` milliseconds. */
  public static millis(amount: number): Duration {
    return new Duration(amount, "milliseconds");
  }
  /** A duration of `amount` seconds. */
  public static seconds(amount: number): Duration {
    return new Duration(amount, "seconds");
  }
  /** A duration of `amount` minutes. */
  public static minutes(amount: number): Duration {
    return new Duration(amount, "minutes");
  }
  /** A duration of `amount` hours. */
  public static hours(amount: number): Duration {
    return new Duration(amount, "hours");
  }
  /** A duration of `amount` days (24-hour days). */
  public static days(amount: number): Duration {
    return new Duration(amount, "days");
  }
  /** Whether `value` is a {@link Duration}. */
  public static isDuration(value: unknown): value is Duration {
    return value instanceof Duration;
  }

  private constructor(
    private readonly amount: number,
    private readonly unit: TimeUnit,
  ) {
    if (Token.isUnresolved(amount)) return;
    if (!Number.isFinite(amount) || amount < 0) {
      throw new Error(`Duration: ${amount} ${unit} is not a non-negative finite length of time`);
    }
  }

  /** Whether the amount is an unresolved token (its value is known only to Terraform). */
  public isUnresolved(): boolean {
    return Token.isUnresolved(this.amount);
  }

  /** Length in milliseconds. */
  public toMilliseconds(): number {
    return this.to("milliseconds");
  }
  /** Length in seconds (may be fractional). */
  public toSeconds(): number {
    return this.to("seconds");
  }
  /** Length in minutes (may be fractional). */
  public toMinutes(): number {
    return this.to("minutes");
  }
  /** Length in hours (may be fractional). */
  public toHours(): number {
    return this.to("hours");
  }
  /** Length in days (may be fractional). */
  public toDays(): number {
    return this.to("days");
  }

  /** Whether the length is a whole number of `unit`s (true for tokens: Terraform decides). */
  public isWhole(unit: TimeUnit): boolean {
    return this.isUnresolved() || Number.isInteger(this.to(unit));
  }

  /**
   * The protobuf JSON form Pub/Sub and other Google APIs take for durations: seconds with up to
   * nine fractional digits and the suffix `s`, e.g. `"604800s"`, `"0.5s"`.
   */
  public toPubsubString(): string {
    if (this.isUnresolved()) return `${Token.asString(this.toSeconds())}s`;
    const seconds = this.toSeconds();
    return `${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(9))}s`;
  }

  /**
   * BigQuery's canonical INTERVAL literal (`Y-M D H:M:S`), days kept as days (never converted to
   * months): 10 minutes → `0-0 0 0:10:0`, 1 day 2 hours → `0-0 1 2:0:0`. Whole seconds only.
   */
  public toBigQueryInterval(): string {
    if (this.isUnresolved()) return `0-0 0 0:0:${Token.asString(this.toSeconds())}`;
    let rest = Math.round(this.toSeconds());
    const days = Math.floor(rest / 86_400);
    rest -= days * 86_400;
    const hours = Math.floor(rest / 3600);
    rest -= hours * 3600;
    const minutes = Math.floor(rest / 60);
    return `0-0 ${days} ${hours}:${minutes}:${rest - minutes * 60}`;
  }

  /** Human-readable form for messages, e.g. `10 minutes`, `1 day 2 hours`, `<token> seconds`. */
  public toHumanString(): string {
    if (this.isUnresolved()) return `${Token.asString(this.amount)} ${this.unit}`;
    const totalMs = this.toMilliseconds();
    if (totalMs === 0) return "0 seconds";
    const parts: string[] = [];
    let rest = totalMs;
    for (const [unit, size] of [
      ["day", UNIT_MS.days],
      ["hour", UNIT_MS.hours],
      ["minute", UNIT_MS.minutes],
      ["second", UNIT_MS.seconds],
    ] as const) {
      const n = Math.floor(rest / size);
      rest -= n * size;
      if (n > 0) parts.push(`${n} ${unit}${n === 1 ? "" : "s"}`);
    }
    if (rest > 0) parts.push(`${Number(rest.toFixed(6))} millisecond${rest === 1 ? "" : "s"}`);
    return parts.join(" ");
  }

  /** Whether both durations have the same (known) length. */
  public equals(other: Duration): boolean {
    return !this.isUnresolved() && !other.isUnresolved() && this.toMilliseconds() === other.toMilliseconds();
  }

  private to(unit: TimeUnit): number {
    if (this.unit === unit) return this.amount;
    if (this.isUnresolved()) {
      const from = UNIT_MS[this.unit];
      const to = UNIT_MS[unit];
      return Token.asNumber(from >= to ? Op.mul(this.amount, from / to) : Op.div(this.amount, to / from));
    }
    // Multiply before dividing, so that whole results stay whole (1.5 minutes → 90 seconds exactly).
    return (this.amount * UNIT_MS[this.unit]) / UNIT_MS[unit];
  }
}
