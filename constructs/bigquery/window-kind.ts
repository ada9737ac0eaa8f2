import { Duration } from "../core/duration";

/** The shape of the windows of a {@link WindowedAggregate}. */
export type WindowKindName = "tumbling" | "hopping" | "session";

/**
 * Which event-time windows a {@link WindowedAggregate} maintains.
 *
 * @example
 * WindowKind.tumbling(Duration.minutes(1));                       // changes per minute
 * WindowKind.hopping(Duration.minutes(5), Duration.minutes(1));   // 5-minute windows, every minute
 * WindowKind.session(Duration.minutes(30));                       // sessions ended by 30 idle minutes
 */
export class WindowKind {
  /** Back-to-back windows of `size`, aligned on multiples of `size` since the Unix epoch (UTC). */
  public static tumbling(size: Duration): WindowKind {
    return new WindowKind("tumbling", size, size, undefined);
  }

  /** Overlapping windows of `size` starting every `hop`, aligned on multiples of `hop` (UTC). */
  public static hopping(size: Duration, hop: Duration): WindowKind {
    return new WindowKind("hopping", size, hop, undefined);
  }

  /** Per-key sessions: a session ends when the key's next event comes more than `gap` after its last one. */
  public static session(gap: Duration): WindowKind {
    return new WindowKind("session", undefined, undefined, gap);
  }

  private constructor(
    /** tumbling, hopping or session. */
    public readonly kind: WindowKindName,
    /** Window length (fixed windows only). */
    public readonly size: Duration | undefined,
    /** Distance between window starts (fixed windows only; the size for tumbling windows). */
    public readonly hop: Duration | undefined,
    /** Inactivity gap that ends a session (session windows only). */
    public readonly gap: Duration | undefined,
  ) {}

  /** The problem with this kind, if any (sizes in whole minutes, the size a multiple of the hop, a positive gap). */
  public problem(): string | undefined {
    if (this.kind === "session") {
      const gap = this.gap!;
      if (gap.isUnresolved()) return undefined;
      if (gap.toSeconds() <= 0 || !gap.isWhole("seconds"))
        return `session gap ${gap.toHumanString()} must be a positive whole number of seconds`;
      return undefined;
    }
    const size = this.size!;
    const hop = this.hop!;
    if (size.isUnresolved() || hop.isUnresolved()) return undefined;
    for (const [what, value] of [
      ["window size", size],
      ["hop", hop],
    ] as const) {
      if (value.toSeconds() <= 0 || !value.isWhole("minutes"))
        return `${what} ${value.toHumanString()} is not a positive whole number of minutes; windows are aligned on whole minutes (UTC)`;
    }
    if (hop.toSeconds() > size.toSeconds())
      return `hop ${hop.toHumanString()} is longer than the window size ${size.toHumanString()}; windows would leave gaps`;
    if (size.toSeconds() % hop.toSeconds() !== 0)
      return `window size ${size.toHumanString()} is not a whole multiple of the hop ${hop.toHumanString()}`;
    return undefined;
  }

  /** How far a window reaches before its last event (the size, or the session gap). */
  public get reach(): Duration {
    return this.kind === "session" ? this.gap! : this.size!;
  }
}
