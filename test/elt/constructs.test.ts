import { Testing, TerraformStack } from "cdktf";
import { BigqueryDataTransferConfig } from "@cdktf/provider-google/lib/bigquery-data-transfer-config";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { MaterializedView, stalenessInterval } from "../../constructs/bigquery/materialized-view";
import { defaultAccountId, ScheduledQuery, scheduleIntervalMinutes } from "../../constructs/bigquery/scheduled-query";
import { placeholdersOf, renderSql, tableReference } from "../../constructs/bigquery/sql-template";
import { View } from "../../constructs/bigquery/view";

Testing.setupJest();

const raw = { project: "proj-1", datasetId: "raw" };
const staging = { project: "proj-1", datasetId: "staging" };
const base = { project: "proj-1", projectNumber: "123456789012", location: "US", query: "SELECT 1" };

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), "test");
}

describe("renderSql", () => {
  test("fills table, dataset, region and scalar placeholders", () => {
    const sql = renderSql(
      "SELECT * FROM {{t}} JOIN {{d}}.INFORMATION_SCHEMA.TABLES, {{r}}.INFORMATION_SCHEMA.JOBS LIMIT {{n}}",
      {
        t: { project: "p", datasetId: "d", tableId: "t" },
        d: { project: "p", datasetId: "d" },
        r: { project: "p", location: "EU" },
        n: 5,
      },
    );
    expect(sql).toBe(
      "SELECT * FROM `p`.`d`.`t` JOIN `p`.`d`.INFORMATION_SCHEMA.TABLES, `p`.`region-eu`.INFORMATION_SCHEMA.JOBS LIMIT 5",
    );
  });

  test("a dataset construct (which also has a location) renders as a dataset, not a region", () => {
    expect(renderSql("{{d}}", { d: { project: "p", datasetId: "d", location: "US" } as never })).toBe("`p`.`d`");
    expect(renderSql("{{t}}", { t: { project: "p", datasetId: "d", tableId: "t", location: "US" } as never })).toBe(
      "`p`.`d`.`t`",
    );
  });

  test("a missing binding names the template and the placeholder", () => {
    expect(() => renderSql("SELECT {{a}}, {{b}}", { a: 1 }, "sql/x.sql")).toThrow(
      "sql/x.sql: no value for placeholder {{b}}; bound: a",
    );
  });

  test("identifiers are quoted with backticks escaped", () => {
    expect(tableReference({ project: "p", datasetId: "d", tableId: "we`ird" })).toBe("`p`.`d`.`we\\`ird`");
    expect(placeholdersOf("{{a}} {{ b.c }} {{a}}")).toEqual(["a", "b.c"]);
  });
});

