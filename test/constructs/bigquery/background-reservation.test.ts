import { TerraformVariable } from "cdktf";
import { BigqueryCapacityCommitment } from "@cdktf/provider-google/lib/bigquery-capacity-commitment";
import { BigqueryReservation } from "@cdktf/provider-google/lib/bigquery-reservation";
import { BigqueryReservationAssignment } from "@cdktf/provider-google/lib/bigquery-reservation-assignment";
import { BackgroundReservation } from "../../../constructs/bigquery/background-reservation";
import type { BackgroundReservationProps } from "../../../constructs/bigquery/background-reservation-props";
import { CdcTable } from "../../../constructs/bigquery/cdc-table";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { Duration } from "../../../constructs/core/duration";
import { TableSchema } from "../../../schemas/table-schema";
import { newDataset, newStack, synth, synthStack } from "../../support";

const KEYED = new TableSchema([{ name: "id", type: "INT64", mode: "REQUIRED" }], { name: "keyed" });

function reservation(props: Partial<BackgroundReservationProps> = {}) {
  const stack = newStack();
  const r = new BackgroundReservation(stack, "cdc", {
    name: "cdc-background",
    location: "US",
    edition: "ENTERPRISE",
    baselineSlots: 50,
    autoscaleMaxSlots: 100,
    assigneeProjectId: "data-project",
    ...props,
  });
  return { stack, reservation: r };
}

