import { AllowEntryError, checkPlanSafety, PlanFormatError, STATEFUL_RESOURCES } from "../../constructs";
import { planOf, removal, replacement, schemaJson } from "./plans";

// The guard over plans shaped as `terraform show -json` writes them: each kind of refusal, then the same change
// made safe (a move, a migration, or an allow entry).

const RAW = "google_bigquery_table.raw_wiki_changes_1A2B3C4D";
const TABLE = {
  project: "p",
  dataset_id: "raw",
  table_id: "wiki_changes",
  view: [],
  materialized_view: [],
  schema: schemaJson([
    { name: "event_id", type: "STRING", mode: "REQUIRED" },
    { name: "title", type: "STRING" },
    { name: "bytes", type: "INTEGER" },
    {
      name: "meta",
      type: "RECORD",
      fields: [
        { name: "domain", type: "STRING" },
        { name: "dt", type: "STRING" },
      ],
    },
  ]),
  time_partitioning: [{ type: "DAY", field: "event_time" }],
};

/** What a refusal must say: the address, what is lost and the way out. */
function expectRefusal(plan: unknown, address: string) {
  const report = checkPlanSafety(plan);
  expect(report.safe).toBe(false);
  const refused = report.refused.find((c) => c.address === address);
  expect(refused).toBeDefined();
  expect(refused!.verdict).toBe("refused");
  expect(refused!.loses).toEqual(expect.any(String));
  expect(refused!.wayOut).toContain(`"address": "${address}"`);
  return refused!;
}

describe("a delete or replacement of what holds data is refused", () => {
  const identities: Record<string, Record<string, unknown>> = {
    google_bigquery_dataset: { project: "p", dataset_id: "raw" },
    google_bigquery_table: TABLE,
    google_pubsub_topic: { project: "p", name: "wiki-changes" },
    google_pubsub_subscription: { project: "p", name: "wiki-changes-to-bq" },
    google_pubsub_schema: { project: "p", name: "wiki-change" },
    google_storage_bucket: { name: "checkpoints" },
    google_kms_key_ring: { project: "p", location: "us", name: "ring" },
    google_kms_crypto_key: { key_ring: "projects/p/locations/us/keyRings/ring", name: "key" },
    google_secret_manager_secret: { project: "p", secret_id: "token" },
    google_bigquery_reservation: { project: "p", location: "US", name: "background" },
    google_bigquery_capacity_commitment: { project: "p", location: "US", capacity_commitment_id: "c1" },
    google_dataflow_job: {
      name: "wiki-changes",
      region: "us-central1",
      on_delete: "cancel",
      type: "JOB_TYPE_STREAMING",
    },
    google_dataflow_flex_template_job: { name: "wiki-changes", region: "us-central1", type: "JOB_TYPE_STREAMING" },
  };

  test("every kind in the table has a case here", () => {
    expect(STATEFUL_RESOURCES.map((r) => r.type).sort()).toEqual(Object.keys(identities).sort());
  });

  test.each(Object.entries(identities))("%s: replaced (delete then create) and deleted", (type, before) => {
    const address = `${type}.x`;
    const replaced = expectRefusal(planOf(replacement(address, before, before, [["name"]])), address);
    expect(replaced).toMatchObject({ action: "replace", forcedBy: ["name"], resourceType: type });
    const deleted = expectRefusal(planOf(removal(address, before)), address);
    expect(deleted.action).toBe("delete");
    expect(deleted.wayOut).toMatch(/moved block|moveTo/);
  });

  test("create-before-destroy replacements are refused the same", () => {
    const plan = planOf({ ...replacement(RAW, TABLE, TABLE, [["time_partitioning"]]), actions: ["create", "delete"] });
    expect(expectRefusal(plan, RAW).action).toBe("replace");
  });

  test("a table's new partitioning column: refused, naming the attribute, the rows lost and the migration", () => {
    const after = { ...TABLE, time_partitioning: [{ type: "DAY", field: "ingest_time" }] };
    const refused = expectRefusal(planOf(replacement(RAW, TABLE, after, [["time_partitioning", 0, "field"]])), RAW);
    expect(refused.forcedBy).toEqual(["time_partitioning[0].field"]);
    expect(refused.loses).toMatch(/every row of the table/);
    expect(refused.wayOut).toMatch(/keep time_partitioning\[0\]\.field as deployed.*migrate/);
  });

  test("a subscription's new filter: refused, the backlog named", () => {
    const sub = { project: "p", name: "cdc", filter: "" };
    const plan = planOf(
      replacement("google_pubsub_subscription.cdc", sub, { ...sub, filter: 'attributes.k = "v"' }, [["filter"]]),
    );
    expect(expectRefusal(plan, "google_pubsub_subscription.cdc").loses).toMatch(/backlog of unacknowledged messages/);
  });

  test("a tainted resource names the untaint way out", () => {
    const plan = planOf({
      ...replacement("google_pubsub_topic.t", { name: "t" }, { name: "t" }, []),
      actionReason: "replace_because_tainted",
    });
    expect(expectRefusal(plan, "google_pubsub_topic.t").wayOut).toContain("terraform untaint google_pubsub_topic.t");
  });

  test("a dataset deleted with its contents says so", () => {
    const plan = planOf(
      removal("google_bigquery_dataset.raw", { dataset_id: "raw", delete_contents_on_destroy: true }),
    );
    expect(expectRefusal(plan, "google_bigquery_dataset.raw").loses).toMatch(/every table, view and routine/);
  });
});

