/**
 * The rules of a {@link BackgroundReservation}'s props: each broken rule fails synthesis with a message naming the
 * construct, the value and the rule. Private to the library.
 */
import { Token } from "cdktf";
import { PROJECT_ID } from "../../schemas/naming";
import { fail, refuseToken } from "../core/validation";
import type { BackgroundJobType, BackgroundReservationProps, CommitmentPlan } from "./background-reservation-props";

/** Reservation names: lowercase letters, digits and dashes, starting with a letter, at most 64 characters. */
const NAME_PATTERN = /^[a-z]([a-z0-9-]{0,62}[a-z0-9])?$/;
/** Editions reservations and commitments are sized in steps of 50 slots. */
const SLOT_INCREMENT = 50;

/** A background reservation's settings: checked, defaults filled in. */
export interface BackgroundReservationSettings {
  readonly autoscaleMaxSlots: number;
  readonly jobType: BackgroundJobType;
  /** The commitment's plan, when a commitment was asked for. */
  readonly commitmentPlan?: CommitmentPlan;
}

/** Checks `props` in the order a reader meets them; the first broken rule fails synthesis. */
export function checkBackgroundReservationProps(
  path: string,
  props: BackgroundReservationProps,
): BackgroundReservationSettings {
  const { name, edition, baselineSlots } = props;
  const autoscaleMaxSlots = props.autoscaleMaxSlots ?? 0;

  refuseToken(path, "edition", edition, "it decides whether BACKGROUND jobs can run here, checked at synthesis");
  if (edition === "STANDARD") {
    fail(
      path,
      `edition is STANDARD; STANDARD edition reservations cannot run BACKGROUND assignments (CDC apply jobs). Use ENTERPRISE or ENTERPRISE_PLUS`,
    );
  }
  if (edition !== "ENTERPRISE" && edition !== "ENTERPRISE_PLUS") {
    fail(path, `edition "${edition}" is unknown; expected ENTERPRISE or ENTERPRISE_PLUS`);
  }
  if (!Token.isUnresolved(name) && !NAME_PATTERN.test(name)) {
    fail(
      path,
      `reservation name "${name}" is invalid; use lowercase letters, digits and dashes, starting with a letter (max 64)`,
    );
  }
  checkSlots(path, "baselineSlots", baselineSlots, true);
  checkSlots(path, "autoscaleMaxSlots", autoscaleMaxSlots, true);
  if (
    !Token.isUnresolved(baselineSlots) &&
    !Token.isUnresolved(autoscaleMaxSlots) &&
    baselineSlots + autoscaleMaxSlots === 0
  ) {
    fail(
      path,
      "baselineSlots and autoscaleMaxSlots are both 0; the reservation would have no slots for BACKGROUND jobs",
    );
  }
  for (const [key, value] of [
    ["assigneeProjectId", props.assigneeProjectId],
    ["adminProjectId", props.adminProjectId],
  ] as const) {
    if (value !== undefined && !Token.isUnresolved(value) && !PROJECT_ID.test(value)) {
      fail(path, `${key} "${value}" is not a valid project id`);
    }
  }
  const jobType = props.jobType ?? "BACKGROUND";
  refuseToken(path, "jobType", jobType, "only BACKGROUND and BACKGROUND_CHANGE_DATA_CAPTURE run CDC apply jobs");
  if (jobType !== "BACKGROUND" && jobType !== "BACKGROUND_CHANGE_DATA_CAPTURE") {
    fail(
      path,
      `jobType "${jobType}" does not run CDC apply jobs; expected BACKGROUND or BACKGROUND_CHANGE_DATA_CAPTURE`,
    );
  }
  return { autoscaleMaxSlots, jobType, commitmentPlan: checkCommitment(path, props) };
}

function checkCommitment(path: string, props: BackgroundReservationProps): CommitmentPlan | undefined {
  const commitment = props.capacityCommitment;
  if (commitment === undefined) return undefined;
  checkSlots(path, "capacityCommitment.slotCount", commitment.slotCount, false);
  const plan = commitment.plan ?? "ANNUAL";
  refuseToken(path, "capacityCommitment.plan", plan, "the plans an edition offers are checked at synthesis");
  if (plan !== "ANNUAL" && plan !== "THREE_YEAR") {
    fail(path, `capacityCommitment.plan "${plan}" is not available to ${props.edition}; expected ANNUAL or THREE_YEAR`);
  }
  return plan;
}

function checkSlots(path: string, key: string, value: number, zeroAllowed: boolean): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < 0 || (!zeroAllowed && value === 0) || value % SLOT_INCREMENT !== 0) {
    fail(path, `${key} is ${value}; it must be a ${zeroAllowed ? "" : "positive "}multiple of ${SLOT_INCREMENT} slots`);
  }
}
