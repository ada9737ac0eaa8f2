/**
 * Naming rules of Google Cloud resources, as regular expressions: pure data on the ground floor,
 * so that the constructs (props), `config/schema.ts` (environment files) and the worker (its
 * PROJECT and TOPIC settings) check names with the same rules.
 */

/** A project id: 6-30 lowercase letters, digits and hyphens, starting with a letter. */
export const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A project number: digits only. */
export const PROJECT_NUMBER = /^[1-9][0-9]{5,18}$/;
/** A Pub/Sub topic, subscription or schema name: 3-255 letters, digits and `- _ . ~ + %`, starting with a letter (and not with "goog", checked apart). */
export const PUBSUB_NAME = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
/** A Compute region such as `europe-west1`. */
export const REGION = /^[a-z]+(-[a-z]+)+[0-9]+$/;
/** A BigQuery location: the multi-regions `US` and `EU`, or a region. */
export const BIGQUERY_LOCATION = /^(US|EU|[a-z]+(-[a-z]+)+[0-9]+)$/;
/** A Cloud KMS crypto key: `projects/P/locations/L/keyRings/R/cryptoKeys/K`. */
export const KMS_KEY = /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
/** A service account id (the part before `@`): 6-30 lowercase letters, digits and hyphens, starting with a letter. */
export const SERVICE_ACCOUNT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
/** A Cloud Storage bucket name (without dots' extra rules): 3-63 lowercase letters, digits, `-`, `_`, `.`. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
/** A label key: starts with a lowercase letter; lowercase letters, digits, `_` and `-`; at most 63. */
export const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
/** A label value: lowercase letters, digits, `_` and `-`; at most 63. */
export const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
/** Resources may carry at most 64 labels. */
export const MAX_LABELS = 64;
/** IAM member types a grant accepts. */
export const MEMBER_PREFIXES = ["user:", "serviceAccount:", "group:", "domain:", "principal:", "principalSet:"];
/** Members that would make data public. */
export const PUBLIC_MEMBERS: ReadonlySet<string> = new Set(["allUsers", "allAuthenticatedUsers"]);
/** Basic (primitive) roles: far broader than any construct needs. */
export const PRIMITIVE_ROLES: ReadonlySet<string> = new Set(["roles/owner", "roles/editor", "roles/viewer"]);
