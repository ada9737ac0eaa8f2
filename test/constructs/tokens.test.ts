/**
 * Every prop that takes a value also takes an unresolved token (a Terraform variable, `Token.asString`,
 * `Token.asNumber`): walked prop by prop, construct by construct, the token either reaches the Terraform
 * JSON unchanged (as the variable's reference, or an expression of it) or the construct refuses it with a
 * message naming the construct, the prop and "tokens are not supported". Never a garbage number (a
 * number token used as a number renders as something like -1.8e+289), never a dropped block.
 */
import { Construct } from "constructs";
import { Testing, TerraformOutput, TerraformStack, TerraformVariable, Token } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { BackgroundReservation } from "../../constructs/bigquery/background-reservation";
import { CdcTable } from "../../constructs/bigquery/cdc-table";
import { LayeredDataset } from "../../constructs/bigquery/layered-dataset";
import { MaterializedView } from "../../constructs/bigquery/materialized-view";
import { ReportingTable } from "../../constructs/bigquery/reporting-table";
import { ScheduledQuery } from "../../constructs/bigquery/scheduled-query";
import { StreamingTable } from "../../constructs/bigquery/streaming-table";
import { Partitioning } from "../../constructs/bigquery/table-options";
import { renderSql } from "../../constructs/bigquery/sql-template";
import { View } from "../../constructs/bigquery/view";
import { Duration } from "../../constructs/core/duration";
import { Size } from "../../constructs/core/size";
import { PubSubToBigQueryJob } from "../../constructs/dataflow/pubsub-to-bigquery-job";
import { ProjectServices } from "../../constructs/project/project-services";
import { StreamSubscription } from "../../constructs/pubsub/stream-subscription";
import { StreamTopic } from "../../constructs/pubsub/stream-topic";
import { SsePublisherService } from "../../constructs/worker/sse-publisher-service";
import { EVENTS_SCHEMA, PROJECT, PROJECT_NUMBER, WIDE_EVENTS_SCHEMA } from "../support";

/** How the token is made: a variable's string or number, `Token.asString`/`asNumber` of it, or a Duration or Size of it. */
type Kind = "string" | "number" | "asString" | "asNumber" | "duration" | "durationDays" | "size";

/** One construct: a builder of its props (with the token put in by `put`) and the props walked. */
interface Spec {
  readonly name: string;
  readonly build: (scope: Construct, props: any) => void;
  readonly props: (scope: Construct) => any;
  readonly walk: Readonly<Record<string, Kind>>;
}

function dataset(scope: Construct, location = "US"): LayeredDataset {
  return new LayeredDataset(scope, "ds", { datasetId: "raw", layer: "raw", location, project: PROJECT });
}
/** An ingestion-time partitioned `events` table in {@link dataset}. */
function eventsTable(scope: Construct): StreamingTable {
  return new StreamingTable(scope, "table", {
    dataset: dataset(scope),
    tableId: "events",
    schema: EVENTS_SCHEMA,
    partitioning: Partitioning.ingestionTime(),
  });
}
function topic(scope: Construct): StreamTopic {
  return new StreamTopic(scope, "topic", { topicName: "events", project: PROJECT, projectNumber: PROJECT_NUMBER });
}
const tableWalk: Record<string, Kind> = {
  tableId: "string",
  "clustering.0": "string",
  partitionExpiration: "duration",
  description: "string",
  "labels.team": "string",
  kmsKeyName: "string",
};

