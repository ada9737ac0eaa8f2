/**
 * A typed, non-negative length of time, rendered in BigQuery's canonical INTERVAL
 * form (`Y-M D H:M:S`) for options such as `max_staleness`.
 */
export class Duration {
  /** A duration of `amount` seconds (whole seconds). */
  public static seconds(amount: number): Duration {
    return new Duration(amount, `${amount} seconds`);
  }
  /** A duration of `amount` minutes. */
  public static minutes(amount: number): Duration {
    return new Duration(amount * 60, `${amount} minutes`);
  }
  /** A duration of `amount` hours. */
  public static hours(amount: number): Duration {
    return new Duration(amount * 3600, `${amount} hours`);
  }
  /** A duration of `amount` days (24-hour days). */
  public static days(amount: number): Duration {
    return new Duration(amount * 86_400, `${amount} days`);
  }

  /** Total length in whole seconds. */
  public readonly totalSeconds: number;

  private constructor(seconds: number, what: string) {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new Error(`Duration: ${what} is not a non-negative finite length of time`);
    }
    if (!Number.isInteger(seconds)) {
      throw new Error(`Duration: ${what} is not a whole number of seconds`);
    }
    this.totalSeconds = seconds;
  }

  /** Total length in minutes (may be fractional). */
  public toMinutes(): number {
    return this.totalSeconds / 60;
  }

  /**
   * BigQuery's canonical INTERVAL literal for this duration, with days kept as days
   * (never converted to months): 10 minutes → `0-0 0 0:10:0`, 1 day 2 hours → `0-0 1 2:0:0`.
   */
  public toBigQueryInterval(): string {
    let rest = this.totalSeconds;
    const days = Math.floor(rest / 86_400);
    rest -= days * 86_400;
    const hours = Math.floor(rest / 3600);
    rest -= hours * 3600;
    const minutes = Math.floor(rest / 60);
    const seconds = rest - minutes * 60;
    return `0-0 ${days} ${hours}:${minutes}:${seconds}`;
  }

  /** Human-readable form for messages, e.g. `10 minutes`, `1 day 2 hours`. */
  public toHumanString(): string {
    if (this.totalSeconds === 0) return "0 seconds";
    const parts: string[] = [];
    let rest = this.totalSeconds;
    for (const [unit, size] of [
      ["day", 86_400],
      ["hour", 3600],
      ["minute", 60],
      ["second", 1],
    ] as const) {
      const n = Math.floor(rest / size);
      rest -= n * size;
      if (n > 0) parts.push(`${n} ${unit}${n === 1 ? "" : "s"}`);
    }
    return parts.join(" ");
  }

  /** Whether both durations have the same length. */
  public equals(other: Duration): boolean {
    return this.totalSeconds === other.totalSeconds;
  }
}
