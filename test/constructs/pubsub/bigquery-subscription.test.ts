import { Testing } from "cdktf";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { TableSchema } from "../../../schemas/table-schema";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { Principal } from "../../../constructs/core/principal";
import { serviceAccountIdFor } from "../../../constructs/core/validation";
import {
  EVENTS_SCHEMA,
  PROJECT,
  SERVICE_AGENT,
  newStack,
  newTable,
  newTopic,
  resources,
  synthStack,
} from "../../support";

describe("StreamTopic.addBigQuerySubscription", () => {
  test("writes into the table with the table's schema, as a dedicated service account", () => {
    const stack = newStack();
    const table = newTable(stack);
    const sub = newTopic(stack).addBigQuerySubscription(table, { subscriptionName: "events-bigquery" });
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(PubsubSubscription, {
      name: "events-bigquery",
      bigquery_config: {
        // References to the table: the subscription is created after it.
        table: expect.stringMatching(
          /^\$\{google_bigquery_table\.table-events-test-project_table_([0-9A-F]+)\.project\}\.\$\{google_bigquery_table\.table-events-test-project_table_\1\.dataset_id\}\.\$\{google_bigquery_table\.table-events-test-project_table_\1\.table_id\}$/,
        ),
        use_table_schema: true,
        use_topic_schema: false,
        write_metadata: false,
        drop_unknown_fields: false,
        service_account_email: expect.stringMatching(
          /^\$\{google_service_account\.events_bigquery-subscription-events-bigquery_writer_[0-9A-F]+\.email\}$/,
        ),
      },
      expiration_policy: { ttl: "" },
      retry_policy: { minimum_backoff: "10s", maximum_backoff: "600s" },
      dead_letter_policy: expect.objectContaining({ max_delivery_attempts: 10 }),
    });
    expect(out).toHaveResourceWithProperties(ServiceAccount, { account_id: "events-bigquery", project: PROJECT });
    expect(sub.serviceAccount).toBeDefined();
    expect(sub.table).toBe(table);
    expect(sub.isPushOrExport).toBe(true);
    // The writer is the subscription's grant principal.
    expect(sub.grantPrincipal.iamMember).toBe(`serviceAccount:${sub.serviceAccountEmail}`);
  });

  test("the writer gets dataset-level write on the table's dataset, and the subscription waits for it and the table", () => {
    const stack = newStack();
    const table = newTable(stack);
    const sub = newTopic(stack).addBigQuerySubscription(table, { subscriptionName: "events-bigquery" });
    // The dataset's grant method made the binding: asking again returns it.
    const binding = table.dataset.grantWrite(sub);
    const json = synthStack(stack);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      role: "roles/bigquery.dataEditor",
      member: expect.stringMatching(
        /^serviceAccount:\$\{google_service_account\.events_bigquery-subscription-events-bigquery_writer_[0-9A-F]+\.email\}$/,
      ),
      dataset_id: expect.stringMatching(/google_bigquery_dataset\.raw-test-project_dataset_/),
    });
    // No project-level BigQuery role.
    expect(resources(json, "google_project_iam_member")).toHaveLength(0);
    expect(resources(json, "google_bigquery_dataset_iam_member")).toHaveLength(1);
    const body = resources(json, "google_pubsub_subscription").find((s) => s.name === "events-bigquery");
    expect(body.depends_on).toEqual([expect.stringMatching(/^google_bigquery_dataset_iam_member\./)]);
    expect(body.depends_on[0]).toBe(`google_bigquery_dataset_iam_member.${(binding as any).friendlyUniqueId}`);
    // The table: through the references in bigquery_config.table.
    expect(body.bigquery_config.table).toMatch(/google_bigquery_table\.table-events-test-project_table_/);
  });

  test("dead-lettering works for BigQuery subscriptions too: the service agent may subscribe to it", () => {
    const stack = newStack();
    newTopic(stack).addBigQuerySubscription(newTable(stack), { subscriptionName: "events-bigquery" });
    const grants = resources(synthStack(stack), "google_pubsub_subscription_iam_member");
    expect(grants).toEqual([
      expect.objectContaining({
        role: "roles/pubsub.subscriber",
        member: SERVICE_AGENT,
        subscription: expect.stringMatching(/events-bigquery_subscription_/),
      }),
    ]);
  });

  test("an existing service account can write instead", () => {
    const stack = newStack();
    const email = "bq-writer@test-project.iam.gserviceaccount.com";
    const sub = newTopic(stack).addBigQuerySubscription(newTable(stack), { serviceAccountEmail: email });
    expect(sub.grantPrincipal).toEqual(Principal.serviceAccount(email));
    const json = synthStack(stack);
    expect(resources(json, "google_service_account")).toHaveLength(0);
    expect(sub.subscriptionName).toBe("events-bq-events");
    expect(
      resources(json, "google_pubsub_subscription").find((s) => s.name === "events-bq-events").bigquery_config
        .service_account_email,
    ).toBe(email);
    expect(resources(json, "google_bigquery_dataset_iam_member")).toEqual([
      expect.objectContaining({ role: "roles/bigquery.dataEditor", member: `serviceAccount:${email}` }),
    ]);
  });

  test("a topic with a schema defaults to use_topic_schema; drop_unknown_fields and write_metadata pass through", () => {
    const stack = newStack();
    const schema = EVENTS_SCHEMA.withColumns([
      { name: "subscription_name", type: "STRING" },
      { name: "message_id", type: "STRING" },
      { name: "publish_time", type: "TIMESTAMP" },
      { name: "attributes", type: "JSON" },
    ]);
    const topic = newTopic(stack, { schema: EVENTS_SCHEMA });
    topic.addBigQuerySubscription(newTable(stack, { schema }), { dropUnknownFields: true, writeMetadata: true });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(PubsubSubscription, {
      bigquery_config: expect.objectContaining({
        use_topic_schema: true,
        use_table_schema: false,
        drop_unknown_fields: true,
        write_metadata: true,
      }),
    });
  });

  test("no exactly-once or ordering fields on a BigQuery subscription", () => {
    const stack = newStack();
    newTopic(stack).addBigQuerySubscription(newTable(stack));
    const sub = resources(synthStack(stack), "google_pubsub_subscription").find((s) => s.bigquery_config);
    expect(sub.enable_exactly_once_delivery).toBeUndefined();
    expect(sub.enable_message_ordering).toBeUndefined();
  });

  test("an imported table with its schema: literal ids, write granted on the imported dataset", () => {
    const stack = newStack();
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "shared", {
      project: PROJECT,
      datasetId: "shared",
      location: "US",
    });
    const table = TableReference.fromTableAttributes(stack, "events-table", {
      dataset,
      tableId: "events",
      schema: EVENTS_SCHEMA,
    });
    newTopic(stack).addBigQuerySubscription(table, { subscriptionName: "events-bigquery" });
    const json = synthStack(stack);
    expect(resources(json, "google_pubsub_subscription").find((s) => s.bigquery_config).bigquery_config.table).toBe(
      `${PROJECT}.shared.events`,
    );
    expect(resources(json, "google_bigquery_dataset_iam_member")).toEqual([
      expect.objectContaining({
        dataset_id: "shared",
        role: "roles/bigquery.dataEditor",
        member: expect.stringMatching(/^serviceAccount:\$\{google_service_account\./),
      }),
    ]);
  });

  describe("validation", () => {
    test("a table without a known schema is refused with the construct path and the rule", () => {
      const stack = newStack();
      const dataset = LayeredDataset.fromDatasetAttributes(stack, "shared", {
        project: PROJECT,
        datasetId: "shared",
        location: "US",
      });
      const table = TableReference.fromTableAttributes(stack, "events-table", { dataset, tableId: "events" });
      expect(() => newTopic(stack).addBigQuerySubscription(table, { subscriptionName: "events-bigquery" })).toThrow(
        "test/events/bigquery-subscription-events-bigquery: table test-project.shared.events has no known schema; a BigQuery subscription checks the columns it writes against it",
      );
    });

    test("both schema options at once fail with the construct path and the rule", () => {
      const stack = newStack();
      const topic = newTopic(stack, { schema: EVENTS_SCHEMA });
      expect(() =>
        topic.addBigQuerySubscription(newTable(stack), {
          subscriptionName: "events-bigquery",
          useTableSchema: true,
          useTopicSchema: true,
        }),
      ).toThrow(
        "test/events/bigquery-subscription-events-bigquery: useTableSchema and useTopicSchema are both true; a BigQuery subscription maps fields with one schema only",
      );
    });

    test("use_topic_schema on a topic without a schema", () => {
      const stack = newStack();
      expect(() => newTopic(stack).addBigQuerySubscription(newTable(stack), { useTopicSchema: true })).toThrow(
        /useTopicSchema is true but topic "events" has no schema/,
      );
    });

    test("write_metadata needs the metadata columns", () => {
      const stack = newStack();
      expect(() => newTopic(stack).addBigQuerySubscription(newTable(stack), { writeMetadata: true })).toThrow(
        /writeMetadata needs a STRING column "subscription_name" in table events/,
      );
    });

    test("drop_unknown_fields without a schema option", () => {
      const stack = newStack();
      const table = newTable(stack, { schema: new TableSchema([{ name: "data", type: "STRING" }], { name: "t" }) });
      expect(() =>
        newTopic(stack).addBigQuerySubscription(table, { useTableSchema: false, dropUnknownFields: true }),
      ).toThrow(/dropUnknownFields needs useTableSchema or useTopicSchema/);
    });

    test("without a schema option the table needs a data column", () => {
      const stack = newStack();
      expect(() => newTopic(stack).addBigQuerySubscription(newTable(stack), { useTableSchema: false })).toThrow(
        /messages go to a "data" column, which table events lacks/,
      );
    });

    test("exactly-once delivery is for pull subscriptions", () => {
      const stack = newStack();
      const options = { enableExactlyOnceDelivery: true } as never;
      expect(() => newTopic(stack).addBigQuerySubscription(newTable(stack), options)).toThrow(
        /apply to pull subscriptions/,
      );
    });

    test("3 max delivery attempts are refused here too", () => {
      const stack = newStack();
      expect(() => newTopic(stack).addBigQuerySubscription(newTable(stack), { maxDeliveryAttempts: 3 })).toThrow(
        /maxDeliveryAttempts is 3; a dead-letter policy allows 5 to 100 delivery attempts/,
      );
    });
  });
});

describe("serviceAccountIdFor", () => {
  test("keeps short valid names and shortens long ones with a stable hash", () => {
    expect(serviceAccountIdFor("wiki-changes-bigquery")).toBe("wiki-changes-bigquery");
    const long = serviceAccountIdFor("a-very-long-subscription-name-for-events");
    expect(long).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
    expect(long).toBe(serviceAccountIdFor("a-very-long-subscription-name-for-events"));
    expect(long).not.toBe(serviceAccountIdFor("a-very-long-subscription-name-for-other"));
    expect(serviceAccountIdFor("Sub_1")).toMatch(/^sub-1-[0-9a-f]{6}$/);
  });
});
