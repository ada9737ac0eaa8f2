import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { BigqueryTable } from "@cdktf/provider-google/lib/bigquery-table";
import { BigqueryTableIamMember } from "@cdktf/provider-google/lib/bigquery-table-iam-member";

/** The dataset a view or materialized view lives in (a `LayeredDataset` fits). */
export interface ViewDatasetRef {
  /** Dataset id. */
  readonly datasetId: string;
  /** Project of the dataset. */
  readonly project: string;
}

/** Props of {@link View}. */
export interface ViewProps {
  /** Dataset the view is created in. */
  readonly dataset: ViewDatasetRef;
  /** View id, unique in the dataset. */
  readonly tableId: string;
  /**
   * The GoogleSQL query, placeholders already resolved (see `renderSqlFile`); one
   * statement, no trailing semicolon.
   */
  readonly query: string;
  /**
   * Description shown in the console and INFORMATION_SCHEMA.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Labels of the view.
   * @default - none (provider default labels still apply)
   */
  readonly labels?: Record<string, string>;
  /**
   * Resources to create first, typically the base tables the query reads (BigQuery
   * validates the query when the view is created).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Whether Terraform refuses to destroy the view. A view holds no data, so it is off by default.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/** BigQuery table ids: up to 1,024 letters, marks, numbers, connectors, dashes and spaces. */
const TABLE_ID = /^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]{1,1024}$/u;

/** Shared checks of the view constructs. */
export function validateViewProps(path: string, kind: string, tableId: string, query: string): void {
  if (!Token.isUnresolved(tableId) && !TABLE_ID.test(tableId)) {
    throw new Error(
      `${path}: ${kind} id "${tableId}" is not valid; use up to 1,024 letters, digits, underscores, dashes or spaces`,
    );
  }
  if (Token.isUnresolved(query)) return;
  if (query.trim() === "") throw new Error(`${path}: the ${kind} query is empty`);
  if (/;\s*$/.test(stripComments(query))) {
    throw new Error(
      `${path}: the ${kind} query ends with ";"; a ${kind} is a single query without a terminating semicolon`,
    );
  }
  const placeholder = /\{\{\s*[A-Za-z_][A-Za-z0-9_.-]*\s*\}\}/.exec(query);
  if (placeholder) {
    throw new Error(
      `${path}: the ${kind} query still contains the placeholder ${placeholder[0]}; render it with renderSqlFile first`,
    );
  }
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
}

/**
 * A logical view (`google_bigquery_table` with a `view` block, standard SQL).
 *
 * @example
 * new View(this, "dedup", {
 *   dataset: warehouse.rawDataset,
 *   tableId: "wiki_changes_dedup",
 *   query: renderSqlFile("quality/dedup_view.sql", bindings),
 * });
 */
export class View extends Construct {
  /** View id. */
  public readonly tableId: string;
  /** Dataset id. */
  public readonly datasetId: string;
  /** Project. */
  public readonly project: string;
  /** `project.dataset.view`. */
  public readonly fqn: string;
  /** The query the view runs. */
  public readonly query: string;
  /** The underlying resource. */
  public readonly resource: BigqueryTable;

  constructor(scope: Construct, id: string, props: ViewProps) {
    super(scope, id);
    validateViewProps(this.node.path, "view", props.tableId, props.query);
    this.tableId = props.tableId;
    this.datasetId = props.dataset.datasetId;
    this.project = props.dataset.project;
    this.fqn = `${this.project}.${this.datasetId}.${this.tableId}`;
    this.query = props.query;
    this.resource = new BigqueryTable(this, "Resource", {
      project: props.dataset.project,
      datasetId: props.dataset.datasetId,
      tableId: props.tableId,
      description: props.description,
      labels: props.labels,
      deletionProtection: props.deletionProtection ?? false,
      dependsOn: props.dependsOn,
      view: { query: props.query, useLegacySql: false },
    });
  }

  /** Lets `member` (e.g. `group:analysts@example.com`) read this view only (table-level BigQuery Data Viewer). */
  public grantRead(member: string): BigqueryTableIamMember {
    return new BigqueryTableIamMember(this, `Read-${memberConstructId(member)}`, {
      project: this.project,
      datasetId: this.datasetId,
      tableId: this.resource.tableId,
      role: "roles/bigquery.dataViewer",
      member,
    });
  }
}

/** A construct id from an IAM member string. */
export function memberConstructId(member: string): string {
  return member.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 100);
}
