/**
 * What every {@link ISubscription} of the library shares, whether it creates the subscription
 * (`StreamSubscription`) or imports one (`StreamSubscription.fromSubscriptionAttributes`): the grants.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { PubsubSubscriptionIamMember } from "@cdktf/provider-google/lib/pubsub-subscription-iam-member";
import { IGrantable } from "../core/principal";
import { ISubscription, ITopic } from "../core/references";
import { grantOnSubscription } from "./pubsub-common";

/**
 * The base of every `ISubscription` of the library, created or imported: the subscription grants,
 * written once. Subclasses give the attributes and how a binding names the subscription
 * ({@link subscriptionNameRef}). Every binding is created in this construct.
 */
export abstract class SubscriptionBase extends Construct implements ISubscription {
  /** Project of the subscription. */
  public abstract readonly project: string;
  /** Short name of the subscription. */
  public abstract readonly subscriptionName: string;
  /** Full id `projects/<project>/subscriptions/<name>` (a Terraform reference when created in this stack). */
  public abstract readonly subscriptionId: string;
  /** The topic it subscribes to. */
  public abstract readonly topic: ITopic;
  /** Whether Pub/Sub itself delivers the messages (a BigQuery subscription): nobody may pull it. */
  public abstract readonly isPushOrExport: boolean;
  /** What creates the subscription in this stack (empty when imported). */
  public abstract readonly dependables: readonly ITerraformDependable[];

  /**
   * The subscription's name as its IAM bindings give it: a Terraform reference to the subscription
   * when it is created in this stack (so a binding is created after it), its literal name otherwise.
   */
  protected abstract readonly subscriptionNameRef: string;

  /** Lets `grantee` pull and acknowledge messages of this subscription (`roles/pubsub.subscriber` on it). Idempotent. */
  public grantSubscribe(grantee: IGrantable): PubsubSubscriptionIamMember {
    return grantOnSubscription(this, this.project, this.subscriptionNameRef, "roles/pubsub.subscriber", grantee);
  }

  /** Lets `grantee` read this subscription's metadata (`roles/pubsub.viewer` on it). Idempotent. */
  public grantView(grantee: IGrantable): PubsubSubscriptionIamMember {
    return grantOnSubscription(this, this.project, this.subscriptionNameRef, "roles/pubsub.viewer", grantee);
  }
}
