import { Construct } from "constructs";
import { ITerraformDependable, TerraformStack } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";
import { PubsubTopic } from "@cdktf/provider-google/lib/pubsub-topic";
import { CdcTable } from "../../../constructs/bigquery/cdc-table";
import { LayeredDataset } from "../../../constructs/bigquery/layered-dataset";
import { MaterializedView } from "../../../constructs/bigquery/materialized-view";
import { ScheduledQuery } from "../../../constructs/bigquery/scheduled-query";
import { TableBase } from "../../../constructs/bigquery/table-base";
import { TableNames } from "../../../constructs/bigquery/table-grants";
import { TableReference } from "../../../constructs/bigquery/table-reference";
import { View } from "../../../constructs/bigquery/view";
import { WindowKind } from "../../../constructs/bigquery/window-kind";
import { WindowedAggregate } from "../../../constructs/bigquery/windowed-aggregate";
import { Duration } from "../../../constructs/core/duration";
import { IGrantable, Principal } from "../../../constructs/core/principal";
import { IDataset, ITable } from "../../../constructs/core/references";
import { StreamSubscription } from "../../../constructs/pubsub/stream-subscription";
import { StreamTopic } from "../../../constructs/pubsub/stream-topic";
import { expectApplyOrder, findUnorderedReferences } from "../../../constructs/testing/apply-order";
import { TableSchema } from "../../../schemas/table-schema";
import { WIKI_PAGES_CDC_MESSAGE_FIELDS, WIKI_PAGES_SCHEMA } from "../../../schemas/wiki-pages";
import { WIKI_STAGED_SCHEMA, WIKI_STAGED_WATERMARK_SCHEMA } from "../../../schemas";
import {
  newDataset,
  newStack,
  newTable,
  newTopic,
  PROJECT,
  PROJECT_NUMBER,
  resources,
  resourceWith,
  synthStack,
} from "../../support";

const ANALYSTS = Principal.group("analysts@example.com");

/**
 * A user's own ITable, written by hand, no library class involved: a plain `google_bigquery_table`
 * with its own table-level bindings. `created: false` stands for a table that exists already.
 */
class HandWrittenTable extends Construct implements ITable {
  public readonly project: string;
  public readonly datasetId: string;
  public readonly tableId: string;
  public readonly tableIdRef: string;
  public readonly fqn: string;
  public readonly fqnRef: string;
  public readonly location: string;
  public readonly dependables: readonly ITerraformDependable[];
  public readonly resource: BigqueryTable;
  public readonly writeGrants: ITerraformDependable[] = [];

  constructor(
    scope: Construct,
    id: string,
    public readonly dataset: IDataset,
    options: { tableId: string; schema: TableSchema; primaryKey?: readonly string[]; created?: boolean },
    public readonly schema = options.schema,
    public readonly primaryKey = options.primaryKey,
  ) {
    super(scope, id);
    this.resource = new BigqueryTable(this, "table", {
      project: dataset.project,
      datasetId: dataset.datasetIdRef,
      tableId: options.tableId,
      schema: options.schema.toJsonString(),
      deletionProtection: false,
      tableConstraints: options.primaryKey ? { primaryKey: { columns: [...options.primaryKey] } } : undefined,
    });
    this.project = dataset.project;
    this.datasetId = dataset.datasetId;
    this.tableId = options.tableId;
    this.tableIdRef = this.resource.tableId;
    this.fqn = `${this.project}.${this.datasetId}.${this.tableId}`;
    this.fqnRef = `${this.resource.project}.${this.resource.datasetId}.${this.resource.tableId}`;
    this.location = dataset.location;
    this.dependables = options.created === false ? [] : [this.resource];
  }

  public grantRead(grantee: IGrantable): ITerraformDependable {
    return this.bind("read", "roles/bigquery.dataViewer", grantee);
  }

  public grantWrite(grantee: IGrantable): ITerraformDependable {
    const grant = this.bind("write", "roles/bigquery.dataEditor", grantee);
    this.writeGrants.push(grant);
    return grant;
  }

  /** A user's own narrow role, made elsewhere. */
  public grantWriteRows(grantee: IGrantable): ITerraformDependable {
    return this.bind("write-rows", `projects/${this.project}/roles/rowWriter`, grantee);
  }

