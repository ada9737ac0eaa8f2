/**
 * Reading a synthesized stack (cdk.tf.json): its resources by type, with their Terraform addresses.
 */

/** A synthesized stack, as cdktf writes it. */
export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, unknown>>;
}

/** One resource: its Terraform address (`type.name`) and its attributes. */
export interface StackResource {
  readonly address: string;
  readonly body: any;
}

/** The stack's resources of `type`, in the stack's order. */
export function resourcesOf(stack: SynthesizedStack, type: string): StackResource[] {
  return Object.entries(stack.resource?.[type] ?? {}).map(([name, body]) => ({ address: `${type}.${name}`, body }));
}

/** The number in `value` (a number or a numeric string), else `fallback`. */
export function numberOr(value: unknown, fallback: number): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : fallback;
}

/** vCPUs of a Kubernetes-style CPU limit: "1", "0.5", "500m". */
export function parseCpu(value: unknown, where: string): number {
  const text = String(value ?? "1");
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!match)
    throw new Error(`${where}: CPU limit ${JSON.stringify(value)} is not a number of vCPUs such as 1 or 500m`);
  return Number(match[1]) / (match[2] ? 1000 : 1);
}

/** GiB of a Kubernetes-style memory limit: "512Mi", "1Gi", "2G". */
export function parseMemoryGib(value: unknown, where: string): number {
  const text = String(value ?? "512Mi");
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)$/.exec(text);
  if (!match) throw new Error(`${where}: memory limit ${JSON.stringify(value)} is not a size such as 512Mi or 1Gi`);
  const bytes = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 }[match[2] as "Ki"];
  return (Number(match[1]) * bytes) / 1024 ** 3;
}
