import { environmentConfig } from "../support";
import { DEFAULT_ASSUMPTIONS, total, type Assumptions } from "../../tools/cost/line";
import { costReport } from "../../tools/cost/model";
import { monitoringLines } from "../../tools/cost/operations";
import { bytesPerRun, filteredHours, queryLines, runsPerMonth } from "../../tools/cost/queries";
import { reservationLines } from "../../tools/cost/reservation";
import { stackIngestionLines } from "../../tools/cost/ingestion-stack";
import type { SynthesizedStack } from "../../tools/cost/stack";
import { storageLines } from "../../tools/cost/storage";
import { workerLines } from "../../tools/cost/worker";

/**
 * Worked examples: each formula on a small hand-written stack, with the arithmetic in the test's name.
 * 730 h = 2,628,000 s a month; 50 events/s unless a test says otherwise.
 */
const a: Assumptions = { ...DEFAULT_ASSUMPTIONS, eventsPerSecond: 50 };
const stack = (resource: Record<string, Record<string, unknown>>): SynthesizedStack => ({ resource });
const monthly = (lines: { monthly: number }[]): number[] => lines.map((l) => Number(l.monthly.toFixed(2)));

const container = (cpu: string, memory: string) => ({ resources: { cpu_idle: false, limits: { cpu, memory } } });

describe("reservation", () => {
  test("baseline 50 slots × 730 h × $0.06 = $2,190; autoscale 50 × 0.1 × 730 × $0.06 = $219", () => {
    const r = stack({
      google_bigquery_reservation: { r: { edition: "ENTERPRISE", slot_capacity: 50, autoscale: { max_slots: 50 } } },
    });
    expect(monthly(reservationLines(r, a).lines)).toEqual([2190, 219]);
    expect(monthly(reservationLines(r, { ...a, autoscaleUtilisation: 0.5 }).lines)).toEqual([2190, 1095]);
  });

  test("autoscale only: Standard, 100 slots × 0.25 × 730 h × $0.04 = $730, nothing when idle", () => {
    const r = stack({
      google_bigquery_reservation: { r: { edition: "STANDARD", slot_capacity: 0, autoscale: { max_slots: 100 } } },
    });
    expect(monthly(reservationLines(r, { ...a, autoscaleUtilisation: 0.25 }).lines)).toEqual([0, 730]);
    expect(total(reservationLines(r, { ...a, autoscaleUtilisation: 0 }).lines)).toBe(0);
  });

  test("an annual commitment covers the baseline: 100 × 730 h × $0.06 × 0.8 = $3,504, the baseline line $0", () => {
    const r = stack({
      google_bigquery_capacity_commitment: { c: { edition: "ENTERPRISE", slot_count: 100, plan: "ANNUAL" } },
      google_bigquery_reservation: { r: { edition: "ENTERPRISE", slot_capacity: 100 } },
    });
    expect(monthly(reservationLines(r, a).lines)).toEqual([3504, 0, 0]);
  });
});

