import { TerraformStack, Testing } from "cdktf";
import { EnvironmentConfig } from "../../config/schema";
import { Elt, ELT_VIEWS } from "../../stacks/elt";
import { Warehouse } from "../../stacks/warehouse";
import { environmentConfig, synthEnvironment } from "../support";

/** The environment's configuration with some ELT settings changed. */
function configOf(name: string, elt: Partial<EnvironmentConfig["elt"]> = {}): EnvironmentConfig {
  const config = environmentConfig(name);
  return { ...config, elt: { ...config.elt, ...elt } };
}

/** The environment's stack with some ELT settings changed, and its synthesized resources. */
function synthWithElt(name: string, elt: Partial<EnvironmentConfig["elt"]> = {}) {
  const { stack, config, json } = synthEnvironment(name, (c) => ({ ...c, elt: { ...c.elt, ...elt } }));
  return { stack, config, resources: json.resource };
}

/** The ELT layer's scheduled queries (the monitoring layer's health checks are scheduled queries too). */
const transferConfigs = (resources: any) =>
  Object.entries(resources.google_bigquery_data_transfer_config ?? {})
    .filter(([key]) => key.startsWith("elt_"))
    .map(([, config]) => config) as any[];
/** The windowed aggregates' scheduled queries (stacks/analytics.ts). */
const windowTransferConfigs = (resources: any) =>
  Object.entries(resources.google_bigquery_data_transfer_config ?? {})
    .filter(([key]) => key.startsWith("analytics_"))
    .map(([, config]) => config) as any[];
const tables = (resources: any) => Object.values(resources.google_bigquery_table ?? {}) as any[];

