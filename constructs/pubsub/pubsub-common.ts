/**
 * Rules and IAM bindings shared by the Pub/Sub constructs (topics, subscriptions and their
 * imported references). Private to the library.
 */
import { Construct } from "constructs";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { PUBSUB_NAME } from "../../schemas/naming";
import { Duration } from "../core/duration";
import { grantOnce } from "../core/grants";
import { IGrantable } from "../core/principal";
import { fail, isKnown, validateDuration } from "../core/validation";

/** Pub/Sub keeps messages (topic retention, subscription backlog) from 10 minutes to 31 days. */
export const MIN_MESSAGE_RETENTION = Duration.minutes(10);
/** See {@link MIN_MESSAGE_RETENTION}. */
export const MAX_MESSAGE_RETENTION = Duration.days(31);
/** The default retention of topics and subscriptions: 7 days (`604800s`). */
export const DEFAULT_MESSAGE_RETENTION = Duration.days(7);

/** Checks a Pub/Sub topic, subscription or schema name. */
export function validatePubsubName(path: string, what: string, name: string): void {
  if (!isKnown(name)) return;
  if (!PUBSUB_NAME.test(name) || name.toLowerCase().startsWith("goog")) {
    fail(
      path,
      `${what} "${name}" is not valid; use 3-255 letters, digits and - _ . ~ + %, starting with a letter and not with "goog"`,
    );
  }
}

/** Checks a message retention (topic or subscription) against Pub/Sub's 10 minutes to 31 days. */
export function validateMessageRetention(path: string, what: string, value: Duration): Duration {
  return validateDuration(path, what, value, {
    min: MIN_MESSAGE_RETENTION,
    max: MAX_MESSAGE_RETENTION,
    rule: "Pub/Sub allows",
  });
}

/** Grants `role` on a topic to `grantee`, once, with the binding created in `scope` (the topic's construct). */
export function grantOnTopic(
  scope: Construct,
  project: string,
  topic: string,
  role: string,
  grantee: IGrantable,
): PubsubTopicIamMember {
  return grantOnce(
    scope,
    role,
    grantee,
    (id, member) => new PubsubTopicIamMember(scope, id, { project, topic, role, member }),
  );
}

/** Grants `role` on a subscription to `grantee`, once, with the binding created in `scope` (the subscription's construct). */
export function grantOnSubscription(
  scope: Construct,
  project: string,
  subscription: string,
  role: string,
  grantee: IGrantable,
): PubsubSubscriptionIamMember {
  return grantOnce(
    scope,
    role,
    grantee,
    (id, member) => new PubsubSubscriptionIamMember(scope, id, { project, subscription, role, member }),
  );
}