describe("worker host", () => {
  const service = stack({
    google_cloud_run_v2_service: {
      s: { template: { scaling: { min_instance_count: 1 }, containers: [container("1", "512Mi")] } },
    },
  });

  test("Cloud Run service, 1 vCPU, 512 MiB always allocated: $47.30 + $2.63; free $4.32 + $0.90; net $44.71", () => {
    const { lines, free } = workerLines(service, a);
    expect(monthly(lines)).toEqual([47.3, 2.63]); // 2,628,000 × $0.000018; 0.5 × 2,628,000 × $0.000002
    expect(monthly(free)).toEqual([4.32, 0.9]); // 240,000 vCPU-s; 450,000 GiB-s
    expect(total(lines) - total(free)).toBeCloseTo(44.71, 2);
  });

  test("a sidecar doubles it: two containers of 1 vCPU, 512 MiB = $99.86", () => {
    const withSidecar = stack({
      google_cloud_run_v2_service: {
        s: {
          template: {
            scaling: { min_instance_count: 1 },
            containers: [container("1", "512Mi"), container("1", "512Mi")],
          },
        },
      },
    });
    expect(total(workerLines(withSidecar, a).lines)).toBeCloseTo(99.86, 2);
  });

  test("Cloud Run worker pool, 1 instance of 1 vCPU, 512 MiB: $49.93, no free tier", () => {
    const pool = stack({
      google_cloud_run_v2_worker_pool: {
        p: { scaling: { manual_instance_count: 1 }, template: { containers: [container("1", "512Mi")] } },
      },
    });
    const { lines, free } = workerLines(pool, a);
    expect(monthly(lines)).toEqual([47.3, 2.63]);
    expect(lines[0].item).toContain("worker pool");
    expect(free).toEqual([]);
  });

  test("an e2-micro with a 10 GB disk behind a one-VM group: $6.11 + $0.40, all of it free", () => {
    const vm = stack({
      google_compute_instance_template: { t: { machine_type: "e2-micro", disk: [{ disk_size_gb: 10 }] } },
      google_compute_instance_group_manager: {
        g: { target_size: 1, version: [{ instance_template: "${google_compute_instance_template.t.id}" }] },
      },
    });
    const { lines, free } = workerLines(vm, a);
    expect(monthly(lines)).toEqual([6.11, 0.4]);
    expect(total(free)).toBeCloseTo(total(lines), 6);
  });

  test("a service billed per request is refused: the model cannot know its requests", () => {
    const requestBased = stack({ google_cloud_run_v2_service: { s: { template: { containers: [{}] } } } });
    expect(() => workerLines(requestBased, a)).toThrow("google_cloud_run_v2_service.s: request-based billing");
  });
});

describe("scheduled queries", () => {
  const raw = "`p`.`d_raw`.`wiki_changes`";
  const query =
    `SELECT MAX(event_time) FROM ${raw} WHERE _PARTITIONTIME >= ` +
    "TIMESTAMP_TRUNC(TIMESTAMP_SUB(@run_time, INTERVAL 48 HOUR), DAY) AND x IN (SELECT y FROM `p`.`d`.`watermark`)";
  const tables = stack({
    google_bigquery_table: { raw: { table_id: "wiki_changes", time_partitioning: { type: "DAY" } } },
    google_bigquery_data_transfer_config: {
      q: { data_source_id: "scheduled_query", schedule: "every 15 minutes", params: { query } },
    },
  });

  test("schedules and filters: every 15 minutes = 2,920 runs; INTERVAL 2 * 48 HOUR = 96 h", () => {
    expect(runsPerMonth("every 15 minutes", 730)).toBe(2920);
    expect(runsPerMonth("every 1 hours", 730)).toBe(730);
    expect(filteredHours("event_time >= TIMESTAMP_SUB(@run_time, INTERVAL 2 * 48 HOUR)", "event_time")).toBe(96);
    expect(filteredHours("event_time < TIMESTAMP_SUB(@run_time, INTERVAL 97 HOUR)", "event_time")).toBeUndefined();
  });

  test("a 48 h lookback reads 60 h of event_time (8 bytes): 60 × 3,600 × 50 × 8 = 86.4 MB a run, + 10 MiB for the watermark", () => {
    const reads = bytesPerRun(
      query,
      new Map([
        [
          "wiki_changes",
          {
            column: "_PARTITIONTIME",
            columnBytes: new Map([
              ["event_time", 8],
              ["title", 25],
            ]),
          },
        ],
      ]),
      a,
    );
    expect(reads).toEqual([
      { table: "wiki_changes", bytes: 86_400_000, hours: 60 },
      { table: "watermark", bytes: 10 * 1024 ** 2 },
    ]);
  });

  test("a MERGE target is read for its ON condition only: 108 h × 3,600 × 50 × (event_id 25.4 + event_time 8) bytes", () => {
    const merge =
      "MERGE `p`.`s`.`wiki_staged` AS staged USING (SELECT event_id, title, event_time FROM `p`.`r`.`other`) AS fresh " +
      "ON staged.event_id = fresh.event_id AND staged.event_time >= TIMESTAMP_SUB(@run_time, INTERVAL 2 * 48 HOUR) " +
      "WHEN NOT MATCHED THEN INSERT (event_id, title, event_time) VALUES (fresh.event_id, fresh.title, fresh.event_time)";
    const staged = {
      column: "event_time",
      columnBytes: new Map([
        ["event_id", 25.4],
        ["title", 25.4],
        ["event_time", 8],
      ]),
    };
    const [target] = bytesPerRun(merge, new Map([["wiki_staged", staged]]), a);
    expect(target.hours).toBe(108);
    expect(target.bytes).toBeCloseTo(108 * 3600 * 50 * 33.4, 0);
  });

  test("2,920 runs × 96,885,760 bytes = 0.2573 TiB × $6.25 = $1.61 a month, inside the free TiB", () => {
    const { lines, free } = queryLines(tables, a);
    expect(lines[0].quantity).toBeCloseTo(0.2573, 4);
    expect(monthly(lines)).toEqual([1.61]);
    expect(total(free)).toBeCloseTo(total(lines), 6);
  });

  test("under a QUERY reservation assignment the runs cost nothing here: the reservation's slots pay for them", () => {
    const onSlots = stack({ ...tables.resource, google_bigquery_reservation_assignment: { q: { job_type: "QUERY" } } });
    expect(total(queryLines(onSlots, a).lines)).toBe(0);
  });
});

