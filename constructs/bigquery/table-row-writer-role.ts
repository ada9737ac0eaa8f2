/**
 * The project-level custom role behind `ITable.grantWriteRows`: only the permissions a writer of rows
 * needs, per API, instead of `roles/bigquery.dataEditor` (which also updates and deletes the table and
 * reads its rows). Private to the library.
 *
 * The permissions, per BigQuery's documentation:
 * - Storage Write API ("Introduction to the BigQuery Storage Write API", Required permissions,
 *   https://cloud.google.com/bigquery/docs/write-api): "To use the Storage Write API, you must have
 *   `bigquery.tables.updateData` permissions". An append to the table's default stream is the only call
 *   a writer makes (no `CreateWriteStream`, no `GetWriteStream`: the writer brings its own schema).
 * - `tabledata.insertAll` ("Use the legacy streaming API", Required permissions,
 *   https://cloud.google.com/bigquery/docs/streaming-data-into-bigquery): `bigquery.tables.updateData`
 *   (insert data), `bigquery.tables.get` (table metadata) and `bigquery.datasets.get` (dataset metadata).
 *   The last is a dataset permission, which a binding on a table cannot give and a writer that names its
 *   table never uses; it is left out.
 *
 * `bigquery.tables.updateData` alone reads nothing and changes no metadata: no `bigquery.tables.getData`,
 * `update`, `delete`, `setIamPolicy`. (With `bigquery.jobs.create` in the project it would also allow DML
 * and load jobs on the table; the library grants a writer no `jobs.create`.)
 *
 * A custom role lives in a project and is bound on resources of that project only: one role per API,
 * per project, per stack. Its id follows IAM's rule (`projects.roles.create`, `roleId`: "alphanumeric
 * characters, underscores (_), and periods (.) ... a minimum of 3 characters and a maximum of 64";
 * the provider checks `^[a-zA-Z0-9_\.]{3,64}$`) and carries the stack's name, so two stacks in one
 * project do not claim the same role.
 */
import { Construct } from "constructs";
import { TerraformStack, Token } from "cdktf";
import { ProjectIamCustomRole } from "@cdktf/provider-google/lib/project-iam-custom-role";
import { RowWriteApi } from "../core/references";
import { fail, shortHash } from "../core/validation";

/** What each API needs on the table (see the module's comment for the sources). */
export const ROW_WRITE_PERMISSIONS: Readonly<Record<RowWriteApi, readonly string[]>> = Object.freeze({
  "storage-write": Object.freeze(["bigquery.tables.updateData"]),
  "insert-all": Object.freeze(["bigquery.tables.get", "bigquery.tables.updateData"]),
});

/** IAM's rule for a custom role id. */
export const CUSTOM_ROLE_ID = /^[A-Za-z0-9_.]{3,64}$/;

const ROLE_NAME: Readonly<Record<RowWriteApi, string>> = {
  "storage-write": "storageWriteAppender",
  "insert-all": "insertAllAppender",
};

const TITLE: Readonly<Record<RowWriteApi, string>> = {
  "storage-write": "fresh-streams table row writer (Storage Write API)",
  "insert-all": "fresh-streams table row writer (tabledata.insertAll)",
};

/**
 * The custom role of one API in one project, created once per stack, at the stack's root, by the
 * first grant that needs it ({@link TableRowWriterRole.of}).
 */
export class TableRowWriterRole extends Construct {
  /**
   * The role of `api` for tables in `project`, in the stack of `scope`: the existing one, or a new one.
   * A `project` that is a token (the provider's default project) shares one role per API; a stack with
   * tables in two token projects is refused (give the datasets literal projects).
   */
  public static of(scope: Construct, project: string, api: RowWriteApi): TableRowWriterRole {
    if (!(api in ROW_WRITE_PERMISSIONS)) {
      fail(
        scope.node.path,
        `row-writing API "${String(api)}" is unknown: one of ${Object.keys(ROW_WRITE_PERMISSIONS).join(", ")}`,
      );
    }
    const stack = TerraformStack.of(scope);
    const known = !Token.isUnresolved(project);
    const id = `table-row-writer-${api}-${known ? project : "provider-project"}`;
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof TableRowWriterRole) {
      if (existing.project !== project) {
        fail(
          scope.node.path,
          `the dataset's project is a token other than the one of ${existing.node.path}: give the datasets literal projects, so that each project gets its own row-writer role`,
        );
      }
      return existing;
    }
    return new TableRowWriterRole(stack, id, project, api);
  }

  /** The `google_project_iam_custom_role`. */
  public readonly resource: ProjectIamCustomRole;
  /** The role's id, e.g. `freshStreams_storageWriteAppender_prod`. */
  public readonly roleId: string;
  /** The role's name for a binding, `projects/<project>/roles/<id>`: a literal when the project is one. */
  public readonly roleName: string;

  private constructor(
    scope: TerraformStack,
    id: string,
    public readonly project: string,
    public readonly api: RowWriteApi,
  ) {
    super(scope, id);
    this.roleId = roleIdFor(api, scope.node.id);
    this.resource = new ProjectIamCustomRole(this, "Resource", {
      project,
      roleId: this.roleId,
      title: TITLE[api],
      description:
        `Appends rows to the BigQuery tables it is bound on (stack ${scope.node.id}); reads no rows, changes no table`.slice(
          0,
          256,
        ),
      permissions: [...ROW_WRITE_PERMISSIONS[api]],
      stage: "GA",
    });
    this.roleName = Token.isUnresolved(project) ? this.resource.name : `projects/${project}/roles/${this.roleId}`;
  }
}

/** `freshStreams_<api>_<stack>`, the stack's name reduced to IAM's characters, shortened with a hash past 64. */
export function roleIdFor(api: RowWriteApi, stackName: string): string {
  const prefix = `freshStreams_${ROLE_NAME[api]}_`;
  const suffix = stackName.replace(/[^A-Za-z0-9_.]/g, "_");
  const id = `${prefix}${suffix}`;
  if (id.length <= 64) return id;
  const hash = shortHash(stackName, 8);
  return `${prefix}${suffix.slice(0, 64 - prefix.length - hash.length - 1)}_${hash}`;
}
