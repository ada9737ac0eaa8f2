/**
 * One valid set of props for every construct the package exports, keyed by the construct's name:
 * the starting point of tests that take one prop away or change one. Each builder makes the
 * constructs the props refer to (datasets, tables, topics) in `scope`.
 */
import { Construct } from "constructs";
import { BackgroundReservation } from "../../constructs/bigquery/background-reservation";
import { CdcTable } from "../../constructs/bigquery/cdc-table";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { MaterializedView } from "../../constructs/bigquery/materialized-view";
import { ReportingTable } from "../../constructs/bigquery/reporting-table";
import { ScheduledQuery } from "../../constructs/bigquery/scheduled-query";
import { StreamingTable } from "../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../constructs/bigquery/table-options";
import { View } from "../../constructs/bigquery/view";
import { WindowKind } from "../../constructs/bigquery/window-kind";
import { WindowedAggregate } from "../../constructs/bigquery/windowed-aggregate";
import { Duration } from "../../constructs/core/duration";
import { PubSubToBigQueryJob } from "../../constructs/dataflow/pubsub-to-bigquery-job";
import { PipelineMonitoring } from "../../constructs/monitoring/pipeline-monitoring";
import { SqlHealthCheck } from "../../constructs/monitoring/sql-health-check";
import { ProjectServices } from "../../constructs/project/project-services";
import { StreamSubscription } from "../../constructs/pubsub/stream-subscription";
import { StreamTopic } from "../../constructs/pubsub/stream-topic";
import { SsePublisherService } from "../../constructs/worker/sse-publisher-service";
import { SsePublisherWorkerPool } from "../../constructs/worker/sse-publisher-worker-pool";
import { INGESTION_ERRORS_SCHEMA, WIKI_STAGED_SCHEMA, WIKI_STAGED_WATERMARK_SCHEMA } from "../../schemas";
import { EVENTS_SCHEMA, PROJECT, PROJECT_NUMBER } from "./index";

/** A construct class and a builder of valid props for it. */
export interface ConstructFixture {
  readonly construct: new (scope: Construct, id: string, props: any) => Construct;
  readonly props: (scope: Construct) => Record<string, unknown>;
}

function dataset(scope: Construct, id = "ds", layer = "raw"): LayeredDataset {
  return new LayeredDataset(scope, id, {
    datasetId: id.replace(/-/g, "_"),
    layer: layer as "raw",
    location: "US",
    project: PROJECT,
  });
}

function topic(scope: Construct): StreamTopic {
  return new StreamTopic(scope, "topic", { topicName: "events", project: PROJECT, projectNumber: PROJECT_NUMBER });
}

function eventsTable(scope: Construct): StreamingTable {
  return new StreamingTable(scope, "events", {
    dataset: dataset(scope, "events-ds"),
    tableId: "events",
    schema: EVENTS_SCHEMA,
    partitioning: Partitioning.ingestionTime(),
  });
}

function errorsTable(scope: Construct): StreamingTable {
  return new StreamingTable(scope, "errors", {
    dataset: dataset(scope, "errors-ds"),
    tableId: "events_errors",
    schema: INGESTION_ERRORS_SCHEMA,
    partitioning: Partitioning.ingestionTime(),
  });
}