describe("BackgroundReservation", () => {
  test("a reservation with baseline and autoscale slots, assigned to a project for BACKGROUND jobs", () => {
    const { stack } = reservation();
    const out = synth(stack);
    expect(out).toHaveResourceWithProperties(BigqueryReservation, {
      name: "cdc-background",
      location: "US",
      edition: "ENTERPRISE",
      slot_capacity: 50,
      autoscale: { max_slots: 100 },
      ignore_idle_slots: false,
    });
    expect(out).toHaveResourceWithProperties(BigqueryReservationAssignment, {
      assignee: "projects/data-project",
      job_type: "BACKGROUND",
      location: "US",
      reservation: expect.stringMatching(/^\$\{google_bigquery_reservation\.cdc_reservation_[0-9A-F]+\.id\}$/),
    });
    expect(JSON.parse(out).resource.google_bigquery_capacity_commitment).toBeUndefined();
  });

  test("administered from another project", () => {
    const { stack } = reservation({ adminProjectId: "admin-project", edition: "ENTERPRISE_PLUS" });
    const out = synth(stack);
    expect(out).toHaveResourceWithProperties(BigqueryReservation, {
      project: "admin-project",
      edition: "ENTERPRISE_PLUS",
    });
    expect(out).toHaveResourceWithProperties(BigqueryReservationAssignment, {
      project: "admin-project",
      assignee: "projects/data-project",
    });
  });

  test("jobType BACKGROUND_CHANGE_DATA_CAPTURE limits the assignment to CDC apply jobs", () => {
    expect(synth(reservation({ jobType: "BACKGROUND_CHANGE_DATA_CAPTURE" }).stack)).toHaveResourceWithProperties(
      BigqueryReservationAssignment,
      {
        job_type: "BACKGROUND_CHANGE_DATA_CAPTURE",
      },
    );
  });

  test("baseline only: no autoscale block", () => {
    const resource = Object.values(
      synthStack(reservation({ autoscaleMaxSlots: 0 }).stack).resource.google_bigquery_reservation,
    )[0] as any;
    expect(resource.autoscale).toBeUndefined();
  });

  test("an optional capacity commitment in the same location and edition", () => {
    const { stack } = reservation({
      capacityCommitment: { slotCount: 100, plan: "THREE_YEAR" },
      adminProjectId: "admin-project",
    });
    expect(synth(stack)).toHaveResourceWithProperties(BigqueryCapacityCommitment, {
      project: "admin-project",
      location: "US",
      edition: "ENTERPRISE",
      slot_count: 100,
      plan: "THREE_YEAR",
      renewal_plan: "THREE_YEAR",
    });
  });

  test("accepts CDC tables in its location (case-insensitive)", () => {
    const { stack, reservation: r } = reservation({ location: "us" });
    const dataset = newDataset(stack, { location: "US" });
    const table = new CdcTable(stack, "t", {
      dataset,
      tableId: "t",
      schema: KEYED,
      primaryKey: ["id"],
      maxStaleness: Duration.minutes(10),
    });
    r.addTable(table);
    expect(r.servedTables).toEqual([table]);
  });

  test("serves any ITable: an imported CDC table in its location is accepted, one elsewhere refused", () => {
    const { stack, reservation: r } = reservation();
    const us = LayeredDataset.fromDatasetAttributes(stack, "us", {
      project: "p-123456",
      datasetId: "cdc",
      location: "US",
    });
    const eu = LayeredDataset.fromDatasetAttributes(stack, "eu", {
      project: "p-123456",
      datasetId: "cdc",
      location: "EU",
    });
    const here = TableReference.fromTableAttributes(stack, "here", { dataset: us, tableId: "orders" });
    r.addTable(here);
    expect(r.servedTables).toEqual([here]);
    expect(() =>
      r.addTable(TableReference.fromTableAttributes(stack, "there", { dataset: eu, tableId: "orders" })),
    ).toThrow('test/cdc: reservation location "US" differs from the location "EU" of CDC table p-123456.cdc.orders');
  });

  test("slot counts may be Terraform variables: synthesized as references, never as numbers", () => {
    const stack = newStack();
    const max = new TerraformVariable(stack, "max_slots", { type: "number" });
    new BackgroundReservation(stack, "cdc", {
      name: "cdc-background",
      location: "US",
      edition: "ENTERPRISE",
      baselineSlots: 50,
      autoscaleMaxSlots: max.numberValue,
      assigneeProjectId: "data-project",
    });
    const resource = Object.values(synthStack(stack).resource.google_bigquery_reservation)[0] as any;
    expect(resource.autoscale).toEqual({ max_slots: "${var.max_slots}" });
  });

  describe("validation", () => {
    test("STANDARD edition is rejected", () => {
      expect(() => reservation({ edition: "STANDARD" })).toThrow(
        "test/cdc: edition is STANDARD; STANDARD edition reservations cannot run BACKGROUND assignments (CDC apply jobs). Use ENTERPRISE or ENTERPRISE_PLUS",
      );
    });
    test("an unknown edition", () => {
      expect(() => reservation({ edition: "FLEX" as never })).toThrow(
        'test/cdc: edition "FLEX" is unknown; expected ENTERPRISE or ENTERPRISE_PLUS',
      );
    });
    test("a job type that does not run CDC apply jobs", () => {
      expect(() => reservation({ jobType: "QUERY" as never })).toThrow(
        'test/cdc: jobType "QUERY" does not run CDC apply jobs; expected BACKGROUND or BACKGROUND_CHANGE_DATA_CAPTURE',
      );
    });
    test("a CDC table in another location", () => {
      const stack = newStack();
      const dataset = newDataset(stack, { location: "EU" });
      const table = new CdcTable(stack, "t", {
        dataset,
        tableId: "t",
        schema: KEYED,
        primaryKey: ["id"],
        maxStaleness: Duration.minutes(10),
      });
      expect(
        () =>
          new BackgroundReservation(stack, "cdc", {
            name: "cdc",
            location: "US",
            edition: "ENTERPRISE",
            baselineSlots: 50,
            assigneeProjectId: "data-project",
            tables: [table],
          }),
      ).toThrow(
        'test/cdc: reservation location "US" differs from the location "EU" of CDC table test-project.raw.t; a BACKGROUND reservation only serves tables in its own location',
      );
    });
    test("slots that are not multiples of 50", () => {
      expect(() => reservation({ baselineSlots: 30 })).toThrow(
        "test/cdc: baselineSlots is 30; it must be a multiple of 50 slots",
      );
      expect(() => reservation({ autoscaleMaxSlots: -50 })).toThrow(
        "test/cdc: autoscaleMaxSlots is -50; it must be a multiple of 50 slots",
      );
    });
    test("no slots at all", () => {
      expect(() => reservation({ baselineSlots: 0, autoscaleMaxSlots: 0 })).toThrow(
        "test/cdc: baselineSlots and autoscaleMaxSlots are both 0; the reservation would have no slots for BACKGROUND jobs",
      );
    });
    test("an invalid reservation name", () => {
      expect(() => reservation({ name: "CDC_background" })).toThrow(
        'test/cdc: reservation name "CDC_background" is invalid',
      );
    });
    test("an invalid project id", () => {
      expect(() => reservation({ assigneeProjectId: "Bad Project" })).toThrow(
        'test/cdc: assigneeProjectId "Bad Project" is not a valid project id',
      );
      expect(() => reservation({ adminProjectId: "x" })).toThrow(
        'test/cdc: adminProjectId "x" is not a valid project id',
      );
    });
    test("a commitment with a bad slot count or plan", () => {
      expect(() => reservation({ capacityCommitment: { slotCount: 0 } })).toThrow(
        "test/cdc: capacityCommitment.slotCount is 0; it must be a positive multiple of 50 slots",
      );
      expect(() => reservation({ capacityCommitment: { slotCount: 100, plan: "FLEX" as never } })).toThrow(
        'test/cdc: capacityCommitment.plan "FLEX" is not available to ENTERPRISE; expected ANNUAL or THREE_YEAR',
      );
    });
  });
});
