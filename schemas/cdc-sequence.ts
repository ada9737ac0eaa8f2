/**
 * BigQuery change data capture: the pseudo-columns a change row carries and the format of
 * `_CHANGE_SEQUENCE_NUMBER`. Pure and shared: the worker encodes sequence numbers, the Storage
 * Write sink checks them, the demo's local applier compares them.
 *
 * BigQuery's format rules: a STRING of one to four sections separated by `/`, each section a
 * hexadecimal number of 1 to 16 digits (so each fits an unsigned 64-bit integer). Two sequence
 * numbers compare section by section, as numbers, from the left; for each primary key the change
 * with the greatest sequence number is the one applied.
 */

/** The pseudo-column naming the kind of change: `UPSERT` or `DELETE`. */
export const CHANGE_TYPE_COLUMN = "_CHANGE_TYPE";
/** The pseudo-column ordering changes of one primary key. */
export const CHANGE_SEQUENCE_NUMBER_COLUMN = "_CHANGE_SEQUENCE_NUMBER";
/** Both pseudo-columns, in the order messages carry them. */
export const CDC_PSEUDO_COLUMNS = [CHANGE_TYPE_COLUMN, CHANGE_SEQUENCE_NUMBER_COLUMN] as const;

/** The change types BigQuery CDC accepts. */
export type ChangeType = "UPSERT" | "DELETE";
export const CHANGE_TYPES: readonly ChangeType[] = ["UPSERT", "DELETE"];

/** At most this many `/`-separated sections. */
export const MAX_SEQUENCE_SECTIONS = 4;
/** At most this many hexadecimal digits per section. */
export const MAX_SEQUENCE_SECTION_DIGITS = 16;

const SECTION = /^[0-9A-Fa-f]{1,16}$/;
const MAX_SECTION = (1n << 64n) - 1n;

/**
 * Encodes non-negative integers as a sequence number: one section each, upper-case, zero-padded
 * to 16 digits so that the plain string order equals BigQuery's numeric order.
 * Throws on anything BigQuery would refuse (no section, more than four, negative, over 2^64 − 1).
 */
export function encodeSequenceNumber(sections: readonly (number | bigint)[]): string {
  if (sections.length === 0 || sections.length > MAX_SEQUENCE_SECTIONS) {
    throw new Error(`a change sequence number has 1 to ${MAX_SEQUENCE_SECTIONS} sections; got ${sections.length}`);
  }
  return sections
    .map((value, index) => {
      if (typeof value === "number" && !Number.isSafeInteger(value)) {
        throw new Error(`sequence section ${index} is ${value}; sections are whole numbers`);
      }
      const big = BigInt(value);
      if (big < 0n || big > MAX_SECTION) {
        throw new Error(`sequence section ${index} is ${value}; sections are 0 to 2^64 - 1 (16 hexadecimal digits)`);
      }
      return big.toString(16).toUpperCase().padStart(MAX_SEQUENCE_SECTION_DIGITS, "0");
    })
    .join("/");
}

/** Why `value` is not a valid `_CHANGE_SEQUENCE_NUMBER`, or undefined when it is. */
export function sequenceNumberProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `_CHANGE_SEQUENCE_NUMBER must be a string, got ${typeof value}`;
  const sections = value.split("/");
  if (sections.length > MAX_SEQUENCE_SECTIONS) {
    return `_CHANGE_SEQUENCE_NUMBER "${value}" has ${sections.length} sections; BigQuery allows at most ${MAX_SEQUENCE_SECTIONS}`;
  }
  const bad = sections.find((section) => !SECTION.test(section));
  if (bad !== undefined) {
    return `_CHANGE_SEQUENCE_NUMBER "${value}" has the section "${bad}"; each section is 1 to ${MAX_SEQUENCE_SECTION_DIGITS} hexadecimal digits`;
  }
  return undefined;
}

/** Parses a sequence number into its sections; throws with the rule when it is invalid. */
export function parseSequenceNumber(value: string): bigint[] {
  const problem = sequenceNumberProblem(value);
  if (problem !== undefined) throw new Error(problem);
  return value.split("/").map((section) => BigInt(`0x${section}`));
}

/**
 * Compares two sequence numbers the way BigQuery orders them: section by section from the left,
 * numerically; when one is a prefix of the other, the shorter one is smaller (a missing section
 * counts as less than any present one). Negative when `a` is older, 0 when equal, positive when newer.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const left = parseSequenceNumber(a);
  const right = parseSequenceNumber(b);
  const shared = Math.min(left.length, right.length);
  for (let i = 0; i < shared; i++) {
    if (left[i] !== right[i]) return left[i] < right[i] ? -1 : 1;
  }
  return left.length - right.length;
}

/**
 * Where one event stands in its source's commit order: what {@link eventSequenceNumber} encodes.
 * Built for MediaWiki's recentchange stream (per wiki: the rc id), but any source that numbers its
 * commits per primary key's scope fits.
 */
export interface EventOrder {
  /** The event's own time (recentchange: `meta.dt`, which EventBus sets from `rc_timestamp`, whole seconds), Unix ms. */
  readonly eventTimeMs: number;
  /** When the event was received (Unix ms): an event time after it is clamped to it. */
  readonly receivedAtMs: number;
  /** The commit's number, increasing in commit order within the key's scope (recentchange: `id`, per wiki); missing counts as 0. */
  readonly commitId?: number | bigint;
  /** The delivery offset (recentchange: `meta.offset`, per datacenter topic); missing counts as 0. */
  readonly offset?: number | bigint;
}

/**
 * The sequence number of a change derived from one event: three sections of 16 hexadecimal digits,
 *
 * 1. the second of the event time, clamped to the time of receipt, written as the LAST millisecond
 *    of that second (`second × 1000 + 999`): a time in ms, so humans can read it and so a number
 *    of the earlier encoding (`<meta.dt ms>/<offset>/<id>`) of the same or an earlier second is
 *    never greater (see docs/cdc.md, "Rows written before");
 * 2. the commit id: within a second, the order in which the source committed (recentchange's `id`
 *    increases per wiki, whichever datacenter topic carried the event);
 * 3. the offset: breaks what is left (events without a commit id).
 *
 * Sub-second digits of the event time are dropped on purpose: EventBus has none, and within a
 * second the commit id is the truth. Throws on what {@link encodeSequenceNumber} refuses and on
 * times before 1970.
 */
export function eventSequenceNumber(order: EventOrder): string {
  const { eventTimeMs, receivedAtMs } = order;
  if (!Number.isFinite(eventTimeMs) || !Number.isFinite(receivedAtMs) || eventTimeMs < 0 || receivedAtMs < 0) {
    throw new Error(
      `event time ${eventTimeMs} and receipt time ${receivedAtMs} must be Unix milliseconds at or after 1970`,
    );
  }
  const second = Math.floor(Math.min(eventTimeMs, receivedAtMs) / 1000);
  return encodeSequenceNumber([second * 1000 + 999, order.commitId ?? 0, order.offset ?? 0]);
}
