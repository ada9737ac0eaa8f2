/**
 * The worker's host: a Cloud Run service with CPU always allocated (instance-based billing), a Cloud
 * Run worker pool, or Compute Engine VMs (an instance template behind a managed instance group, or
 * single instances). Each container's CPU and memory limits are paid for every second of the month.
 */
import type { PricedLines } from "./ingestion";
import { defined, freeAgainst, monthSeconds, priced, type Assumptions, type CostLine } from "./line";
import type { PriceKey } from "./prices";
import { numberOr, parseCpu, parseMemoryGib, resourcesOf, type StackResource, type SynthesizedStack } from "./stack";

interface Containers {
  readonly vcpus: number;
  readonly memoryGib: number;
}

/** The summed limits of a Cloud Run template's containers (sidecars included). */
function containerLimits({ address, body }: StackResource): Containers {
  const containers: Array<{ resources?: { limits?: Record<string, unknown> } }> = body.template?.containers ?? [];
  return containers.reduce(
    (sum, c) => ({
      vcpus: sum.vcpus + parseCpu(c.resources?.limits?.cpu, address),
      memoryGib: sum.memoryGib + parseMemoryGib(c.resources?.limits?.memory, address),
    }),
    { vcpus: 0, memoryGib: 0 },
  );
}

function runLines(
  resource: StackResource,
  instances: number,
  keys: [PriceKey, PriceKey],
  what: string,
  a: Assumptions,
): CostLine[] {
  const { vcpus, memoryGib } = containerLimits(resource);
  const seconds = instances * monthSeconds(a);
  return [
    priced(resource.address, keys[0], vcpus * seconds, `${what}: ${instances} instance(s) × ${vcpus} vCPU`),
    priced(resource.address, keys[1], memoryGib * seconds, `${what}: ${instances} instance(s) × ${memoryGib} GiB`),
  ];
}

/** Cloud Run services: instance-based billing for their minimum instances (the worker keeps one). */
function serviceLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const lines = resourcesOf(stack, "google_cloud_run_v2_service").flatMap((service) => {
    const containers: Array<{ resources?: { cpu_idle?: boolean } }> = service.body.template?.containers ?? [];
    const alwaysAllocated = containers.some((c) => c.resources?.cpu_idle === false);
    const instances = numberOr(service.body.template?.scaling?.min_instance_count, 0);
    if (!alwaysAllocated) {
      throw new Error(
        `${service.address}: request-based billing (cpu_idle not false) depends on requests the model cannot know; ` +
          "the worker runs with CPU always allocated",
      );
    }
    return runLines(
      service,
      instances,
      ["runInstanceVcpu", "runInstanceMemory"],
      "Cloud Run service, CPU always allocated",
      a,
    );
  });
  const free = defined([
    freeAgainst(
      "runInstanceVcpu",
      lines.filter((l) => l.unit === "vCPU-second"),
    ),
    freeAgainst(
      "runInstanceMemory",
      lines.filter((l) => l.unit === "GiB-second"),
    ),
  ]);
  return { lines, free };
}

/** Cloud Run worker pools: their manual instance count (or minimum) for the whole month. */
function workerPoolLines(stack: SynthesizedStack, a: Assumptions): CostLine[] {
  return resourcesOf(stack, "google_cloud_run_v2_worker_pool").flatMap((pool) => {
    const scaling = pool.body.scaling ?? {};
    const instances = numberOr(scaling.manual_instance_count, numberOr(scaling.min_instance_count, 1));
    return runLines(pool, instances, ["runWorkerPoolVcpu", "runWorkerPoolMemory"], "Cloud Run worker pool", a);
  });
}

/** Instances each template runs: the target sizes of the groups built on it (one when none). */
function instancesPerTemplate(stack: SynthesizedStack): Map<string, number> {
  const counts = new Map<string, number>();
  const groups = [
    ...resourcesOf(stack, "google_compute_instance_group_manager"),
    ...resourcesOf(stack, "google_compute_region_instance_group_manager"),
  ];
  for (const { body } of groups) {
    const versions: Array<{ instance_template?: string }> = body.version ?? [];
    for (const version of versions) {
      const template = /\$\{(google_compute_instance_template\.[^.}]+)/.exec(version.instance_template ?? "")?.[1];
      if (template) counts.set(template, (counts.get(template) ?? 0) + numberOr(body.target_size, 1));
    }
  }
  return counts;
}

/** Compute Engine VMs: instance templates (times their groups' size) and single instances. */
function computeLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const counts = instancesPerTemplate(stack);
  const vms = [
    ...resourcesOf(stack, "google_compute_instance_template").map((r) => ({ r, n: counts.get(r.address) ?? 1 })),
    ...resourcesOf(stack, "google_compute_instance").map((r) => ({ r, n: 1 })),
  ];
  const lines = vms.flatMap(({ r, n }) => {
    if (r.body.machine_type !== "e2-micro") {
      throw new Error(
        `${r.address}: machine type ${JSON.stringify(r.body.machine_type)} has no price in tools/cost/prices.ts (e2-micro has)`,
      );
    }
    const disks: Array<{ disk_size_gb?: number }> =
      r.body.disk ?? (r.body.boot_disk ? [r.body.boot_disk.initialize_params ?? {}] : []);
    const diskGb = disks.reduce((sum, d) => sum + numberOr(d.disk_size_gb ?? (d as { size?: number }).size, 10), 0);
    return [
      priced(r.address, "computeE2Micro", n * a.hoursPerMonth, `${n} × e2-micro`),
      priced(r.address, "computeStandardDisk", n * diskGb, `${n} × ${diskGb} GB boot disk (standard)`),
    ];
  });
  const free = defined([
    freeAgainst(
      "computeE2Micro",
      lines.filter((l) => l.unit === "hour"),
    ),
    freeAgainst(
      "computeStandardDisk",
      lines.filter((l) => l.unit === "GB-month"),
    ),
  ]);
  return { lines, free };
}

/** Every worker host in the stack. */
export function workerLines(stack: SynthesizedStack, a: Assumptions): PricedLines {
  const services = serviceLines(stack, a);
  const compute = computeLines(stack, a);
  return {
    lines: [...services.lines, ...workerPoolLines(stack, a), ...compute.lines],
    free: [...services.free, ...compute.free],
  };
}
