import { Construct } from "constructs";
import { dependable, TerraformOutput } from "cdktf";
import { EnvironmentConfig } from "../config/schema";
import { ITopic, Size, SsePublisherService, WorkerDirectSink } from "../constructs";

/** Props of {@link WorkerService}. */
export interface WorkerServiceProps {
  /** The environment's validated settings (`projectId`, `region`, `worker.*`, CMEK, production). */
  readonly config: EnvironmentConfig;
  /**
   * The topic the worker publishes to (`stack.ingestion.topic`). Give exactly one of `topic` and `directSink`.
   * @default - none: the worker writes BigQuery directly (`directSink`)
   */
  readonly topic?: ITopic;
  /**
   * Ingestion mode `direct`: the raw table, the error table and the API the worker writes with
   * (`stack.warehouse.wikiChanges`, `stack.ingestion.errorTable`, `stack.ingestion.directApi`).
   * @default - none: the worker publishes to `topic`
   */
  readonly directSink?: WorkerDirectSink;
  /**
   * The topic of page-state changes (`stack.pageState.topic`): the worker publishes them there too (`CDC_TOPIC`).
   * @default - none (no page-state changes)
   */
  readonly cdcTopic?: ITopic;
  /**
   * Labels of the service, repository and bucket (the provider's default labels apply as well).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/**
 * The worker layer: the SSE → Pub/Sub publisher on Cloud Run ({@link SsePublisherService}) wired
 * to the environment's config — or, in ingestion mode `direct`, the SSE → BigQuery writer of the raw
 * table. Page-state changes go to the CDC topic in every mode. The stack creates it only when
 * `worker.enabled` is true.
 */
export class WorkerService extends Construct {
  public readonly publisher: SsePublisherService;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const { config } = props;
    const settings = config.worker;
    this.publisher = new SsePublisherService(this, "sse-publisher", {
      project: config.projectId,
      region: config.region,
      topic: props.topic,
      directSink: props.directSink,
      image: settings.image,
      // Production runs exactly the image that was tested.
      requireImageDigest: config.production,
      sseUrl: settings.sseUrl,
      userAgent: settings.userAgent,
      cpu: Number(settings.cpu),
      memory: memorySize(settings.memory),
      logLevel: settings.logLevel,
      environment: {
        ...(props.cdcTopic ? { CDC_TOPIC: props.cdcTopic.topicName } : {}),
        ...settings.environment,
        // The ingestion topic carries the Avro schema generated from wiki_changes: publish Avro JSON.
        ...(props.topic && config.ingestion.topicSchema ? { MESSAGE_ENCODING: "avro-json" } : {}),
      },
      kmsKeyName: settings.kmsKeyName ?? config.kmsKeyName,
      deletionProtection: config.deletionProtection,
      forceDestroyBucket: !config.production,
      labels: { ...(props.labels ?? {}), layer: "worker" },
    });
    if (props.cdcTopic) {
      // CDC_TOPIC names the topic literally: the service starts after its publish grant (which references the topic).
      const grant = props.cdcTopic.grantPublish(this.publisher);
      const service = this.publisher.service;
      service.dependsOn = [...(service.dependsOn ?? []), dependable(grant)];
    }
    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    output("worker_service_name", this.publisher.serviceName, "Cloud Run service running the SSE publisher");
    output("worker_image_repository", this.publisher.repositoryUrl, "Push app-worker images here");
    output("worker_service_account", this.publisher.serviceAccountEmail, "Identity of the worker");
    output("worker_checkpoint", this.publisher.checkpointUri, "Checkpoint object of the worker");
  }
}

/** The config's memory limit (`512Mi`, `1Gi`: the form the schema allows) as a {@link Size}. */
function memorySize(limit: string): Size {
  const match = /^([0-9]+)(Mi|Gi)$/.exec(limit);
  if (!match) throw new Error(`worker.memory "${limit}" is not a size such as 512Mi or 1Gi`);
  const amount = Number(match[1]);
  return match[2] === "Gi" ? Size.gibibytes(amount) : Size.mebibytes(amount);
}
