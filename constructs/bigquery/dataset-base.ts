/**
 * What every {@link IDataset} of the library shares, whether it creates the dataset
 * (`LayeredDataset`) or imports one (`LayeredDataset.fromDatasetAttributes`): the grants.
 */
import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { BigqueryDatasetIamMember } from "@cdktf/provider-google/lib/bigquery-dataset-iam-member";
import { grantOnce } from "../core/grants";
import { IGrantable } from "../core/principal";
import { IDataset } from "../core/references";

/** Dataset-level role of `grantRead`. */
const READ_ROLE = "roles/bigquery.dataViewer";
/** Dataset-level role of `grantWrite`. */
const WRITE_ROLE = "roles/bigquery.dataEditor";

/**
 * The base of every `IDataset` of the library, created or imported: the dataset grants, written once.
 * Subclasses give the attributes. Every binding is created in this construct and names the dataset through
 * `datasetIdRef` (so after
 * the dataset when it is created in the same stack).
 */
export abstract class DatasetBase extends Construct implements IDataset {
  /** Project holding the dataset. */
  public abstract readonly project: string;
  /** Dataset id (literal where given as one). */
  public abstract readonly datasetId: string;
  /** Dataset id as a Terraform reference when the dataset is created in this stack. */
  public abstract readonly datasetIdRef: string;
  /** BigQuery location. */
  public abstract readonly location: string;
  /** What creates the dataset in this stack (empty when imported). */
  public abstract readonly dependables: readonly ITerraformDependable[];

  /** Lets `grantee` read every table of this dataset (`roles/bigquery.dataViewer` on the dataset). Idempotent. */
  public grantRead(grantee: IGrantable): ITerraformDependable {
    return this.grantOnDataset(READ_ROLE, grantee);
  }

  /**
   * Lets `grantee` read and write (insert, update, delete rows, create tables in) this dataset
   * (`roles/bigquery.dataEditor` on the dataset). Idempotent.
   */
  public grantWrite(grantee: IGrantable): ITerraformDependable {
    return this.grantOnDataset(WRITE_ROLE, grantee);
  }

  private grantOnDataset(role: string, grantee: IGrantable): ITerraformDependable {
    return grantOnce(
      this,
      role,
      grantee,
      (id, member) =>
        new BigqueryDatasetIamMember(this, id, { project: this.project, datasetId: this.datasetIdRef, role, member }),
    );
  }
}
