import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { environmentConfig } from "../support";
import { StreamingAnalyticsStack } from "../../stacks/streaming-analytics-stack";
import { BuiltProvider, prepareForValidation, providerForTests } from "../../tools/validation/terraform";

// What the real google provider plans for the warehouse (offline: built provider from the
// filesystem mirror, placeholder token, -refresh=false). Checks what the synthesized JSON alone
// cannot: that the provider accepts and keeps the values (job_type BACKGROUND, empty job
// dispositions, max_staleness, the primary key) and which attributes stay unknown until apply.

let provider: BuiltProvider | undefined;
let unavailable: string | undefined;
const outdirs: string[] = [];

beforeAll(
  () => {
    ({ provider, unavailable } = providerForTests());
  },
  45 * 60 * 1000,
);

afterAll(() => {
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Plans one environment stack and returns `terraform show -json` of the plan. */
function plan(name: string): any {
  if (!provider) throw new Error(unavailable);
  const stack = new StreamingAnalyticsStack(Testing.app(), name, {
    environment: name,
    config: environmentConfig(name),
  });
  const outdir = Testing.fullSynth(stack);
  outdirs.push(outdir);
  prepareForValidation(outdir, provider.version);
  const cwd = path.join(outdir, "stacks", name);
  const env = { ...process.env, ...provider.env };
  const run = (args: string[]) =>
    execFileSync("terraform", args, {
      cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  run(["init", "-backend=false", "-input=false", "-no-color"]);
  run(["plan", "-refresh=false", "-input=false", "-no-color", "-out=plan.bin"]);
  return JSON.parse(run(["show", "-json", "plan.bin"]));
}

function planned(planJson: any, prefix: string): { after: any; unknown: any }[] {
  return planJson.resource_changes
    .filter((rc: any) => rc.address.startsWith(prefix))
    .map((rc: any) => ({ after: rc.change.after, unknown: rc.change.after_unknown }));
}

describe("the real provider's plan of the dev warehouse", () => {
  let planJson: any;
  beforeAll(() => {
    if (unavailable) {
      console.warn(`SKIPPED (loudly): ${unavailable}`);
      return;
    }
    planJson = plan("dev");
  }, 600_000);

  const skip = () => {
    if (unavailable) console.warn(`SKIPPED (loudly): ${unavailable}`);
    return unavailable !== undefined;
  };

  test("employees keeps its NOT ENFORCED primary key, clustering and max_staleness in the plan", () => {
    if (skip()) return;
    const [employees] = planned(planJson, "google_bigquery_table.warehouse_employees_table_");
    expect(employees.after.max_staleness).toBe("0-0 0 0:10:0");
    expect(employees.after.table_constraints).toEqual([{ foreign_keys: [], primary_key: [{ columns: ["id"] }] }]);
    expect(employees.after.clustering).toEqual(["id"]);
  });

  test("the ALTER TABLE job: DDL without dispositions, literal table name, id known only once the table exists", () => {
    if (skip()) return;
    const [job] = planned(planJson, "google_bigquery_job.warehouse_employees_max-staleness_");
    expect(job.after.query[0]).toMatchObject({
      query:
        "ALTER TABLE `fresh-streams-dev.dev_raw.employees` SET OPTIONS (max_staleness = INTERVAL '0-0 0 0:10:0' YEAR TO SECOND)",
      create_disposition: "",
      write_disposition: "",
      use_legacy_sql: false,
    });
    expect(job.after.location).toBe("US");
    expect(job.unknown.job_id).toBe(true); // embeds the table's creation_time
  });

  test("the BACKGROUND assignment of the project to the ENTERPRISE reservation, autoscaling from no baseline", () => {
    if (skip()) return;
    const [reservation] = planned(planJson, "google_bigquery_reservation.warehouse_");
    const [assignment] = planned(planJson, "google_bigquery_reservation_assignment.warehouse_");
    // dev pays for no idle slots: no baseline, autoscaling up to 100 (the provider plans it as written).
    expect(reservation.after).toMatchObject({
      edition: "ENTERPRISE",
      slot_capacity: 0,
      autoscale: [{ max_slots: 100 }],
      location: "US",
    });
    expect(assignment.after).toMatchObject({
      job_type: "BACKGROUND",
      assignee: "projects/fresh-streams-dev",
      location: "US",
    });
    expect(assignment.unknown.reservation).toBe(true); // the reservation's id, known after it is created
  });

  test("partitioning and clustering of the streaming tables survive the provider", () => {
    if (skip()) return;
    const tables = Object.fromEntries(
      planned(planJson, "google_bigquery_table.warehouse_").map((t) => [t.after.table_id, t.after]),
    );
    expect(tables.wiki_changes.time_partitioning).toEqual([expect.objectContaining({ type: "DAY", field: null })]);
    expect(tables.wiki_staged.time_partitioning).toEqual([
      expect.objectContaining({ type: "DAY", field: "event_time" }),
    ]);
    expect(tables.streaming_events.time_partitioning).toEqual([
      expect.objectContaining({ type: "DAY", field: "_inserted_at", expiration_ms: 31_536_000_000 }),
    ]);
    expect(tables.streaming_events.clustering).toEqual(["user_id", "event_type"]);
    expect(tables.streaming_events.require_partition_filter).toBe(false);
  });
});