describe("storage", () => {
  // 50 events/s × 160 bytes × 86,400 s = 0.64373 GiB a day.
  const table = (timePartitioning: object) =>
    stack({ google_bigquery_table: { raw: { table_id: "wiki_changes", time_partitioning: timePartitioning } } });

  test("after 12 months: 90 days active 57.94 GiB × $0.02 = $1.16, 275 days long-term 177.03 GiB × $0.01 = $1.77", () => {
    const { lines, free } = storageLines(table({ type: "DAY" }), a);
    expect(lines.map((l) => Number(l.quantity.toFixed(2)))).toEqual([57.94, 177.03]);
    expect(monthly(lines)).toEqual([1.16, 1.77]);
    expect(monthly(free)).toEqual([0.2]); // 10 GiB × $0.02
  });

  test("a 30-day partition expiration keeps 19.31 GiB, all active", () => {
    const { lines } = storageLines(table({ type: "DAY", expiration_ms: 30 * 86_400_000 }), a);
    expect(lines.map((l) => Number(l.quantity.toFixed(2)))).toEqual([19.31, 0]);
  });
});

describe("monitoring", () => {
  test("an alert policy of 2 conditions: $3.00 + 2 × 87,600 series × $0.35/M; 100 samples every 30 s: 8.76 M × $0.06 = $0.53", () => {
    const s = stack({
      google_monitoring_alert_policy: { p: { conditions: [{}, {}] } },
      google_secret_manager_secret_version: {
        v: { secret_data: "kind: RunMonitoring\nspec:\n  endpoints:\n    - interval: 30s\n" },
      },
    });
    expect(monthly(monitoringLines(s, a).lines)).toEqual([3, 0.06, 0.53]);
  });
});

describe("the report", () => {
  test("ingestion from a stack refuses a config whose mode is not the stack's", () => {
    expect(() => stackIngestionLines(stack({}), { mode: "dataflow", directApi: "storage-write" }, a)).toThrow(
      'the stack deploys ingestion "direct storage-write" but its config says "dataflow"',
    );
  });

  test("free tiers are shown apart: gross − free = net, and the categories add up to the total", () => {
    const s = stack({
      google_cloud_run_v2_service: {
        s: {
          template: {
            scaling: { min_instance_count: 1 },
            containers: [container("1", "512Mi"), { env: [{ name: "SINK", value: "storage-write" }] }],
          },
        },
      },
    });
    const config = environmentConfig("direct");
    const report = costReport("direct", s, config, a);
    expect(report.total).toBeCloseTo(total(report.categories), 9);
    expect(report.freeTier.gross).toBe(report.total);
    expect(report.freeTier.net).toBeCloseTo(report.freeTier.gross - report.freeTier.free, 9);
    // Storage Write $3.13 (all free), Cloud Run $4.32 + $0.90, 2 GiB of logs at $0.50 (all free).
    expect(report.freeTier.free).toBeCloseTo(3.1328 + 4.32 + 0.9 + 1, 3);
  });
});