const SPECS: Spec[] = [
  {
    name: "LayeredDataset",
    build: (s, p) => new LayeredDataset(s, "it", p),
    props: () => ({ datasetId: "raw", layer: "raw", location: "US", project: PROJECT }),
    walk: {
      datasetId: "string",
      layer: "string",
      location: "string",
      project: "asString",
      description: "string",
      "labels.team": "string",
      defaultTableExpiration: "duration",
      defaultPartitionExpiration: "durationDays",
      kmsKeyName: "string",
    },
  },
  {
    name: "StreamingTable",
    build: (s, p) => new StreamingTable(s, "it", p),
    props: (s) => ({
      dataset: dataset(s),
      tableId: "events",
      schema: WIDE_EVENTS_SCHEMA,
      clustering: ["user"],
      partitioning: Partitioning.column("event_time"),
    }),
    walk: { ...tableWalk, "partitioning.column": "string", "partitioning.granularity": "string" },
  },
  {
    name: "ReportingTable (integer range)",
    build: (s, p) => new ReportingTable(s, "it", p),
    props: (s) => ({
      dataset: dataset(s),
      tableId: "shards",
      schema: WIDE_EVENTS_SCHEMA,
      partitioning: Partitioning.integerRange("shard", 0, 100, 10),
    }),
    walk: {
      "partitioning.column": "string",
      "partitioning.start": "number",
      "partitioning.end": "asNumber",
      "partitioning.interval": "number",
    },
  },
  {
    name: "CdcTable",
    build: (s, p) => new CdcTable(s, "it", p),
    props: (s) => ({
      dataset: dataset(s),
      tableId: "events",
      schema: EVENTS_SCHEMA,
      primaryKey: ["event_id"],
      maxStaleness: Duration.minutes(10),
    }),
    walk: { "primaryKey.0": "string", maxStaleness: "duration", tableId: "string", "labels.team": "string" },
  },
  {
    name: "View",
    build: (s, p) => new View(s, "it", p),
    props: (s) => ({ dataset: dataset(s), tableId: "v", query: "SELECT 1" }),
    walk: { tableId: "string", query: "string", description: "string", "labels.team": "string" },
  },
  {
    name: "MaterializedView",
    build: (s, p) => new MaterializedView(s, "it", p),
    props: (s) => ({
      dataset: dataset(s),
      tableId: "mv",
      query: "SELECT user, COUNT(*) AS n FROM t GROUP BY user",
      clustering: ["user"],
      maxStaleness: Duration.minutes(5),
    }),
    walk: { query: "string", refreshInterval: "duration", maxStaleness: "duration", "clustering.0": "string" },
  },
  {
    name: "ScheduledQuery",
    build: (s, p) => new ScheduledQuery(s, "it", p),
    props: (s) => ({
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      query: "SELECT 1",
      destination: { dataset: dataset(s), tableNameTemplate: "t", partitioningField: "day" },
    }),
    walk: {
      query: "string",
      project: "string",
      projectNumber: "string",
      location: "string",
      schedule: "string",
      displayName: "string",
      serviceAccountId: "string",
      "destination.tableNameTemplate": "string",
      "destination.partitioningField": "string",
    },
  },
  {
    name: "BackgroundReservation",
    build: (s, p) => new BackgroundReservation(s, "it", p),
    props: () => ({
      name: "cdc",
      location: "US",
      edition: "ENTERPRISE",
      baselineSlots: 50,
      autoscaleMaxSlots: 100,
      assigneeProjectId: PROJECT,
      adminProjectId: "admin-project",
      capacityCommitment: { slotCount: 50 },
    }),
    walk: {
      name: "string",
      location: "string",
      edition: "string",
      baselineSlots: "number",
      autoscaleMaxSlots: "number",
      assigneeProjectId: "string",
      adminProjectId: "string",
      jobType: "string",
      "capacityCommitment.slotCount": "asNumber",
      "capacityCommitment.plan": "string",
    },
  },
  {
    name: "StreamTopic",
    build: (s, p) => new StreamTopic(s, "it", p),
    props: () => ({
      topicName: "events",
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      allowedPersistenceRegions: ["us-central1"],
    }),
    walk: {
      topicName: "string",
      project: "string",
      projectNumber: "string",
      messageRetentionDuration: "duration",
      "allowedPersistenceRegions.0": "string",
      kmsKeyName: "string",
      deadLetterTopicName: "string",
      deadLetterSubscriptionName: "string",
      deadLetterRetentionDuration: "durationDays",
      "labels.team": "string",
    },
  },
  {
    name: "StreamSubscription",
    build: (s, p) => {
      const t = topic(s);
      new StreamSubscription(s, "it", {
        ...p,
        topic: t,
        deadLetterTopic: t.deadLetterTopic,
        projectNumber: PROJECT_NUMBER,
      });
    },
    props: () => ({ subscriptionName: "events-sub" }),
    walk: {
      subscriptionName: "string",
      ackDeadline: "duration",
      messageRetentionDuration: "duration",
      minimumBackoff: "duration",
      maximumBackoff: "duration",
      filter: "string",
      maxDeliveryAttempts: "number",
      "labels.team": "string",
    },
  },
  {
    name: "PubSubToBigQueryJob",
    build: (s, p) => new PubSubToBigQueryJob(s, "it", p),
    props: (s) => {
      return {
        jobName: "events-to-bigquery",
        project: PROJECT,
        region: "us-central1",
        subscription: topic(s).addSubscription("events-sub"),
        outputTable: eventsTable(s),
        serviceAccountId: "events-df-worker",
      };
    },
    walk: {
      jobName: "string",
      project: "asString",
      region: "string",
      errorTableId: "string",
      machineType: "string",
      maxWorkers: "number",
      templateVersion: "string",
      tempBucketName: "string",
      tempObjectRetention: "durationDays",
      serviceAccountId: "string",
      kmsKeyName: "string",
      network: "string",
      subnetwork: "string",
      ipConfiguration: "string",
      "labels.team": "string",
    },
  },
  {
    name: "StreamSubscription (BigQuery, default writer account)",
    build: (s, p) =>
      new StreamSubscription(s, "it", {
        ...p,
        topic: topic(s),
        bigquery: {
          table: eventsTable(s),
        },
      }),
    props: () => ({ subscriptionName: "events-bq" }),
    walk: { subscriptionName: "string" },
  },
  {
    name: "PubSubToBigQueryJob (default service account id)",
    build: (s, p) => {
      new PubSubToBigQueryJob(s, "it", {
        ...p,
        project: PROJECT,
        region: "us-central1",
        subscription: topic(s).addSubscription("events-sub"),
        outputTable: eventsTable(s),
      });
    },
    props: () => ({ jobName: "events-to-bigquery" }),
    walk: { jobName: "string" },
  },
  {
    name: "ScheduledQuery (default service account id)",
    build: (s, p) => new ScheduledQuery(s, "it", p),
    props: () => ({ project: PROJECT, projectNumber: PROJECT_NUMBER, location: "US", query: "SELECT 1" }),
    walk: { project: "string", displayName: "string" },
  },
  {
    name: "SsePublisherService",
    build: (s, p) => new SsePublisherService(s, "it", p),
    props: (s) => ({ project: PROJECT, region: "us-central1", topic: topic(s) }),
    walk: {
      project: "string",
      region: "string",
      image: "string",
      serviceName: "string",
      serviceAccountId: "string",
      repositoryId: "string",
      keepImageVersions: "number",
      checkpointBucketName: "string",
      checkpointObject: "string",
      sseUrl: "string",
      userAgent: "string",
      port: "number",
      cpu: "number",
      memory: "size",
      metricsScrapeInterval: "duration",
      logLevel: "string",
      "environment.SINCE": "string",
      kmsKeyName: "string",
      "labels.team": "string",
    },
  },
  {
    name: "ProjectServices",
    build: (s, p) => new ProjectServices(s, "it", p),
    props: () => ({ project: PROJECT }),
    walk: { project: "string", "additionalServices.0": "string" },
  },
];

