import { PolicyAspect, PolicyFinding } from "./policy-aspect";
import { isKnown, PolicyResource } from "./resource-attributes";
import { rulesOf } from "./rules";

/**
 * In a production environment, nothing stateful can be destroyed with its data by a careless
 * `terraform destroy` or replacement:
 * - FS-PROD-1, `google_bigquery_table`: `deletion_protection` is not false (the provider's default
 *   is true); views and materialized views are exempt: they hold no data of their own (a
 *   materialized view is recomputed from its base table), and Terraform recreates them as they were;
 * - FS-PROD-2, `google_bigquery_dataset`: `delete_contents_on_destroy` is not true;
 * - FS-PROD-3, `google_storage_bucket`: `force_destroy` is not true.
 *
 * Add it only to production stacks (see `applyWarehousePolicies`).
 */
export class ProductionSafetyAspect extends PolicyAspect {
  public readonly name = "production-safety";
  public readonly rules = rulesOf("ProductionSafetyAspect");

  protected check({ type, attributes }: PolicyResource): PolicyFinding[] {
    const is = (name: string, value: boolean) => isKnown(attributes[name]) && attributes[name] === value;
    switch (type) {
      case "google_bigquery_table":
        if (attributes.view !== undefined || attributes.materialized_view !== undefined) return [];
        return is("deletion_protection", false)
          ? [{ rule: "FS-PROD-1", message: "deletion_protection is false in a production environment; leave it true" }]
          : [];
      case "google_bigquery_dataset":
        return is("delete_contents_on_destroy", true)
          ? [
              {
                rule: "FS-PROD-2",
                message:
                  "delete_contents_on_destroy is true in a production environment: a destroy would delete every table; leave it false",
              },
            ]
          : [];
      case "google_storage_bucket":
        return is("force_destroy", true)
          ? [
              {
                rule: "FS-PROD-3",
                message:
                  "force_destroy is true in a production environment: a destroy would delete every object; leave it false",
              },
            ]
          : [];
      default:
        return [];
    }
  }
}
