import { EnvironmentConfig } from "../../config/schema";
import { Warehouse } from "../../stacks/warehouse";
import { ReportingTable } from "../../constructs/bigquery/reporting-table";
import { environmentConfig, ENVIRONMENTS, newStack, synthEnvironment, synthStack } from "../support";

function build(name: string) {
  const { config, stack, json: out } = synthEnvironment(name);
  return { config, stack, out };
}

/** The resources of one type that the Warehouse construct created (logical ids start with its id). */
function ofWarehouse(out: any, type: string): any[] {
  return Object.entries(out.resource[type] ?? {})
    .filter(([logicalId]) => logicalId.startsWith("warehouse_"))
    .map(([, resource]) => resource);
}

/** The warehouse's BigQuery resources of a synthesized stack. */
function bigquery(out: any) {
  return {
    datasets: Object.fromEntries(ofWarehouse(out, "google_bigquery_dataset").map((r) => [r.dataset_id, r])),
    tables: Object.fromEntries(ofWarehouse(out, "google_bigquery_table").map((r) => [r.table_id, r])),
    jobs: ofWarehouse(out, "google_bigquery_job"),
    reservations: ofWarehouse(out, "google_bigquery_reservation"),
    assignments: ofWarehouse(out, "google_bigquery_reservation_assignment"),
  };
}

describe.each(ENVIRONMENTS)("warehouse of the %s stack", (name) => {
  const { config, stack, out } = build(name);
  const bq = bigquery(out);
  const p = config.datasetPrefix;

  test("the stack exposes the warehouse and its tables with fully qualified names", () => {
    const w = stack.warehouse;
    expect(w).toBeInstanceOf(Warehouse);
    expect(w.wikiChanges.fqn).toBe(`${config.projectId}.${p}raw.wiki_changes`);
    expect(w.wikiStaged.fqn).toBe(`${config.projectId}.${p}staging.wiki_staged`);
    if (w.leaderboard) expect(w.leaderboard.fqn).toBe(`${config.projectId}.${p}reporting.leaderboard`);
    expect(w.streamingEvents.fqn).toBe(`${config.projectId}.${p}raw.streaming_events`);
    expect(w.employees.fqn).toBe(`${config.projectId}.${p}raw.employees`);
  });

  test("raw, staging and reporting datasets in the environment's location, labelled by layer", () => {
    expect(Object.keys(bq.datasets).sort()).toEqual([`${p}raw`, `${p}reporting`, `${p}staging`]);
    for (const layer of ["raw", "staging", "reporting"]) {
      const dataset = bq.datasets[`${p}${layer}`];
      expect(dataset.location).toBe(config.location);
      expect(dataset.project).toBe(config.projectId);
      expect(dataset.labels).toMatchObject({ layer, env: name, app: "fresh-streams" });
      expect(dataset.delete_contents_on_destroy).toBe(false);
      if (config.kmsKeyName)
        expect(dataset.default_encryption_configuration).toEqual({ kms_key_name: config.kmsKeyName });
      else expect(dataset.default_encryption_configuration).toBeUndefined();
    }
  });

  test("wiki_changes: ingestion-time DAY partitions, clustered by user, the worker's columns", () => {
    const t = bq.tables.wiki_changes;
    expect(t.time_partitioning).toEqual({ type: "DAY" });
    expect(t.clustering).toEqual(["user"]);
    expect(t.require_partition_filter).toBe(false);
    expect(JSON.parse(t.schema).map((f: any) => f.name)).toEqual(
      expect.arrayContaining([
        "event_id",
        "id",
        "type",
        "wiki",
        "user",
        "title",
        "bot",
        "namespace",
        "timestamp",
        "event_time",
      ]),
    );
  });

  test("wiki_staged: partitioned by DATE(event_time), clustered by user", () => {
    const t = bq.tables.wiki_staged;
    expect(t.time_partitioning).toEqual({ type: "DAY", field: "event_time" });
    expect(t.clustering).toEqual(["user"]);
  });

  test("leaderboard: a plain reporting table unless the ELT layer provides a materialized view", () => {
    const t = bq.tables.leaderboard;
    if (stack.warehouse.leaderboard === undefined) {
      expect(t).toBeUndefined();
      return;
    }
    expect(t.time_partitioning).toBeUndefined();
    expect(JSON.parse(t.schema).map((f: any) => f.name)).toEqual(["user", "changes_count"]);
  });

  test("streaming_events: partitioned by DATE(_inserted_at) (default CURRENT_TIMESTAMP()), clustered by user_id, event_type, 365-day partitions", () => {
    const t = bq.tables.streaming_events;
    expect(t.time_partitioning).toEqual({ type: "DAY", field: "_inserted_at", expiration_ms: 365 * 86_400_000 });
    expect(t.clustering).toEqual(["user_id", "event_type"]);
    expect(JSON.parse(t.schema).find((f: any) => f.name === "_inserted_at").defaultValueExpression).toBe(
      "CURRENT_TIMESTAMP()",
    );
  });

  test("employees: CDC table keyed by id with a 10-minute max staleness, enforced by an ALTER TABLE job", () => {
    const t = bq.tables.employees;
    expect(t.table_constraints).toEqual({ primary_key: { columns: ["id"] } });
    expect(t.max_staleness).toBe("0-0 0 0:10:0");
    expect(t.clustering).toEqual(["id"]);
    const jobs = bq.jobs.filter((job: any) => job.job_id.includes("_employees_"));
    expect(jobs).toHaveLength(1);
    expect(jobs[0].query.query).toContain("SET OPTIONS (max_staleness = INTERVAL '0-0 0 0:10:0' YEAR TO SECOND)");
    expect(jobs[0].location).toBe(config.location);
  });

  test("deletion protection on every table comes from the environment", () => {
    for (const t of Object.values(bq.tables)) expect((t as any).deletion_protection).toBe(config.deletionProtection);
  });

  test("a BACKGROUND reservation exactly when the environment configures one", () => {
    const reservation = config.reservation;
    if (reservation === undefined) {
      expect(bq.reservations).toHaveLength(0);
      expect(bq.assignments).toHaveLength(0);
      return;
    }
    expect(bq.reservations).toHaveLength(1);
    expect(bq.reservations[0]).toMatchObject({
      edition: reservation.edition,
      slot_capacity: reservation.baselineSlots,
      location: config.location,
      project: reservation.adminProjectId ?? config.projectId,
    });
    expect(bq.assignments).toEqual([
      expect.objectContaining({
        job_type: "BACKGROUND",
        assignee: `projects/${config.projectId}`,
        location: config.location,
      }),
    ]);
  });
});

