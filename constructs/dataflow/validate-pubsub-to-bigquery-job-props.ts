/**
 * The rules {@link PubSubToBigQueryJob} checks its props against, as tables (the aws-sqs
 * `validate-queue-props.ts` way): each rule names the prop, the check and the message. Private to
 * the library.
 */
import { BUCKET_NAME } from "../../schemas/naming";
import { Duration } from "../core/duration";
import { validateKeyLocation } from "../core/key-location";
import { checkProps, PropRules } from "../core/rule-tables";
import { isKnown, refuseToken, validateLabels, validateRegion, validateServiceAccountId } from "../core/validation";
import { PubSubToBigQueryJobSettings } from "./pubsub-to-bigquery-job-props";

const JOB_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Release folders of the Google-provided templates, e.g. `2025-01-07-00_RC00`, or `latest`. */
const TEMPLATE_VERSION = /^(latest|\d{4}-\d{2}-\d{2}-\d{2}_RC\d{2})$/;
const NAME = "[a-z]([-a-z0-9]{0,61}[a-z0-9])?";
const COMPUTE_URL = "(https://www\\.googleapis\\.com/compute/v1/)?";
/** A network: its name, `projects/P/global/networks/N`, or the full URL of that. */
const NETWORK = new RegExp(`^(${NAME}|${COMPUTE_URL}projects/[^/]+/global/networks/${NAME})$`);
/** A subnetwork: `regions/R/subnetworks/S`, `projects/P/regions/R/subnetworks/S`, or the full URL of that. */
const SUBNETWORK = new RegExp(`^${COMPUTE_URL}(projects/[^/]+/)?regions/([a-z0-9-]+)/subnetworks/${NAME}$`);
const IP_CONFIGURATIONS: readonly string[] = ["WORKER_IP_PUBLIC", "WORKER_IP_PRIVATE"];
const TABLE_ID = /^[A-Za-z0-9_]{1,1024}$/;

/** The region of a subnetwork name {@link SUBNETWORK} accepts. */
const subnetworkRegion = (subnetwork: string): string | undefined => SUBNETWORK.exec(subnetwork)?.[3];

/** The job, its inputs and its temporary storage, in the order they are checked. */
const JOB_RULES: PropRules<PubSubToBigQueryJobSettings> = [
  {
    prop: "jobName",
    valid: (name) => JOB_NAME.test(name),
    message: (name) =>
      `job name "${name}" is not valid; use at most 63 lowercase letters, digits and hyphens, starting with a letter`,
  },
  {
    prop: "outputTable",
    valid: (table, { project }) => !isKnown(project) || !isKnown(table.project) || table.project === project,
    message: (table, { project }) =>
      `output table ${table.fqn} is in project "${table.project}", not in the job's project "${project}"; the job and its output table must share a project`,
  },
  {
    prop: "subscription",
    valid: (subscription) => !subscription.isPushOrExport,
    message: (subscription) =>
      `subscription "${subscription.subscriptionName}" delivers its messages itself (push or BigQuery subscription); the job needs a pull subscription`,
  },
  {
    prop: "maxWorkers",
    valid: (workers) => Number.isInteger(workers) && workers >= 1 && workers <= 1000,
    message: (workers) => `maxWorkers is ${workers}; Dataflow allows 1 to 1000`,
  },
  {
    prop: "tempObjectRetention",
    valid: (retention) => Duration.isDuration(retention),
    message: (retention) =>
      `tempObjectRetention must be a Duration (e.g. Duration.days(7)), got ${JSON.stringify(retention)}`,
  },
  {
    prop: "tempObjectRetention",
    valid: (retention) => retention.isUnresolved() || (retention.isWhole("days") && retention.toDays() >= 1),
    message: (retention) =>
      `tempObjectRetention is ${retention.toHumanString()}; Cloud Storage lifecycle rules count whole days, at least 1 day`,
  },
  {
    prop: "errorTableId",
    valid: (id) => TABLE_ID.test(id),
    message: (id) => `error table id "${id}" may use only letters, digits and underscores`,
  },
  {
    prop: "tempBucketName",
    valid: (name) => BUCKET_NAME.test(name) && !name.startsWith("goog") && !name.includes("google"),
    message: (name) =>
      `temp bucket name "${name}" is not valid; use 3-63 lowercase letters, digits, - _ . without "goog"`,
  },
];

/**
 * Network settings, per https://cloud.google.com/dataflow/docs/guides/specifying-networks: the
 * subnetwork is in the job's region, names are the forms Dataflow takes, and the IP configuration
 * is one of the API's two values; then the template release.
 */
const NETWORK_AND_TEMPLATE_RULES: PropRules<PubSubToBigQueryJobSettings> = [
  {
    prop: "network",
    valid: (network) => NETWORK.test(network),
    message: (network) => `network "${network}" is not a network name or projects/P/global/networks/N`,
  },
  {
    prop: "subnetwork",
    valid: (subnetwork) => subnetworkRegion(subnetwork) !== undefined,
    message: (subnetwork) =>
      `subnetwork "${subnetwork}" is not regions/R/subnetworks/S, projects/P/regions/R/subnetworks/S or its URL`,
  },
  {
    prop: "subnetwork",
    valid: (subnetwork, { region }) => !isKnown(region) || subnetworkRegion(subnetwork) === region,
    message: (subnetwork, { region }) =>
      `subnetwork "${subnetwork}" is in region "${subnetworkRegion(subnetwork)}" but the job runs in "${region}"; Dataflow workers use a subnetwork of the job's region`,
  },
  {
    prop: "ipConfiguration",
    valid: (ipConfiguration) => IP_CONFIGURATIONS.includes(ipConfiguration),
    message: (ipConfiguration) =>
      `ipConfiguration "${ipConfiguration}" is invalid; expected WORKER_IP_PUBLIC or WORKER_IP_PRIVATE`,
  },
  {
    prop: "templateVersion",
    valid: (version) => TEMPLATE_VERSION.test(version),
    message: (version) =>
      `templateVersion "${version}" is not a template release folder such as 2025-01-07-00_RC00 (or latest); see gs://dataflow-templates-REGION/`,
  },
];

/**
 * Checks the settings of a {@link PubSubToBigQueryJob} (its props with defaults filled in) and
 * fails with `<path>: <the value and the rule>` at the first problem; unresolved tokens are skipped.
 */
export function validatePubSubToBigQueryJobProps(path: string, settings: PubSubToBigQueryJobSettings): void {
  validateRegion(path, settings.region);
  checkProps(path, settings, JOB_RULES);
  if (!settings.serviceAccountIdGiven) {
    refuseToken(
      path,
      "jobName",
      settings.jobName,
      "the default serviceAccountId is derived from it; set serviceAccountId",
    );
  }
  validateServiceAccountId(path, settings.serviceAccountId);
  // The key protects the job's state and its temp bucket, both in the job's region.
  validateKeyLocation(path, "dataflow", settings.kmsKeyName, settings.region);
  validateKeyLocation(path, "storage", settings.kmsKeyName, settings.region);
  checkProps(path, settings, NETWORK_AND_TEMPLATE_RULES);
  validateLabels(path, settings.labels);
}
