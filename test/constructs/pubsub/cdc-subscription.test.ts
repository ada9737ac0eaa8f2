import { Annotations, Testing } from "cdktf";
import { CdcTable } from "../../../constructs/bigquery/cdc-table";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { Duration } from "../../../constructs/core/duration";
import { WIKI_PAGES_CDC_MESSAGE_FIELDS, WIKI_PAGES_SCHEMA } from "../../../schemas/wiki-pages";
import { TableSchema } from "../../../schemas/table-schema";
import { newDataset, newStack, newTable, newTopic, resources, synthStack, PROJECT } from "../../support";

function pagesTable(stack = newStack()) {
  const table = new CdcTable(stack, "wiki_pages", {
    dataset: newDataset(stack),
    tableId: "wiki_pages",
    schema: WIKI_PAGES_SCHEMA,
    primaryKey: ["wiki", "namespace", "title"],
    maxStaleness: Duration.minutes(10),
    deletionProtection: false,
  });
  return { stack, table };
}

const cdc = { cdc: true, messageFields: WIKI_PAGES_CDC_MESSAGE_FIELDS, subscriptionName: "pages-cdc" };

describe("addBigQuerySubscription(table, { cdc: true })", () => {
  test("a CDC subscription: table schema, dead-lettering, its own writer with write on the table only", () => {
    const { stack, table } = pagesTable();
    const topic = newTopic(stack, { topicName: "wiki-pages-cdc" });
    topic.addBigQuerySubscription(table, cdc);
    const json = synthStack(stack);
    const body = resources(json, "google_pubsub_subscription").find((s) => s.name === "pages-cdc");
    expect(body.bigquery_config).toMatchObject({
      use_table_schema: true,
      use_topic_schema: false,
      write_metadata: false,
      service_account_email: expect.stringMatching(/^\$\{google_service_account\..*writer.*\.email\}$/),
    });
    expect(body.bigquery_config.table).toMatch(/\$\{google_bigquery_table\.wiki_pages_/);
    expect(body.dead_letter_policy).toMatchObject({ max_delivery_attempts: 10 });
    expect(body.dead_letter_policy.dead_letter_topic).toMatch(/^\$\{google_pubsub_topic\./);
    // Write on the table, not on the dataset, and the subscription waits for it.
    const grants = resources(json, "google_bigquery_table_iam_member");
    expect(grants).toEqual([
      expect.objectContaining({
        role: "roles/bigquery.dataEditor",
        member: expect.stringMatching(/^serviceAccount:\$\{google_service_account\..*writer.*\.email\}$/),
        table_id: expect.stringMatching(/^\$\{google_bigquery_table\.wiki_pages_/),
      }),
    ]);
    expect(resources(json, "google_bigquery_dataset_iam_member")).toHaveLength(0);
    expect(body.depends_on).toEqual([expect.stringMatching(/^google_bigquery_table_iam_member\./)]);
    expect(resources(json, "google_service_account")).toEqual([
      expect.objectContaining({ account_id: "pages-cdc", project: PROJECT }),
    ]);
  });

  test("every resource naming another resource of the stack references it or depends on it", () => {
    const { stack, table } = pagesTable();
    newTopic(stack, { topicName: "wiki-pages-cdc" }).addBigQuerySubscription(table, cdc);
    const json = synthStack(stack);
    // Arguments that name another resource: each must be a Terraform reference (which orders it after that resource).
    const NAMING = [
      "topic",
      "dead_letter_topic",
      "table",
      "dataset_id",
      "table_id",
      "subscription",
      "service_account_email",
      "member",
    ];
    let checked = 0;
    for (const type of [
      "google_pubsub_subscription",
      "google_pubsub_subscription_iam_member",
      "google_pubsub_topic_iam_member",
      "google_bigquery_table_iam_member",
    ]) {
      for (const body of resources(json, type)) {
        const args = { ...body, ...(body.bigquery_config ?? {}), ...(body.dead_letter_policy ?? {}) };
        for (const key of NAMING) {
          const value = args[key];
          if (typeof value !== "string" || value.includes("@gcp-sa-pubsub.")) continue; // the service agent is Google's
          expect(`${type}.${key} = ${value}`).toMatch(/\$\{google_[a-z_]+\.[^}]+\}/);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  test("refuses a table without a primary key", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    expect(() =>
      topic.addBigQuerySubscription(newTable(stack), { ...cdc, messageFields: ["id", "_CHANGE_TYPE"] }),
    ).toThrow(
      /test\/events\/bigquery-subscription-pages-cdc: cdc is true but table test-project\.raw\.events has no primary key; BigQuery applies UPSERT and DELETE rows by primary key/,
    );
    const imported = TableReference.fromTableAttributes(stack, "imported", {
      dataset: newDataset(stack, { datasetId: "shared" }),
      tableId: "elsewhere",
      schema: WIKI_PAGES_SCHEMA,
    });
    expect(() => topic.addBigQuerySubscription(imported, { ...cdc, subscriptionName: "other-cdc" })).toThrow(
      "has no primary key",
    );
  });

  test("refuses useTopicSchema, a topic schema without _CHANGE_TYPE, and missing messageFields", () => {
    let { stack, table } = pagesTable();
    expect(() =>
      newTopic(stack).addBigQuerySubscription(table, { ...cdc, useTableSchema: false, dropUnknownFields: false }),
    ).toThrow("cdc is true but useTableSchema is false");
    ({ stack, table } = pagesTable());
    const schemaTopic = newTopic(stack, { schema: WIKI_PAGES_SCHEMA });
    expect(() => schemaTopic.addBigQuerySubscription(table, { ...cdc, useTableSchema: true })).toThrow(
      'the schema of topic "events" has no _CHANGE_TYPE field',
    );
    ({ stack, table } = pagesTable());
    expect(() => newTopic(stack).addBigQuerySubscription(table, { cdc: true })).toThrow(
      "cdc is true but messageFields is not set",
    );
  });

  test("checks the messages carry _CHANGE_TYPE, the whole key, and only the table's columns", () => {
    const without = (field: string) => WIKI_PAGES_CDC_MESSAGE_FIELDS.filter((f) => f !== field);
    const attempt = (messageFields: readonly string[], extra = {}) => {
      const { stack, table } = pagesTable();
      return () => newTopic(stack).addBigQuerySubscription(table, { ...cdc, messageFields, ...extra });
    };
    expect(attempt(without("_CHANGE_TYPE"))).toThrow(/messageFields \[wiki, namespace, .*\] lack _CHANGE_TYPE/);
    expect(attempt(without("title"))).toThrow(
      "lack the primary key column(s) title of table test-project.raw.wiki_pages",
    );
    expect(attempt([...WIKI_PAGES_CDC_MESSAGE_FIELDS, "comment"])).toThrow(
      "messageFields comment are not columns of table test-project.raw.wiki_pages",
    );
    expect(attempt([...WIKI_PAGES_CDC_MESSAGE_FIELDS, "comment"], { dropUnknownFields: true })).not.toThrow();
  });

  test("warns when the messages carry no _CHANGE_SEQUENCE_NUMBER", () => {
    const { stack, table } = pagesTable();
    const sub = newTopic(stack).addBigQuerySubscription(table, {
      ...cdc,
      messageFields: WIKI_PAGES_CDC_MESSAGE_FIELDS.filter((f) => f !== "_CHANGE_SEQUENCE_NUMBER"),
    });
    Testing.synth(stack);
    const warnings = sub.node.metadata.filter((m) => m.type === "@cdktf/warn" || m.type === "warning");
    expect(JSON.stringify(warnings)).toContain("a redelivered older message can overwrite newer state");
    void Annotations;
  });

  test("a plain BigQuery subscription is unchanged: dataset-level write, no CDC checks", () => {
    const stack = newStack();
    const schema = new TableSchema([{ name: "id", type: "STRING" }], { name: "t" });
    newTopic(stack).addBigQuerySubscription(newTable(stack, { schema }), { subscriptionName: "plain" });
    const json = synthStack(stack);
    expect(resources(json, "google_bigquery_dataset_iam_member")).toHaveLength(1);
    expect(resources(json, "google_bigquery_table_iam_member")).toHaveLength(0);
  });
});
