import {
  compareSequenceNumbers,
  encodeSequenceNumber,
  eventSequenceNumber,
  parseSequenceNumber,
  sequenceNumberProblem,
} from "../../schemas/cdc-sequence";

describe("_CHANGE_SEQUENCE_NUMBER format", () => {
  test("encodes 1 to 4 sections of 16 upper-case hexadecimal digits", () => {
    expect(encodeSequenceNumber([255])).toBe("00000000000000FF");
    expect(encodeSequenceNumber([1, 2n, 0, (1n << 64n) - 1n])).toBe(
      "0000000000000001/0000000000000002/0000000000000000/FFFFFFFFFFFFFFFF",
    );
  });

  test("refuses what BigQuery refuses, naming the rule", () => {
    expect(() => encodeSequenceNumber([])).toThrow("1 to 4 sections");
    expect(() => encodeSequenceNumber([1, 2, 3, 4, 5])).toThrow("1 to 4 sections");
    expect(() => encodeSequenceNumber([-1])).toThrow("0 to 2^64 - 1");
    expect(() => encodeSequenceNumber([1n << 64n])).toThrow("16 hexadecimal digits");
    expect(() => encodeSequenceNumber([1.5])).toThrow("whole numbers");
    expect(sequenceNumberProblem("A/B/C/D/E")).toContain("at most 4");
    expect(sequenceNumberProblem("12345678901234567")).toContain("1 to 16 hexadecimal digits");
    expect(sequenceNumberProblem("G")).toContain('"G"');
    expect(sequenceNumberProblem("")).toContain('""');
    expect(sequenceNumberProblem(7)).toContain("must be a string");
    expect(sequenceNumberProblem("fff/B")).toBeUndefined();
  });

  test("compares section by section, numerically, whatever the padding or case", () => {
    expect(compareSequenceNumbers("FFF/B", "FFF/A")).toBeGreaterThan(0);
    expect(compareSequenceNumbers("F/0", "00000000000000E/FFFF")).toBeGreaterThan(0);
    expect(compareSequenceNumbers("a", "0000000A")).toBe(0);
    expect(compareSequenceNumbers("1", "1/0")).toBeLessThan(0);
    expect(parseSequenceNumber("ff/1")).toEqual([255n, 1n]);
  });

  test("the padded encoding orders as strings exactly as BigQuery orders it numerically", () => {
    const values = [0, 1, 15, 16, 255, 4096, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const encoded = values.flatMap((a) => values.map((b) => encodeSequenceNumber([a, b])));
    for (const x of encoded)
      for (const y of encoded.slice(0, 20)) {
        expect(Math.sign(compareSequenceNumbers(x, y))).toBe(Math.sign(x < y ? -1 : x > y ? 1 : 0));
      }
  });
});

describe("eventSequenceNumber: commit order, clamped to receipt, safe next to the earlier encoding", () => {
  const now = Date.UTC(2026, 2, 1, 12, 0, 7, 400);
  const second = Date.UTC(2026, 2, 1, 12, 0, 7); // EventBus: rc_timestamp, whole seconds
  /** The earlier encoding, which tables may still hold: meta.dt ms / meta.offset / rc id. */
  const earlier = (dt: number, offset: number, rcid: number) => encodeSequenceNumber([dt, offset, rcid]);
  const next = (dt: number, offset: number, rcid: number, receivedAtMs = now) =>
    eventSequenceNumber({ eventTimeMs: dt, receivedAtMs, commitId: rcid, offset });

  test("a delete (eqiad, high offset) and a later restore (codfw, low offset) in one second: the restore wins", () => {
    const del = { dt: second, offset: 7_100_000_200, rcid: 1_790_000_200 };
    const restore = { dt: second, offset: 52_000, rcid: 1_790_000_201 };
    expect(
      compareSequenceNumbers(earlier(restore.dt, restore.offset, restore.rcid), earlier(del.dt, del.offset, del.rcid)),
    ).toBeLessThan(0); // the defect
    expect(
      compareSequenceNumbers(next(restore.dt, restore.offset, restore.rcid), next(del.dt, del.offset, del.rcid)),
    ).toBeGreaterThan(0);
  });

  test("sections: the second's last millisecond, the commit id, the offset", () => {
    expect(
      next(second + 250, 9, 7)
        .split("/")
        .map((h) => Number.parseInt(h, 16)),
    ).toEqual([second + 999, 7, 9]);
    expect(eventSequenceNumber({ eventTimeMs: second, receivedAtMs: now })).toMatch(/\/0{16}\/0{16}$/);
    // Later seconds still win over higher commit ids (a source whose ids restart stays ordered by time).
    expect(compareSequenceNumbers(next(second + 1000, 0, 1, now + 1000), next(second, 0, 99))).toBeGreaterThan(0);
  });

  test("a meta.dt in the future is clamped to the time of receipt", () => {
    const year2100 = Date.UTC(2100, 0, 1);
    expect(next(year2100, 1, 1)).toBe(next(now, 1, 1));
    // So a change committed a second after the receipt wins over it, instead of losing until 2100.
    expect(compareSequenceNumbers(next(now + 1000, 2, 2, now + 1000), next(year2100, 1, 1))).toBeGreaterThan(0);
    expect(() => next(Number.NaN, 0, 0)).toThrow("Unix milliseconds");
    expect(() => next(-1, 0, 0)).toThrow("at or after 1970");
  });

  test("against rows written with the earlier encoding: never lower for the same or a later second, lower for an earlier one", () => {
    // Every combination of: old row's ms within its second, offsets and rc ids (small, large, max safe), seconds apart.
    const ids = [0, 1, 52_000, 1_790_000_200, 7_100_000_200, Number.MAX_SAFE_INTEGER];
    const fractions = [0, 1, 500, 998];
    for (const fraction of fractions)
      for (const oldOffset of ids)
        for (const oldId of ids)
          for (const newId of ids)
            for (const newOffset of [0, 52_000]) {
              const old = earlier(second + fraction, oldOffset, oldId);
              expect(compareSequenceNumbers(next(second, newOffset, newId), old)).toBeGreaterThan(0);
              expect(compareSequenceNumbers(next(second + 1000, newOffset, newId, now + 1000), old)).toBeGreaterThan(0);
              expect(compareSequenceNumbers(next(second - 1000, newOffset, newId), old)).toBeLessThan(0);
            }
    // The one tie left: an old meta.dt ending in .999 (EventBus never writes one) falls to id vs offset.
    const tie = earlier(second + 999, 5, 1);
    expect(compareSequenceNumbers(next(second, 0, 6), tie)).toBeGreaterThan(0);
    expect(compareSequenceNumbers(next(second, 0, 4), tie)).toBeLessThan(0);
  });
});
