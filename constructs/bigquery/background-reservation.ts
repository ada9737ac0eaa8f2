import { Construct } from "constructs";
import { Token } from "cdktf";
import { BigqueryCapacityCommitment } from "@cdktf/provider-google/lib/bigquery-capacity-commitment";
import { BigqueryReservation } from "@cdktf/provider-google/lib/bigquery-reservation";
import { BigqueryReservationAssignment } from "@cdktf/provider-google/lib/bigquery-reservation-assignment";
import { ITable } from "../core/references";
import { fail, requireProps } from "../core/validation";
import { checkPhysicalNames } from "../core/physical-names";
import { renderSqlFile } from "./sql-template";
import { checkBackgroundReservationProps } from "./validate-background-reservation-props";
import type { BackgroundReservationProps, ReservationEdition } from "./background-reservation-props";

/**
 * A BigQuery reservation with an assignment of `job_type = "BACKGROUND"` (or
 * `BACKGROUND_CHANGE_DATA_CAPTURE`): the background
 * jobs that apply CDC changes (UPSERT/DELETE) to tables with `max_staleness` run on
 * dedicated slots instead of on-demand capacity.
 *
 * @example
 * const reservation = new BackgroundReservation(this, "cdc", {
 *   name: "cdc-background", location: "US", edition: "ENTERPRISE",
 *   baselineSlots: 50, autoscaleMaxSlots: 50, assigneeProjectId: "my-project",
 * });
 * reservation.addTable(employees);
 */
export class BackgroundReservation extends Construct {
  /** The reservation. */
  public readonly reservation: BigqueryReservation;
  /** The BACKGROUND assignment of the assignee project. */
  public readonly assignment: BigqueryReservationAssignment;
  /** The capacity commitment, when one was asked for. */
  public readonly commitment?: BigqueryCapacityCommitment;
  /** The location of the reservation. */
  public readonly location: string;
  /** The edition. */
  public readonly edition: ReservationEdition;
  /**
   * The reservation as `INFORMATION_SCHEMA.JOBS_TIMELINE` names it in `reservation_id`:
   * `ADMIN_PROJECT:LOCATION.NAME` (the admin project is the provider's when `adminProjectId` is not given).
   */
  public readonly jobsReservationId: string;
  private readonly assigneeProjectId: string;
  private readonly tables: ITable[] = [];

  constructor(scope: Construct, id: string, props: BackgroundReservationProps) {
    super(scope, id);
    requireProps(this.node.path, "BackgroundReservation", props, [
      "assigneeProjectId",
      "baselineSlots",
      "edition",
      "location",
      "name",
      "capacityCommitment.slotCount",
    ]);
    checkPhysicalNames(this);
    const { name, location, edition, baselineSlots, assigneeProjectId } = props;
    const { autoscaleMaxSlots, jobType, commitmentPlan } = checkBackgroundReservationProps(this.node.path, props);
    this.location = location;
    this.edition = edition;

    this.reservation = new BigqueryReservation(this, "reservation", {
      name,
      project: props.adminProjectId,
      location,
      edition,
      slotCapacity: baselineSlots,
      ignoreIdleSlots: props.ignoreIdleSlots ?? false,
      autoscale:
        Token.isUnresolved(autoscaleMaxSlots) || autoscaleMaxSlots > 0 ? { maxSlots: autoscaleMaxSlots } : undefined,
    });

    this.assigneeProjectId = assigneeProjectId;
    this.jobsReservationId = `${props.adminProjectId ?? this.reservation.project}:${location}.${name}`;

    const commitment = props.capacityCommitment;
    if (commitment !== undefined && commitmentPlan !== undefined) {
      this.commitment = new BigqueryCapacityCommitment(this, "commitment", {
        project: props.adminProjectId,
        location,
        edition,
        slotCount: commitment.slotCount,
        plan: commitmentPlan,
        renewalPlan: commitment.renewalPlan ?? commitmentPlan,
      });
    }

    this.assignment = new BigqueryReservationAssignment(this, "background", {
      project: props.adminProjectId,
      location,
      reservation: this.reservation.id,
      assignee: `projects/${assigneeProjectId}`,
      jobType,
    });

    for (const table of props.tables ?? []) this.addTable(table);
  }

  /** Declares that `table`'s background apply jobs run here; fails if its location differs. */
  public addTable(table: ITable): void {
    const a = this.location;
    const b = table.location;
    if (!Token.isUnresolved(a) && !Token.isUnresolved(b) && a.toLowerCase() !== b.toLowerCase()) {
      fail(
        this.node.path,
        `reservation location "${a}" differs from the location "${b}" of CDC table ${table.fqn}; a BACKGROUND reservation only serves tables in its own location`,
      );
    }
    this.tables.push(table);
  }

  /**
   * The sizing query of this reservation (`sql/cdc/reservation_sizing.sql`), rendered for it: the slots its jobs
   * used per hour over the last 7 days in the assignee project's `JOBS_TIMELINE_BY_PROJECT`, with the week's
   * median, 95th percentile and peak. Run it before choosing `baselineSlots` and `autoscaleMaxSlots`.
   */
  public sizingQuery(): string {
    return renderSqlFile("cdc/reservation_sizing.sql", {
      region: { project: this.assigneeProjectId, location: this.location },
      "reservation.id": `'${this.jobsReservationId.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`,
    });
  }

  /** The tables declared with {@link addTable}. */
  public get servedTables(): readonly ITable[] {
    return [...this.tables];
  }
}