/** Valid props of every exported construct, by the construct's exported name. */
export const CONSTRUCT_FIXTURES: Readonly<Record<string, ConstructFixture>> = {
  BackgroundReservation: {
    construct: BackgroundReservation,
    props: () => ({
      name: "cdc",
      location: "US",
      edition: "ENTERPRISE",
      baselineSlots: 0,
      autoscaleMaxSlots: 50,
      assigneeProjectId: PROJECT,
      capacityCommitment: { slotCount: 100 },
    }),
  },
  CdcTable: {
    construct: CdcTable,
    props: (s) => ({
      dataset: dataset(s),
      tableId: "orders",
      schema: EVENTS_SCHEMA,
      primaryKey: ["event_id"],
      maxStaleness: Duration.minutes(10),
    }),
  },
  LayeredDataset: {
    construct: LayeredDataset,
    props: () => ({ datasetId: "raw", layer: "raw", location: "US" }),
  },
  MaterializedView: {
    construct: MaterializedView,
    props: (s) => ({ dataset: dataset(s), tableId: "mv", query: "SELECT user, COUNT(*) AS n FROM t GROUP BY user" }),
  },
  PipelineMonitoring: {
    construct: PipelineMonitoring,
    props: () => ({
      project: PROJECT,
      notificationEmails: ["oncall@example.com"],
      worker: { sink: "pubsub" },
      reservation: { reservationName: "cdc", maxSlots: 100 },
    }),
  },
  ProjectServices: {
    construct: ProjectServices,
    props: () => ({ project: PROJECT }),
  },
  PubSubToBigQueryJob: {
    construct: PubSubToBigQueryJob,
    props: (s) => ({
      jobName: "events-to-bigquery",
      project: PROJECT,
      region: "us-central1",
      subscription: topic(s).addSubscription("events-sub"),
      outputTable: eventsTable(s),
    }),
  },
  ReportingTable: {
    construct: ReportingTable,
    props: (s) => ({ dataset: dataset(s), tableId: "report", schema: EVENTS_SCHEMA }),
  },
  ScheduledQuery: {
    construct: ScheduledQuery,
    props: (s) => ({
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      query: "SELECT 1",
      destination: { dataset: dataset(s), tableNameTemplate: "daily_{run_date}" },
    }),
  },
  SqlHealthCheck: {
    construct: SqlHealthCheck,
    props: (s) => ({
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      checkId: "quality-late-events",
      measureSql: "SELECT 3 AS beyond_lookback",
      valueExpression: "SUM(beyond_lookback)",
      threshold: 0,
      resultsDataset: dataset(s, "results", "reporting"),
      readDatasets: [dataset(s)],
    }),
  },
  SsePublisherService: {
    construct: SsePublisherService,
    // Direct mode (no topic): the worker writes the raw table itself.
    props: (s) => ({
      project: PROJECT,
      region: "us-central1",
      directSink: { table: eventsTable(s), errorTable: errorsTable(s) },
    }),
  },
  SsePublisherWorkerPool: {
    construct: SsePublisherWorkerPool,
    props: (s) => ({
      project: PROJECT,
      region: "us-central1",
      directSink: { table: eventsTable(s), errorTable: errorsTable(s) },
    }),
  },
  StreamingTable: {
    construct: StreamingTable,
    props: (s) => ({
      dataset: dataset(s),
      tableId: "events",
      schema: EVENTS_SCHEMA,
      partitioning: Partitioning.ingestionTime(),
    }),
  },
  StreamSubscription: {
    construct: StreamSubscription,
    props: (s) => ({ subscriptionName: "events-sub", topic: topic(s) }),
  },
  StreamTopic: {
    construct: StreamTopic,
    props: () => ({ topicName: "events", project: PROJECT, projectNumber: PROJECT_NUMBER }),
  },
  View: {
    construct: View,
    props: (s) => ({ dataset: dataset(s), tableId: "v", query: "SELECT 1" }),
  },
  WindowedAggregate: {
    construct: WindowedAggregate,
    props: (s) => {
      const staging = dataset(s, "staging", "staging");
      return {
        source: new StreamingTable(s, "staged", {
          dataset: staging,
          tableId: "wiki_staged",
          schema: WIKI_STAGED_SCHEMA,
          partitioning: Partitioning.column("event_time", "DAY"),
        }),
        sourceMark: {
          table: new ReportingTable(s, "mark", {
            dataset: staging,
            tableId: "wiki_staged_watermark",
            schema: WIKI_STAGED_WATERMARK_SCHEMA,
          }),
        },
        dataset: dataset(s, "reporting", "reporting"),
        tableId: "changes_per_minute",
        window: WindowKind.tumbling(Duration.minutes(1)),
        ingestionLog: { table: eventsTable(s) },
        keyColumn: "wiki",
        project: PROJECT,
        projectNumber: PROJECT_NUMBER,
        location: "US",
      };
    },
  },
};
