/**
 * A subscription the library did not create: `StreamSubscription.fromSubscriptionAttributes`.
 * Private to the library.
 */
import { Construct } from "constructs";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { IGrantable } from "../core/principal";
import { ISubscription, ITopic } from "../core/references";
import { grantOnSubscription } from "./pubsub-common";

/** Attributes of a {@link SubscriptionReference}. */
export interface SubscriptionReferenceProps {
  /** Project of the subscription. */
  readonly project: string;
  /** Short name of the subscription. */
  readonly subscriptionName: string;
  /** The topic it subscribes to. */
  readonly topic: ITopic;
}

/** An imported pull subscription; its grants create bindings (with literal names) under this construct. */
export class SubscriptionReference extends Construct implements ISubscription {
  public readonly project: string;
  public readonly subscriptionName: string;
  public readonly subscriptionId: string;
  public readonly topic: ITopic;
  public readonly isPushOrExport = false;

  constructor(scope: Construct, id: string, props: SubscriptionReferenceProps) {
    super(scope, id);
    this.project = props.project;
    this.subscriptionName = props.subscriptionName;
    this.subscriptionId = `projects/${props.project}/subscriptions/${props.subscriptionName}`;
    this.topic = props.topic;
  }

  public grantSubscribe(grantee: IGrantable): PubsubSubscriptionIamMember {
    return grantOnSubscription(this, this.project, this.subscriptionName, "roles/pubsub.subscriber", grantee);
  }

  public grantView(grantee: IGrantable): PubsubSubscriptionIamMember {
    return grantOnSubscription(this, this.project, this.subscriptionName, "roles/pubsub.viewer", grantee);
  }
}
