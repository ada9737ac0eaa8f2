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
 * and production workloads are hardened:
 * - FS-PROD-4, Dataflow jobs: `ip_configuration` is `WORKER_IP_PRIVATE` (no external worker IPs);
 * - FS-PROD-5, Dataflow jobs: the Google-provided template is a pinned release, not `latest`.
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
      case "google_dataflow_job":
      case "google_dataflow_flex_template_job":
        return dataflowFindings(attributes);
      default:
        return [];
    }
  }
}

/** Matches a Google-provided template path in its `latest` folder, e.g. `gs://dataflow-templates-us-central1/latest/…`. */
const LATEST_TEMPLATE = /^gs:\/\/dataflow-templates[^/]*\/latest\//;

function dataflowFindings(attributes: Record<string, unknown>): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  const ip = attributes.ip_configuration;
  // Unset means Dataflow's default: public IPs. See
  // https://cloud.google.com/dataflow/docs/guides/routes-firewall#turn_off_external_ip_address
  if (ip === undefined || (isKnown(ip) && ip !== "WORKER_IP_PRIVATE")) {
    findings.push({
      rule: "FS-PROD-4",
      message: `ip_configuration is ${ip === undefined ? "unset (public worker IPs)" : String(ip)} in a production environment; set WORKER_IP_PRIVATE on a subnetwork with Private Google Access`,
    });
  }
  for (const key of ["template_gcs_path", "container_spec_gcs_path"]) {
    const path = attributes[key];
    if (typeof path === "string" && isKnown(path) && LATEST_TEMPLATE.test(path)) {
      findings.push({
        rule: "FS-PROD-5",
        message: `${key} "${path}" uses the moving "latest" template in a production environment; pin a release folder such as 2025-01-07-00_RC00`,
      });
    }
  }
  return findings;
}
