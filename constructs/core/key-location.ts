/**
 * Where a customer-managed key (CMEK) may live for each service that takes one: one rule, applied by
 * every construct that takes a `kmsKeyName`. A key that a service refuses for its location is
 * otherwise accepted by synthesis and fails only at `terraform apply`. Private to the library.
 *
 * The rules, per each service's CMEK documentation:
 * - BigQuery (https://cloud.google.com/bigquery/docs/customer-managed-encryption, "Key location"):
 *   the key ring's location matches the dataset's: a regional dataset takes a key in its region, the
 *   `US` multi-region a key in `us`, `EU` a key in `europe`; `global` keys are refused.
 * - Cloud Storage (https://cloud.google.com/storage/docs/encryption/customer-managed-keys, "Key
 *   locations"): the key is in the bucket's location (a regional bucket: its region; a multi-region
 *   bucket: the same multi-region); `global` keys are refused.
 * - Artifact Registry (https://cloud.google.com/artifact-registry/docs/cmek): the key is in the
 *   repository's location, region or multi-region.
 * - Cloud Run (https://cloud.google.com/run/docs/securing/using-cmek): the key is in the service's
 *   region; multi-regional and `global` keys are refused.
 * - Dataflow (https://cloud.google.com/dataflow/docs/guides/customer-managed-encryption-keys): the
 *   key is in the job's region; multi-regional and `global` keys are refused.
 * - Pub/Sub (https://cloud.google.com/pubsub/docs/encryption): a `global` key protects a topic
 *   wherever it stores messages; with a regional or multi-regional key, the topic's message storage
 *   policy (`allowedPersistenceRegions`) must keep messages inside the key's location.
 */
import { fail, validateKmsKeyName } from "./validation";
import { Token } from "cdktf";

/** A service that encrypts with a customer-managed key. */
export type KeyService = "bigquery" | "storage" | "artifact-registry" | "cloud-run" | "dataflow" | "pubsub";

/** Multi-region location names as the services spell them → Cloud KMS's multi-region location. */
const MULTI_REGION_KEY_LOCATION: Readonly<Record<string, string>> = {
  us: "us",
  eu: "europe",
  europe: "europe",
  asia: "asia",
};

const SOURCE: Readonly<Record<KeyService, string>> = {
  bigquery: "BigQuery needs a dataset's key in the dataset's location (a region, or us for US and europe for EU)",
  storage: "Cloud Storage needs a bucket's key in the bucket's location",
  "artifact-registry": "Artifact Registry needs a repository's key in the repository's location",
  "cloud-run": "Cloud Run needs the key in the service's region (no multi-regional or global keys)",
  dataflow: "Dataflow needs the key in the job's region (no multi-regional or global keys)",
  pubsub:
    "Pub/Sub needs a global key, or allowedPersistenceRegions that keep messages inside a regional or multi-regional key's location",
};

/** The Cloud KMS location a resource in `location` needs its key in (lowercase). */
export function requiredKeyLocation(service: Exclude<KeyService, "pubsub">, location: string): string {
  const lower = location.toLowerCase();
  if (service === "cloud-run" || service === "dataflow") return lower;
  return MULTI_REGION_KEY_LOCATION[lower] ?? lower;
}

/** Whether the region lies inside the Cloud KMS multi-region (`europe` holds `europe-west1`). */
function regionInside(region: string, multiRegion: string): boolean {
  return region.toLowerCase().startsWith(`${multiRegion}-`);
}

/**
 * Checks `kmsKeyName` (when set and known) against the location of the resource it protects, with
 * the rule of `service`. For Pub/Sub, `location` is the topic's allowed persistence regions
 * (undefined when unrestricted). Fails naming the construct path, the key, its location and the rule.
 */
export function validateKeyLocation(
  path: string,
  service: KeyService,
  kmsKeyName: string | undefined,
  location: string | readonly string[] | undefined,
  what = "kmsKeyName",
): void {
  const keyLocation = validateKmsKeyName(path, kmsKeyName, what)?.toLowerCase();
  if (keyLocation === undefined) return;
  if (service === "pubsub") {
    if (keyLocation === "global") return;
    const regions = location === undefined ? undefined : typeof location === "string" ? [location] : location;
    if (regions?.some((r) => Token.isUnresolved(r))) return;
    const inside = (region: string) => region.toLowerCase() === keyLocation || regionInside(region, keyLocation);
    if (regions === undefined || regions.length === 0) {
      fail(
        path,
        `${what} "${kmsKeyName}" is in location "${keyLocation}" but the topic may store messages in any region; set allowedPersistenceRegions inside "${keyLocation}" or use a global key (${SOURCE.pubsub})`,
      );
    }
    const outside = regions.filter((r) => !inside(r));
    if (outside.length > 0) {
      fail(
        path,
        `${what} "${kmsKeyName}" is in location "${keyLocation}" but allowedPersistenceRegions includes ${outside.map((r) => `"${r}"`).join(", ")}; ${SOURCE.pubsub}`,
      );
    }
    return;
  }
  if (typeof location !== "string" || Token.isUnresolved(location)) return;
  const required = requiredKeyLocation(service, location);
  if (keyLocation !== required) {
    fail(
      path,
      `${what} "${kmsKeyName}" is in location "${keyLocation}" but the resource is in "${location}", which needs a key in "${required}"; ${SOURCE[service]}`,
    );
  }
}
