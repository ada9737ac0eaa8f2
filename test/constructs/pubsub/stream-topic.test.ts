import { TerraformVariable, Testing, Token } from "cdktf";
import { PubsubSchema } from "@cdktf/provider-google/lib/pubsub-schema";
import { PubsubSubscription } from "@cdktf/provider-google/lib/pubsub-subscription";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { Duration } from "../../../constructs/core/duration";
import { IGrantable, Principal } from "../../../constructs/core/principal";
import { avroDefinitionFromTableSchema } from "../../../constructs/pubsub/avro-schema";
import { StreamSubscription } from "../../../constructs/pubsub/stream-subscription";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import {
  EVENTS_SCHEMA,
  PROJECT,
  PROJECT_NUMBER,
  SERVICE_AGENT,
  newStack,
  newTopic,
  resources,
  synthStack,
} from "../../support";

describe("StreamTopic.fromTopicResource", () => {
  test("a plain topic of the stack as an ITopic: grants name it by reference and are made once", () => {
    const stack = newStack();
    const plain = new PubsubTopic(stack, "plain", { project: PROJECT, name: "report-runs" });
    const topic = StreamTopic.fromTopicResource(stack, "plain-ref", plain);
    const analysts = Principal.group("analysts@example.com");
    expect(topic.grantSubscribe(analysts)).toBe(topic.grantSubscribe(analysts));
    const [binding] = resources(synthStack(stack), "google_pubsub_topic_iam_member");
    expect(binding).toEqual(
      expect.objectContaining({
        topic: "${google_pubsub_topic.plain.name}",
        role: "roles/pubsub.subscriber",
        member: "group:analysts@example.com",
      }),
    );
    expect(topic.topicId).toMatch(/^\$\{TfToken/);
  });
});

describe("StreamTopic", () => {
  test("topic: retention, persistence regions, CMEK and labels", () => {
    const stack = newStack();
    newTopic(stack, {
      messageRetentionDuration: Duration.days(1),
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
    const json = synthStack(stack);
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
    expect(topic.deadLetterSubscription.topic).toBe(topic.deadLetterTopic);
    expect(topic.deadLetterTopic.topicName).toBe("events-dead-letter");
  });

  test("owns a dead-letter topic and a subscription keeping dead letters", () => {
    const stack = newStack();
    newTopic(stack);
    const json = synthStack(stack);
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
      ackDeadline: Duration.minutes(2),
      minimumBackoff: Duration.seconds(5),
      maximumBackoff: Duration.minutes(5),
      filter: 'attributes.kind = "edit"',
      enableExactlyOnceDelivery: true,
      enableMessageOrdering: true,
      maxDeliveryAttempts: 7,
      messageRetentionDuration: Duration.hours(1),
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
    const sub = resources(synthStack(stack), "google_pubsub_subscription").find((s) => s.name === "events-reader");
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
    const json = synthStack(stack);
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
    const first = topic.grantPublish(Principal.serviceAccount("worker@test-project.iam.gserviceaccount.com"));
    // The same grantee twice (even as another Principal object): one binding.
    expect(topic.grantPublish(Principal.fromMember(sa))).toBe(first);
    topic.grantSubscribe(Principal.group("readers@example.com"));
    const json = synthStack(stack);
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
    const reader = Principal.serviceAccount("reader@test-project.iam.gserviceaccount.com");
    const first = sub.grantSubscribe(reader);
    expect(sub.grantSubscribe(reader)).toBe(first);
    sub.grantView(reader);
    const json = synthStack(stack);
    const readerGrants = resources(json, "google_pubsub_subscription_iam_member").filter(
      (g) => g.member === reader.iamMember,
    );
    expect(readerGrants.map((g) => g.role).sort()).toEqual(["roles/pubsub.subscriber", "roles/pubsub.viewer"]);
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
    expect(() => Principal.fromMember("allUsers")).toThrow(/refusing the public member "allUsers"/);
    const everyone: IGrantable = { grantPrincipal: { iamMember: "allUsers" } };
    expect(() => topic.grantPublish(everyone)).toThrow(
      'test/events: refusing to grant access to "allUsers"; grant access to specific principals only, never the public',
    );
    expect(() => topic.grantSubscribe({ grantPrincipal: { iamMember: "allAuthenticatedUsers" } })).toThrow(
      /test\/events: refusing to grant access to "allAuthenticatedUsers"/,
    );
    const sub = topic.addSubscription("events-reader");
    expect(() => sub.grantSubscribe(everyone)).toThrow(
      /test\/events\/subscription-events-reader: refusing to grant access to "allUsers"/,
    );
    expect(() =>
      topic.grantPublish({ grantPrincipal: { iamMember: "worker@test-project.iam.gserviceaccount.com" } }),
    ).toThrow(/is not an IAM member; expected one of user:…/);
  });

  test("a pull subscription has no identity to grant to", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    const pull = topic.addSubscription("events-reader");
    expect(() => topic.grantView(pull)).toThrow(
      'test/events/subscription-events-reader: subscription "events-reader" is a pull subscription and has no identity of its own',
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
    expect(topic.schema).toBe(EVENTS_SCHEMA);
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
        "test/events/subscription-events-reader: maxDeliveryAttempts is set but dead-lettering is off (deadLetter is false, or no deadLetterTopic)",
      );
    });

    test("ack deadline outside 10 seconds–10 minutes, or not whole seconds", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { ackDeadline: Duration.seconds(5) })).toThrow(
        "test/events/subscription-events-reader: ackDeadline is 5 seconds; Pub/Sub allows 10 seconds to 10 minutes",
      );
      expect(() => topic.addSubscription("events-other", { ackDeadline: Duration.seconds(601) })).toThrow(
        /ackDeadline is 10 minutes 1 second; Pub\/Sub allows 10 seconds to 10 minutes/,
      );
      expect(() => topic.addSubscription("events-third", { ackDeadline: Duration.millis(10_500) })).toThrow(
        "test/events/subscription-events-third: ackDeadline is 10 seconds 500 milliseconds; it must be a whole number of seconds",
      );
      expect(() => topic.addSubscription("events-fourth", { ackDeadline: Duration.minutes(10) })).not.toThrow();
    });

    test("backoff out of range or inverted", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-a", { maximumBackoff: Duration.seconds(601) })).toThrow(
        "test/events/subscription-events-a: maximumBackoff is 10 minutes 1 second; Pub/Sub allows 0 seconds to 10 minutes",
      );
      expect(() =>
        topic.addSubscription("events-b", {
          minimumBackoff: Duration.minutes(1),
          maximumBackoff: Duration.seconds(30),
        }),
      ).toThrow("test/events/subscription-events-b: minimumBackoff 1 minute is longer than maximumBackoff 30 seconds");
      expect(() => topic.addSubscription("events-c", { minimumBackoff: "10s" as never })).toThrow(
        'test/events/subscription-events-c: minimumBackoff must be a Duration (e.g. Duration.days(7)), got "10s"',
      );
    });

    test("filter longer than 256 bytes", () => {
      const topic = newTopic(newStack());
      expect(() => topic.addSubscription("events-reader", { filter: `attributes.k = "${"x".repeat(250)}"` })).toThrow(
        /filter is 267 bytes; Pub\/Sub filters are 1 to 256 bytes/,
      );
    });

    test("retention outside 10 minutes–31 days", () => {
      expect(() => newTopic(newStack(), { messageRetentionDuration: Duration.seconds(599) })).toThrow(
        "test/events: messageRetentionDuration is 9 minutes 59 seconds; Pub/Sub allows 10 minutes to 31 days",
      );
      expect(() => newTopic(newStack(), { messageRetentionDuration: Duration.seconds(2678401) })).toThrow(
        "test/events: messageRetentionDuration is 31 days 1 second; Pub/Sub allows 10 minutes to 31 days",
      );
      expect(() => newTopic(newStack(), { deadLetterRetentionDuration: Duration.days(32) })).toThrow(
        "test/events: deadLetterRetentionDuration is 32 days; Pub/Sub allows 10 minutes to 31 days",
      );
      expect(() =>
        newTopic(newStack()).addSubscription("events-reader", { messageRetentionDuration: Duration.minutes(9) }),
      ).toThrow(
        "test/events/subscription-events-reader: messageRetentionDuration is 9 minutes; Pub/Sub allows 10 minutes to 31 days",
      );
      expect(() => newTopic(newStack(), { messageRetentionDuration: Duration.days(31) })).not.toThrow();
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
        'test/events: kmsKeyName "key" is invalid; expected projects/P/locations/L/keyRings/R/cryptoKeys/K',
      );
      expect(() => newTopic(newStack(), { labels: { Team: "data" } })).toThrow(
        /test\/events: label key "Team" is invalid/,
      );
      expect(() => newTopic(newStack(), { projectNumber: "my-project" })).toThrow(
        /project number "my-project" is not a project number/,
      );
    });
  });

  describe("Duration props accept Terraform variables", () => {
    test("a variable amount synthesizes an expression, not a number, and skips the range checks", () => {
      const stack = newStack();
      const days = Token.asNumber(new TerraformVariable(stack, "retention_days", { type: "number" }).value);
      const seconds = Token.asNumber(new TerraformVariable(stack, "ack_seconds", { type: "number" }).value);
      newTopic(stack, { messageRetentionDuration: Duration.days(days) }).addSubscription("events-reader", {
        ackDeadline: Duration.seconds(seconds),
        maximumBackoff: Duration.seconds(seconds),
      });
      const json = synthStack(stack);
      const topic = resources(json, "google_pubsub_topic").find((t) => t.name === "events");
      expect(topic.message_retention_duration).toBe("${(var.retention_days * 86400)}s");
      const sub = resources(json, "google_pubsub_subscription").find((s) => s.name === "events-reader");
      expect(sub.ack_deadline_seconds).toBe("${var.ack_seconds}");
      expect(sub.retry_policy.maximum_backoff).toBe("${var.ack_seconds}s");
    });
  });

  describe("fromTopicAttributes", () => {
    test("an imported topic: grants bind to its literal name under the importing scope, once per grantee", () => {
      const stack = newStack();
      const imported = StreamTopic.fromTopicAttributes(stack, "shared", {
        project: "other-project",
        topicName: "shared-events",
      });
      expect(imported.topicId).toBe("projects/other-project/topics/shared-events");
      expect(imported.schema).toBeUndefined();
      const publisher = Principal.serviceAccount("publisher@test-project.iam.gserviceaccount.com");
      const first = imported.grantPublish(publisher);
      expect(imported.grantPublish(publisher)).toBe(first);
      imported.grantView(publisher);
      const grants = resources(synthStack(stack), "google_pubsub_topic_iam_member");
      expect(grants).toEqual([
        {
          project: "other-project",
          topic: "shared-events",
          role: "roles/pubsub.publisher",
          member: publisher.iamMember,
        },
        { project: "other-project", topic: "shared-events", role: "roles/pubsub.viewer", member: publisher.iamMember },
      ]);
      expect(Object.keys(synthStack(stack).resource.google_pubsub_topic_iam_member)[0]).toMatch(
        /^shared_grant-publisher-[0-9a-f]+_[0-9A-F]+$/,
      );
    });

    test("a subscription on an imported topic, dead-lettering to another imported topic", () => {
      const stack = newStack();
      const topic = StreamTopic.fromTopicAttributes(stack, "shared", { project: PROJECT, topicName: "shared-events" });
      const deadLetters = StreamTopic.fromTopicAttributes(stack, "shared-dl", {
        project: PROJECT,
        topicName: "shared-events-dead-letter",
      });
      const sub = new StreamSubscription(stack, "reader", {
        topic,
        subscriptionName: "shared-events-reader",
        deadLetterTopic: deadLetters,
        projectNumber: PROJECT_NUMBER,
        maxDeliveryAttempts: 5,
      });
      expect(sub.project).toBe(PROJECT);
      expect(sub.isPushOrExport).toBe(false);
      const json = synthStack(stack);
      expect(resources(json, "google_pubsub_subscription")).toEqual([
        expect.objectContaining({
          name: "shared-events-reader",
          topic: "projects/test-project/topics/shared-events",
          dead_letter_policy: {
            dead_letter_topic: "projects/test-project/topics/shared-events-dead-letter",
            max_delivery_attempts: 5,
          },
          labels: {},
        }),
      ]);
      // What dead-lettering needs: the service agent publishes to the dead-letter topic and subscribes to the subscription.
      expect(resources(json, "google_pubsub_topic_iam_member")).toEqual([
        { project: PROJECT, topic: "shared-events-dead-letter", role: "roles/pubsub.publisher", member: SERVICE_AGENT },
      ]);
      expect(resources(json, "google_pubsub_subscription_iam_member")).toEqual([
        expect.objectContaining({ role: "roles/pubsub.subscriber", member: SERVICE_AGENT }),
      ]);
    });

    test("dead-lettering without the project number is refused", () => {
      const stack = newStack();
      const topic = StreamTopic.fromTopicAttributes(stack, "shared", { project: PROJECT, topicName: "shared-events" });
      expect(
        () => new StreamSubscription(stack, "reader", { topic, subscriptionName: "reader", deadLetterTopic: topic }),
      ).toThrow("test/reader: deadLetterTopic needs projectNumber");
      expect(() => StreamTopic.fromTopicAttributes(stack, "bad", { project: PROJECT, topicName: "ab" })).toThrow(
        'test/bad: topic name "ab" is not valid',
      );
    });
  });
});

