import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Construct } from "constructs";
import { ITerraformDependable, Testing, TerraformStack, TerraformVariable } from "cdktf";
import { BigqueryDataTransferConfig } from "@cdktf/provider-google/lib/bigquery-data-transfer-config";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { MaterializedView } from "../../../constructs/bigquery/materialized-view";
import { ScheduledQuery } from "../../../constructs/bigquery/scheduled-query";
import { placeholdersOf, renderSql, renderSqlFile, tableReference } from "../../../constructs/bigquery/sql-template";
import { View } from "../../../constructs/bigquery/view";
import { Duration } from "../../../constructs/core/duration";
import { grantOnce } from "../../../constructs/core/grants";
import { IGrantable, Principal } from "../../../constructs/core/principal";
import { IDataset, ITopic } from "../../../constructs/core/references";

Testing.setupJest();

const base = { project: "proj-1", projectNumber: "123456789012", location: "US", query: "SELECT 1" };
const AGENT = "serviceAccount:service-123456789012@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com";

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), "test");
}

/** The datasets `raw` and `staging` of project proj-1, imported into `s`. */
function datasets(s: Construct): { raw: IDataset; staging: IDataset } {
  const imported = (id: string) =>
    LayeredDataset.fromDatasetAttributes(s, id, { project: "proj-1", datasetId: id, location: "US" });
  return { raw: imported("raw"), staging: imported("staging") };
}

/** A topic created elsewhere, implementing ITopic the way the library's topics do. */
class TestTopic extends Construct implements ITopic {
  public readonly project = "proj-1";
  public readonly topicName = "runs";
  public readonly topicId = "projects/proj-1/topics/runs";
  /** Created elsewhere: nothing to wait for. */
  public readonly dependables: readonly ITerraformDependable[] = [];
  public grantPublish(grantee: IGrantable): ITerraformDependable {
    return this.grant("roles/pubsub.publisher", grantee);
  }
  public grantSubscribe(grantee: IGrantable): ITerraformDependable {
    return this.grant("roles/pubsub.subscriber", grantee);
  }
  public grantView(grantee: IGrantable): ITerraformDependable {
    return this.grant("roles/pubsub.viewer", grantee);
  }
  private grant(role: string, grantee: IGrantable): ITerraformDependable {
    return grantOnce(
      this,
      role,
      grantee,
      (id, member) =>
        new PubsubTopicIamMember(this, id, { project: this.project, topic: this.topicName, role, member }),
    );
  }
}

