/**
 * A subscription the library did not create: `StreamSubscription.fromSubscriptionAttributes`.
 * Private to the library.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { ITopic } from "../core/references";
import { SubscriptionBase } from "./subscription-base";

/** Attributes of a {@link SubscriptionReference}. */
export interface SubscriptionReferenceProps {
  /** Project of the subscription. */
  readonly project: string;
  /** Short name of the subscription. */
  readonly subscriptionName: string;
  /** The topic it subscribes to. */
  readonly topic: ITopic;
}

/**
 * An imported pull subscription; its grants create bindings (with literal names) under this
 * construct; nothing waits for it (it exists already).
 */
export class SubscriptionReference extends SubscriptionBase {
  public readonly project: string;
  public readonly subscriptionName: string;
  public readonly subscriptionId: string;
  public readonly topic: ITopic;
  public readonly isPushOrExport = false;
  public readonly dependables: readonly ITerraformDependable[] = [];
  protected readonly subscriptionNameRef: string;

  constructor(scope: Construct, id: string, props: SubscriptionReferenceProps) {
    super(scope, id);
    this.project = props.project;
    this.subscriptionName = props.subscriptionName;
    this.subscriptionNameRef = props.subscriptionName;
    this.subscriptionId = `projects/${props.project}/subscriptions/${props.subscriptionName}`;
    this.topic = props.topic;
  }
}
