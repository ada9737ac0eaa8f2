/**
 * The model applied to alternatives a user can choose between: worker hosts and reservation shapes,
 * each priced on a small stack of the one resource (docs/cost.md's trade-off tables).
 */
import { total, type Assumptions } from "./line";
import { reservationLines } from "./reservation";
import type { SynthesizedStack } from "./stack";
import { workerLines } from "./worker";

/** One alternative: what it is, its list price and what the free tiers take off. */
export interface Alternative {
  readonly name: string;
  readonly gross: number;
  readonly net: number;
}

const container = (cpu: string, memory: string) => ({ resources: { cpu_idle: false, limits: { cpu, memory } } });
const WORKER = container("1", "512Mi");
const SIDECAR = container("1", "512Mi");

/** The worker hosts: the shipped service (worker + metrics sidecar), without the sidecar, a worker pool, an e2-micro. */
export const HOSTS: ReadonlyArray<{ name: string; stack: SynthesizedStack }> = [
  {
    name: "Cloud Run service, CPU always allocated, worker + metrics sidecar (1 vCPU, 512 MiB each)",
    stack: {
      resource: {
        google_cloud_run_v2_service: {
          s: { template: { scaling: { min_instance_count: 1 }, containers: [WORKER, SIDECAR] } },
        },
      },
    },
  },
  {
    name: "Cloud Run service, CPU always allocated, worker only",
    stack: {
      resource: {
        google_cloud_run_v2_service: { s: { template: { scaling: { min_instance_count: 1 }, containers: [WORKER] } } },
      },
    },
  },
  {
    name: "Cloud Run worker pool, one instance, worker + metrics sidecar",
    stack: {
      resource: {
        google_cloud_run_v2_worker_pool: {
          p: { scaling: { manual_instance_count: 1 }, template: { containers: [WORKER, SIDECAR] } },
        },
      },
    },
  },
  {
    name: "Compute Engine e2-micro, 10 GB standard disk, one-VM managed group",
    stack: {
      resource: { google_compute_instance_template: { t: { machine_type: "e2-micro", disk: [{ disk_size_gb: 10 }] } } },
    },
  },
];

/** The reservation shapes: baseline and autoscale, autoscale only, none. */
export const RESERVATIONS: ReadonlyArray<{ name: string; edition: string; baseline: number; max: number }> = [
  {
    name: "ENTERPRISE, 100 baseline + 200 autoscale",
    edition: "ENTERPRISE",
    baseline: 100,
    max: 200,
  },
  { name: "ENTERPRISE, 50 baseline + 50 autoscale", edition: "ENTERPRISE", baseline: 50, max: 50 },
  { name: "ENTERPRISE, 0 baseline + 50 autoscale", edition: "ENTERPRISE", baseline: 0, max: 50 },
  { name: "no reservation (CDC apply jobs on on-demand capacity)", edition: "ENTERPRISE", baseline: 0, max: 0 },
];

/** Each host, priced. */
export function hostAlternatives(a: Assumptions): Alternative[] {
  return HOSTS.map(({ name, stack }) => {
    const { lines, free } = workerLines(stack, a);
    return { name, gross: total(lines), net: total(lines) - total(free) };
  });
}

/** Each reservation shape, priced at the assumed autoscale utilisation. */
export function reservationAlternatives(a: Assumptions): Alternative[] {
  return RESERVATIONS.map(({ name, edition, baseline, max }) => {
    const stack: SynthesizedStack =
      baseline + max === 0
        ? { resource: {} }
        : {
            resource: {
              google_bigquery_reservation: { r: { edition, slot_capacity: baseline, autoscale: { max_slots: max } } },
            },
          };
    const gross = total(reservationLines(stack, a).lines);
    return { name, gross, net: gross };
  });
}
