import { ColumnDefinition, MAX_NESTING_DEPTH, TableSchema } from "../../schemas/table-schema";

function nested(depth: number): ColumnDefinition {
  // depth 1 = a RECORD with a leaf; depth n = n RECORD levels.
  let column: ColumnDefinition = { name: "leaf", type: "STRING" };
  for (let level = depth; level >= 1; level--) {
    column = { name: `level${level}`, type: "RECORD", fields: [column] };
  }
  return column;
}

describe("TableSchema", () => {
  test("renders BigQuery's JSON schema with API type names, modes, defaults, ranges and records", () => {
    const schema = new TableSchema([
      { name: "id", type: "INT64", mode: "REQUIRED", description: "key" },
      { name: "ratio", type: "FLOAT64" },
      { name: "ok", type: "BOOL" },
      { name: "_inserted_at", type: "TIMESTAMP", defaultValueExpression: "CURRENT_TIMESTAMP()" },
      { name: "validity", type: "RANGE", rangeElementType: "DATE" },
      { name: "tags", type: "STRING", mode: "REPEATED" },
      { name: "geo", type: "RECORD", fields: [{ name: "country", type: "STRING" }] },
    ]);
    expect(schema.toBigQueryJson()).toEqual([
      { name: "id", type: "INTEGER", mode: "REQUIRED", description: "key" },
      { name: "ratio", type: "FLOAT", mode: "NULLABLE" },
      { name: "ok", type: "BOOLEAN", mode: "NULLABLE" },
      { name: "_inserted_at", type: "TIMESTAMP", mode: "NULLABLE", defaultValueExpression: "CURRENT_TIMESTAMP()" },
      { name: "validity", type: "RANGE", mode: "NULLABLE", rangeElementType: { type: "DATE" } },
      { name: "tags", type: "STRING", mode: "REPEATED" },
      {
        name: "geo",
        type: "RECORD",
        mode: "NULLABLE",
        fields: [{ name: "country", type: "STRING", mode: "NULLABLE" }],
      },
    ]);
    expect(JSON.parse(schema.toJsonString())).toEqual(schema.toBigQueryJson());
  });

  test("looks columns up case-insensitively, as BigQuery does", () => {
    const schema = new TableSchema([{ name: "User", type: "STRING" }]);
    expect(schema.hasColumn("user")).toBe(true);
    expect(schema.column("USER")?.name).toBe("User");
    expect(schema.fieldNames).toEqual(["User"]);
  });

  test("withColumns appends and validates the whole schema again", () => {
    const base = new TableSchema([{ name: "a", type: "STRING" }], { name: "base" });
    expect(base.withColumns([{ name: "b", type: "DATE" }]).fieldNames).toEqual(["a", "b"]);
    expect(() => base.withColumns([{ name: "A", type: "DATE" }])).toThrow(
      'base: column "A" duplicates "a"; BigQuery column names are case-insensitive and must be unique',
    );
  });

  test("rejects an empty schema", () => {
    expect(() => new TableSchema([], { name: "t" })).toThrow("t: a table schema needs at least one column");
  });

  test.each([
    [
      "1st",
      'column "1st" is not a valid name; use letters, digits and underscores, starting with a letter or underscore',
    ],
    ["with-dash", 'column "with-dash" is not a valid name'],
    ["with space", 'column "with space" is not a valid name'],
    ["", 'a column in "(top level)" has an empty name'],
    ["x".repeat(301), "has a 301-character name; BigQuery allows at most 300"],
  ])("rejects the invalid column name %j", (name, message) => {
    expect(() => new TableSchema([{ name, type: "STRING" }], { name: "t" })).toThrow(message);
  });

  test.each([
    "_PARTITIONTIME",
    "_partitiondate",
    "_TABLE_SUFFIX",
    "_FILE_NAME",
    "_ROW_TIMESTAMP",
    "_CHANGE_TYPE",
    "_change_sequence_number",
    "__ROOT__x",
    "_COLIDENTIFIER1",
  ])("rejects the reserved prefix in %s", (name) => {
    expect(() => new TableSchema([{ name, type: "STRING" }], { name: "t" })).toThrow(
      /starts with the reserved prefix "_/,
    );
  });

  test("rejects duplicates case-insensitively, also inside records", () => {
    expect(
      () =>
        new TableSchema(
          [
            { name: "user", type: "STRING" },
            { name: "USER", type: "STRING" },
          ],
          { name: "t" },
        ),
    ).toThrow('t: column "USER" duplicates "user"; BigQuery column names are case-insensitive and must be unique');
    expect(
      () =>
        new TableSchema(
          [
            {
              name: "geo",
              type: "RECORD",
              fields: [
                { name: "x", type: "STRING" },
                { name: "X", type: "STRING" },
              ],
            },
          ],
          { name: "t" },
        ),
    ).toThrow('t: column "geo.X" duplicates "x"');
  });

  test(`accepts ${MAX_NESTING_DEPTH} levels of nested RECORDs and rejects ${MAX_NESTING_DEPTH + 1}`, () => {
    // nested(n): n RECORD levels ("a schema cannot contain more than 15 levels of nested RECORD types").
    expect(() => new TableSchema([nested(MAX_NESTING_DEPTH)], { name: "t" })).not.toThrow();
    expect(() => new TableSchema([nested(MAX_NESTING_DEPTH + 1)], { name: "t" })).toThrow(
      `nests RECORDs ${MAX_NESTING_DEPTH + 1} levels deep; BigQuery allows at most ${MAX_NESTING_DEPTH}`,
    );
  });

  test("RANGE columns need a DATE, DATETIME or TIMESTAMP element type and cannot be REPEATED", () => {
    expect(() => new TableSchema([{ name: "r", type: "RANGE" }], { name: "t" })).toThrow(
      't: RANGE column "r" has element type "undefined"; expected DATE, DATETIME or TIMESTAMP',
    );
    expect(
      () => new TableSchema([{ name: "r", type: "RANGE", rangeElementType: "TIME" as never }], { name: "t" }),
    ).toThrow('RANGE column "r" has element type "TIME"');
    expect(
      () => new TableSchema([{ name: "r", type: "RANGE", rangeElementType: "DATE", mode: "REPEATED" }], { name: "t" }),
    ).toThrow('t: RANGE column "r" cannot be REPEATED; BigQuery has no ARRAY<RANGE>');
    expect(() => new TableSchema([{ name: "d", type: "DATE", rangeElementType: "DATE" }], { name: "t" })).toThrow(
      't: column "d" sets rangeElementType but its type is DATE, not RANGE',
    );
  });

  test("RECORD columns need fields; other types cannot have them", () => {
    expect(() => new TableSchema([{ name: "g", type: "RECORD" }], { name: "t" })).toThrow(
      't: RECORD column "g" needs at least one field',
    );
    expect(() => new TableSchema([{ name: "g", type: "RECORD", fields: [] }], { name: "t" })).toThrow(
      'RECORD column "g" needs at least one field',
    );
    expect(
      () => new TableSchema([{ name: "s", type: "STRING", fields: [{ name: "x", type: "STRING" }] }], { name: "t" }),
    ).toThrow('t: column "s" has fields but its type is STRING, not RECORD');
  });

  test("rejects unknown types and modes", () => {
    expect(() => new TableSchema([{ name: "x", type: "VARCHAR" as never }], { name: "t" })).toThrow(
      't: column "x" has type "VARCHAR"; expected one of',
    );
    expect(() => new TableSchema([{ name: "x", type: "STRING", mode: "OPTIONAL" as never }], { name: "t" })).toThrow(
      't: column "x" has mode "OPTIONAL"; expected NULLABLE, REQUIRED or REPEATED',
    );
  });

  test("default value expressions must be non-empty and not on REPEATED columns", () => {
    expect(
      () => new TableSchema([{ name: "x", type: "TIMESTAMP", defaultValueExpression: " " }], { name: "t" }),
    ).toThrow('t: column "x" has an empty default value expression');
    expect(
      () =>
        new TableSchema([{ name: "x", type: "STRING", mode: "REPEATED", defaultValueExpression: "['a']" }], {
          name: "t",
        }),
    ).toThrow('t: REPEATED column "x" cannot have a default value expression');
  });

  test("rejects more than 10,000 columns", () => {
    const columns: ColumnDefinition[] = Array.from({ length: 10_001 }, (_, i) => ({ name: `c${i}`, type: "STRING" }));
    expect(() => new TableSchema(columns, { name: "wide" })).toThrow(
      "wide: schema has 10001 columns; BigQuery allows at most 10000",
    );
  });
});
