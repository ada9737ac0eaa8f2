/**
 * A topic the library did not create as a {@link StreamTopic}: an imported topic
 * (`StreamTopic.fromTopicAttributes`) or a plain topic resource such as a stream topic's
 * dead-letter topic. Private to the library.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { TableSchema } from "../../schemas/table-schema";
import { TopicBase } from "./topic-base";

/** Attributes of a {@link TopicReference}. */
export interface TopicReferenceProps {
  /** Project of the topic. */
  readonly project: string;
  /** Short name of the topic (a literal where known). */
  readonly topicName: string;
  /** Full id `projects/<project>/topics/<name>` (a Terraform reference when the topic is in the stack). */
  readonly topicId: string;
  /**
   * The name grants use (a Terraform reference when the topic is in the stack, so bindings wait for it).
   * @default topicName
   */
  readonly topicNameRef?: string;
  /**
   * The table schema of the topic's Pub/Sub schema.
   * @default - no schema
   */
  readonly schema?: TableSchema;
  /**
   * The `google_pubsub_topic` of this stack the reference stands for: dependants wait for it.
   * @default - none: the topic exists already, nothing waits for it
   */
  readonly resource?: PubsubTopic;
}

/** An {@link ITopic} over given attributes; its grants create bindings under this construct. */
export class TopicReference extends TopicBase {
  public readonly project: string;
  public readonly topicName: string;
  public readonly topicId: string;
  public readonly schema?: TableSchema;
  public readonly dependables: readonly ITerraformDependable[];
  protected readonly topicNameRef: string;

  constructor(scope: Construct, id: string, props: TopicReferenceProps) {
    super(scope, id);
    this.project = props.project;
    this.topicName = props.topicName;
    this.topicId = props.topicId;
    this.topicNameRef = props.topicNameRef ?? props.topicName;
    this.schema = props.schema;
    this.dependables = props.resource ? [props.resource] : [];
  }
}
