import * as library from "../../constructs/pubsub/avro-schema";
import { createAvroJsonEncoder, encodeAvroJson } from "../../schemas/avro";
import { TableSchema } from "../../schemas/table-schema";

const SCHEMA = new TableSchema(
  [
    { name: "id", type: "STRING", mode: "REQUIRED" },
    { name: "at", type: "TIMESTAMP" },
    { name: "day", type: "DATE" },
    { name: "tags", type: "STRING", mode: "REPEATED" },
    {
      name: "page",
      type: "RECORD",
      fields: [
        { name: "title", type: "STRING", mode: "REQUIRED" },
        { name: "size", type: "INT64" },
      ],
    },
  ],
  { name: "events" },
);

describe("Avro JSON encoding", () => {
  test("the library's names are the ground floor's functions", () => {
    expect(library.encodeAvroJson).toBe(encodeAvroJson);
    expect(library.avroSchemaFromTableSchema).toBeDefined();
  });

  test("one encoder, many rows: unions wrapped, NULLs and missing fields null, records by full name", () => {
    const encode = createAvroJsonEncoder(SCHEMA);
    const full = {
      id: "a",
      at: "2024-06-01T12:00:00.123Z",
      day: "2024-06-01",
      tags: ["x"],
      page: { title: "T", size: null },
    };
    expect(encode(full)).toEqual({
      id: "a",
      at: { long: 1717243200123000 },
      day: { int: 19875 },
      tags: ["x"],
      page: { "freshstreams.events_page": { title: "T", size: null } },
    });
    expect(encode({ id: "b", at: null })).toEqual({ id: "b", at: null, day: null, tags: [], page: null });
    expect(encode(full)).toEqual(encodeAvroJson(SCHEMA, full));
    expect(createAvroJsonEncoder(SCHEMA, { namespace: "x.y" })({ id: "c", page: { title: "t" } }).page).toEqual({
      "x.y.events_page": { title: "t", size: null },
    });
  });

  test("a row that does not fit throws, naming the field", () => {
    const encode = createAvroJsonEncoder(SCHEMA);
    expect(() => encode({ at: "2024-06-01T00:00:00Z" })).toThrow('events: REQUIRED field "id" is missing');
    expect(() => encode({ id: "a", extra: 1 })).toThrow('events: field "extra" is not a column of the schema');
    expect(() => encode({ id: "a", page: { title: "t", extra: 1 } })).toThrow(
      'events: field "page.extra" is not a column of the schema',
    );
    expect(() => encode({ id: "a", page: { size: 1 } })).toThrow('events: REQUIRED field "page.title" is missing');
    expect(() => encode({ id: "a", at: "yesterday" })).toThrow('events: field "at" is not a time: yesterday');
    expect(() => encode({ id: "a", tags: "x" })).toThrow('events: REPEATED field "tags" must be an array');
  });
});
