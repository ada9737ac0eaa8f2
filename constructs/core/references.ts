/**
 * One reference interface per resource kind. Every construct that points at another resource
 * takes one of these, so a resource created by the library, imported with a `fromXxx` method or
 * written by hand fits alike; every construct that creates such a resource implements one.
 *
 * The library implements each through an abstract base class shared by the construct that creates
 * the resource and the one that imports it (`DatasetBase`, `TableBase`, `TopicBase`,
 * `SubscriptionBase`, the AWS CDK's `QueueBase` way): the grants are written once, there.
 *
 * Apply order: the `…Ref` attributes are Terraform references when the resource is created in the
 * same stack, so a resource that names another through them is created after it; a resource that
 * needs another without naming it lists the other's {@link IResource.dependables} in `dependsOn`.
 */
import { IConstruct } from "constructs";
import { ITerraformDependable, TerraformResource } from "cdktf";
import { TableSchema } from "../../schemas/table-schema";
import { IGrantable } from "./principal";

/**
 * What every reference interface has: `dependables`, what a dependant waits for. A construct that must be applied
 * after the resource without naming it by a Terraform reference (SQL naming a table, an alert on a
 * subscription) lists these in its `dependsOn`.
 */
export interface IResource extends IConstruct {
  /**
   * The Terraform resources that create this resource in this stack (usually one), for a dependant's
   * `dependsOn`. Empty when the resource is not created in this stack (imported): it exists
   * already, there is nothing to wait for.
   */
  readonly dependables: readonly ITerraformDependable[];
}

/**
 * Every Terraform resource under `scope`, at the time of the call: the {@link IResource.dependables} of a construct
 * that stands for several resources (a Dataflow job with its bucket, account and grants; a health check with its
 * query and metric), read when a dependant is made so that grants added later are included.
 */
export function resourcesUnder(scope: IConstruct): ITerraformDependable[] {
  return scope.node.findAll().filter((n): n is TerraformResource => TerraformResource.isTerraformResource(n));
}

/**
 * The API a writer appends rows to a table with, for {@link ITable.grantWriteRows}: `storage-write`, the
 * Storage Write API (its default stream), or `insert-all`, the legacy `tabledata.insertAll`.
 */
export type RowWriteApi = "storage-write" | "insert-all";

/** A BigQuery dataset. `LayeredDataset` implements it; `LayeredDataset.fromDatasetAttributes` imports one. */
export interface IDataset extends IResource {
  /** Project holding the dataset (a token when the provider's project is used). */
  readonly project: string;
  /** Dataset id, as a literal where it was given as one (for SQL and names). */
  readonly datasetId: string;
  /** Dataset id as a Terraform reference to the dataset when it is created in this stack (orders dependants after it). */
  readonly datasetIdRef: string;
  /** BigQuery location, e.g. `US` or `europe-west1`. */
  readonly location: string;
  /** Lets `grantee` read every table of the dataset (`roles/bigquery.dataViewer` on the dataset). */
  grantRead(grantee: IGrantable): ITerraformDependable;
  /** Lets `grantee` read and write every table of the dataset (`roles/bigquery.dataEditor` on the dataset). */
  grantWrite(grantee: IGrantable): ITerraformDependable;
}

/**
 * A BigQuery table, view or materialized view. The table constructs, `View` and `MaterializedView`
 * implement it; `TableReference.fromTableAttributes` imports one.
 */
export interface ITable extends IResource {
  /** Project holding the table. */
  readonly project: string;
  /** Dataset id (literal where given as one). */
  readonly datasetId: string;
  /** Table id (literal where given as one). */
  readonly tableId: string;
  /** `project.dataset.table`, for SQL and messages (carries no Terraform dependency). */
  readonly fqn: string;
  /** `project.dataset.table` as Terraform references (orders dependants after the table when it is created in this stack). */
  readonly fqnRef: string;
  /** Table id as a Terraform reference when the table is created in this stack. */
  readonly tableIdRef: string;
  /** BigQuery location (the dataset's). */
  readonly location: string;
  /** The dataset holding the table. */
  readonly dataset: IDataset;
  /**
   * The table's columns.
   * @default - unknown (views, imported tables without a schema)
   */
  readonly schema?: TableSchema;
  /**
   * The primary key columns (`NOT ENFORCED`), by which BigQuery applies CDC rows (UPSERT, DELETE):
   * a CDC BigQuery subscription needs one, and is checked against it.
   * @default - no primary key
   */
  readonly primaryKey?: readonly string[];
  /** Lets `grantee` read this table only (table-level `roles/bigquery.dataViewer`). */
  grantRead(grantee: IGrantable): ITerraformDependable;
  /**
   * Lets `grantee` write to this table only (table-level `roles/bigquery.dataEditor`: rows, metadata and
   * deletion, and reading its rows), e.g. a BigQuery subscription's writer. A view refuses it (it holds no rows).
   */
  grantWrite(grantee: IGrantable): ITerraformDependable;
  /**
   * Lets `grantee` append rows to this table only, and nothing else: a custom role with only the permissions
   * `api` needs (`bigquery.tables.updateData`; `insert-all` also `bigquery.tables.get`), bound on the table.
   * For a workload that only appends rows (the worker's direct sink). A view refuses it.
   * @param api the API the grantee writes with; default `storage-write`
   */
  grantWriteRows(grantee: IGrantable, api?: RowWriteApi): ITerraformDependable;
}

/** A Pub/Sub topic. `StreamTopic` implements it; `StreamTopic.fromTopicAttributes` imports one. */
export interface ITopic extends IResource {
  /** Project of the topic. */
  readonly project: string;
  /** Short name of the topic, e.g. `wiki-changes`. */
  readonly topicName: string;
  /** Full id `projects/<project>/topics/<name>`: a Terraform reference when the topic is created in this stack. */
  readonly topicId: string;
  /**
   * The table schema of the topic's Pub/Sub schema, when it has one.
   * @default - no schema
   */
  readonly schema?: TableSchema;
  /** Lets `grantee` publish to the topic (`roles/pubsub.publisher` on it). */
  grantPublish(grantee: IGrantable): ITerraformDependable;
  /** Lets `grantee` attach subscriptions to the topic (`roles/pubsub.subscriber` on it). */
  grantSubscribe(grantee: IGrantable): ITerraformDependable;
  /** Lets `grantee` read the topic's metadata (`roles/pubsub.viewer` on it). */
  grantView(grantee: IGrantable): ITerraformDependable;
}

/** A Pub/Sub subscription. `StreamSubscription` implements it; `StreamSubscription.fromSubscriptionAttributes` imports one. */
export interface ISubscription extends IResource {
  /** Project of the subscription. */
  readonly project: string;
  /** Short name of the subscription. */
  readonly subscriptionName: string;
  /** Full id `projects/<project>/subscriptions/<name>`: a Terraform reference when created in this stack. */
  readonly subscriptionId: string;
  /** The topic it subscribes to. */
  readonly topic: ITopic;
  /** Whether Pub/Sub itself delivers the messages somewhere (a BigQuery subscription): nobody may pull it. */
  readonly isPushOrExport: boolean;
  /** Lets `grantee` pull and acknowledge messages (`roles/pubsub.subscriber` on the subscription). */
  grantSubscribe(grantee: IGrantable): ITerraformDependable;
  /** Lets `grantee` read the subscription's metadata (`roles/pubsub.viewer` on it). */
  grantView(grantee: IGrantable): ITerraformDependable;
}