  private bind(id: string, role: string, grantee: IGrantable): ITerraformDependable {
    return new BigqueryTableIamMember(this, id, {
      project: this.resource.project,
      datasetId: this.resource.datasetId,
      tableId: this.resource.tableId,
      role,
      member: grantee.grantPrincipal.iamMember,
    });
  }
}

/** The Terraform address of the resource `json` has of `type` with `key` equal to `value`. */
function addressOf(json: any, type: string, key: string, value: unknown): string {
  const [name] = Object.entries(json.resource[type]).find(([, body]: any) => body[key] === value)!;
  return `${type}.${name}`;
}

/** wiki_pages as a hand-written table, with the primary key `{ primaryKey }` gives (the page's key unless told). */
function pagesTable(stack: TerraformStack, key: { primaryKey?: readonly string[] } = KEYED) {
  return new HandWrittenTable(stack, "pages", newDataset(stack), {
    tableId: "wiki_pages",
    schema: WIKI_PAGES_SCHEMA,
    primaryKey: key.primaryKey,
  });
}
const KEYED = { primaryKey: ["wiki", "namespace", "title"] };

const cdc = { cdc: true, messageFields: WIKI_PAGES_CDC_MESSAGE_FIELDS, subscriptionName: "pages-cdc" };

describe("a user's own ITable keeps the CDC checks", () => {
  test("a hand-written table with a primary key: the CDC subscription is checked against its key", () => {
    const stack = newStack();
    const topic = newTopic(stack, { topicName: "wiki-pages-cdc" });
    const lacking = WIKI_PAGES_CDC_MESSAGE_FIELDS.filter((field) => field !== "title");
    expect(() => topic.addBigQuerySubscription(pagesTable(stack), { ...cdc, messageFields: lacking })).toThrow(
      /^test\/events\/bigquery-subscription-pages-cdc: messageFields \[wiki, namespace, .*\] lack the primary key column\(s\) title of table test-project\.raw\.wiki_pages; every change must name its row$/,
    );
  });

  test("a hand-written table without a primary key is refused as a CDC target", () => {
    const stack = newStack();
    expect(() =>
      newTopic(stack, { topicName: "wiki-pages-cdc" }).addBigQuerySubscription(pagesTable(stack, {}), cdc),
    ).toThrow("cdc is true but table test-project.raw.wiki_pages has no primary key");
  });

  test("a CDC subscription into it writes through the table's own grantWrite and waits for it", () => {
    const stack = newStack();
    const table = pagesTable(stack);
    const sub = newTopic(stack, { topicName: "wiki-pages-cdc" }).addBigQuerySubscription(table, cdc);
    const json = synthStack(stack);
    expect(table.writeGrants).toHaveLength(1);
    const body = resourceWith(json, "google_pubsub_subscription", "name", "pages-cdc");
    const grant = addressOf(json, "google_bigquery_table_iam_member", "role", "roles/bigquery.dataEditor");
    expect(body.depends_on).toEqual([grant]);
    expect(resourceWith(json, "google_bigquery_table_iam_member", "role", "roles/bigquery.dataEditor").member).toBe(
      `serviceAccount:\${${addressOf(json, "google_service_account", "account_id", "pages-cdc")}.email}`,
    );
    expect(sub.table).toBe(table);
    expect(resources(json, "google_bigquery_dataset_iam_member")).toHaveLength(0);
  });
});