describe("ScheduledQuery", () => {
  test("a scheduled_query transfer config running as its own service account, hourly by default", () => {
    const s = stack();
    new ScheduledQuery(s, "StagingLoad", { ...base, readDatasets: [raw], writeDatasets: [staging] });
    const synth = Testing.synth(s);
    expect(synth).toHaveResourceWithProperties(BigqueryDataTransferConfig, {
      data_source_id: "scheduled_query",
      schedule: "every 1 hours",
      location: "US",
      params: { query: "SELECT 1" },
    });
    const resources = JSON.parse(synth).resource;
    const [config] = Object.values(resources.google_bigquery_data_transfer_config) as any[];
    const [accountKey] = Object.keys(resources.google_service_account);
    expect(config.service_account_name).toBe(`\${google_service_account.${accountKey}.email}`);
    expect(config.depends_on).toHaveLength(4);
    expect(synth).toHaveResourceWithProperties(ServiceAccount, { account_id: "sq-staging-load", project: "proj-1" });
    expect(synth).toMatchSnapshot();
  });

  test("dataset-level access only: viewer on read datasets, editor on written ones, jobUser to run jobs", () => {
    const s = stack();
    new ScheduledQuery(s, "load", { ...base, readDatasets: [raw, staging], writeDatasets: [staging] });
    const resources = JSON.parse(Testing.synth(s)).resource;
    const grants = Object.values(resources.google_bigquery_dataset_iam_member).map((g: any) => [g.dataset_id, g.role]);
    expect(grants.sort()).toEqual([
      ["raw", "roles/bigquery.dataViewer"],
      ["staging", "roles/bigquery.dataEditor"],
    ]);
    expect(Object.values(resources.google_project_iam_member).map((g: any) => g.role)).toEqual([
      "roles/bigquery.jobUser",
    ]);
    expect(resources.google_bigquery_dataset_iam_member).toBeDefined();
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      role: "roles/bigquery.dataEditor",
    });
  });

  test("the Data Transfer service agent may mint tokens for the account", () => {
    const s = stack();
    new ScheduledQuery(s, "load", base);
    expect(Testing.synth(s)).toHaveResourceWithProperties(ServiceAccountIamMember, {
      role: "roles/iam.serviceAccountTokenCreator",
      member: "serviceAccount:service-123456789012@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com",
    });
  });

  test("run notifications go to the topic, which the service agent may publish to", () => {
    const s = stack();
    new ScheduledQuery(s, "load", {
      ...base,
      notificationTopic: { topicId: "projects/proj-1/topics/runs", topicName: "runs" },
    });
    const synth = Testing.synth(s);
    expect(synth).toHaveResourceWithProperties(BigqueryDataTransferConfig, {
      notification_pubsub_topic: "projects/proj-1/topics/runs",
    });
    expect(synth).toHaveResourceWithProperties(PubsubTopicIamMember, {
      topic: "runs",
      role: "roles/pubsub.publisher",
      member: "serviceAccount:service-123456789012@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com",
    });
  });

  test("a SELECT with a destination table: write access there and the destination params", () => {
    const s = stack();
    new ScheduledQuery(s, "snap", {
      ...base,
      destination: { dataset: staging, tableNameTemplate: "daily_{run_date}" },
    });
    const synth = Testing.synth(s);
    expect(synth).toHaveResourceWithProperties(BigqueryDataTransferConfig, {
      destination_dataset_id: "staging",
      params: {
        query: "SELECT 1",
        destination_table_name_template: "daily_{run_date}",
        write_disposition: "WRITE_TRUNCATE",
      },
    });
    expect(synth).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      dataset_id: "staging",
      role: "roles/bigquery.dataEditor",
    });
  });

  test("no primitive roles", () => {
    const s = stack();
    new ScheduledQuery(s, "load", { ...base, readDatasets: [raw], writeDatasets: [staging] });
    expect(Testing.synth(s)).not.toMatch(/roles\/(owner|editor|viewer)"/);
  });

  test("schedules down to every 10 minutes are accepted", () => {
    expect(scheduleIntervalMinutes("every 10 minutes")).toBe(10);
    expect(scheduleIntervalMinutes("every 2 hours")).toBe(120);
    expect(scheduleIntervalMinutes("every day 02:00")).toBeUndefined();
    const s = stack();
    expect(() => new ScheduledQuery(s, "ok", { ...base, schedule: "every 10 minutes" })).not.toThrow();
  });

  test("a schedule more frequent than every 10 minutes is refused", () => {
    expect(() => new ScheduledQuery(stack(), "fast", { ...base, schedule: "every 5 minutes" })).toThrow(
      'test/fast: schedule "every 5 minutes" runs every 5 minutes; scheduled queries run at most every 10 minutes',
    );
  });

  test("an unrendered placeholder is refused", () => {
    expect(() => new ScheduledQuery(stack(), "q", { ...base, query: "SELECT * FROM {{raw.t}}" })).toThrow(
      "test/q: the query still contains a {{placeholder}}; render it with renderSqlFile first",
    );
  });

  test("a bad project number is refused", () => {
    expect(() => new ScheduledQuery(stack(), "q", { ...base, projectNumber: "proj-1" })).toThrow(
      'test/q: projectNumber "proj-1" is not a project number (digits only)',
    );
  });

  test("a bad service account id is refused", () => {
    expect(() => new ScheduledQuery(stack(), "q", { ...base, serviceAccountId: "Bad_Id" })).toThrow(
      'test/q: service account id "Bad_Id" is not valid; use 6-30 lowercase letters, digits and hyphens, starting with a letter',
    );
    expect(defaultAccountId("X")).toBe("sq-x00");
    expect(defaultAccountId("AVeryLongScheduledQueryNameIndeedYes")).toBe("sq-avery-long-scheduled-query");
  });
});

