import { AnnotationMetadataEntryType, TerraformStack, Testing } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { BackgroundReservation } from "../../../constructs/bigquery/background-reservation";
import { applyWarehousePolicies, PolicySuppressions } from "../../../constructs/policy";
import { synthAnnotations, synthEnvironment } from "../../support";

const LABELS = { env: "dev", app: "fresh-streams" };

/** A stack with the warehouse policies of a production or non-production environment, and one reservation. */
function reservationStack(production: boolean, baselineSlots: number, commitment = false) {
  const stack = new TerraformStack(Testing.app(), "test");
  new GoogleProvider(stack, "google", { project: "fresh-streams-test" }).addOverride("default_labels", LABELS);
  applyWarehousePolicies(stack, { labels: LABELS, production });
  const reservation = new BackgroundReservation(stack, "cdc", {
    name: "cdc-background",
    location: "US",
    edition: "ENTERPRISE",
    baselineSlots,
    autoscaleMaxSlots: 100,
    assigneeProjectId: "fresh-streams-test",
    capacityCommitment: commitment ? { slotCount: 50 } : undefined,
  });
  return { stack, reservation };
}

const warnings = (stack: TerraformStack) => synthAnnotations(stack, AnnotationMetadataEntryType.WARN);
const errors = (stack: TerraformStack) => synthAnnotations(stack, AnnotationMetadataEntryType.ERROR);

describe("FS-COST-1: no idle slots outside production", () => {
  test("a non-production reservation with baseline slots is a warning naming the value; synthesis goes on", () => {
    const { stack } = reservationStack(false, 50);
    expect(warnings(stack)).toEqual([
      expect.stringMatching(
        /^\[FS-COST-1 idle-cost\] google_bigquery_reservation test\/cdc\/reservation: slot_capacity is 50 outside production: .*set the baseline to 0/,
      ),
    ]);
    expect(errors(stack)).toEqual([]);
  });

  test("autoscaling only (baseline 0) passes", () => {
    expect(warnings(reservationStack(false, 0).stack)).toEqual([]);
  });

  test("a capacity commitment outside production is a warning too", () => {
    const { stack } = reservationStack(false, 0, true);
    expect(warnings(stack)).toEqual([
      expect.stringContaining("[FS-COST-1 idle-cost] google_bigquery_capacity_commitment test/cdc/commitment"),
    ]);
  });

  test("production is not checked: its baseline is justified in its config", () => {
    expect(warnings(reservationStack(true, 100).stack)).toEqual([]);
  });

  test("a suppression with a reason silences it", () => {
    const { stack, reservation } = reservationStack(false, 50);
    PolicySuppressions.of(reservation).add({ id: "FS-COST-1", reason: "load tests need warm slots this week" });
    expect(warnings(stack)).toEqual([]);
  });

  test.each(["local", "dev", "direct"])("the shipped %s environment pays for no idle slots", (name) => {
    const { stack } = synthEnvironment(name);
    expect(warnings(stack).filter((w) => w.includes("FS-COST-1"))).toEqual([]);
  });
});