describe("what holds nothing is safe to replace or delete", () => {
  test("a view and a materialized view are replaced safely, a table in the same plan is not", () => {
    const view = { ...TABLE, table_id: "v", view: [{ query: "SELECT 1", use_legacy_sql: false }] };
    const mv = { ...TABLE, table_id: "mv", materialized_view: [{ query: "SELECT 1", enable_refresh: true }] };
    const report = checkPlanSafety(
      planOf(
        replacement("google_bigquery_table.view", view, view, [["view", 0, "query"]]),
        replacement("google_bigquery_table.mv", mv, mv, [["materialized_view", 0, "query"]]),
        replacement(RAW, TABLE, TABLE, [["clustering"]]),
      ),
    );
    expect(report.changes.map((c) => [c.address, c.verdict])).toEqual([
      ["google_bigquery_table.view", "safe"],
      ["google_bigquery_table.mv", "safe"],
      [RAW, "refused"],
    ]);
  });

  test("resources that hold no data (alert policies, IAM members, services) are replaced and deleted safely", () => {
    const report = checkPlanSafety(
      planOf(
        replacement("google_monitoring_alert_policy.a", { display_name: "a" }, { display_name: "b" }, [
          ["display_name"],
        ]),
        removal("google_pubsub_topic_iam_member.m", { role: "roles/pubsub.publisher" }),
      ),
    );
    expect(report).toMatchObject({ safe: true, refused: [] });
  });

  test("creates, in-place updates, reads and no-ops are safe", () => {
    const report = checkPlanSafety(
      planOf(
        { address: "google_pubsub_topic.new", actions: ["create"], after: { name: "new" } },
        {
          address: "google_pubsub_topic.t",
          actions: ["update"],
          before: { name: "t", labels: {} },
          after: { name: "t", labels: { a: "b" } },
        },
        { address: "google_pubsub_topic.same", actions: ["no-op"], before: { name: "s" }, after: { name: "s" } },
      ),
    );
    expect(report.changes.map((c) => c.action)).toEqual(["create", "update", "no-op"]);
    expect(report.safe).toBe(true);
  });
});

describe("an address change: refused as a delete, safe as a move", () => {
  const topic = { project: "p", name: "wiki-changes" };
  const OLD = "google_pubsub_topic.ingestion_topic_ABCD1234";
  const NEW = "google_pubsub_topic.pipeline_ingestion_topic_EF567890";

  test("without a move: the delete is refused and the way out names the moved block from the old to the new address", () => {
    const plan = planOf(removal(OLD, topic), { address: NEW, actions: ["create"], after: topic });
    const refused = expectRefusal(plan, OLD);
    expect(refused.wayOut).toContain(`moved { from = ${OLD}, to = ${NEW} }`);
    expect(refused.wayOut).toContain("moveTo/moveFromId");
  });

  test("with a moved block (previous_address): a move, safe", () => {
    const report = checkPlanSafety(
      planOf({ address: NEW, previousAddress: OLD, actions: ["no-op"], before: topic, after: topic }),
    );
    expect(report.changes).toEqual([
      expect.objectContaining({ address: NEW, previousAddress: OLD, action: "move", verdict: "safe" }),
    ]);
    expect(report.safe).toBe(true);
  });

  test("a move with an in-place update is an update, safe, with its previous address", () => {
    const after = { ...topic, labels: { layer: "ingestion" } };
    const report = checkPlanSafety(
      planOf({ address: NEW, previousAddress: OLD, actions: ["update"], before: topic, after }),
    );
    expect(report.changes[0]).toMatchObject({ action: "update", previousAddress: OLD, verdict: "safe" });
  });
});

