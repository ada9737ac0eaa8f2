import { PRIMITIVE_ROLES, PUBLIC_MEMBERS } from "../../schemas/naming";
import { PolicyAspect, PolicyFinding } from "./policy-aspect";
import { block, isKnown, PolicyResource } from "./resource-attributes";
import { rulesOf } from "./rules";

/** Roles that must be granted on a dataset (or table), never on a whole project, folder or organization. */
const DATASET_LEVEL_ROLES: readonly string[] = ["roles/bigquery.dataEditor", "roles/bigquery.dataOwner"];

const HIERARCHY_IAM = /^google_(project|folder|organization)_iam_(member|binding)$/;

/**
 * IAM stays least-privilege:
 * - FS-IAM-1: no primitive roles (`roles/owner`, `roles/editor`, `roles/viewer`) on any
 *   `*_iam_member`/`*_iam_binding` or in a `google_iam_policy` document (the data source behind
 *   `*_iam_policy` resources);
 * - FS-IAM-2: no `allUsers` / `allAuthenticatedUsers` members, in IAM resources, BigQuery dataset
 *   `access` blocks and `google_bigquery_dataset_access`, or Cloud Storage ACL entities;
 * - FS-IAM-3: no `roles/bigquery.dataEditor` (or `dataOwner`) at project, folder or organization
 *   level: grant it on the dataset (`LayeredDataset.grantWrite`).
 *
 * Values that are tokens (unknown at synth) are not checked.
 */
export class LeastPrivilegeIamAspect extends PolicyAspect {
  public readonly name = "least-privilege-iam";
  public readonly rules = rulesOf("LeastPrivilegeIamAspect");
  protected readonly includeDataSources = true;

  protected check({ type, attributes }: PolicyResource): PolicyFinding[] {
    const findings: PolicyFinding[] = [];
    const primitiveFinding = (message: string) => findings.push({ rule: "FS-IAM-1", message });
    const publicFinding = (message: string) =>
      findings.push({ rule: "FS-IAM-2", message: `${message}; grant it to specific principals instead` });
    const publicMember = (m: unknown) =>
      isKnown(m) && [...PUBLIC_MEMBERS].some((p) => m === p || m === `iamMember:${p}`);

    if (/_iam_(member|binding)$/.test(type)) {
      const role = attributes.role;
      if (isKnown(role) && PRIMITIVE_ROLES.has(role as string)) {
        primitiveFinding(
          `grants the primitive role ${role}; use a predefined or custom role with only the permissions needed`,
        );
      }
      if (HIERARCHY_IAM.test(type) && isKnown(role) && DATASET_LEVEL_ROLES.includes(role as string)) {
        findings.push({
          rule: "FS-IAM-3",
          message: `grants ${role} on the whole ${type.split("_")[1]}; grant it on the dataset instead (dataset-level IAM)`,
        });
      }
      const members = type.endsWith("_binding") ? attributes.members : [attributes.member];
      if (Array.isArray(members)) {
        for (const m of members.filter(publicMember))
          publicFinding(`grants ${String(role)} to ${m}: the resource would be public`);
      }
    }
    if (type === "data.google_iam_policy" && Array.isArray(attributes.binding)) {
      // A policy document for a `*_iam_policy` resource: the same rules, per binding.
      for (const b of attributes.binding.map(block)) {
        if (!b) continue;
        if (isKnown(b.role) && PRIMITIVE_ROLES.has(b.role as string)) {
          primitiveFinding(
            `binds the primitive role ${b.role}; use a predefined or custom role with only the permissions needed`,
          );
        }
        if (Array.isArray(b.members)) {
          for (const m of b.members.filter(publicMember))
            publicFinding(`binds ${String(b.role)} to ${m}: the resource would be public`);
        }
      }
    }
    if (type === "google_bigquery_dataset" && Array.isArray(attributes.access)) {
      for (const a of attributes.access.map(block)) {
        if (!a) continue;
        for (const key of ["special_group", "iam_member"]) {
          if (publicMember(a[key]))
            publicFinding(`dataset access grants ${String(a.role)} to ${String(a[key])}: the dataset would be public`);
        }
      }
    }
    if (type === "google_bigquery_dataset_access") {
      for (const key of ["special_group", "iam_member"]) {
        if (publicMember(attributes[key]))
          publicFinding(`grants ${String(attributes.role)} to ${String(attributes[key])}: the dataset would be public`);
      }
    }
    if (
      /^google_storage_(bucket|default_object|object)_access_control$/.test(type) &&
      publicMember(attributes.entity)
    ) {
      publicFinding(`ACL entity ${String(attributes.entity)}: objects would be public`);
    }
    return findings;
  }
}
