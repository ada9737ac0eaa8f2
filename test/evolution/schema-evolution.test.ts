/**
 * diffTableSchemas / assertRollingSchemaChange: which schema changes an old and a new writer can
 * run through side by side, by the google provider's rule for google_bigquery_table.schema.
 */
import { WIKI_CHANGES_SCHEMA, WIKI_PAGES_SCHEMA } from "../../schemas";
import { assertRollingSchemaChange, diffTableSchemas } from "../../schemas/schema-evolution";
import { TableSchema } from "../../schemas/table-schema";
import { WIKI_CHANGES_V2, WIKI_PAGES_V2 } from "./contract-v2";

const base = new TableSchema(
  [
    { name: "id", type: "STRING", mode: "REQUIRED" },
    { name: "n", type: "INT64" },
    { name: "geo", type: "RECORD", fields: [{ name: "country", type: "STRING" }] },
  ],
  { name: "events" },
);
const withColumns = (columns: TableSchema["columns"]) => new TableSchema(columns, { name: "events" });

describe("diffTableSchemas", () => {
  test("the same schema, or only descriptions changed: no change", () => {
    expect(diffTableSchemas(base, base)).toEqual([]);
    const described = withColumns(base.columns.map((c) => ({ ...c, description: "new words" })));
    expect(diffTableSchemas(base, described)).toEqual([]);
  });

  test("an added NULLABLE or REPEATED column, at the top or inside a RECORD, is rolling", () => {
    const after = withColumns([
      ...base.columns.slice(0, 2),
      {
        name: "geo",
        type: "RECORD",
        fields: [
          { name: "country", type: "STRING" },
          { name: "city", type: "STRING" },
        ],
      },
      { name: "tags", type: "STRING", mode: "REPEATED" },
    ]);
    expect(diffTableSchemas(base, after)).toEqual([
      expect.objectContaining({ kind: "add", column: "geo.city", rolling: true }),
      expect.objectContaining({ kind: "add", column: "tags", rolling: true }),
    ]);
    expect(assertRollingSchemaChange(base, after)).toHaveLength(2);
  });

  test("REQUIRED relaxed to NULLABLE is rolling; the reverse is not", () => {
    const relaxed = withColumns([{ name: "id", type: "STRING" }, ...base.columns.slice(1)]);
    expect(diffTableSchemas(base, relaxed)).toEqual([
      expect.objectContaining({ kind: "relax", column: "id", rolling: true }),
    ]);
    expect(diffTableSchemas(relaxed, base)).toEqual([
      expect.objectContaining({ kind: "tighten", column: "id", rolling: false }),
    ]);
  });

  test("removing, retyping, adding REQUIRED and REPEATED ↔ single are not rolling", () => {
    const after = withColumns([
      { name: "id", type: "STRING", mode: "REQUIRED" },
      { name: "n", type: "STRING" },
      { name: "geo", type: "RECORD", mode: "REPEATED", fields: [{ name: "country", type: "STRING" }] },
      { name: "must", type: "BOOL", mode: "REQUIRED" },
    ]);
    expect(diffTableSchemas(base, after).map((c) => [c.kind, c.column, c.rolling])).toEqual([
      ["retype", "n", false],
      ["retype", "geo", false],
      ["add-required", "must", false],
    ]);
    const removed = withColumns(base.columns.slice(0, 2));
    expect(diffTableSchemas(base, removed)).toEqual([
      expect.objectContaining({ kind: "remove", column: "geo", rolling: false }),
    ]);
  });

  test("names match exactly, as the provider compares them: a change of case is a removal and an addition", () => {
    const renamed = withColumns([{ name: "ID", type: "STRING", mode: "REQUIRED" }, ...base.columns.slice(1)]);
    expect(diffTableSchemas(base, renamed).map((c) => [c.kind, c.column, c.rolling])).toEqual([
      ["add-required", "ID", false],
      ["remove", "id", false],
    ]);
  });
});

test("a column added before existing ones is rolling, with a warning to define it last", () => {
  // wiki_staged is wiki_changes' columns then its own: a column appended to wiki_changes lands in its middle.
  const staged = (raw: TableSchema) => raw.withColumns([{ name: "staged_at", type: "TIMESTAMP" }]);
  const [change] = diffTableSchemas(staged(WIKI_CHANGES_SCHEMA), staged(WIKI_CHANGES_V2));
  expect(change).toMatchObject({ kind: "add", column: "minor", rolling: true });
  expect(change.detail).toContain("define it last");
  expect(diffTableSchemas(WIKI_CHANGES_SCHEMA, WIKI_CHANGES_V2)[0].detail).not.toContain("define it last");
});

describe("assertRollingSchemaChange", () => {
  test("refuses a removal and a retype, naming the schema, each column, what happens and the migration", () => {
    const after = withColumns([{ name: "id", type: "INT64", mode: "REQUIRED" }, base.columns[1]]);
    expect(() => assertRollingSchemaChange(base, after)).toThrow(
      /^events: 2 change\(s\) cannot roll out beside the old writer: column id changes from STRING REQUIRED to INT64 REQUIRED: the provider replaces the table .*; column geo is removed: its data is gone.*Instead: add the new column \(NULLABLE\), backfill it .* allow entry/,
    );
  });

  test("the documented contract changes (a field of the event, a non-key column of the CDC table) are rolling", () => {
    expect(assertRollingSchemaChange(WIKI_CHANGES_SCHEMA, WIKI_CHANGES_V2)).toEqual([
      expect.objectContaining({ kind: "add", column: "minor" }),
    ]);
    expect(assertRollingSchemaChange(WIKI_PAGES_SCHEMA, WIKI_PAGES_V2)).toEqual([
      expect.objectContaining({ kind: "add", column: "minor" }),
    ]);
  });
});