describe.each(["local", "dev", "prod"])("%s stack: the ELT layer", (name) => {
  const { stack, config, resources } = synthWithElt(name);

  test("is exposed as stack.elt, built from stack.warehouse", () => {
    expect(stack.elt).toBeInstanceOf(Elt);
    expect(stack.elt.bindings["raw.wiki_changes"]).toBe(stack.warehouse.wikiChanges);
  });

  test("schedules the staging load on the configured schedule, as its own service account", () => {
    const [load] = transferConfigs(resources).filter((c) => c.display_name.includes("staging load"));
    expect(load).toMatchObject({
      data_source_id: "scheduled_query",
      schedule: config.elt.stagingSchedule,
      location: config.location,
    });
    expect(load.params.query).toContain(
      `MERGE \`${config.projectId}\`.\`${config.datasetPrefix}staging\`.\`wiki_staged\``,
    );
    expect(load.params.query).toContain(`INTERVAL ${config.elt.lookbackHours} HOUR`);
    expect(load.params.query).not.toMatch(/\{\{/);
  });

  test("the leaderboard is an incremental materialized view by default, with no table and no refresh query", () => {
    const leaderboards = tables(resources).filter((t) => t.table_id === "leaderboard");
    expect(leaderboards).toHaveLength(1);
    expect(leaderboards[0].materialized_view).toMatchObject({ enable_refresh: true, refresh_interval_ms: 1800000 });
    expect(leaderboards[0].materialized_view.query).toContain("COUNT(*) AS changes_count");
    expect(leaderboards[0].depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^google_bigquery_table\..*wiki_staged/)]),
    );
    expect(transferConfigs(resources)).toHaveLength(1);
  });

  test("the quality, analytics and CDC statements are views", () => {
    const views = tables(resources).filter((t) => t.view);
    expect(views.map((v) => v.table_id).sort()).toEqual(Object.keys(ELT_VIEWS).sort());
    for (const view of views) {
      expect(view.view.use_legacy_sql).toBe(false);
      expect(view.view.query).not.toMatch(/\{\{/);
    }
  });

  test("the CDC watermark view reads the INFORMATION_SCHEMA of the CDC tables' dataset", () => {
    const view = tables(resources).find((t) => t.table_id === "cdc_apply_watermark");
    expect(view.view.query).toContain(
      `FROM \`${config.projectId}\`.\`${config.datasetPrefix}raw\`.INFORMATION_SCHEMA.TABLES AS t`,
    );
  });

  test("CDC views read the region of the environment's location", () => {
    const view = tables(resources).find((t) => t.table_id === "cdc_background_slot_usage");
    expect(view.view.query).toContain(
      `\`${config.projectId}\`.\`region-${config.location.toLowerCase()}\`.INFORMATION_SCHEMA.JOBS_TIMELINE_BY_PROJECT`,
    );
  });
});

test("elt.leaderboard = scheduled-refresh: the warehouse's table plus a scheduled MERGE into it", () => {
  const { resources } = synthWithElt("dev", {
    leaderboard: "scheduled-refresh",
    leaderboardSchedule: "every 30 minutes",
  });
  const leaderboard = tables(resources).find((t) => t.table_id === "leaderboard");
  expect(leaderboard.materialized_view).toBeUndefined();
  const refresh = transferConfigs(resources).find((c) => c.display_name.includes("leaderboard refresh"));
  expect(refresh).toMatchObject({ schedule: "every 30 minutes" });
  expect(refresh.params.query).toMatch(/^MERGE `fresh-streams-dev`.`dev_reporting`.`leaderboard`/m);
});

test("run notifications: a topic that every scheduled query notifies", () => {
  const { resources } = synthWithElt("dev", { runNotifications: true });
  const [topicKey] = Object.keys(resources.google_pubsub_topic).filter(
    (k) => resources.google_pubsub_topic[k].name === "elt-run-notifications",
  );
  expect(topicKey).toBeDefined();
  expect(windowTransferConfigs(resources)).toHaveLength(3);
  for (const config of [...transferConfigs(resources), ...windowTransferConfigs(resources)]) {
    expect(config.notification_pubsub_topic).toBe(`\${google_pubsub_topic.${topicKey}.id}`);
  }
});

test("run notifications: one publisher binding for the Data Transfer service agent, which every query waits for", () => {
  const { config, resources } = synthWithElt("dev", {
    runNotifications: true,
    leaderboard: "scheduled-refresh",
    leaderboardSchedule: "every 30 minutes",
  });
  const [topicKey] = Object.keys(resources.google_pubsub_topic).filter(
    (k) => resources.google_pubsub_topic[k].name === "elt-run-notifications",
  );
  const bindings = Object.entries(resources.google_pubsub_topic_iam_member as Record<string, any>).filter(
    ([, b]) => b.topic === `\${google_pubsub_topic.${topicKey}.name}`,
  );
  expect(bindings).toEqual([
    [
      expect.stringMatching(/^elt_run-notifications-topic_grant-publisher-[0-9a-f]{10}_[0-9A-F]+$/),
      expect.objectContaining({
        role: "roles/pubsub.publisher",
        member: `serviceAccount:service-${config.projectNumber}@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com`,
        // References to the topic: the binding is created after it.
        project: `\${google_pubsub_topic.${topicKey}.project}`,
      }),
    ],
  ]);
  expect(transferConfigs(resources)).toHaveLength(2);
  for (const transfer of [...transferConfigs(resources), ...windowTransferConfigs(resources)]) {
    expect(transfer.depends_on).toContain(`google_pubsub_topic_iam_member.${bindings[0][0]}`);
  }
});

test("the scheduled queries' dataset grants are the warehouse datasets' own bindings", () => {
  const { stack, resources } = synthWithElt("dev");
  const grants = Object.entries(resources.google_bigquery_dataset_iam_member as Record<string, any>).filter(([, g]) =>
    String(g.member).includes("elt_staging-load_ServiceAccount"),
  );
  expect(grants.map(([key, g]) => [key.replace(/-[0-9a-f]{10}_[0-9A-F]+$/, ""), g.role]).sort()).toEqual([
    ["warehouse_raw_grant-dataViewer", "roles/bigquery.dataViewer"],
    ["warehouse_staging_grant-dataEditor", "roles/bigquery.dataEditor"],
  ]);
  // Granting again from outside returns the same binding.
  const again = stack.warehouse.rawDataset.grantRead(stack.elt.stagingLoad) as any;
  expect(grants.map(([key]) => key)).toContain(again.friendlyUniqueId);
});

test("views and the materialized view name their dataset by reference, so they are created after it", () => {
  const { resources } = synthWithElt("dev");
  for (const view of tables(resources).filter((t) => t.view || t.materialized_view)) {
    expect(view.dataset_id).toMatch(
      /^\$\{google_bigquery_dataset\.warehouse_(raw|reporting)_dataset_[0-9A-F]+\.dataset_id\}$/,
    );
  }
});

test("the leaderboard binding is the materialized view itself, or the warehouse's table", () => {
  const { stack } = synthWithElt("dev");
  expect(stack.elt.bindings["reporting.leaderboard"]).toBe(stack.elt.leaderboardView);
  const refreshed = synthWithElt("dev", { leaderboard: "scheduled-refresh" }).stack;
  expect(refreshed.elt.bindings["reporting.leaderboard"]).toBe(refreshed.warehouse.leaderboard);
});

test("a leaderboard table together with a materialized view is refused", () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, "s");
  const config = configOf("local");
  const warehouse = new Warehouse(stack, "warehouse", { config, leaderboardTable: true });
  expect(() => new Elt(stack, "elt", { warehouse, config })).toThrow(
    's/elt: elt.leaderboard is "materialized-view" but the warehouse also creates a leaderboard table; create the Warehouse with leaderboardTable: false',
  );
});

test("a scheduled refresh without a leaderboard table is refused", () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, "s");
  const config = configOf("local", { leaderboard: "scheduled-refresh" });
  const warehouse = new Warehouse(stack, "warehouse", { config, leaderboardTable: false });
  expect(() => new Elt(stack, "elt", { warehouse, config })).toThrow(
    's/elt: elt.leaderboard is "scheduled-refresh" but the warehouse has no leaderboard table to refresh; create the Warehouse with leaderboardTable: true',
  );
});
