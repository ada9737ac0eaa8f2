/**
 * Creates the local stack's datasets, tables, topics and subscriptions in the emulators through
 * the official client libraries, exactly as synthesized (see local-stack.ts).
 */
import { BigQuery } from "@google-cloud/bigquery";
import { PubSub } from "@google-cloud/pubsub";
import { LocalResources } from "./local-stack";

/** Creates the BigQuery side: every dataset, then every table with its schema, partitioning and clustering. */
export async function provisionBigQuery(bigquery: BigQuery, resources: LocalResources): Promise<void> {
  for (const dataset of resources.datasets) {
    await bigquery.createDataset(dataset.datasetId, { location: dataset.location });
  }
  for (const table of resources.tables) {
    await bigquery.dataset(table.datasetId).createTable(table.tableId, {
      schema: { fields: table.schema },
      timePartitioning: table.timePartitioning,
      clustering: table.clustering ? { fields: table.clustering } : undefined,
    });
  }
}

/**
 * Creates the Pub/Sub side: topics first, then subscriptions with their dead-letter policies.
 * A BigQuery subscription becomes a pull subscription here (the emulator cannot write to
 * BigQuery); the demo's local bridge drains it into the table it names.
 */
export async function provisionPubSub(pubsub: PubSub, resources: LocalResources): Promise<void> {
  for (const topic of resources.topics) {
    await pubsub.createTopic(topic.name);
  }
  for (const subscription of resources.subscriptions) {
    await pubsub.topic(subscription.topic).createSubscription(subscription.name, {
      ackDeadlineSeconds: subscription.ackDeadlineSeconds,
      deadLetterPolicy: subscription.deadLetterTopic
        ? {
            deadLetterTopic: pubsub.topic(subscription.deadLetterTopic).name,
            maxDeliveryAttempts: subscription.maxDeliveryAttempts,
          }
        : undefined,
    });
  }
}
