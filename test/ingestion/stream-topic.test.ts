import { Testing } from "cdktf";
import { PubsubSchema } from "@cdktf/provider-google/lib/pubsub-schema";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { avroDefinitionFromTableSchema } from "../../constructs/pubsub/avro-schema";
import { EVENTS_SCHEMA, PROJECT, SERVICE_AGENT, newStack, newTopic, resources, synthJson } from "./helpers";

describe("StreamTopic", () => {
  test("topic: retention, persistence regions, CMEK and labels", () => {
    const stack = newStack();
    newTopic(stack, {
      messageRetentionDuration: "86400s",
      allowedPersistenceRegions: ["europe-west1"],
      kmsKeyName: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
      labels: { team: "data" },
    });
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(PubsubTopic, {
      name: "events",
      project: PROJECT,
      message_retention_duration: "86400s",
      message_storage_policy: { allowed_persistence_regions: ["europe-west1"] },
      kms_key_name: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
      labels: { team: "data" },
    });
    // The dead-letter topic shares the storage policy and key.
    expect(out).toHaveResourceWithProperties(PubsubTopic, {
      name: "events-dead-letter",
      message_storage_policy: { allowed_persistence_regions: ["europe-west1"] },
      kms_key_name: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
    });
  });

  test("defaults: 7-day retention, no schema, no storage restriction", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    const json = synthJson(stack);
    const topics = resources(json, "google_pubsub_topic");
    expect(topics).toHaveLength(2);
    for (const t of topics) {
      expect(t.message_retention_duration).toBe("604800s");
      expect(t.message_storage_policy).toBeUndefined();
      expect(t.schema_settings).toBeUndefined();
      expect(t.kms_key_name).toBeUndefined();
    }
    expect(resources(json, "google_pubsub_schema")).toHaveLength(0);
    expect(topic.topicName).toBe("events");
    expect(topic.deadLetterTopicName).toBe("events-dead-letter");
    expect(topic.deadLetterSubscription.subscriptionName).toBe("events-dead-letter-sub");
  });

  test("owns a dead-letter topic and a subscription keeping dead letters", () => {
    const stack = newStack();
    newTopic(stack);
    const json = synthJson(stack);
    const subs = resources(json, "google_pubsub_subscription");
    expect(subs).toHaveLength(1);
    const [dl] = subs;
    expect(dl.name).toBe("events-dead-letter-sub");
    expect(dl.topic).toMatch(/^\$\{google_pubsub_topic\.events_dead-letter-topic_[0-9A-F]+\.id\}$/);
    expect(dl.expiration_policy).toEqual({ ttl: "" });
    // Dead letters are not dead-lettered again.
    expect(dl.dead_letter_policy).toBeUndefined();
  });

  test("grant 1 of 2: the Pub/Sub service agent may publish to the dead-letter topic", () => {
    const stack = newStack();
    newTopic(stack);
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(PubsubTopicIamMember, {
      role: "roles/pubsub.publisher",
      member: SERVICE_AGENT,
      topic: expect.stringMatching(/^\$\{google_pubsub_topic\.events_dead-letter-topic_[0-9A-F]+\.name\}$/),
    });
  });

  test("addSubscription: ack deadline, exponential backoff, never expires, filter, exactly-once, ordering, dead-letter policy", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    const sub = topic.addSubscription("events-reader", {
      ackDeadlineSeconds: 120,
      minimumBackoff: "5s",
      maximumBackoff: "300s",
      filter: 'attributes.kind = "edit"',
      enableExactlyOnceDelivery: true,
      enableMessageOrdering: true,
      maxDeliveryAttempts: 7,
      messageRetentionDuration: "3600s",
      retainAckedMessages: true,
    });
    expect(sub.subscriptionName).toBe("events-reader");
    expect(Testing.synth(stack)).toHaveResourceWithProperties(PubsubSubscription, {
      name: "events-reader",
      project: PROJECT,
      topic: expect.stringMatching(/^\$\{google_pubsub_topic\.events_topic_[0-9A-F]+\.id\}$/),
      ack_deadline_seconds: 120,
      retry_policy: { minimum_backoff: "5s", maximum_backoff: "300s" },
      expiration_policy: { ttl: "" },
      filter: 'attributes.kind = "edit"',
      enable_exactly_once_delivery: true,
      enable_message_ordering: true,
      message_retention_duration: "3600s",
      retain_acked_messages: true,
      dead_letter_policy: {
        dead_letter_topic: expect.stringMatching(/^\$\{google_pubsub_topic\.events_dead-letter-topic_[0-9A-F]+\.id\}$/),
        max_delivery_attempts: 7,
      },
    });
  });

  test("addSubscription defaults: 60 s ack deadline, 10 s–600 s backoff, 10 attempts, no exactly-once or ordering", () => {
    const stack = newStack();
    newTopic(stack).addSubscription("events-reader");
    const sub = resources(synthJson(stack), "google_pubsub_subscription").find((s) => s.name === "events-reader");
    expect(sub).toMatchObject({
      ack_deadline_seconds: 60,
      retry_policy: { minimum_backoff: "10s", maximum_backoff: "600s" },
      expiration_policy: { ttl: "" },
      enable_exactly_once_delivery: false,
      enable_message_ordering: false,
      message_retention_duration: "604800s",
      retain_acked_messages: false,
      dead_letter_policy: { max_delivery_attempts: 10 },
    });
    expect(sub.filter).toBeUndefined();
  });

  test("grant 2 of 2: the service agent may subscribe to each dead-lettering subscription, and nothing else", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    topic.addSubscription("events-a");
    topic.addSubscription("events-b");
    topic.addSubscription("events-c", { deadLetter: false });
    const json = synthJson(stack);
    const subscriberGrants = resources(json, "google_pubsub_subscription_iam_member").filter(
      (g) => g.member === SERVICE_AGENT,
    );
    expect(subscriberGrants).toHaveLength(2);
    for (const grant of subscriberGrants) expect(grant.role).toBe("roles/pubsub.subscriber");
    expect(subscriberGrants.map((g) => g.subscription).join(" ")).toMatch(/events-a.*events-b|events-b.*events-a/);
    const topicGrants = resources(json, "google_pubsub_topic_iam_member").filter((g) => g.member === SERVICE_AGENT);
    expect(topicGrants).toHaveLength(1);
    // The agent holds no other role anywhere in the stack.
    const everyGrant = Object.entries(json.resource)
      .filter(([type]) => type.endsWith("_iam_member"))
      .flatMap(([, rs]) => Object.values(rs as Record<string, any>));
    expect(everyGrant.filter((g) => g.member === SERVICE_AGENT)).toHaveLength(3);
    const noDeadLetter = resources(json, "google_pubsub_subscription").find((s) => s.name === "events-c");
    expect(noDeadLetter.dead_letter_policy).toBeUndefined();
  });

  test("grantPublish and grantSubscribe add topic-level members, once each", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    const sa = "serviceAccount:worker@test-project.iam.gserviceaccount.com";
    const first = topic.grantPublish(sa);
    expect(topic.grantPublish(sa)).toBe(first);
    topic.grantSubscribe("group:readers@example.com");
    const json = synthJson(stack);
    const grants = resources(json, "google_pubsub_topic_iam_member").filter((g) => g.member !== SERVICE_AGENT);
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ role: "roles/pubsub.publisher", member: sa, project: PROJECT }),
        expect.objectContaining({ role: "roles/pubsub.subscriber", member: "group:readers@example.com" }),
      ]),
    );
    expect(grants).toHaveLength(2);
    for (const g of grants) expect(g.topic).toMatch(/google_pubsub_topic\.events_topic_/);
  });

  test("subscription.grantSubscribe adds a subscription-level member", () => {
    const stack = newStack();
    const sub = newTopic(stack).addSubscription("events-reader");
    sub.grantSubscribe("serviceAccount:reader@test-project.iam.gserviceaccount.com");
    expect(Testing.synth(stack)).toHaveResourceWithProperties(PubsubSubscriptionIamMember, {
      role: "roles/pubsub.subscriber",
      member: "serviceAccount:reader@test-project.iam.gserviceaccount.com",
      subscription: expect.stringMatching(
        /google_pubsub_subscription\.events_subscription-events-reader_subscription_/,
      ),
    });
  });

  test("refuses public members and malformed members", () => {
    const topic = newTopic(newStack());
    expect(() => topic.grantPublish("allUsers")).toThrow(
      'test/events: member "allUsers" is public; grant access to specific principals only',
    );
    expect(() => topic.grantSubscribe("allAuthenticatedUsers")).toThrow(/is public/);
    expect(() => topic.grantPublish("worker@test-project.iam.gserviceaccount.com")).toThrow(
      /is not an IAM member; expected one of user:…/,
    );
  });

  test("schema: an AVRO Pub/Sub schema generated from the table schema, JSON encoding on the topic only", () => {
    const stack = newStack();
    const topic = newTopic(stack, { schema: EVENTS_SCHEMA });
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(PubsubSchema, {
      name: "events-schema",
      project: PROJECT,
      type: "AVRO",
      definition: avroDefinitionFromTableSchema(EVENTS_SCHEMA),
    });
    expect(out).toHaveResourceWithProperties(PubsubTopic, {
      name: "events",
      schema_settings: {
        schema: expect.stringMatching(/^\$\{google_pubsub_schema\.events_schema_[0-9A-F]+\.id\}$/),
        encoding: "JSON",
      },
    });
    const dl = resources(JSON.parse(out), "google_pubsub_topic").find((t) => t.name === "events-dead-letter");
    expect(dl.schema_settings).toBeUndefined();
    expect(topic.schemaName).toBe("events-schema");
  });

  describe("validation", () => {
    test("a subscription with 3 max delivery attempts fails with the construct path and the rule", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { maxDeliveryAttempts: 3 })).toThrow(
        "test/events/subscription-events-reader: maxDeliveryAttempts is 3; a dead-letter policy allows 5 to 100 delivery attempts",
      );
    });

    test.each([4, 101, 7.5])("maxDeliveryAttempts %p is refused", (attempts) => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { maxDeliveryAttempts: attempts })).toThrow(
        /allows 5 to 100 delivery attempts/,
      );
    });

    test.each([5, 100])("maxDeliveryAttempts %p is accepted", (attempts) => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { maxDeliveryAttempts: attempts })).not.toThrow();
    });

    test("maxDeliveryAttempts without dead-lettering is contradictory", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { deadLetter: false, maxDeliveryAttempts: 10 })).toThrow(
        /maxDeliveryAttempts is set but deadLetter is false/,
      );
    });

    test("ack deadline outside 10–600 s", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { ackDeadlineSeconds: 5 })).toThrow(
        "test/events/subscription-events-reader: ackDeadlineSeconds is 5; Pub/Sub allows whole seconds from 10 to 600",
      );
      expect(() => topic.addSubscription("events-other", { ackDeadlineSeconds: 601 })).toThrow(/from 10 to 600/);
    });

    test("backoff out of range or inverted", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-a", { maximumBackoff: "601s" })).toThrow(
        /maximumBackoff is 601s; Pub\/Sub allows 0s to 600s/,
      );
      expect(() => topic.addSubscription("events-b", { minimumBackoff: "60s", maximumBackoff: "30s" })).toThrow(
        /minimumBackoff 60s is longer than maximumBackoff 30s/,
      );
      expect(() => topic.addSubscription("events-c", { minimumBackoff: "ten seconds" })).toThrow(
        /is not a duration in seconds/,
      );
    });

    test("filter longer than 256 bytes", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { filter: `attributes.k = "${"x".repeat(250)}"` })).toThrow(
        /filter is 267 bytes; Pub\/Sub filters are 1 to 256 bytes/,
      );
    });

    test("retention outside 10 minutes–31 days", () => {
      expect(() => newTopic(newStack(), { messageRetentionDuration: "599s" })).toThrow(
        "test/events: messageRetentionDuration is 599s; Pub/Sub allows 600s to 2678400s",
      );
      expect(() => newTopic(newStack(), { messageRetentionDuration: "2678401s" })).toThrow(/allows 600s to 2678400s/);
    });

    test("names, regions, keys and project numbers", () => {
      expect(() => newTopic(newStack(), { topicName: "goog-events" })).toThrow(/topic name "goog-events" is not valid/);
      expect(() => newTopic(newStack(), { topicName: "ev" })).toThrow(/topic name "ev" is not valid/);
      expect(() => newTopic(newStack(), { allowedPersistenceRegions: [] })).toThrow(
        /allowedPersistenceRegions is empty/,
      );
      expect(() => newTopic(newStack(), { allowedPersistenceRegions: ["europe"] })).toThrow(
        /"europe" is not a region name/,
      );
      expect(() => newTopic(newStack(), { kmsKeyName: "key" })).toThrow(
        /kmsKeyName "key" must be projects\/P\/locations/,
      );
      expect(() => newTopic(newStack(), { projectNumber: "my-project" })).toThrow(
        /project number "my-project" is not a project number/,
      );
    });
  });
});