describe("Warehouse options", () => {
  const base = environmentConfig("dev");

  test("by default the leaderboard is a plain, unpartitioned reporting table", () => {
    const stack = newStack();
    const w = new Warehouse(stack, "w", { config: base });
    expect(w.leaderboard?.fqn).toBe("fresh-streams-dev.dev_reporting.leaderboard");
    const [table] = Object.values(synthStack(stack).resource.google_bigquery_table).filter(
      (t: any) => t.table_id === "leaderboard",
    ) as any[];
    expect(table.time_partitioning).toBeUndefined();
    expect(table.deletion_protection).toBe(base.deletionProtection);
    expect(JSON.parse(table.schema).map((f: any) => f.name)).toEqual(["user", "changes_count"]);
  });

  test("with a scheduled leaderboard refresh the stack has the plain leaderboard table and no policy errors on the warehouse", () => {
    const { stack, json: out } = synthEnvironment("dev", (c) => ({
      ...c,
      elt: { ...c.elt, leaderboard: "scheduled-refresh" },
    }));
    expect(stack.warehouse.leaderboard).toBeInstanceOf(ReportingTable);
    expect(ofWarehouse(out, "google_bigquery_table").map((t) => t.table_id)).toContain("leaderboard");
    const errors = stack.warehouse.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/error").map((m) => `${c.node.path}: ${m.data}`));
    expect(errors).toEqual([]);
  });

  test("leaderboardTable: false leaves the leaderboard to the ELT layer", () => {
    const stack = newStack();
    const w = new Warehouse(stack, "w", { config: base, leaderboardTable: false });
    expect(w.leaderboard).toBeUndefined();
    const tables = Object.values(synthStack(stack).resource.google_bigquery_table).map((t: any) => t.table_id);
    expect(tables).not.toContain("leaderboard");
  });

  test("a STANDARD-edition reservation in the environment fails synthesis with the rule", () => {
    const config: EnvironmentConfig = { ...base, reservation: { ...base.reservation!, edition: "STANDARD" } };
    expect(() => new Warehouse(newStack(), "w", { config })).toThrow(
      "test/w/background-reservation: edition is STANDARD; STANDARD edition reservations cannot run BACKGROUND assignments",
    );
  });

  test("a capacity commitment from the environment", () => {
    const config: EnvironmentConfig = {
      ...base,
      reservation: {
        ...base.reservation!,
        adminProjectId: "fresh-streams-admin",
        capacityCommitment: { slotCount: 100, plan: "ANNUAL" },
      },
    };
    const stack = newStack();
    new Warehouse(stack, "w", { config });
    const out = synthStack(stack).resource;
    expect(Object.values(out.google_bigquery_capacity_commitment)).toEqual([
      expect.objectContaining({
        project: "fresh-streams-admin",
        slot_count: 100,
        plan: "ANNUAL",
        edition: "ENTERPRISE",
        location: "US",
      }),
    ]);
    expect(Object.values(out.google_bigquery_reservation_assignment)).toEqual([
      expect.objectContaining({ project: "fresh-streams-admin", assignee: "projects/fresh-streams-dev" }),
    ]);
  });
});