describe("View", () => {
  test("a standard-SQL view with its attributes", () => {
    const s = stack();
    const view = new View(s, "v", { dataset: raw, tableId: "dedup", query: "SELECT 1 AS x" });
    expect(view.fqn).toBe("proj-1.raw.dedup");
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryTable, {
      dataset_id: "raw",
      table_id: "dedup",
      deletion_protection: false,
      view: { query: "SELECT 1 AS x", use_legacy_sql: false },
    });
  });

  test("grantRead adds a table-level viewer", () => {
    const s = stack();
    new View(s, "v", { dataset: raw, tableId: "dedup", query: "SELECT 1" }).grantRead("group:analysts@example.com");
    expect(Testing.synth(s)).toMatch(/"role": "roles\/bigquery.dataViewer"/);
  });

  test("a trailing semicolon is refused", () => {
    expect(() => new View(stack(), "v", { dataset: raw, tableId: "x", query: "SELECT 1;\n-- end" })).toThrow(
      'test/v: the view query ends with ";"; a view is a single query without a terminating semicolon',
    );
  });

  test("an unrendered placeholder is refused", () => {
    expect(() => new View(stack(), "v", { dataset: raw, tableId: "x", query: "SELECT * FROM {{t}}" })).toThrow(
      "test/v: the view query still contains the placeholder {{t}}; render it with renderSqlFile first",
    );
  });

  test("an invalid id is refused", () => {
    expect(() => new View(stack(), "v", { dataset: raw, tableId: "a.b", query: "SELECT 1" })).toThrow(
      'test/v: view id "a.b" is not valid; use up to 1,024 letters, digits, underscores, dashes or spaces',
    );
  });
});

describe("MaterializedView", () => {
  const mv = { dataset: raw, tableId: "board", query: "SELECT user, COUNT(*) AS n FROM t GROUP BY user" };

  test("incremental, auto-refreshed and always fresh by default", () => {
    const s = stack();
    new MaterializedView(s, "mv", mv);
    const table = Object.values(JSON.parse(Testing.synth(s)).resource.google_bigquery_table)[0] as any;
    expect(table.materialized_view).toEqual({ query: mv.query, enable_refresh: true });
    expect(table.max_staleness).toBeUndefined();
  });

  test("refresh interval, max staleness and non-incremental definitions", () => {
    const s = stack();
    new MaterializedView(s, "mv", {
      ...mv,
      refreshIntervalMinutes: 15,
      maxStalenessMinutes: 90,
      allowNonIncrementalDefinition: true,
    });
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryTable, {
      max_staleness: "0-0 0 1:30:0",
      materialized_view: {
        query: mv.query,
        enable_refresh: true,
        refresh_interval_ms: 900000,
        allow_non_incremental_definition: true,
      },
    });
    expect(stalenessInterval(60 * 24 * 2 + 5)).toBe("0-0 2 0:5:0");
  });

  test("a refresh interval outside 1 minute to 7 days is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv, refreshIntervalMinutes: 0 })).toThrow(
      "test/mv: refreshIntervalMinutes is 0; BigQuery allows whole minutes from 1 to 10080 (7 days)",
    );
  });

  test("a refresh interval without automatic refresh is refused", () => {
    expect(
      () => new MaterializedView(stack(), "mv", { ...mv, refreshIntervalMinutes: 30, enableRefresh: false }),
    ).toThrow(
      "test/mv: refreshIntervalMinutes is set but enableRefresh is false; the interval only applies to automatic refresh",
    );
  });

  test("a non-incremental definition without max staleness is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv, allowNonIncrementalDefinition: true })).toThrow(
      "test/mv: allowNonIncrementalDefinition is true but maxStalenessMinutes is not set; BigQuery requires max_staleness on a non-incremental materialized view",
    );
  });

  test("a max staleness under a minute is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv, maxStalenessMinutes: 0.5 })).toThrow(
      "test/mv: maxStalenessMinutes is 0.5; it must be a whole number of minutes, at least 1",
    );
  });

  test("ORDER BY at the top level is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv, query: `${mv.query} ORDER BY n DESC` })).toThrow(
      "test/mv: the materialized view query ends with ORDER BY; materialized views cannot be ordered (order when reading)",
    );
  });

  test("more than 4 clustering columns are refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv, clustering: ["a", "b", "c", "d", "e"] })).toThrow(
      "test/mv: clustering has 5 columns; BigQuery allows at most 4",
    );
  });
});

// Keep the import used: the jobUser grant is a ProjectIamMember.
test("ProjectIamMember is the jobUser grant's type", () => {
  const s = stack();
  new ScheduledQuery(s, "load", base);
  expect(Testing.synth(s)).toHaveResourceWithProperties(ProjectIamMember, { role: "roles/bigquery.jobUser" });
});
