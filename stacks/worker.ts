import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { EnvironmentConfig } from "../config/schema";
import {
  ITopic,
  Size,
  SsePublisherBase,
  SsePublisherProps,
  SsePublisherService,
  SsePublisherWorkerPool,
  WorkerDirectSink,
} from "../constructs";

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
   * Labels of the worker pool or service, repository and bucket (the provider's default labels apply as well).
   * @default {}
   */
  readonly labels?: Record<string, string>;
}

/**
 * The worker layer: the SSE → Pub/Sub publisher wired to the environment's config — or, in ingestion mode
 * `direct`, the SSE → BigQuery writer of the raw table — run by a Cloud Run worker pool
 * ({@link SsePublisherWorkerPool}, `worker.host: "worker-pool"`, the default) or a Cloud Run service
 * ({@link SsePublisherService}, `"service"`). Page-state changes go to the CDC topic in every mode. The stack
 * creates it only when `worker.enabled` is true.
 */
export class WorkerService extends Construct {
  /** The worker, whichever its host. */
  public readonly publisher: SsePublisherBase;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const { config } = props;
    const settings = config.worker;
    const common: SsePublisherProps = {
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
    };
    this.publisher =
      settings.host === "service"
        ? new SsePublisherService(this, "sse-publisher", common)
        : new SsePublisherWorkerPool(this, "sse-publisher", common);
    if (props.cdcTopic) {
      // CDC_TOPIC names the topic literally: the worker starts after its publish grant (which references the topic).
      this.publisher.startAfter(props.cdcTopic.grantPublish(this.publisher));
    }
    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    const pool = this.publisher instanceof SsePublisherWorkerPool ? this.publisher : undefined;
    if (pool) output("worker_pool_name", pool.workerPoolName, "Cloud Run worker pool running the SSE publisher");
    else {
      const service = (this.publisher as SsePublisherService).serviceName;
      output("worker_service_name", service, "Cloud Run service running the SSE publisher");
    }
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
