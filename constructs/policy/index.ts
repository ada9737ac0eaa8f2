import { IConstruct } from "constructs";
import { Aspects } from "cdktf";
import { AlertingAspect } from "./alerting";
import { CmekAspect } from "./cmek";
import { IdleCostAspect } from "./idle-cost";
import { LeastPrivilegeIamAspect } from "./least-privilege-iam";
import { ProductionSafetyAspect } from "./production-safety";
import { RequiredLabelsAspect } from "./required-labels";
import { StreamingTablesAspect } from "./streaming-tables";

// The public API of the policy module, listed explicitly. Helpers the aspects share (resource
// attributes, suppression bookkeeping) stay in their own modules and are not exported here.
export { PolicyAspect } from "./policy-aspect";
export type { PolicyFinding } from "./policy-aspect";
export type { PolicyResource } from "./resource-attributes";
export { POLICY_RULES } from "./rules";
export type { PolicyRule } from "./rules";
export { MIN_SUPPRESSION_REASON_LENGTH, PolicySuppressions } from "./suppressions";
export type { PolicySuppression } from "./suppressions";
export { RequiredLabelsAspect } from "./required-labels";
export type { RequiredLabelsAspectProps } from "./required-labels";
export { ProductionSafetyAspect } from "./production-safety";
export { markStreamingTable, StreamingTablesAspect } from "./streaming-tables";
export { LeastPrivilegeIamAspect } from "./least-privilege-iam";
export { CmekAspect } from "./cmek";
export type { CmekAspectProps } from "./cmek";
export { AlertingAspect } from "./alerting";
export type { AlertingAspectProps } from "./alerting";
export { IdleCostAspect } from "./idle-cost";

/** Props of {@link applyWarehousePolicies}. */
export interface WarehousePolicyProps {
  /** Labels every labelled resource must carry (`env`, `app` and the environment's labels). */
  readonly labels: Record<string, string>;
  /**
   * Whether the environment is production: adds {@link ProductionSafetyAspect}; outside production,
   * {@link IdleCostAspect} (warnings only).
   * @default false
   */
  readonly production?: boolean;
  /**
   * Whether every encryptable resource must use a customer-managed key: adds {@link CmekAspect}.
   * @default false
   */
  readonly requireCmek?: boolean;
  /**
   * The environment's key for BigQuery data, compared with the keys datasets and tables name.
   * @default - only the presence of a key is checked
   */
  readonly kmsKeyName?: string;
}

/**
 * Adds the project's policy Aspects to a scope (usually a stack): required labels, least-privilege
 * IAM, streaming-table partitioning and alerting (channels required in production) always; production safety and CMEK
 * when the environment asks
 * for them; outside production, idle cost (warnings: slots billed while idle). A violation fails synthesis with a message naming the rule id and the resource, unless a
 * {@link PolicySuppressions} suppression with a written reason covers it. Returns the aspects added.
 */
export function applyWarehousePolicies(scope: IConstruct, props: WarehousePolicyProps): PolicyAspectList {
  const aspects: PolicyAspectList = [
    new RequiredLabelsAspect({ labels: props.labels }),
    new LeastPrivilegeIamAspect(),
    new StreamingTablesAspect(),
    new AlertingAspect({ production: props.production }),
  ];
  if (props.production) aspects.push(new ProductionSafetyAspect());
  else aspects.push(new IdleCostAspect());
  if (props.requireCmek) aspects.push(new CmekAspect({ kmsKeyName: props.kmsKeyName }));
  for (const aspect of aspects) Aspects.of(scope).add(aspect);
  return aspects;
}

/** The aspects {@link applyWarehousePolicies} added. */
export type PolicyAspectList = (
  | RequiredLabelsAspect
  | LeastPrivilegeIamAspect
  | StreamingTablesAspect
  | AlertingAspect
  | ProductionSafetyAspect
  | CmekAspect
  | IdleCostAspect
)[];
