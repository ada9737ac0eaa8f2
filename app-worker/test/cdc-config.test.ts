import { parseConfig } from "../src/config";

describe("CDC_TOPIC", () => {
  const base = { PROJECT: "my-project", TOPIC: "wiki-changes" };
  test("unset: no page-state changes are published", () => {
    expect(parseConfig(base).config?.cdcTopic).toBeUndefined();
  });
  test("a topic id, or its full name in the worker's project", () => {
    expect(parseConfig({ ...base, CDC_TOPIC: "wiki-pages-cdc" }).config?.cdcTopic).toBe("wiki-pages-cdc");
    expect(parseConfig({ ...base }, ["--cdc-topic=projects/my-project/topics/wiki-pages-cdc"]).config?.cdcTopic).toBe(
      "wiki-pages-cdc",
    );
  });
  test("refuses an invalid name, another project, and the main topic", () => {
    expect(parseConfig({ ...base, CDC_TOPIC: "x" }).problems).toEqual([
      'CDC_TOPIC: "x" is not a valid topic id (3-255 characters, starting with a letter, not with "goog")',
    ]);
    expect(parseConfig({ ...base, CDC_TOPIC: "projects/other-project/topics/pages" }).problems).toEqual([
      'CDC_TOPIC: "projects/other-project/topics/pages" is in project "other-project" but PROJECT is "my-project"',
    ]);
    expect(parseConfig({ ...base, CDC_TOPIC: "wiki-changes" }).problems).toEqual([
      'CDC_TOPIC: "wiki-changes" is TOPIC as well; page-state changes need a topic of their own',
    ]);
  });
});
