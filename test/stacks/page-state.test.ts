import { parseEnvironment } from "../../config/load";
import { PAGE_STATE_NAMES } from "../../stacks/page-state";
import { WIKI_PAGES_SCHEMA } from "../../schemas/wiki-pages";
import * as fs from "node:fs";
import * as path from "node:path";
import { ENVIRONMENTS, ROOT, resources, synthEnvironment } from "../support";

const byName = (json: any, type: string, name: string) => resources(json, type).find((r) => r.name === name);

describe.each(ENVIRONMENTS)("page state (CDC) in the %s stack", (environment) => {
  const { stack, config, json } = synthEnvironment(environment);
  const table = Object.values<any>(json.resource.google_bigquery_table).find((t) => t.table_id === "wiki_pages");

  test("wiki_pages: a CDC table keyed by (wiki, namespace, title), clustered by the key, max_staleness from config", () => {
    expect(table.table_constraints).toEqual({ primary_key: { columns: ["wiki", "namespace", "title"] } });
    expect(table.clustering).toEqual(["wiki", "namespace", "title"]);
    expect(table.max_staleness).toBe(stack.warehouse.wikiPages.maxStalenessInterval);
    expect(stack.warehouse.wikiPages.maxStaleness.toSeconds()).toBe(config.cdc.pagesMaxStalenessSeconds);
    expect(JSON.parse(table.schema).map((f: any) => f.name)).toEqual(WIKI_PAGES_SCHEMA.fieldNames);
    expect(table.dataset_id).toMatch(/^\$\{google_bigquery_dataset\.warehouse_raw_/);
    const job = resources(json, "google_bigquery_job").find((j) => j.job_id.includes("_wiki_pages_"));
    expect(job.query.query).toContain(`INTERVAL '${stack.warehouse.wikiPages.maxStalenessInterval}' YEAR TO SECOND`);
  });

  test("on the BACKGROUND reservation where one is configured", () => {
    const reservation = stack.warehouse.backgroundReservation;
    if (config.reservation === undefined) {
      expect(reservation).toBeUndefined();
      return;
    }
    expect(reservation!.servedTables).toContain(stack.warehouse.wikiPages);
  });

  test("the CDC topic and its CDC BigQuery subscription: table schema, dead-lettering, a writer on the table only", () => {
    expect(byName(json, "google_pubsub_topic", PAGE_STATE_NAMES.topic)).toBeDefined();
    expect(byName(json, "google_pubsub_topic", PAGE_STATE_NAMES.deadLetterTopic)).toBeDefined();
    const sub = byName(json, "google_pubsub_subscription", PAGE_STATE_NAMES.subscription);
    expect(sub.topic).toMatch(/^\$\{google_pubsub_topic\.page-state_wiki-pages-cdc_topic_/);
    expect(sub.bigquery_config).toMatchObject({
      use_table_schema: true,
      use_topic_schema: false,
      write_metadata: false,
    });
    expect(sub.bigquery_config.table).toMatch(/google_bigquery_table\.warehouse_wiki_pages_table_/);
    expect(sub.dead_letter_policy).toEqual({
      dead_letter_topic: expect.stringMatching(
        /^\$\{google_pubsub_topic\.page-state_wiki-pages-cdc_dead-letter-topic_/,
      ),
      max_delivery_attempts: config.cdc.maxDeliveryAttempts,
    });
    const writer = sub.bigquery_config.service_account_email;
    const grants = resources(json, "google_bigquery_table_iam_member").filter((g) =>
      writer.includes(g.member.split(".")[1] ?? "-"),
    );
    expect(grants).toEqual([
      expect.objectContaining({
        role: "roles/bigquery.dataEditor",
        table_id: expect.stringMatching(/google_bigquery_table\.warehouse_wiki_pages_table_/),
      }),
    ]);
    expect(
      resources(json, "google_bigquery_dataset_iam_member").filter((g) => g.member.includes("wiki-pages-cdc")),
    ).toEqual([]);
    expect(sub.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^google_bigquery_table_iam_member\./)]),
    );
    expect(stack.pageState.subscription.table).toBe(stack.warehouse.wikiPages);
    expect(json.output.cdc_topic_name.value).toBe(PAGE_STATE_NAMES.topic);
  });

  test("the CDC operations views read the dataset wiki_pages is in", () => {
    const views = Object.values<any>(json.resource.google_bigquery_table).filter((t) => t.view);
    const watermark = views.find((v) => v.table_id === "cdc_apply_watermark");
    expect(watermark.view.query).toContain(
      `\`${config.projectId}\`.\`${config.datasetPrefix}raw\`.INFORMATION_SCHEMA.TABLE_OPTIONS`,
    );
    expect(stack.warehouse.wikiPages.dataset).toBe(stack.warehouse.employees.dataset);
    for (const name of ["cdc_recommended_max_staleness", "cdc_background_slot_usage"])
      expect(views.find((v) => v.table_id === name)).toBeDefined();
  });

  test("the subscription is used whatever the ingestion mode (the Dataflow template does not apply CDC)", () => {
    expect(["dataflow", "bigquery-subscription", "direct"]).toContain(config.ingestion.mode);
    expect(byName(json, "google_pubsub_subscription", PAGE_STATE_NAMES.subscription)).toBeDefined();
    expect(
      resources(json, "google_dataflow_job").filter((j) => JSON.stringify(j.parameters).includes("wiki_pages")),
    ).toEqual([]);
  });
});

describe("cdc settings", () => {
  test("pagesMaxStalenessSeconds reaches the table; a value outside 0..604800 is refused", () => {
    const { stack } = synthEnvironment("dev", (config) => ({
      ...config,
      cdc: { ...config.cdc, pagesMaxStalenessSeconds: 900 },
    }));
    expect(stack.warehouse.wikiPages.maxStalenessInterval).toBe("0-0 0 0:15:0");
    const refused = parseEnvironment("dev.json", { ...rawDev(), cdc: { pagesMaxStalenessSeconds: -1 } });
    expect(refused.problems.join("\n")).toContain("cdc.pagesMaxStalenessSeconds");
  });
});

function rawDev(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "config/dev.json"), "utf8"));
}
