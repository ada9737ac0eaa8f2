/**
 * The Pub/Sub service agent: the Google-managed identity that forwards dead letters (and, unless a
 * subscription names its own service account, writes BigQuery subscriptions).
 */

/** Email of the Pub/Sub service agent of the project with number `projectNumber`. */
export function pubsubServiceAgentEmail(projectNumber: string): string {
  return `service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
}
