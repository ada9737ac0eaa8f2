/**
 * Allow entries: the deliberate exceptions to the plan guard, each an address and a reason a reviewer reads.
 * Validated here, in the library, so that the `plan-guard` command and the environment config apply one rule.
 */

/** The shortest reason an allow entry accepts, in characters (leading and trailing blanks not counted). */
export const MIN_ALLOW_REASON_LENGTH = 10;

/** A deliberate exception to the plan guard: the delete or replacement of `address` is allowed, for `reason`. */
export interface PlanSafetyAllowEntry {
  /** The resource address as the plan names it, e.g. `google_bigquery_table.raw_wiki_changes_1A2B3C4D`. */
  readonly address: string;
  /** Why losing what the resource holds is acceptable, for a reviewer: at least 10 characters. */
  readonly reason: string;
}

/** Raised on allow entries that break the rules; `problems` has one readable line each. */
export class AllowEntryError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "AllowEntryError";
  }
}

/** The problems of one allow entry, each prefixed by `where` (e.g. `planSafety.allow[0]`); empty when it is valid. */
export function allowEntryProblems(entry: unknown, where: string): string[] {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return [`${where}: an allow entry is an object { "address": "...", "reason": "..." }`];
  }
  const { address, reason, ...rest } = entry as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof address !== "string" || address.trim() === "") {
    problems.push(`${where}.address: is required: the resource address the plan names, e.g. google_pubsub_topic.x`);
  }
  const text = typeof reason === "string" ? reason.trim() : "";
  if (text.length < MIN_ALLOW_REASON_LENGTH) {
    problems.push(
      `${where}.reason: ${JSON.stringify(text)} is too short (${text.length} characters); write at least ${MIN_ALLOW_REASON_LENGTH} saying why losing what the resource holds is acceptable`,
    );
  }
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    problems.push(`${where}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}`);
  }
  return problems;
}

/**
 * Validates a list of allow entries (`where` names it in messages, e.g. `config/dev.json: planSafety.allow`) and
 * returns them with their text trimmed. Throws {@link AllowEntryError} listing every problem, including an
 * address allowed twice.
 */
export function parseAllowEntries(raw: unknown, where = "allow"): PlanSafetyAllowEntry[] {
  if (!Array.isArray(raw)) throw new AllowEntryError([`${where}: expected a list of { address, reason }`]);
  const problems = raw.flatMap((entry, i) => allowEntryProblems(entry, `${where}[${i}]`));
  if (problems.length > 0) throw new AllowEntryError(problems);
  const entries = (raw as PlanSafetyAllowEntry[]).map((e) => ({ address: e.address.trim(), reason: e.reason.trim() }));
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    if (seen.has(entry.address)) {
      problems.push(`${where}[${i}].address: ${entry.address} is allowed twice; keep one entry with one reason`);
    }
    seen.add(entry.address);
  }
  if (problems.length > 0) throw new AllowEntryError(problems);
  return entries;
}
