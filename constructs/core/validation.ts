/**
 * Validation shared by every construct. Each check fails with `<construct path>: <the value and
 * the rule>` and skips values that are unresolved tokens. Private to the library.
 */
import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { Token } from "cdktf";
import { Duration } from "./duration";
import {
  KMS_KEY,
  LABEL_KEY,
  LABEL_VALUE,
  MAX_LABELS,
  MEMBER_PREFIXES,
  PRIMITIVE_ROLES,
  PROJECT_NUMBER,
  PUBLIC_MEMBERS,
  REGION,
  SERVICE_ACCOUNT_ID,
} from "../../schemas/naming";

/** Fails with `${path}: ${message}`. */
export function fail(path: string, message: string): never {
  throw new Error(`${path}: ${message}`);
}

/** A required prop: `name`, or `options.name` for a member required whenever the options object is given. */
export type RequiredProp<P> = (keyof P & string) | `${keyof P & string}.${string}`;

/**
 * Checks that `props` is an object holding every prop in `required`: TypeScript enforces them, plain
 * JavaScript does not, and a missing one would reach the Terraform as `undefined` (e.g. a service agent
 * `service-undefined@…`). Fails with `<path>: <construct> needs <prop>: it is a required prop and was not
 * given` (or `was null`). `options.name` is checked only when `options` is given.
 */
export function requireProps<P extends object>(
  path: string,
  construct: string,
  props: P | undefined,
  required: readonly RequiredProp<P>[],
): void {
  if (props === undefined || props === null || typeof props !== "object") {
    const topLevel = required.filter((prop) => !prop.includes("."));
    fail(path, `${construct} needs props: an object with ${[...topLevel].sort().join(", ")}`);
  }
  for (const prop of required) {
    const [head, member] = prop.split(".", 2);
    const owner: unknown = member === undefined ? props : (props as Record<string, unknown>)[head];
    if (member !== undefined && (owner === undefined || owner === null)) continue;
    const value: unknown = (owner as Record<string, unknown>)[member ?? head];
    if (value === undefined || value === null) {
      fail(path, `${construct} needs ${prop}: it is a required prop and was ${value === null ? "null" : "not given"}`);
    }
  }
}

/** The path a construct `id` will have under `scope`, for checks made before its `super()` call. */
export function childPath(scope: Construct, id: string): string {
  return scope.node.path ? `${scope.node.path}/${id}` : id;
}

/** Whether a value is known at synthesis time (not a token). */
export function isKnown<T>(value: T | undefined): value is T {
  return value !== undefined && !Token.isUnresolved(value);
}

/**
 * Refuses an unresolved token where the construct needs the value itself (it selects what is
 * created, or names a construct): fails with `<path>: <what> is a token; tokens are not supported for
 * <what>: <why>`. Token text is never printed: it means nothing to the user.
 */
export function refuseToken(path: string, what: string, value: unknown, why: string): void {
  if (Token.isUnresolved(value)) {
    fail(
      path,
      `${what} is an unresolved token (e.g. a Terraform variable); tokens are not supported for ${what}: ${why}`,
    );
  }
}

/** A short, stable hash for construct ids and job ids. */
export function shortHash(value: string, length = 10): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}

/** Checks labels: at most 64, keys and values as Google Cloud accepts them. */
export function validateLabels(path: string, labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) fail(path, `has ${entries.length} labels; at most ${MAX_LABELS} are allowed`);
  for (const [key, value] of entries) {
    if (Token.isUnresolved(key) || Token.isUnresolved(value)) continue;
    if (!LABEL_KEY.test(key)) {
      fail(
        path,
        `label key "${key}" is invalid; keys start with a lowercase letter and use lowercase letters, digits, _ and - (max 63)`,
      );
    }
    if (!LABEL_VALUE.test(value)) {
      fail(path, `label "${key}" has value "${value}"; values use lowercase letters, digits, _ and - (max 63)`);
    }
  }
}

/** Checks a Cloud KMS key name; returns its location (undefined for a token). */
export function validateKmsKeyName(
  path: string,
  kmsKeyName: string | undefined,
  what = "kmsKeyName",
): string | undefined {
  if (!isKnown(kmsKeyName)) return undefined;
  const match = KMS_KEY.exec(kmsKeyName);
  if (!match) fail(path, `${what} "${kmsKeyName}" is invalid; expected projects/P/locations/L/keyRings/R/cryptoKeys/K`);
  return match[1];
}