describe("renderSqlFile", () => {
  test("reads the library's sql/ folder by default, or a folder of your own", () => {
    expect(renderSqlFile("staging/wiki_staged.sql", new Proxy({}, { has: () => true, get: () => "x" }))).toContain(
      "MERGE",
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sql-"));
    try {
      fs.mkdirSync(path.join(dir, "reports"));
      fs.writeFileSync(path.join(dir, "reports", "daily.sql"), "SELECT COUNT(*) FROM {{views}}");
      const views = { project: "p", datasetId: "d", tableId: "views" };
      expect(renderSqlFile("reports/daily.sql", { views }, { directory: dir })).toBe(
        "SELECT COUNT(*) FROM `p`.`d`.`views`",
      );
      expect(() => renderSqlFile("reports/missing.sql", {}, { directory: dir })).toThrow(
        `no SQL file reports/missing.sql in ${dir}`,
      );
      expect(() => renderSqlFile("../escape.sql", {}, { directory: dir })).toThrow("is outside its folder");
      expect(() => renderSqlFile("reports/daily.sql", {}, { directory: dir })).toThrow(
        `${path.join(dir, "reports/daily.sql")}: no value for placeholder {{views}}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

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
    const { raw, staging } = datasets(s);
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

  test("it is an IGrantable: grants go to its service account", () => {
    const s = stack();
    const query = new ScheduledQuery(s, "load", base);
    expect(query.serviceAccountEmail).toMatch(/\$\{TfToken\[/);
    expect(query.grantPrincipal.iamMember).toBe(`serviceAccount:${query.serviceAccountEmail}`);
    const view = new View(s, "v", { dataset: datasets(s).raw, tableId: "dedup", query: "SELECT 1" });
    view.grantRead(query);
    const [binding] = Object.values(JSON.parse(Testing.synth(s)).resource.google_bigquery_table_iam_member) as any[];
    expect(binding.member).toMatch(
      /^serviceAccount:\$\{google_service_account\.load_ServiceAccount_[0-9A-F]+\.email\}$/,
    );
  });

  test("dataset-level access only: viewer on read datasets, editor on written ones, jobUser to run jobs", () => {
    const s = stack();
    const { raw, staging } = datasets(s);
    new ScheduledQuery(s, "load", { ...base, readDatasets: [raw, staging], writeDatasets: [staging] });
    const resources = JSON.parse(Testing.synth(s)).resource;
    const grants = Object.values(resources.google_bigquery_dataset_iam_member).map((g: any) => [g.dataset_id, g.role]);
    // Write access includes read: no viewer binding on the written dataset.
    expect(grants.sort()).toEqual([
      ["raw", "roles/bigquery.dataViewer"],
      ["staging", "roles/bigquery.dataEditor"],
    ]);
    expect(Object.values(resources.google_project_iam_member).map((g: any) => g.role)).toEqual([
      "roles/bigquery.jobUser",
    ]);
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      role: "roles/bigquery.dataEditor",
    });
  });

  test("its dataset grants are the datasets' own grantRead/grantWrite bindings: once per grantee and role", () => {
    const s = stack();
    const { raw, staging } = datasets(s);
    const load = new ScheduledQuery(s, "load", { ...base, readDatasets: [raw], writeDatasets: [staging] });
    new ScheduledQuery(s, "other", { ...base, readDatasets: [raw] });
    // Granting again what the query granted itself returns its binding.
    const again = raw.grantRead(load);
    const resources = JSON.parse(Testing.synth(s)).resource;
    const config = (resources.google_bigquery_data_transfer_config as Record<string, any>)[
      Object.keys(resources.google_bigquery_data_transfer_config).find((k) => k.startsWith("load_"))!
    ];
    expect(Object.keys(resources.google_bigquery_dataset_iam_member).sort()).toEqual([
      expect.stringMatching(/^raw_grant-dataViewer-[0-9a-f]{10}_[0-9A-F]+$/),
      expect.stringMatching(/^raw_grant-dataViewer-[0-9a-f]{10}_[0-9A-F]+$/),
      expect.stringMatching(/^staging_grant-dataEditor-[0-9a-f]{10}_[0-9A-F]+$/),
    ]);
    expect(config.depends_on).toContain(`google_bigquery_dataset_iam_member.${(again as any).friendlyUniqueId}`);
  });

  test("the Data Transfer service agent may mint tokens for the account", () => {
    const s = stack();
    new ScheduledQuery(s, "load", base);
    expect(Testing.synth(s)).toHaveResourceWithProperties(ServiceAccountIamMember, {
      role: "roles/iam.serviceAccountTokenCreator",
      member: AGENT,
    });
  });

  test("run notifications go to the topic, which the service agent may publish to (one binding for every query)", () => {
    const s = stack();
    const topic = new TestTopic(s, "runs");
    new ScheduledQuery(s, "load", { ...base, notificationTopic: topic });
    new ScheduledQuery(s, "refresh", { ...base, notificationTopic: topic });
    const synth = Testing.synth(s);
    expect(synth).toHaveResourceWithProperties(BigqueryDataTransferConfig, {
      notification_pubsub_topic: "projects/proj-1/topics/runs",
    });
    expect(synth).toHaveResourceWithProperties(PubsubTopicIamMember, {
      topic: "runs",
      role: "roles/pubsub.publisher",
      member: AGENT,
    });
    const resources = JSON.parse(synth).resource;
    const [bindingKey, ...others] = Object.keys(resources.google_pubsub_topic_iam_member);
    expect(others).toEqual([]);
    expect(bindingKey).toMatch(/^runs_grant-publisher-[0-9a-f]{10}_[0-9A-F]+$/);
    for (const config of Object.values(resources.google_bigquery_data_transfer_config) as any[]) {
      expect(config.depends_on).toContain(`google_pubsub_topic_iam_member.${bindingKey}`);
    }
  });

  test("a SELECT with a destination table: write access there, the destination params, created after the dataset", () => {
    const s = stack();
    const staging = new LayeredDataset(s, "staging", {
      project: "proj-1",
      datasetId: "staging",
      layer: "staging",
      location: "US",
    });
    new ScheduledQuery(s, "snap", {
      ...base,
      destination: { dataset: staging, tableNameTemplate: "daily_{run_date}" },
    });
    const synth = Testing.synth(s);
    expect(synth).toHaveResourceWithProperties(BigqueryDataTransferConfig, {
      destination_dataset_id: expect.stringMatching(
        /^\$\{google_bigquery_dataset\.staging_dataset_[0-9A-F]+\.dataset_id\}$/,
      ),
      params: {
        query: "SELECT 1",
        destination_table_name_template: "daily_{run_date}",
        write_disposition: "WRITE_TRUNCATE",
      },
    });
    expect(synth).toHaveResourceWithProperties(BigqueryDatasetIamMember, {
      dataset_id: expect.stringMatching(/^\$\{google_bigquery_dataset\.staging_dataset_[0-9A-F]+\.dataset_id\}$/),
      role: "roles/bigquery.dataEditor",
    });
  });

  test("an imported destination dataset is named by its literal id", () => {
    const s = stack();
    new ScheduledQuery(s, "snap", {
      ...base,
      destination: { dataset: datasets(s).staging, tableNameTemplate: "daily_{run_date}" },
    });
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryDataTransferConfig, {
      destination_dataset_id: "staging",
    });
  });

  test("no primitive roles", () => {
    const s = stack();
    const { raw, staging } = datasets(s);
    new ScheduledQuery(s, "load", { ...base, readDatasets: [raw], writeDatasets: [staging] });
    expect(Testing.synth(s)).not.toMatch(/roles\/(owner|editor|viewer)"/);
  });

  // The grammar of TransferConfig.schedule, documented as the App Engine cron format:
  // https://cloud.google.com/appengine/docs/flexible/scheduling-jobs-with-cron-yaml#formatting_the_schedule
  test("schedules in the Data Transfer Service's format are accepted, down to every 10 minutes", () => {
    for (const schedule of [
      "every 10 minutes",
      "every 2 hours",
      "every 24 hours",
      "every 15 mins",
      "every 1 hours from 08:00 to 18:00",
      "every 2 hours synchronized",
      "every day 02:00",
      "every monday 09:00",
      "every mon,wed,fri 09:30",
      "1st,3rd monday of month 15:30",
      "every wed,fri of jan,jun 13:15",
      "first sunday of quarter 00:00",
      "1,15 of month 06:00",
    ]) {
      const s = stack();
      expect(new ScheduledQuery(s, "ok", { ...base, schedule }).schedule).toBe(schedule);
    }
  });

  test("a schedule more frequent than every 10 minutes is refused", () => {
    expect(() => new ScheduledQuery(stack(), "fast", { ...base, schedule: "every 5 minutes" })).toThrow(
      'test/fast: schedule "every 5 minutes" runs every 5 minutes; scheduled queries run at most every 10 minutes',
    );
  });

  test.each([
    ["cron syntax", "*/15 * * * *"],
    ["a misspelt unit", "every 15 minuts"],
    ["no time of day", "every day"],
    ["an hour past 23", "every day 24:00"],
    ["an unknown weekday", "every funday 09:00"],
    ["a 6th ordinal", "6th monday of month 10:00"],
    ["a day of month past 31", "32 of month 10:00"],
  ])("a schedule the transfer service does not accept is refused: %s", (_what, schedule) => {
    expect(() => new ScheduledQuery(stack(), "q", { ...base, schedule })).toThrow(
      `test/q: schedule "${schedule}" is not in the Data Transfer Service's schedule format; expected "every N minutes|hours"`,
    );
  });

  // https://cloud.google.com/bigquery/docs/locations: a query cannot use datasets of another location; the
  // transfer config runs in one location (https://cloud.google.com/bigquery/docs/scheduling-queries).
  test("a dataset in another location than the query's is refused, naming the dataset and both locations", () => {
    const s = stack();
    const eu = LayeredDataset.fromDatasetAttributes(s, "eu", { project: "proj-1", datasetId: "eu", location: "EU" });
    const { raw } = datasets(s);
    expect(() => new ScheduledQuery(s, "q1", { ...base, readDatasets: [raw, eu] })).toThrow(
      'test/q1: readDatasets dataset test/eu is in location "EU" but the scheduled query runs in "US"; a query reads and writes datasets of its own location only',
    );
    expect(() => new ScheduledQuery(s, "q2", { ...base, writeDatasets: [eu] })).toThrow(
      'test/q2: writeDatasets dataset test/eu is in location "EU"',
    );
    expect(
      () => new ScheduledQuery(s, "q3", { ...base, destination: { dataset: eu, tableNameTemplate: "t" } }),
    ).toThrow('test/q3: destination dataset test/eu is in location "EU"');
    expect(() => new ScheduledQuery(s, "q4", { ...base, readDatasets: [raw] })).not.toThrow();
    expect(() => new ScheduledQuery(s, "q5", { ...base, location: "Europe" })).toThrow(
      'test/q5: location "Europe" is invalid; expected US, EU or a region such as europe-west1',
    );
  });

  test("an unrendered placeholder is refused", () => {
    expect(() => new ScheduledQuery(stack(), "q", { ...base, query: "SELECT * FROM {{raw.t}}" })).toThrow(
      "test/q: the query still contains a {{placeholder}}; render it with renderSqlFile first",
    );
  });

  test("a bad project number is refused", () => {
    expect(() => new ScheduledQuery(stack(), "q", { ...base, projectNumber: "proj-1" })).toThrow(
      'test/q: project number "proj-1" is not a project number; expected digits only',
    );
  });

  test("a bad service account id is refused; the default is derived from the construct id", () => {
    expect(() => new ScheduledQuery(stack(), "q", { ...base, serviceAccountId: "Bad_Id" })).toThrow(
      'test/q: serviceAccountId "Bad_Id" is not valid; use 6-30 lowercase letters, digits and hyphens, starting with a letter',
    );
    const accountId = (id: string) => {
      const s = stack();
      new ScheduledQuery(s, id, base);
      return (Object.values(JSON.parse(Testing.synth(s)).resource.google_service_account)[0] as any).account_id;
    };
    expect(accountId("X")).toMatch(/^sq-x-[0-9a-f]{6}$/);
    const long = accountId("AVeryLongScheduledQueryNameIndeedYes");
    expect(long).toMatch(/^sq-avery-long-scheduled-[0-9a-f]{6}$/);
    expect(long.length).toBeLessThanOrEqual(30);
  });
});

describe("View", () => {
  test("a standard-SQL view with its attributes, in an imported dataset", () => {
    const s = stack();
    const { raw } = datasets(s);
    const view = new View(s, "v", { dataset: raw, tableId: "dedup", query: "SELECT 1 AS x" });
    expect(view.fqn).toBe("proj-1.raw.dedup");
    expect(view.location).toBe("US");
    expect(view.dataset).toBe(raw);
    expect(view.schema).toBeUndefined();
    expect(view.tableIdRef).toMatch(/\$\{TfToken\[/);
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryTable, {
      dataset_id: "raw",
      table_id: "dedup",
      deletion_protection: false,
      view: { query: "SELECT 1 AS x", use_legacy_sql: false },
    });
  });

  test("in a dataset of the stack it names the dataset by reference, so it is created after it", () => {
    const s = stack();
    const raw = new LayeredDataset(s, "raw", { project: "proj-1", datasetId: "raw", layer: "raw", location: "US" });
    const view = new View(s, "v", { dataset: raw, tableId: "dedup", query: "SELECT 1" });
    expect(view.fqn).toBe("proj-1.raw.dedup");
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryTable, {
      table_id: "dedup",
      dataset_id: expect.stringMatching(/^\$\{google_bigquery_dataset\.raw_dataset_[0-9A-F]+\.dataset_id\}$/),
    });
  });

  test("grantRead adds a table-level viewer, once: granting twice returns the same binding", () => {
    const s = stack();
    const view = new View(s, "v", { dataset: datasets(s).raw, tableId: "dedup", query: "SELECT 1" });
    const first = view.grantRead(Principal.group("analysts@example.com"));
    expect(view.grantRead(Principal.group("analysts@example.com"))).toBe(first);
    const synth = Testing.synth(s);
    expect(synth).toHaveResourceWithProperties(BigqueryTableIamMember, {
      role: "roles/bigquery.dataViewer",
      member: "group:analysts@example.com",
      table_id: expect.stringMatching(/^\$\{google_bigquery_table\.v_[0-9A-F]+\.table_id\}$/),
    });
    expect(Object.keys(JSON.parse(synth).resource.google_bigquery_table_iam_member)).toHaveLength(1);
  });

  test("grantRead refuses public members", () => {
    const view = new View(stack(), "v", { dataset: datasets(stack()).raw, tableId: "dedup", query: "SELECT 1" });
    expect(() => Principal.fromMember("allUsers")).toThrow('refusing the public member "allUsers"');
    expect(() => view.grantRead({ grantPrincipal: { iamMember: "allUsers" } })).toThrow(
      'test/v: refusing to grant access to "allUsers"',
    );
  });

  test("a trailing semicolon is refused", () => {
    expect(
      () => new View(stack(), "v", { dataset: datasets(stack()).raw, tableId: "x", query: "SELECT 1;\n-- end" }),
    ).toThrow('test/v: the view query ends with ";"; a view is a single query without a terminating semicolon');
  });

  test("an unrendered placeholder is refused", () => {
    expect(
      () => new View(stack(), "v", { dataset: datasets(stack()).raw, tableId: "x", query: "SELECT * FROM {{t}}" }),
    ).toThrow("test/v: the view query still contains the placeholder {{t}}; render it with renderSqlFile first");
  });

  test("an invalid id is refused", () => {
    expect(() => new View(stack(), "v", { dataset: datasets(stack()).raw, tableId: "a.b", query: "SELECT 1" })).toThrow(
      'test/v: view id "a.b" is not valid; use up to 1,024 letters, digits, underscores, dashes or spaces',
    );
  });
});

describe("MaterializedView", () => {
  const query = "SELECT user, COUNT(*) AS n FROM t GROUP BY user";
  const mv = (s: Construct) => ({ dataset: datasets(s).raw, tableId: "board", query });
  const table = (s: TerraformStack) =>
    Object.values(JSON.parse(Testing.synth(s)).resource.google_bigquery_table)[0] as any;

  test("incremental, auto-refreshed and always fresh by default", () => {
    const s = stack();
    const view = new MaterializedView(s, "mv", mv(s));
    expect(view.fqn).toBe("proj-1.raw.board");
    expect(view.location).toBe("US");
    expect(table(s).materialized_view).toEqual({ query, enable_refresh: true });
    expect(table(s).max_staleness).toBeUndefined();
  });

  test("refresh interval, max staleness and non-incremental definitions", () => {
    const s = stack();
    new MaterializedView(s, "mv", {
      ...mv(s),
      refreshInterval: Duration.minutes(15),
      maxStaleness: Duration.minutes(90),
      allowNonIncrementalDefinition: true,
    });
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryTable, {
      max_staleness: "0-0 0 1:30:0",
      materialized_view: {
        query,
        enable_refresh: true,
        refresh_interval_ms: 900000,
        allow_non_incremental_definition: true,
      },
    });
  });

  test("max staleness in days renders as BigQuery's INTERVAL with days kept as days", () => {
    const s = stack();
    new MaterializedView(s, "mv", { ...mv(s), maxStaleness: Duration.minutes(60 * 24 * 2 + 5) });
    expect(table(s).max_staleness).toBe("0-0 2 0:5:0");
  });

  test("a Terraform variable as the refresh interval's amount synthesizes an expression, not a number", () => {
    const s = stack();
    const minutes = new TerraformVariable(s, "refresh_minutes", { type: "number" });
    new MaterializedView(s, "mv", { ...mv(s), refreshInterval: Duration.minutes(minutes.numberValue) });
    expect(table(s).materialized_view.refresh_interval_ms).toBe("${(var.refresh_minutes * 60000)}");
  });

  test("grantRead adds a table-level viewer, once", () => {
    const s = stack();
    const view = new MaterializedView(s, "mv", mv(s));
    expect(view.grantRead(Principal.group("analysts@example.com"))).toBe(
      view.grantRead(Principal.group("analysts@example.com")),
    );
    expect(Object.keys(JSON.parse(Testing.synth(s)).resource.google_bigquery_table_iam_member)).toHaveLength(1);
  });

  test("in a dataset of the stack it names the dataset by reference", () => {
    const s = stack();
    const reporting = new LayeredDataset(s, "reporting", {
      project: "proj-1",
      datasetId: "reporting",
      layer: "reporting",
      location: "US",
    });
    new MaterializedView(s, "mv", { dataset: reporting, tableId: "board", query });
    expect(Testing.synth(s)).toHaveResourceWithProperties(BigqueryTable, {
      table_id: "board",
      dataset_id: expect.stringMatching(/^\$\{google_bigquery_dataset\.reporting_dataset_[0-9A-F]+\.dataset_id\}$/),
    });
  });

  test("a refresh interval outside 1 minute to 7 days is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv(stack()), refreshInterval: Duration.seconds(0) })).toThrow(
      "test/mv: refreshInterval is 0 seconds; BigQuery allows 1 minute to 7 days",
    );
    expect(() => new MaterializedView(stack(), "mv", { ...mv(stack()), refreshInterval: Duration.days(8) })).toThrow(
      "test/mv: refreshInterval is 8 days; BigQuery allows 1 minute to 7 days",
    );
  });

  test("a refresh interval that is not whole minutes, or not a Duration, is refused", () => {
    expect(
      () => new MaterializedView(stack(), "mv", { ...mv(stack()), refreshInterval: Duration.seconds(90) }),
    ).toThrow("test/mv: refreshInterval is 1 minute 30 seconds; it must be a whole number of minutes");
    expect(() => new MaterializedView(stack(), "mv", { ...mv(stack()), refreshInterval: 30 as never })).toThrow(
      "test/mv: refreshInterval must be a Duration (e.g. Duration.days(7)), got 30",
    );
  });

  test("a refresh interval without automatic refresh is refused", () => {
    expect(
      () =>
        new MaterializedView(stack(), "mv", {
          ...mv(stack()),
          refreshInterval: Duration.minutes(30),
          enableRefresh: false,
        }),
    ).toThrow(
      "test/mv: refreshInterval is set but enableRefresh is false; the interval only applies to automatic refresh",
    );
  });

  test("a non-incremental definition without max staleness is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv(stack()), allowNonIncrementalDefinition: true })).toThrow(
      "test/mv: allowNonIncrementalDefinition is true but maxStaleness is not set; BigQuery requires max_staleness on a non-incremental materialized view",
    );
  });

  test("a max staleness under a minute is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv(stack()), maxStaleness: Duration.seconds(30) })).toThrow(
      "test/mv: maxStaleness is 30 seconds; a materialized view takes 1 minute to 3660000 days",
    );
  });

  test("ORDER BY at the top level is refused", () => {
    expect(() => new MaterializedView(stack(), "mv", { ...mv(stack()), query: `${query} ORDER BY n DESC` })).toThrow(
      "test/mv: the materialized view query ends with ORDER BY; materialized views cannot be ordered (order when reading)",
    );
  });

  test("more than 4 clustering columns are refused", () => {
    expect(
      () => new MaterializedView(stack(), "mv", { ...mv(stack()), clustering: ["a", "b", "c", "d", "e"] }),
    ).toThrow("test/mv: clustering has 5 columns; BigQuery allows at most 4");
  });
});

// Keep the import used: the jobUser grant is a ProjectIamMember.
test("ProjectIamMember is the jobUser grant's type", () => {
  const s = stack();
  new ScheduledQuery(s, "load", base);
  expect(Testing.synth(s)).toHaveResourceWithProperties(ProjectIamMember, { role: "roles/bigquery.jobUser" });
});
