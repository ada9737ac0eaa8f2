import { TerraformVariable } from "cdktf";
import { StreamSubscription } from "../../../constructs/pubsub/stream-subscription";
import { Duration } from "../../../constructs/core/duration";
import { TableSchema } from "../../../schemas/table-schema";
import { newStack, newTable, newTopic } from "../../support";

/** The rules of validate-subscription-props.ts that the construct tests do not reach. */
describe("StreamSubscription's rule tables", () => {
  test("a filter Pub/Sub does not take: empty, or over 256 bytes (counted in UTF-8)", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    const attempt = (filter: string) => () =>
      new StreamSubscription(stack, `sub-${filter.length}`, { topic, subscriptionName: "filtered", filter });
    expect(attempt("")).toThrow("test/sub-0: filter is 0 bytes; Pub/Sub filters are 1 to 256 bytes");
    // 17 ASCII bytes around two-byte characters: 119 of them make 255 bytes, 120 make 257.
    expect(attempt(`attributes.k = "${"é".repeat(119)}"`)).not.toThrow();
    expect(attempt(`attributes.k = "${"é".repeat(120)}"`)).toThrow(
      "filter is 257 bytes; Pub/Sub filters are 1 to 256 bytes",
    );
  });

  test("the first broken rule is reported, in the order of the tables", () => {
    const stack = newStack();
    expect(
      () =>
        new StreamSubscription(stack, "sub", {
          topic: newTopic(stack),
          subscriptionName: "both-wrong",
          minimumBackoff: Duration.minutes(5),
          maximumBackoff: Duration.minutes(1),
          filter: "",
        }),
    ).toThrow("test/sub: minimumBackoff 5 minutes is longer than maximumBackoff 1 minute");
  });

  test("a metadata column of the wrong type is named with the types it may have", () => {
    const stack = newStack();
    const schema = new TableSchema(
      [
        { name: "subscription_name", type: "STRING" },
        { name: "message_id", type: "STRING" },
        { name: "publish_time", type: "TIMESTAMP" },
        { name: "attributes", type: "INT64" },
        { name: "data", type: "STRING" },
      ],
      { name: "t" },
    );
    expect(() => newTopic(stack).addBigQuerySubscription(newTable(stack, { schema }), { writeMetadata: true })).toThrow(
      'writeMetadata needs a STRING or JSON column "attributes" in table events',
    );
  });

  test("a writer whose account id would come from a token name is refused", () => {
    const stack = newStack();
    const name = new TerraformVariable(stack, "name", { type: "string" }).stringValue;
    const bigquery = { table: newTable(stack) };
    expect(
      () => new StreamSubscription(stack, "sub", { topic: newTopic(stack), subscriptionName: name, bigquery }),
    ).toThrow(
      "test/sub: subscriptionName is an unresolved token (e.g. a Terraform variable); tokens are not supported for subscriptionName: the writer's default service account id is derived from it; set serviceAccountId",
    );
    expect(
      () =>
        new StreamSubscription(stack, "sub2", {
          topic: newTopic(stack, {}, "events2"),
          subscriptionName: name,
          bigquery: { ...bigquery, serviceAccountId: "writer-sa" },
        }),
    ).not.toThrow();
  });
});