/** Checks a region name such as `europe-west1`. */
export function validateRegion(path: string, region: string, what = "region"): void {
  if (isKnown(region) && !REGION.test(region))
    fail(path, `${what} "${region}" is not a region name such as europe-west1`);
}

/** Checks a project number (digits only). */
export function validateProjectNumber(path: string, projectNumber: string): void {
  if (isKnown(projectNumber) && !PROJECT_NUMBER.test(projectNumber)) {
    fail(path, `project number "${projectNumber}" is not a project number; expected digits only, e.g. "123456789012"`);
  }
}

/** Checks a service account id (the part before `@`). */
export function validateServiceAccountId(path: string, accountId: string, what = "serviceAccountId"): void {
  if (isKnown(accountId) && !SERVICE_ACCOUNT_ID.test(accountId)) {
    fail(
      path,
      `${what} "${accountId}" is not valid; use 6-30 lowercase letters, digits and hyphens, starting with a letter`,
    );
  }
}

/**
 * A valid service account id derived from a name: lowercased, other characters turned into
 * hyphens; when that is not 6-30 characters long, a prefix plus a hash of the name (stable and
 * unique per name).
 */
export function serviceAccountIdFor(name: string): string {
  let id = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  if (id.length > 30 || id.length < 6) {
    const hash = shortHash(name, 6);
    id = `${(id || "sa").slice(0, 23).replace(/-+$/, "")}-${hash}`;
  }
  return id;
}

/** What is wrong with a literal IAM member string: public, or without a type prefix; undefined when fine. */
export function memberProblem(member: string): "public" | "untyped" | undefined {
  if (PUBLIC_MEMBERS.has(member)) return "public";
  if (!MEMBER_PREFIXES.some((prefix) => member.startsWith(prefix) && member.length > prefix.length)) return "untyped";
  return undefined;
}

/** The member types a grant accepts, for messages. */
export const MEMBER_TYPES_HINT = `expected one of ${MEMBER_PREFIXES.map((p) => `${p}…`).join(", ")}`;

/** Checks an IAM member string: typed (`serviceAccount:…`, `group:…`), never public. */
export function validateMember(path: string, member: string): void {
  if (!isKnown(member)) return;
  switch (memberProblem(member)) {
    case "public":
      fail(path, `refusing to grant access to "${member}"; grant access to specific principals only, never the public`);
    case "untyped":
      fail(path, `IAM member "${member}" is not an IAM member; ${MEMBER_TYPES_HINT}`);
  }
}

/** Checks a role a construct is about to grant: never a basic (primitive) role. */
export function validateRole(path: string, role: string): void {
  if (isKnown(role) && PRIMITIVE_ROLES.has(role)) {
    fail(path, `refusing to grant the basic role ${role}; grant a predefined role on the narrowest resource instead`);
  }
}

/**
 * Checks that a {@link Duration} lies within [min, max] and, when `wholeUnit` is given, is a whole
 * number of that unit. Returns it; tokens pass unchecked.
 */
export function validateDuration(
  path: string,
  what: string,
  value: Duration,
  range: { min: Duration; max: Duration; wholeUnit?: "milliseconds" | "seconds" | "minutes" | "days"; rule?: string },
): Duration {
  if (!Duration.isDuration(value)) {
    fail(path, `${what} must be a Duration (e.g. Duration.days(7)), got ${JSON.stringify(value)}`);
  }
  if (value.isUnresolved()) return value;
  const ms = value.toMilliseconds();
  const rule = range.rule ?? "the API allows";
  if (ms < range.min.toMilliseconds() || ms > range.max.toMilliseconds()) {
    fail(
      path,
      `${what} is ${value.toHumanString()}; ${rule} ${range.min.toHumanString()} to ${range.max.toHumanString()}`,
    );
  }
  if (range.wholeUnit && !value.isWhole(range.wholeUnit)) {
    fail(path, `${what} is ${value.toHumanString()}; it must be a whole number of ${range.wholeUnit}`);
  }
  return value;
}