describe("a subscription declared forDataflow", () => {
  test("has no dead-letter policy, no retry policy and no service-agent subscriber grant", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    const sub = topic.addSubscription("events-dataflow", { forDataflow: true });
    const json = synthStack(stack);
    const body = resources(json, "google_pubsub_subscription").find((s) => s.name === "events-dataflow");
    expect(body.dead_letter_policy).toBeUndefined();
    expect(body.retry_policy).toBeUndefined();
    expect(body.expiration_policy).toEqual({ ttl: "" });
    expect(sub.forDataflow).toBe(true);
    expect(sub.deadLetterEnabled).toBe(false);
    const subscriberGrants = resources(json, "google_pubsub_subscription_iam_member").filter(
      (g) => g.member === SERVICE_AGENT,
    );
    expect(subscriberGrants).toEqual([]);
  });

  test("a plain pull subscription keeps both (the rule only applies when declared)", () => {
    const stack = newStack();
    newTopic(stack).addSubscription("events-reader");
    const body = resources(synthStack(stack), "google_pubsub_subscription").find((s) => s.name === "events-reader");
    expect(body.dead_letter_policy).toMatchObject({ max_delivery_attempts: 10 });
    expect(body.retry_policy).toEqual({ minimum_backoff: "10s", maximum_backoff: "600s" });
  });

  test.each([
    [{ deadLetter: true }, "a dead-letter topic (deadLetter / deadLetterTopic)"],
    [{ maxDeliveryAttempts: 10 }, "maxDeliveryAttempts (10)"],
    [{ minimumBackoff: Duration.seconds(5) }, "minimumBackoff (5 seconds)"],
    [{ maximumBackoff: Duration.minutes(5) }, "maximumBackoff (5 minutes)"],
  ])("refuses %p at synthesis, naming the construct path, the value and the rule", (options, named) => {
    const topic = newTopic(newStack());
    expect(() => topic.addSubscription("events-dataflow", { forDataflow: true, ...options })).toThrow(
      `test/events/subscription-events-dataflow: subscription "events-dataflow" is read by Dataflow (forDataflow), which does not support a subscription's dead-letter or retry policy; remove ${named}: the pipeline's error table is its dead-letter path`,
    );
  });

  test("refuses an explicit dead-letter topic on a StreamSubscription", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    const other = newTopic(stack, { topicName: "other" }, "other");
    expect(
      () =>
        new StreamSubscription(stack, "direct", {
          topic,
          subscriptionName: "events-direct",
          forDataflow: true,
          deadLetterTopic: other,
          projectNumber: PROJECT_NUMBER,
        }),
    ).toThrow(/is read by Dataflow \(forDataflow\).*remove a dead-letter topic/);
  });

  test("is for pull subscriptions only", () => {
    const stack = newStack();
    const topic = newTopic(stack);
    expect(
      () =>
        new StreamSubscription(stack, "bq", {
          topic,
          subscriptionName: "events-bq",
          forDataflow: true,
          bigquery: { table: {} as never },
        }),
    ).toThrow(
      "test/bq: forDataflow is for a pull subscription a Dataflow job reads; a BigQuery subscription has no reader",
    );
  });
});
