import { DEFAULT_ASSUMPTIONS, monthlyGib, total } from "../../tools/cost/line";
import { dataflowWorkers, ingestionCostLines, ingestionLines, machineShape } from "../../tools/cost/ingestion";

/**
 * Worked examples at 50 events/s of 1,024 bytes, 730 h: 50 × 1,024 × 2,628,000 s ÷ 2^30 = 125.3128 GiB a month
 * (0.122376 TiB).
 */
const at50 = { ...DEFAULT_ASSUMPTIONS, eventsPerSecond: 50 };

describe("ingestion cost, worked examples at 50 events/s", () => {
  test("the month's volume", () => {
    expect(monthlyGib(at50)).toBeCloseTo(125.3128, 4);
  });

  test("direct Storage Write: 125.3128 GiB × $0.025 = $3.13, all inside the 2 TiB free tier", () => {
    const { lines, free } = ingestionLines("direct storage-write", at50);
    expect(total(lines)).toBeCloseTo(3.1328, 4);
    expect(free.map((f) => [f.quantity, f.allowance])).toEqual([[monthlyGib(at50), 2048]]);
    expect(total(lines) - total(free)).toBeCloseTo(0, 6);
  });

  test("direct insertAll: 125.3128 GiB × ($0.01 per 200 MiB = $0.0512/GiB) = $6.42, no free tier", () => {
    const { lines, free } = ingestionLines("direct insert-all", at50);
    expect(total(lines)).toBeCloseTo(6.416, 3);
    expect(free).toEqual([]);
  });

  test("BigQuery subscription: publish 0.122376 TiB × $40 + subscription × $50 = $4.90 + $6.12; 10 GiB free on the publish only", () => {
    const { lines, free } = ingestionLines("bigquery-subscription", at50);
    expect(lines.map((l) => Number(l.monthly.toFixed(2)))).toEqual([4.9, 6.12]);
    expect(total(free)).toBeCloseTo((10 / 1024) * 40, 6); // $0.39
  });

  test("Dataflow: twice Pub/Sub, one n2-standard-2 (2 × $0.069 + 8 × $0.003557) × 730 h, 30 GB disk, SE data, insertAll", () => {
    const { lines, free } = ingestionLines("dataflow", at50);
    expect(lines.map((l) => Number(l.monthly.toFixed(2)))).toEqual([4.9, 4.9, 100.74, 20.77, 1.18, 2.26, 6.42]);
    expect(total(lines)).toBeCloseTo(141.16, 2);
    expect(total(lines) - total(free)).toBeCloseTo(140.77, 2);
  });

  test("Dataflow workers: one per 4 MiB/s on 2 vCPUs, at least 1, at most maxWorkers", () => {
    const shape = { machineType: "n2-standard-2", maxWorkers: 2 };
    expect(dataflowWorkers(shape, at50)).toBe(1);
    expect(dataflowWorkers(shape, { ...at50, eventsPerSecond: 5000 })).toBe(2); // 5,120,000 B/s ÷ 4,194,304
    expect(dataflowWorkers(shape, { ...at50, eventsPerSecond: 50_000 })).toBe(2);
    expect(machineShape("n2-standard-4")).toEqual({ vcpus: 4, memoryGb: 16 });
    expect(() => machineShape("custom-2-4096")).toThrow('machine type "custom-2-4096"');
  });

  test("ingestionCostLines: one line per mode and rate, gross, each naming its price pages", () => {
    const lines = ingestionCostLines([50, 500]);
    expect(lines.map((l) => [l.mode, l.eventsPerSecond, l.monthlyUsd])).toEqual([
      ["dataflow", 50, 141.16],
      ["bigquery-subscription", 50, 11.01],
      ["direct storage-write", 50, 3.13],
      ["direct insert-all", 50, 6.42],
      ["dataflow", 500, 307.31],
      ["bigquery-subscription", 500, 110.14],
      ["direct storage-write", 500, 31.33],
      ["direct insert-all", 500, 64.16],
    ]);
    for (const l of lines) expect(l.source).toMatch(/https:\/\/cloud\.google\.com\/.*\(read 20\d\d-\d\d-\d\d\)/);
  });
});
