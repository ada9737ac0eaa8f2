/**
 * The `local` stack's Pub/Sub ingestion provisioned on both emulators, for the programs that drive the demo's
 * bridge (test/demo/bridge-redelivery.ts, test/evolution/pubsub-rollout.ts): the resources, the clients, the
 * ingestion subscription and raw table, an error table in the Dataflow template's shape, and publishers like the
 * worker's.
 */
import { BigQuery } from "@google-cloud/bigquery";
import { PubSub } from "@google-cloud/pubsub";
import { BoundedPublisher } from "../../app-worker/src/publisher";
import { DATAFLOW_DEADLETTER_SCHEMA } from "../../constructs/dataflow/pubsub-to-bigquery-job";
import { LocalResources, synthesizeLocalStack } from "../../demo/local-stack";
import { provisionBigQuery, provisionPubSub } from "../../demo/provision";
import { INGESTION_NAMES } from "../../stacks/ingestion";
import { TEST_PUBLISHER_LIMITS } from "../evolution/rollout";

export interface LocalIngestion {
  readonly resources: LocalResources;
  readonly projectId: string;
  readonly bigquery: BigQuery;
  readonly pubsub: PubSub;
  /** The subscription the BigQuery delivery reads (the bridge stands in for it). */
  readonly subscription: LocalResources["subscriptions"][number];
  /** The raw table as dataset.table. */
  readonly rawTable: string;
  /** The error table as dataset.table. */
  readonly errorTable: string;
  /** A publisher to the ingestion topic with the worker's publishing code. */
  publisher(): BoundedPublisher;
}

/** Provisions the `local` stack on the emulators and an error table named `errorTableId` beside the raw table. */
export async function provisionLocalIngestion(
  bigqueryEndpoint: string,
  pubsubHost: string,
  errorTableId: string,
): Promise<LocalIngestion> {
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  const resources = synthesizeLocalStack();
  const { projectId } = resources.config;
  const bigquery = new BigQuery({ projectId, apiEndpoint: bigqueryEndpoint });
  const pubsub = new PubSub({ projectId, apiEndpoint: pubsubHost, emulatorMode: true });
  await provisionBigQuery(bigquery, resources);
  await provisionPubSub(pubsub, resources);
  const subscription = resources.subscriptions.find(
    (s) => s.topic === INGESTION_NAMES.topic && s.bigQueryTable !== undefined,
  )!;
  const rawTable = subscription.bigQueryTable!;
  const [dataset] = rawTable.split(".");
  await bigquery
    .dataset(dataset)
    .createTable(errorTableId, { schema: { fields: DATAFLOW_DEADLETTER_SCHEMA.toBigQueryJson() } });
  const publisher = () =>
    new BoundedPublisher({
      project: projectId,
      topic: INGESTION_NAMES.topic,
      ...TEST_PUBLISHER_LIMITS,
    });
  return {
    resources,
    projectId,
    bigquery,
    pubsub,
    subscription,
    rawTable,
    errorTable: `${dataset}.${errorTableId}`,
    publisher,
  };
}