describe("table schema changes: a removed or retyped column is refused, naming the column", () => {
  const withSchema = (fields: Record<string, unknown>[]) => ({ ...TABLE, schema: schemaJson(fields) });
  const BASE = JSON.parse(TABLE.schema) as Record<string, unknown>[];

  test("a column removed by an in-place update: refused, naming the column and a migration", () => {
    const after = withSchema(BASE.filter((f) => f.name !== "title"));
    const refused = expectRefusal(planOf({ address: RAW, actions: ["update"], before: TABLE, after }), RAW);
    expect(refused).toMatchObject({
      action: "update",
      forcedBy: ["schema"],
      columns: { removed: ["title"], retyped: [] },
    });
    expect(refused.loses).toBe("the data of column title removed");
    expect(refused.wayOut).toMatch(/^migrate instead/);
  });

  test("a nested column removed is named by its path", () => {
    const meta = { name: "meta", type: "RECORD", fields: [{ name: "domain", type: "STRING" }] };
    const after = withSchema([...BASE.filter((f) => f.name !== "meta"), meta]);
    const refused = expectRefusal(planOf(replacement(RAW, TABLE, after, [["schema"]])), RAW);
    expect(refused.columns).toEqual({ removed: ["meta.dt"], retyped: [] });
  });

  test("a retyped column (the provider replaces the table): refused, naming the column and both types", () => {
    const after = withSchema(BASE.map((f) => (f.name === "bytes" ? { ...f, type: "STRING" } : f)));
    const refused = expectRefusal(planOf(replacement(RAW, TABLE, after, [["schema"]])), RAW);
    expect(refused.columns).toEqual({ removed: [], retyped: ["bytes: INTEGER → STRING"] });
    expect(refused.loses).toContain("column bytes: INTEGER → STRING retyped");
    expect(refused.wayOut).toMatch(/add a new NULLABLE column beside the old one/);
  });

  test("the fix: adding a NULLABLE column, relaxing REQUIRED, or spelling a type another way updates in place, safe", () => {
    const after = withSchema([
      ...BASE.map((f) =>
        f.name === "event_id" ? { ...f, mode: "NULLABLE" } : f.name === "bytes" ? { ...f, type: "INT64" } : f,
      ),
      { name: "comment", type: "STRING", mode: "NULLABLE" },
    ]);
    const report = checkPlanSafety(planOf({ address: RAW, actions: ["update"], before: TABLE, after }));
    expect(report.changes[0]).toMatchObject({ action: "update", verdict: "safe", forcedBy: [] });
  });

  test("a view's schema losing a column is safe: a view holds no rows", () => {
    const view = { ...TABLE, view: [{ query: "SELECT 1", use_legacy_sql: false }] };
    const after = { ...view, schema: schemaJson(BASE.slice(0, 1)) };
    expect(
      checkPlanSafety(planOf({ address: "google_bigquery_table.v", actions: ["update"], before: view, after })).safe,
    ).toBe(true);
  });
});

describe("streaming Dataflow jobs: refused when cancelled, safe when drained or batch", () => {
  const JOB = { name: "wiki", region: "us-central1", type: "JOB_TYPE_STREAMING", on_delete: "drain" };

  test('on_delete = "cancel": the replacement is refused with the drain way out', () => {
    const cancel = { ...JOB, on_delete: "cancel" };
    const refused = expectRefusal(
      planOf(replacement("google_dataflow_job.j", cancel, cancel, [["max_workers"]])),
      "google_dataflow_job.j",
    );
    expect(refused.loses).toMatch(/cancelled/);
    expect(refused.wayOut).toMatch(/set on_delete = "drain" and apply that alone first/);
  });

  test('the fix: on_delete = "drain" drains the job, safe, with a note', () => {
    const report = checkPlanSafety(planOf(replacement("google_dataflow_job.j", JOB, JOB, [["max_workers"]])));
    expect(report.changes[0]).toMatchObject({ verdict: "safe" });
    expect(report.changes[0].note).toMatch(/drained.*new job starts/);
  });

  test("a flex template job without on_delete is cancelled (the provider's default), refused", () => {
    const { on_delete: _unused, ...job } = JOB;
    void _unused;
    expectRefusal(planOf(removal("google_dataflow_flex_template_job.j", job)), "google_dataflow_flex_template_job.j");
  });

  test("a batch job is safe to replace", () => {
    const batch = { ...JOB, type: "JOB_TYPE_BATCH", on_delete: "cancel" };
    expect(checkPlanSafety(planOf(replacement("google_dataflow_job.b", batch, batch, [["parameters"]]))).safe).toBe(
      true,
    );
  });
});

