import { EMPLOYEES_SCHEMA } from "../../schemas/employees";
import { WIKI_PAGES_SCHEMA } from "../../schemas/wiki-pages";
import { CdcChangeError, cdcProtoDescriptor, cdcRows } from "../src/storage-write-cdc";

describe("Storage Write API CDC encoding", () => {
  test("rows carry the data columns, _CHANGE_TYPE and _CHANGE_SEQUENCE_NUMBER", () => {
    expect(
      cdcRows(
        EMPLOYEES_SCHEMA,
        ["id"],
        [
          { type: "UPSERT", row: { id: 101, name: "Tal", salary: "8000" }, sequenceNumber: "0000000000000002" },
          { type: "DELETE", row: { id: 100 }, sequenceNumber: "FFF/B" },
        ],
      ),
    ).toEqual([
      { id: 101, name: "Tal", salary: "8000", _CHANGE_TYPE: "UPSERT", _CHANGE_SEQUENCE_NUMBER: "0000000000000002" },
      { id: 100, _CHANGE_TYPE: "DELETE", _CHANGE_SEQUENCE_NUMBER: "FFF/B" },
    ]);
    expect(cdcRows(EMPLOYEES_SCHEMA, ["id"], [{ type: "UPSERT", row: { id: 1 } }])).toEqual([
      { id: 1, _CHANGE_TYPE: "UPSERT" },
    ]);
  });

  test("TIMESTAMP columns take ISO strings (encoded as times)", () => {
    const [row] = cdcRows(
      WIKI_PAGES_SCHEMA,
      ["wiki", "namespace", "title"],
      [
        {
          type: "UPSERT",
          row: { wiki: "enwiki", namespace: 0, title: "A", last_edit_time: "2024-06-01T12:00:00.000Z" },
        },
      ],
    );
    expect(row.last_edit_time).toEqual(new Date("2024-06-01T12:00:00.000Z"));
  });

  test("refuses what BigQuery would refuse, naming the change and the rule", () => {
    const bad = (changes: Parameters<typeof cdcRows>[2]) => () => cdcRows(EMPLOYEES_SCHEMA, ["id"], changes);
    expect(bad([{ type: "INSERT" as never, row: { id: 1 } }])).toThrow(
      'change 0: type "INSERT" is not UPSERT or DELETE',
    );
    expect(bad([{ type: "DELETE", row: { name: "x" } }])).toThrow("change 0: primary key column(s) id missing");
    expect(bad([{ type: "UPSERT", row: { id: 1, age: 3 } }])).toThrow(
      'change 0: column "age" is not in table employees',
    );
    expect(bad([{ type: "UPSERT", row: { id: 1 }, sequenceNumber: "1/2/3/4/5" }])).toThrow(
      "change 0: _CHANGE_SEQUENCE_NUMBER",
    );
    expect(
      bad([
        { type: "UPSERT", row: { id: 1 }, sequenceNumber: "1" },
        { type: "UPSERT", row: { id: 2 } },
      ]),
    ).toThrow("1 of 2 changes have a sequence number");
    expect(bad([{ type: "UPSERT", row: { id: 1 } }])).not.toThrow();
    expect(() =>
      cdcRows(WIKI_PAGES_SCHEMA, ["wiki"], [{ type: "UPSERT", row: { wiki: "x", last_edit_time: "soon" } }]),
    ).toThrow(CdcChangeError);
  });

  test("the proto descriptor has the table's columns and the pseudo-columns as strings", () => {
    const descriptor = cdcProtoDescriptor(EMPLOYEES_SCHEMA);
    const fields = (descriptor.field ?? []).map((f) => [f.name, f.type]);
    expect(fields.map(([name]) => name)).toEqual(["id", "name", "salary", "_CHANGE_SEQUENCE_NUMBER", "_CHANGE_TYPE"]);
    const types = Object.fromEntries(fields);
    expect(types._CHANGE_TYPE).toBe(types.name); // TYPE_STRING
    expect(types._CHANGE_SEQUENCE_NUMBER).toBe(types.name);
    expect(cdcProtoDescriptor(EMPLOYEES_SCHEMA, { sequenceNumbers: false }).field?.map((f) => f.name)).toEqual([
      "id",
      "name",
      "salary",
      "_CHANGE_TYPE",
    ]);
  });
});