/** `props` with the value at the dotted `path` replaced (objects and arrays on the way copied). */
function put(props: any, path: string, value: unknown): any {
  const [head, ...rest] = path.split(".");
  const copy: any =
    Array.isArray(props) || (props === undefined && /^\d+$/.test(head)) ? [...(props ?? [])] : { ...props };
  copy[head] = rest.length === 0 ? value : put(copy[head], rest.join("."), value);
  return copy;
}

function tokenOf(stack: TerraformStack, kind: Kind): unknown {
  const number = () => new TerraformVariable(stack, "v", { type: "number" }).numberValue;
  switch (kind) {
    case "string":
      return new TerraformVariable(stack, "v", { type: "string" }).stringValue;
    case "asString":
      return Token.asString(new TerraformVariable(stack, "v", { type: "string" }).value);
    case "number":
      return number();
    case "asNumber":
      return Token.asNumber(new TerraformVariable(stack, "v", { type: "number" }).value);
    case "duration":
      return Duration.minutes(number());
    case "durationDays":
      return Duration.days(number());
    case "size":
      return Size.mebibytes(number());
  }
}

/** A number token synthesized as a number: cdktf encodes number tokens as doubles near ±1.8e289. */
const GARBAGE_NUMBER = /-?\d(\.\d+)?e\+?(2[5-9]\d|3\d\d)/i;

