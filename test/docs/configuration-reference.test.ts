import { configKeys, schemaComments } from "../../tools/docs/sections/configuration";

/**
 * docs/configuration.md's tables are generated from config/schema.ts (`npm run docs`;
 * test/docs/generated.test.ts holds the page equal to the code). What is left to check is the
 * schema itself: the walk reaches the nested keys, and every key says what it means in its JSDoc
 * (the meaning column), so no row of the reference is blank.
 */
describe("config/schema.ts as the configuration reference", () => {
  const keys = configKeys();

  test("the schema walk finds the nested keys, with their defaults and rules", () => {
    const byPath = new Map(keys.map((k) => [k.path, k]));
    expect(keys.length).toBeGreaterThan(30);
    expect(byPath.get("projectId")).toMatchObject({ required: true, type: "string" });
    expect(byPath.get("ingestion.dataflow.maxWorkers")).toMatchObject({ required: false, default: 3, rule: "1–1000" });
    expect(byPath.get("backend.bucket")).toMatchObject({
      rule: expect.stringContaining("only with `backend.type: gcs`"),
    });
    expect(byPath.get("monitoring.notificationEmails")).toMatchObject({ type: "list of string", default: [] });
  });

  test("every key has a meaning: a JSDoc comment above it in config/schema.ts", () => {
    expect(keys.filter((k) => k.meaning === "").map((k) => k.path)).toEqual([]);
  });

  test("every JSDoc comment of the schema belongs to a key", () => {
    const known = new Set(keys.map((k) => k.path));
    const orphans = [...schemaComments().keys()].filter(
      (p) => !known.has(p) && !keys.some((k) => k.path.startsWith(`${p}.`)),
    );
    // Comments of the alert overrides' keys describe the values of the `monitoring.alerts` map.
    expect(orphans.filter((p) => !p.startsWith("monitoring.alerts."))).toEqual([]);
  });
});
