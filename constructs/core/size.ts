import { Op, Token } from "cdktf";

/** Units a {@link Size} can be expressed in: their length in mebibytes and their quantity suffix. */
const UNITS = {
  mebibytes: { mib: 1, suffix: "Mi" },
  gibibytes: { mib: 1024, suffix: "Gi" },
} as const;
type SizeUnit = keyof typeof UNITS;

/**
 * An amount of memory, the type every size-valued prop of the library takes (the worker's memory
 * limit), as {@link Duration} is for time. Each construct renders it in the form its API wants:
 * `"512Mi"` for a Cloud Run limit.
 *
 * The amount may be an unresolved number token (e.g. a Terraform variable): conversions then
 * return tokens computed by Terraform, and constructs skip their range checks.
 *
 * @example
 * Size.mebibytes(512).toQuantityString(); // "512Mi"
 * Size.gibibytes(1).toMebibytes(); // 1024
 */
export class Size {
  /** A size of `amount` mebibytes (MiB, 2^20 bytes). */
  public static mebibytes(amount: number): Size {
    return new Size(amount, "mebibytes");
  }
  /** A size of `amount` gibibytes (GiB, 2^30 bytes). */
  public static gibibytes(amount: number): Size {
    return new Size(amount, "gibibytes");
  }
  /** Whether `value` is a {@link Size}. */
  public static isSize(value: unknown): value is Size {
    return value instanceof Size;
  }

  private constructor(
    private readonly amount: number,
    private readonly unit: SizeUnit,
  ) {
    if (Token.isUnresolved(amount)) return;
    if (!Number.isFinite(amount) || amount < 0) {
      throw new Error(`Size: ${amount} ${unit} is not a non-negative finite amount`);
    }
  }

  /** Whether the amount is an unresolved token (its value is known only to Terraform). */
  public isUnresolved(): boolean {
    return Token.isUnresolved(this.amount);
  }

  /** The amount in mebibytes (may be fractional). */
  public toMebibytes(): number {
    const factor = UNITS[this.unit].mib;
    if (factor === 1) return this.amount;
    return this.isUnresolved() ? Token.asNumber(Op.mul(this.amount, factor)) : this.amount * factor;
  }

  /**
   * The Kubernetes quantity form Cloud Run's resource limits take, in the unit the size was made
   * with: `Size.mebibytes(512)` → `"512Mi"`, `Size.gibibytes(1)` → `"1Gi"`.
   */
  public toQuantityString(): string {
    const amount = this.isUnresolved() ? Token.asString(this.amount) : String(this.amount);
    return `${amount}${UNITS[this.unit].suffix}`;
  }
}
