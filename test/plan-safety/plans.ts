/**
 * Plans as `terraform show -json PLANFILE` writes them (format 1.2, Terraform 1.11), built entry by entry for the
 * guard's unit tests: only the fields the guard reads, with the names and shapes Terraform gives them.
 */

/** One resource change: what differs from an unchanged resource. */
export interface ChangeSpec {
  readonly address: string;
  readonly actions: readonly string[];
  readonly before?: Record<string, unknown> | null;
  readonly after?: Record<string, unknown> | null;
  readonly replacePaths?: readonly (readonly (string | number)[])[];
  readonly actionReason?: string;
  readonly previousAddress?: string;
}

/** A `resource_changes` entry for `spec`, its type and name taken from the address. */
export function resourceChange(spec: ChangeSpec): Record<string, unknown> {
  const [type, name] = spec.address.replace(/\[[^\]]*\]$/, "").split(".");
  return {
    address: spec.address,
    ...(spec.previousAddress !== undefined ? { previous_address: spec.previousAddress } : {}),
    mode: "managed",
    type,
    name,
    provider_name: "hashicorp/google",
    change: {
      actions: spec.actions,
      before: spec.before === undefined ? null : spec.before,
      after: spec.after === undefined ? null : spec.after,
      after_unknown: {},
      before_sensitive: {},
      after_sensitive: {},
      ...(spec.replacePaths !== undefined ? { replace_paths: spec.replacePaths } : {}),
    },
    ...(spec.actionReason !== undefined ? { action_reason: spec.actionReason } : {}),
  };
}

/** A whole plan of `changes`. */
export function planOf(...changes: ChangeSpec[]): Record<string, unknown> {
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: {} },
    resource_changes: changes.map(resourceChange),
    configuration: { root_module: {} },
    timestamp: "2026-12-06T00:00:00Z",
    applyable: true,
    complete: true,
    errored: false,
  };
}

/** The replacement of `address` forced by `paths` (Terraform's delete-then-create). */
export function replacement(
  address: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  paths: readonly (readonly (string | number)[])[],
): ChangeSpec {
  return {
    address,
    actions: ["delete", "create"],
    before,
    after,
    replacePaths: paths,
    actionReason: "replace_because_cannot_update",
  };
}

/** The delete of `address`, gone from the configuration. */
export function removal(address: string, before: Record<string, unknown>): ChangeSpec {
  return { address, actions: ["delete"], before, after: null, actionReason: "delete_because_no_resource_config" };
}

/** A table schema attribute as the provider stores it: a JSON string. */
export const schemaJson = (fields: readonly Record<string, unknown>[]): string => JSON.stringify(fields);
