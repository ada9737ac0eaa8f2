import { Testing, TerraformOutput } from "cdktf";
import { Principal } from "../../../constructs/core/principal";
import { DEFAULT_INVENTORY_ATTRIBUTES, inventory } from "../../../constructs/testing/inventory";
import { newStack, newTable, newTopic, PROJECT } from "../../support";

/** A topic with its dead-letter topic and subscription, a pull subscription, a grant, a table and an output. */
function pipeline() {
  const stack = newStack();
  const topic = newTopic(stack);
  topic.addSubscription("events-pull", { filter: 'attributes.kind = "edit"' });
  topic.grantPublish(Principal.serviceAccount(`worker@${PROJECT}.iam.gserviceaccount.com`));
  newTable(stack);
  new TerraformOutput(stack, "topic_name", { value: topic.topicName });
  return stack;
}

/** The one address of `type` in the inventory's values, and its attributes. */
function only(values: Record<string, Record<string, unknown>>, type: string, attribute: string, value: unknown) {
  const found = Object.entries(values).filter(
    ([address, v]) => address.startsWith(`${type}.`) && v[attribute] === value,
  );
  expect(found).toHaveLength(1);
  return found[0];
}

describe("inventory", () => {
  test("lists every address with the attributes that state intent, and counts each type", () => {
    const { counts, values, outputs } = inventory(pipeline());
    expect(counts).toEqual({
      google_bigquery_dataset: 1,
      google_bigquery_table: 1,
      google_pubsub_subscription: 2,
      google_pubsub_subscription_iam_member: 1,
      google_pubsub_topic: 2,
      google_pubsub_topic_iam_member: 2,
    });
    expect(Object.keys(values)).toHaveLength(9);
    const [address, subscription] = only(values, "google_pubsub_subscription", "name", "events-pull");
    expect(address).toMatch(/^google_pubsub_subscription\.[A-Za-z0-9_-]+$/);
    expect(subscription).toMatchObject({
      filter: 'attributes.kind = "edit"',
      topic: expect.stringMatching(/^\$\{google_pubsub_topic\..*\.id\}$/),
      ack_deadline_seconds: expect.any(Number),
      dead_letter_policy: expect.objectContaining({ max_delivery_attempts: expect.any(Number) }),
    });
    // Labels, the retry policy and the like are not intent the inventory shows.
    expect(subscription).not.toHaveProperty("labels");
    const [, grant] = only(
      values,
      "google_pubsub_topic_iam_member",
      "member",
      `serviceAccount:worker@${PROJECT}.iam.gserviceaccount.com`,
    );
    expect(grant).toEqual({
      role: "roles/pubsub.publisher",
      member: `serviceAccount:worker@${PROJECT}.iam.gserviceaccount.com`,
      topic: expect.stringMatching(/^\$\{google_pubsub_topic\..*\.name\}$/),
    });
    const [, table] = only(values, "google_bigquery_table", "table_id", "events");
    expect(table).toMatchObject({ deletion_protection: false, time_partitioning: { type: "DAY" } });
    expect(outputs).toEqual({ topic_name: "events" });
  });

  test("an attribute the resource does not set is left out", () => {
    const { values } = inventory(pipeline());
    const [, topic] = only(values, "google_pubsub_topic", "name", "events");
    expect(topic).not.toHaveProperty("schema_settings");
    expect(topic).not.toHaveProperty("kms_key_name");
  });

  test("addresses and types are sorted, so the same stack always gives the same inventory", () => {
    const { counts, values } = inventory(pipeline());
    expect(Object.keys(counts)).toEqual([...Object.keys(counts)].sort());
    expect(Object.keys(values)).toEqual([...Object.keys(values)].sort());
    expect(inventory(pipeline())).toEqual(inventory(pipeline()));
  });

  test("takes the stack, its synthesized JSON as text, or that text parsed", () => {
    const stack = pipeline();
    const text = Testing.synth(stack);
    expect(inventory(text)).toEqual(inventory(stack));
    expect(inventory(JSON.parse(text))).toEqual(inventory(stack));
  });

  test("attributes replace a type's list, with dotted paths and list indexes", () => {
    const json = {
      resource: {
        google_pubsub_topic: { a: { name: "a", labels: { team: "x" } } },
        my_thing: { b: { nested: { list: [{ value: 1 }, { value: 2 }] }, other: true } },
      },
    };
    const { values } = inventory(json, {
      attributes: { google_pubsub_topic: ["labels.team"], my_thing: ["nested.list.1.value", "missing.path"] },
    });
    expect(values).toEqual({
      "google_pubsub_topic.a": { "labels.team": "x" },
      "my_thing.b": { "nested.list.1.value": 2 },
    });
  });

  test("a type without attributes is listed and counted with none", () => {
    const { values, counts } = inventory({ resource: { unknown_type: { x: { anything: 1 } } } });
    expect(values).toEqual({ "unknown_type.x": {} });
    expect(counts).toEqual({ unknown_type: 1 });
  });

  test("countOnly keeps a type out of the values but counts it; outputs: false leaves the outputs out", () => {
    const result = inventory(pipeline(), { countOnly: ["google_pubsub_topic_iam_member"], outputs: false });
    expect(Object.keys(result.values).filter((a) => a.startsWith("google_pubsub_topic_iam_member."))).toEqual([]);
    expect(result.counts.google_pubsub_topic_iam_member).toBe(2);
    expect(result).not.toHaveProperty("outputs");
  });

  test("the default attributes name a table's and an IAM member's intent", () => {
    expect(DEFAULT_INVENTORY_ATTRIBUTES.google_bigquery_table).toEqual(
      expect.arrayContaining(["dataset_id", "table_id", "time_partitioning", "clustering", "deletion_protection"]),
    );
    expect(DEFAULT_INVENTORY_ATTRIBUTES.google_project_iam_member).toEqual(["role", "member"]);
  });
});
