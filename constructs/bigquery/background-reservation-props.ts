/**
 * The props of {@link BackgroundReservation} and the types they use, in a module of their own so that its rules
 * (validate-background-reservation-props.ts) can name them without an import circle.
 */
import { ITable } from "../core/references";

/** BigQuery editions. Only ENTERPRISE and ENTERPRISE_PLUS can run BACKGROUND assignments. */
export type ReservationEdition = "STANDARD" | "ENTERPRISE" | "ENTERPRISE_PLUS";

/** Assignment types that run CDC background apply jobs. */
export type BackgroundJobType = "BACKGROUND" | "BACKGROUND_CHANGE_DATA_CAPTURE";

/** Commitment plans available to ENTERPRISE and ENTERPRISE_PLUS capacity commitments. */
export type CommitmentPlan = "ANNUAL" | "THREE_YEAR";

/** An optional capacity commitment bought with the reservation. */
export interface CapacityCommitmentOptions {
  /** Committed slots: a positive multiple of 50. */
  readonly slotCount: number;
  /**
   * Commitment plan.
   * @default "ANNUAL"
   */
  readonly plan?: CommitmentPlan;
  /**
   * Plan the commitment renews into when it ends.
   * @default - the same plan as `plan`
   */
  readonly renewalPlan?: CommitmentPlan | "NONE";
}

/** Props of {@link BackgroundReservation}. */
export interface BackgroundReservationProps {
  /** Reservation name: lowercase letters, digits and dashes, starting with a letter, at most 64 characters. */
  readonly name: string;
  /** BigQuery location; must equal the location of the CDC tables it serves. */
  readonly location: string;
  /** Edition: ENTERPRISE or ENTERPRISE_PLUS (STANDARD cannot run BACKGROUND jobs and is rejected). */
  readonly edition: ReservationEdition;
  /** Baseline slots, always allocated: a multiple of 50 (0 for autoscale only). */
  readonly baselineSlots: number;
  /**
   * Extra slots autoscaling may add on top of the baseline: a multiple of 50.
   * @default 0
   */
  readonly autoscaleMaxSlots?: number;
  /** Project whose BACKGROUND jobs (CDC apply) run on this reservation; assigned as `projects/<id>`. */
  readonly assigneeProjectId: string;
  /**
   * Administration project that owns the reservation, assignment and commitment.
   * @default - the provider's project
   */
  readonly adminProjectId?: string;
  /**
   * Assignment type: `BACKGROUND` (all background jobs of the project) or
   * `BACKGROUND_CHANGE_DATA_CAPTURE` (only CDC apply jobs).
   * @default "BACKGROUND"
   */
  readonly jobType?: BackgroundJobType;
  /**
   * Whether queries may NOT borrow idle slots from other reservations of the admin project.
   * @default false
   */
  readonly ignoreIdleSlots?: boolean;
  /**
   * Capacity commitment to buy in the same location and edition.
   * @default - none (pay-as-you-go autoscaling)
   */
  readonly capacityCommitment?: CapacityCommitmentOptions;
  /**
   * CDC tables served by this reservation; their location must equal the reservation's.
   * More can be added with {@link BackgroundReservation.addTable}.
   * @default []
   */
  readonly tables?: ITable[];
}
