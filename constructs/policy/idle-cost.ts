import { PolicyAspect, PolicyFinding } from "./policy-aspect";
import { isKnown, PolicyResource } from "./resource-attributes";
import { rulesOf } from "./rules";

/**
 * Outside production, nothing is paid for while idle (FS-COST-1, a warning):
 * - `google_bigquery_reservation`: `slot_capacity` (the baseline, billed every hour) is 0, so the reservation
 *   autoscales from nothing and bills only the slots its jobs use;
 * - no `google_bigquery_capacity_commitment` (committed slots are billed for the whole term).
 *
 * A development environment that needs warm slots (a load test, say) suppresses it with the reason.
 * Add it only to non-production stacks (see `applyWarehousePolicies`).
 */
export class IdleCostAspect extends PolicyAspect {
  public readonly name = "idle-cost";
  public readonly rules = rulesOf("IdleCostAspect");

  protected check({ type, attributes }: PolicyResource): PolicyFinding[] {
    if (type === "google_bigquery_reservation") {
      const baseline = attributes.slot_capacity;
      if (!isKnown(baseline) || typeof baseline !== "number" || baseline <= 0) return [];
      return [
        {
          rule: "FS-COST-1",
          message: `slot_capacity is ${baseline} outside production: ${baseline} baseline slots are billed every hour, busy or idle; set the baseline to 0 and give autoscaling a maximum (reservation.baselineSlots 0, reservation.autoscaleMaxSlots)`,
        },
      ];
    }
    if (type === "google_bigquery_capacity_commitment") {
      return [
        {
          rule: "FS-COST-1",
          message: `a capacity commitment of ${String(attributes.slot_count)} slots outside production is billed for its whole term; remove reservation.capacityCommitment`,
        },
      ];
    }
    return [];
  }
}