describe("a user's own ITable keeps the apply ordering", () => {
  /** A windowed aggregate over `source`, whose script names `source` and its mark literally. */
  function aggregateOver(created: boolean) {
    const stack = newStack();
    const staging = newDataset(stack, { datasetId: "staging", layer: "staging" });
    const source = new HandWrittenTable(stack, "staged", staging, {
      tableId: "wiki_staged",
      schema: WIKI_STAGED_SCHEMA,
      created,
    });
    const mark = new HandWrittenTable(stack, "mark", staging, {
      tableId: "wiki_staged_watermark",
      schema: WIKI_STAGED_WATERMARK_SCHEMA,
    });
    new WindowedAggregate(stack, "windows", {
      source,
      sourceMark: { table: mark },
      dataset: newDataset(stack, { datasetId: "reporting", layer: "reporting" }),
      tableId: "changes_per_minute",
      window: WindowKind.tumbling(Duration.minutes(1)),
      keyColumn: "wiki",
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      deletionProtection: false,
    });
    return stack;
  }

  test("the scheduled query waits for the hand-written tables it reads (depends_on)", () => {
    const stack = aggregateOver(true);
    const json = synthStack(stack);
    const [transfer] = resources(json, "google_bigquery_data_transfer_config");
    expect(transfer.depends_on).toEqual(
      expect.arrayContaining([
        addressOf(json, "google_bigquery_table", "table_id", "wiki_staged"),
        addressOf(json, "google_bigquery_table", "table_id", "wiki_staged_watermark"),
      ]),
    );
    expect(() => expectApplyOrder(stack)).not.toThrow();
  });

  test("a table that says nothing to wait for (empty dependables) is not waited for, and the apply-order check sees the race", () => {
    const stack = aggregateOver(false);
    const json = synthStack(stack);
    const [transfer] = resources(json, "google_bigquery_data_transfer_config");
    expect(transfer.depends_on).not.toContain(addressOf(json, "google_bigquery_table", "table_id", "wiki_staged"));
    expect(findUnorderedReferences(stack).map((r) => r.named)).toContain(`${PROJECT}.staging.wiki_staged`);
  });
});

describe("dependables: what a dependant waits for", () => {
  test("a created resource offers its Terraform resource; an imported one offers nothing", () => {
    const stack = newStack();
    const dataset = newDataset(stack);
    const table = newTable(stack);
    const topic = newTopic(stack);
    const sub = topic.addSubscription("events-pull");
    const view = new View(stack, "view", { dataset, tableId: "v", query: "SELECT 1 AS one" });
    expect(dataset.dependables).toEqual([dataset.resource]);
    expect(table.dependables).toEqual([table.resource]);
    expect(view.dependables).toEqual([view.resource]);
    expect(topic.dependables).toEqual([topic.resource]);
    expect(topic.deadLetterTopic.dependables).toEqual([topic.deadLetterTopicResource]);
    expect(sub.dependables).toEqual([sub.resource]);
    const query = new ScheduledQuery(stack, "query", {
      project: PROJECT,
      projectNumber: PROJECT_NUMBER,
      location: "US",
      query: "SELECT 1",
      schedule: "every 1 hours",
    });
    expect(query.dependables).toEqual([query.resource]);

    const importedDataset = LayeredDataset.fromDatasetAttributes(stack, "shared", {
      project: "p",
      datasetId: "shared",
      location: "US",
    });
    const importedTopic = StreamTopic.fromTopicAttributes(stack, "other-topic", { project: "p", topicName: "other" });
    expect(importedDataset.dependables).toEqual([]);
    expect(TableReference.fromTableAttributes(stack, "t", { dataset, tableId: "t" }).dependables).toEqual([]);
    expect(importedTopic.dependables).toEqual([]);
    const importedSub = StreamSubscription.fromSubscriptionAttributes(stack, "other-sub", {
      project: "p",
      subscriptionName: "other-sub",
      topic: importedTopic,
    });
    expect(importedSub.dependables).toEqual([]);
  });

  test("a plain topic of the stack wrapped with fromTopicResource is waited for", () => {
    const stack = newStack();
    const resource = new PubsubTopic(stack, "plain", { name: "plain", project: PROJECT });
    expect(StreamTopic.fromTopicResource(stack, "wrapped", resource).dependables).toEqual([resource]);
  });
});

