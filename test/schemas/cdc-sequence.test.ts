import {
  compareSequenceNumbers,
  encodeSequenceNumber,
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
