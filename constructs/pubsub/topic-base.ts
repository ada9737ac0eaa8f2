/**
 * What every {@link ITopic} of the library shares, whether it creates the topic (`StreamTopic`) or
 * stands for one made elsewhere (`StreamTopic.fromTopicAttributes`, `fromTopicResource`, a stream
 * topic's dead-letter topic): the grants.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { TableSchema } from "../../schemas/table-schema";
import { IGrantable } from "../core/principal";
import { ITopic } from "../core/references";
import { grantOnTopic } from "./pubsub-common";

/**
 * The base of every `ITopic` of the library, created or imported: the topic grants, written once.
 * Subclasses give the attributes and how a binding names the topic ({@link topicNameRef}). Every
 * binding is created in this construct.
 */
export abstract class TopicBase extends Construct implements ITopic {
  /** Project of the topic. */
  public abstract readonly project: string;
  /** Short name of the topic. */
  public abstract readonly topicName: string;
  /** Full id `projects/<project>/topics/<name>` (a Terraform reference when created in this stack). */
  public abstract readonly topicId: string;
  /** The table schema of the topic's Pub/Sub schema, when it has one. */
  public abstract readonly schema?: TableSchema;
  /** What creates the topic in this stack (empty when imported). */
  public abstract readonly dependables: readonly ITerraformDependable[];

  /**
   * The topic's name as its IAM bindings give it: a Terraform reference to the topic when it is
   * created in this stack (so a binding is created after it), its literal name otherwise.
   */
  protected abstract readonly topicNameRef: string;

  /** Lets `grantee` publish to the topic (`roles/pubsub.publisher` on the topic). Idempotent. */
  public grantPublish(grantee: IGrantable): PubsubTopicIamMember {
    return grantOnTopic(this, this.project, this.topicNameRef, "roles/pubsub.publisher", grantee);
  }

  /**
   * Lets `grantee` attach its own subscriptions to the topic (`roles/pubsub.subscriber` on the topic).
   * To consume an existing subscription, grant on the subscription instead. Idempotent.
   */
  public grantSubscribe(grantee: IGrantable): PubsubTopicIamMember {
    return grantOnTopic(this, this.project, this.topicNameRef, "roles/pubsub.subscriber", grantee);
  }

  /**
   * Lets `grantee` read the topic's metadata (`roles/pubsub.viewer` on the topic), as Dataflow's
   * Pub/Sub reader needs. Idempotent.
   */
  public grantView(grantee: IGrantable): PubsubTopicIamMember {
    return grantOnTopic(this, this.project, this.topicNameRef, "roles/pubsub.viewer", grantee);
  }
}