const cases = SPECS.flatMap((spec) =>
  Object.entries(spec.walk).map(([prop, kind]) => [spec.name, prop, kind, spec] as const),
);

describe("tokens in props", () => {
  test.each(cases)(
    "%s.%s (%s token): passed through unchanged or refused as unsupported",
    (_name, prop, kind, spec) => {
      const stack = new TerraformStack(Testing.app(), "test");
      new GoogleProvider(stack, "google", { project: PROJECT, region: "us-central1" });
      const scope = new Construct(stack, "base");
      const props = put(spec.props(scope), prop, tokenOf(stack, kind));
      let json: string;
      try {
        spec.build(stack, props);
        json = Testing.synth(stack);
      } catch (error) {
        const message = (error as Error).message;
        expect(message).toMatch(/^test\/it(\/[^:]*)?: /);
        expect(message).toContain("tokens are not supported");
        expect(message).toContain(prop.split(".")[0].replace(/^additionalServices$/, "services"));
        return;
      }
      expect(json).not.toMatch(GARBAGE_NUMBER);
      // Token text turned into a literal (lowercased, hyphenated: "tftoken-token-12") is garbage too.
      expect(json).not.toMatch(/tf-?token|NaN|undefined/i);
      expect(json).toContain("var.v");
    },
  );
});

describe("tokens where a value names a construct", () => {
  test("addSubscription and addBigQuerySubscription refuse a token name: it would be in the construct's address", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    new GoogleProvider(stack, "google", { project: PROJECT });
    const name = new TerraformVariable(stack, "v", { type: "string" }).stringValue;
    const events = topic(stack);
    expect(() => events.addSubscription(name)).toThrow(
      "test/topic: subscriptionName is an unresolved token (e.g. a Terraform variable); tokens are not supported for subscriptionName",
    );
    const table = new StreamingTable(stack, "table", {
      dataset: dataset(stack),
      tableId: "events",
      schema: EVENTS_SCHEMA,
      partitioning: Partitioning.ingestionTime(),
    });
    expect(() => events.addBigQuerySubscription(table, { subscriptionName: name })).toThrow(
      "test/topic: subscriptionName is an unresolved token (e.g. a Terraform variable); tokens are not supported for subscriptionName",
    );
  });

  test("a refusal never prints the token's text", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const edition = new TerraformVariable(stack, "v", { type: "string" }).stringValue;
    expect(
      () =>
        new BackgroundReservation(stack, "r", {
          name: "cdc",
          location: "US",
          edition: edition as "ENTERPRISE",
          baselineSlots: 50,
          assigneeProjectId: PROJECT,
        }),
    ).toThrow(/^(?!.*TfToken).*tokens are not supported for edition/);
  });
});

describe("tokens in SQL bindings", () => {
  test("a region qualifier whose location is a token keeps the token intact", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const location = new TerraformVariable(stack, "location", { type: "string" }).stringValue;
    const sql = renderSql("SELECT * FROM {{region}}.INFORMATION_SCHEMA.JOBS", { region: { project: "p", location } });
    new TerraformOutput(stack, "sql", { value: sql });
    expect(JSON.parse(Testing.synth(stack)).output.sql.value).toBe(
      "SELECT * FROM `p`.`region-${var.location}`.INFORMATION_SCHEMA.JOBS",
    );
  });
});
