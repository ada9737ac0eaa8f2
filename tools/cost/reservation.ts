/**
 * BigQuery reservations: baseline slots are paid every hour of the month; autoscale slots only while
 * used, priced here at an assumed share of the maximum. A capacity commitment pays its slots at the
 * discounted rate and covers that many baseline slots.
 */
import type { PricedLines } from "./ingestion";
import { priced, type Assumptions, type CostLine } from "./line";
import { COMMITMENT_DISCOUNT, type PriceKey } from "./prices";
import { numberOr, resourcesOf, type SynthesizedStack } from "./stack";

const EDITION_PRICE: Record<string, PriceKey> = {
  STANDARD: "bigqueryStandardSlot",
  ENTERPRISE: "bigqueryEnterpriseSlot",
  ENTERPRISE_PLUS: "bigqueryEnterprisePlusSlot",
};

function editionPrice(edition: unknown, where: string): PriceKey {
  const key = EDITION_PRICE[String(edition ?? "ENTERPRISE")];
  if (!key)
    throw new Error(
      `${where}: edition ${JSON.stringify(edition)} has no slot price (STANDARD, ENTERPRISE, ENTERPRISE_PLUS)`,
    );
  return key;
}

/** Committed slots per edition, priced at the commitment's rate. */
function commitmentLines(
  stack: SynthesizedStack,
  a: Assumptions,
): { lines: CostLine[]; committed: Map<string, number> } {
  const committed = new Map<string, number>();
  const lines = resourcesOf(stack, "google_bigquery_capacity_commitment").map(({ address, body }) => {
    const edition = String(body.edition ?? "ENTERPRISE");
    const slots = numberOr(body.slot_count, 0);
    committed.set(edition, (committed.get(edition) ?? 0) + slots);
    const plan = String(body.plan ?? "ANNUAL") === "THREE_YEAR" ? "THREE_YEAR" : "ANNUAL";
    const line = priced(
      address,
      editionPrice(edition, address),
      slots * a.hoursPerMonth,
      `${slots} committed slots (${plan})`,
    );
    const price = line.price * (1 - COMMITMENT_DISCOUNT[plan]);
    return { ...line, price, monthly: line.quantity * price, source: COMMITMENT_DISCOUNT.source };
  });
  return { lines, committed };
}

/** Each reservation's baseline (always on) and autoscale (assumed utilisation) slot-hours. */
export function reservationLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const { lines, committed } = commitmentLines(stack, a);
  for (const { address, body } of resourcesOf(stack, "google_bigquery_reservation")) {
    const edition = String(body.edition ?? "ENTERPRISE");
    const key = editionPrice(edition, address);
    const baseline = numberOr(body.slot_capacity, 0);
    const covered = Math.min(baseline, committed.get(edition) ?? 0);
    committed.set(edition, (committed.get(edition) ?? 0) - covered);
    const maxSlots = numberOr(body.autoscale?.max_slots, 0);
    lines.push(
      priced(
        address,
        key,
        (baseline - covered) * a.hoursPerMonth,
        `${baseline - covered} baseline slots, paid every hour`,
      ),
      priced(
        address,
        key,
        maxSlots * a.autoscaleUtilisation * a.hoursPerMonth,
        `autoscale: ${maxSlots} slots at most × ${a.autoscaleUtilisation} assumed utilisation`,
      ),
    );
  }
  return { lines, free: [] };
}
