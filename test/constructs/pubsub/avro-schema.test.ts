import { TableSchema } from "../../../schemas/table-schema";
import { avroDefinitionFromTableSchema, avroSchemaFromTableSchema } from "../../../constructs/pubsub/avro-schema";
import { WIKI_CHANGES_SCHEMA } from "../../../schemas";

describe("avroSchemaFromTableSchema", () => {
  test("maps every column of wiki_changes: required plain, nullable unions with null default", () => {
    const avro = avroSchemaFromTableSchema(WIKI_CHANGES_SCHEMA);
    expect(avro.type).toBe("record");
    expect(avro.name).toBe("wiki_changes");
    expect(avro.namespace).toBe("freshstreams");
    expect(avro.fields.map((f) => f.name)).toEqual(WIKI_CHANGES_SCHEMA.fieldNames);
    const byName = Object.fromEntries(avro.fields.map((f) => [f.name, f]));
    expect(byName.event_id).toMatchObject({ type: "string" });
    expect(byName.event_id.default).toBeUndefined();
    expect(byName.id).toMatchObject({ type: ["null", "long"], default: null });
    expect(byName.bot).toMatchObject({ type: ["null", "boolean"], default: null });
    expect(byName.timestamp).toMatchObject({ type: ["null", { type: "long", logicalType: "timestamp-micros" }] });
    expect(byName.event_time).toMatchObject({ type: { type: "long", logicalType: "timestamp-micros" } });
    expect(byName.event_id.doc).toMatch(/de-duplication key/);
  });

  test("types, repeated columns and records", () => {
    const schema = new TableSchema(
      [
        { name: "b", type: "BYTES", mode: "REQUIRED" },
        { name: "f", type: "FLOAT64", mode: "REQUIRED" },
        { name: "d", type: "DATE", mode: "REQUIRED" },
        { name: "t", type: "TIME", mode: "REQUIRED" },
        { name: "dt", type: "DATETIME", mode: "REQUIRED" },
        { name: "n", type: "NUMERIC", mode: "REQUIRED" },
        { name: "j", type: "JSON", mode: "REQUIRED" },
        { name: "tags", type: "STRING", mode: "REPEATED" },
        { name: "geo", type: "RECORD", fields: [{ name: "country", type: "STRING", mode: "REQUIRED" }] },
      ],
      { name: "all-types" },
    );
    const avro = avroSchemaFromTableSchema(schema, { namespace: "x.y" });
    expect(avro.name).toBe("all_types");
    const types = Object.fromEntries(avro.fields.map((f) => [f.name, f.type]));
    expect(types).toEqual({
      b: "bytes",
      f: "double",
      d: { type: "int", logicalType: "date" },
      t: { type: "long", logicalType: "time-micros" },
      dt: "string",
      n: "string",
      j: "string",
      tags: { type: "array", items: "string" },
      geo: ["null", { type: "record", name: "all_types_geo", fields: [{ name: "country", type: "string" }] }],
    });
    expect(avro.fields.find((f) => f.name === "tags")?.default).toEqual([]);
  });

  test("RANGE has no Avro equivalent", () => {
    const schema = new TableSchema([{ name: "r", type: "RANGE", rangeElementType: "DATE" }], { name: "ranges" });
    expect(() => avroSchemaFromTableSchema(schema)).toThrow(
      'ranges: column "r" has type RANGE, which has no Avro equivalent for a Pub/Sub schema',
    );
  });

  test("bad record names and namespaces", () => {
    expect(() => avroSchemaFromTableSchema(WIKI_CHANGES_SCHEMA, { recordName: "wiki-changes" })).toThrow(
      /record name "wiki-changes" is not valid/,
    );
    expect(() => avroSchemaFromTableSchema(WIKI_CHANGES_SCHEMA, { namespace: "a..b" })).toThrow(
      /namespace "a..b" is not valid/,
    );
  });

  test("the definition is the JSON of the record", () => {
    expect(JSON.parse(avroDefinitionFromTableSchema(WIKI_CHANGES_SCHEMA))).toEqual(
      avroSchemaFromTableSchema(WIKI_CHANGES_SCHEMA),
    );
  });
});