describe("ITable.grantWrite and primaryKey", () => {
  test("an imported table declares a primary key, checked against its schema, and gets the CDC subscription", () => {
    const stack = newStack();
    const dataset = newDataset(stack, { datasetId: "shared" });
    const imported = TableReference.fromTableAttributes(stack, "pages", {
      dataset,
      tableId: "wiki_pages",
      schema: WIKI_PAGES_SCHEMA,
      primaryKey: ["wiki", "namespace", "title"],
    });
    expect(imported.primaryKey).toEqual(["wiki", "namespace", "title"]);
    newTopic(stack).addBigQuerySubscription(imported, cdc);
    const grant = resourceWith(synthStack(stack), "google_bigquery_table_iam_member", "table_id", "wiki_pages");
    expect(grant.role).toBe("roles/bigquery.dataEditor");
    expect(() =>
      TableReference.fromTableAttributes(stack, "bad", {
        dataset,
        tableId: "bad",
        schema: WIKI_PAGES_SCHEMA,
        primaryKey: ["page"],
      }),
    ).toThrow('test/bad: primary key column "page" does not exist in schema');
    expect(() => TableReference.fromTableAttributes(stack, "empty", { dataset, tableId: "e", primaryKey: [] })).toThrow(
      "test/empty: primary key is empty; a CDC table needs 1 to 16 key columns",
    );
  });

  test("a CdcTable's primary key is the ITable's", () => {
    const stack = newStack();
    const table: ITable = new CdcTable(stack, "pages", {
      dataset: newDataset(stack),
      tableId: "wiki_pages",
      schema: WIKI_PAGES_SCHEMA,
      primaryKey: ["wiki", "namespace", "title"],
      maxStaleness: Duration.minutes(10),
    });
    expect(table.primaryKey).toEqual(["wiki", "namespace", "title"]);
    expect(newTable(stack).primaryKey).toBeUndefined();
  });

  test("a view refuses grantWrite, naming itself and the rule; its grantRead binds the view", () => {
    const stack = newStack();
    const dataset = newDataset(stack);
    const view = new View(stack, "view", { dataset, tableId: "v", query: "SELECT 1 AS one" });
    const mv = new MaterializedView(stack, "mv", { dataset, tableId: "mv", query: "SELECT 1 AS one" });
    expect(() => view.grantWrite(ANALYSTS)).toThrow(
      "test/view: grantWrite on view test-project.raw.v: a view holds no rows to write; grant write on the tables its query reads",
    );
    expect(() => mv.grantWrite(ANALYSTS)).toThrow("test/mv: grantWrite on materialized view test-project.raw.mv");
    view.grantRead(ANALYSTS);
    const grant = resourceWith(synthStack(stack), "google_bigquery_table_iam_member", "member", ANALYSTS.iamMember);
    expect(grant).toMatchObject({
      role: "roles/bigquery.dataViewer",
      table_id: expect.stringContaining("${google_bigquery_table.view_"),
    });
  });
});

describe("TableBase: a table of your own gets the library's grants", () => {
  class LegacyTable extends TableBase {
    public readonly project = PROJECT;
    public readonly datasetId = "legacy";
    public readonly tableId = "events";
    public readonly tableIdRef = "events";
    public readonly fqn = `${PROJECT}.legacy.events`;
    public readonly fqnRef = `${PROJECT}.legacy.events`;
    public readonly location = "US";
    public readonly schema = undefined;
    public readonly primaryKey = undefined;
    public readonly dependables = [];
    protected readonly grantTarget: TableNames = { project: PROJECT, datasetId: "legacy", tableId: "events" };
    constructor(
      scope: Construct,
      id: string,
      public readonly dataset: IDataset,
    ) {
      super(scope, id);
    }
  }

  test("grantRead and grantWrite: one binding each, idempotent, refusing the public", () => {
    const stack = newStack();
    const dataset = LayeredDataset.fromDatasetAttributes(stack, "legacy", {
      project: PROJECT,
      datasetId: "legacy",
      location: "US",
    });
    const table = new LegacyTable(stack, "legacy-events", dataset);
    expect(table.grantWrite(ANALYSTS)).toBe(table.grantWrite(ANALYSTS));
    table.grantRead(ANALYSTS);
    expect(() => table.grantRead(Principal.fromMember("allUsers"))).toThrow('refusing the public member "allUsers"');
    const grants = resources(synthStack(stack), "google_bigquery_table_iam_member");
    expect(grants.map((g) => [g.dataset_id, g.table_id, g.role])).toEqual([
      ["legacy", "events", "roles/bigquery.dataEditor"],
      ["legacy", "events", "roles/bigquery.dataViewer"],
    ]);
  });
});