describe("allow entries", () => {
  const plan = planOf(replacement(RAW, TABLE, TABLE, [["clustering"]]));
  const REASON = "the raw table is rebuilt from the topic's seven days of retention";

  test("an entry naming the address turns the refusal into allowed, with its reason", () => {
    expect(checkPlanSafety(plan).safe).toBe(false);
    const report = checkPlanSafety(plan, { allow: [{ address: RAW, reason: REASON }] });
    expect(report).toMatchObject({ safe: true, refused: [], staleAllow: [] });
    expect(report.changes[0]).toMatchObject({ verdict: "allowed", allowReason: REASON });
  });

  test("an entry naming a resource without its instance key allows every instance", () => {
    const indexed = planOf(removal('google_pubsub_topic.t["a"]', { name: "a" }));
    expect(checkPlanSafety(indexed, { allow: [{ address: "google_pubsub_topic.t", reason: REASON }] }).safe).toBe(true);
  });

  test("an entry that allows nothing in the plan is reported as stale", () => {
    const report = checkPlanSafety(plan, {
      allow: [
        { address: RAW, reason: REASON },
        { address: "google_pubsub_topic.gone", reason: REASON },
      ],
    });
    expect(report.safe).toBe(true);
    expect(report.staleAllow).toEqual([{ address: "google_pubsub_topic.gone", reason: REASON }]);
  });

  test("an entry for a safe change is stale too: it would silently allow a later loss", () => {
    const safe = planOf({ address: RAW, actions: ["update"], before: TABLE, after: { ...TABLE, description: "x" } });
    expect(checkPlanSafety(safe, { allow: [{ address: RAW, reason: REASON }] }).staleAllow).toHaveLength(1);
  });

  test.each([
    [
      { address: RAW, reason: "because" },
      /allow\[0\]\.reason: "because" is too short \(7 characters\); write at least 10/,
    ],
    [{ address: "", reason: REASON }, /allow\[0\]\.address: is required/],
    [{ reason: REASON }, /allow\[0\]\.address: is required/],
    [{ address: RAW, reason: REASON, extra: 1 }, /allow\[0\]: unknown field "extra"/],
  ])("an invalid entry is an error: %j", (entry, message) => {
    const call = () => checkPlanSafety(plan, { allow: [entry as never] });
    expect(call).toThrow(AllowEntryError);
    expect(call).toThrow(message);
  });

  test("the same address allowed twice is an error", () => {
    const entry = { address: RAW, reason: REASON };
    expect(() => checkPlanSafety(plan, { allow: [entry, entry] })).toThrow(/allowed twice/);
  });
});

describe("malformed input is refused with a clear error", () => {
  test.each([
    ["a string", "plan", /a plan must be a JSON object.*got a string/],
    ["a list", [], /a plan must be a JSON object.*got a list/],
    ["no format_version", { resource_changes: [] }, /no format_version; write it with `terraform show -json PLANFILE`/],
    [
      "another major",
      { format_version: "2.0", resource_changes: [] },
      /format_version 2\.0 is not supported: this guard reads format 1\.x/,
    ],
    [
      "a state, not a plan",
      { format_version: "1.0", values: { root_module: {} } },
      /neither planned_values nor resource_changes/,
    ],
    ["resource_changes not a list", { format_version: "1.2", resource_changes: {} }, /resource_changes is not a list/],
    [
      "an entry without actions",
      { format_version: "1.2", resource_changes: [{ address: "a.b", type: "a", change: {} }] },
      /resource_changes\[0\] \(a\.b\): expected change\.actions/,
    ],
  ])("%s", (_what, input, message) => {
    expect(() => checkPlanSafety(input)).toThrow(PlanFormatError);
    expect(() => checkPlanSafety(input)).toThrow(message);
  });

  test("an unknown list of actions", () => {
    const plan = planOf({ address: "google_pubsub_topic.t", actions: ["delete", "update"] });
    expect(() => checkPlanSafety(plan)).toThrow(/google_pubsub_topic\.t: unknown change\.actions \[delete, update\]/);
  });

  test("a plan with no changes at all is safe", () => {
    expect(checkPlanSafety({ format_version: "1.2", planned_values: {} })).toEqual({
      changes: [],
      refused: [],
      safe: true,
      staleAllow: [],
    });
  });
});
