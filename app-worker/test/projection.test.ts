import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { projectData, projectEvent, stableEventId } from "../src/projection";
import { loadFixture } from "../../tools/fixtures/generate";

const fixture = loadFixture();
const edit = JSON.parse(fixture.find((line) => line.includes('"type":"edit"'))!);

describe("projection", () => {
  test("a recentchange edit becomes a wiki_changes row whose keys are exactly the table's columns", () => {
    const result = projectEvent(edit);
    expect(result.kind).toBe("row");
    if (result.kind !== "row") return;
    expect(Object.keys(result.row)).toEqual(WIKI_CHANGES_SCHEMA.fieldNames);
    expect(result.row).toEqual({
      event_id: edit.meta.id,
      id: edit.id,
      type: "edit",
      wiki: edit.wiki,
      user: edit.user,
      title: edit.title,
      bot: edit.bot,
      namespace: edit.namespace,
      timestamp: new Date(edit.timestamp * 1000).toISOString(),
      event_time: edit.meta.dt,
    });
  });

  test("every non-canary fixture line projects to a row", () => {
    let rows = 0;
    for (const line of fixture) {
      const result = projectData(line);
      if (result.kind === "row") rows++;
      else expect(result.reason).toBe("canary");
    }
    expect(rows).toBeGreaterThan(4900);
  });

  test("canary events are dropped", () => {
    expect(projectEvent({ ...edit, meta: { ...edit.meta, domain: "canary" } })).toEqual({
      kind: "drop",
      reason: "canary",
    });
  });

  test("malformed input is reported, never thrown", () => {
    expect(projectData("{not json")).toMatchObject({
      kind: "drop",
      reason: "malformed",
      detail: expect.stringContaining("not valid JSON"),
    });
    expect(projectData("42")).toMatchObject({ reason: "malformed", detail: "data is not a JSON object" });
    expect(projectEvent({ ...edit, meta: undefined })).toMatchObject({
      reason: "malformed",
      detail: "meta is missing",
    });
    expect(projectEvent({ ...edit, timestamp: "yesterday" })).toMatchObject({
      reason: "malformed",
      detail: "timestamp is not Unix seconds",
    });
    expect(projectEvent({ ...edit, meta: { ...edit.meta, dt: "soon" } })).toMatchObject({
      detail: "meta.dt is not a timestamp",
    });
    expect(projectEvent({ ...edit, bot: "no", namespace: 1.5 })).toMatchObject({
      detail: "namespace is not an integer; bot is not a boolean",
    });
  });

  test("without meta.id the event id is a stable hash of the identifying fields", () => {
    const withoutId = { ...edit, meta: { ...edit.meta, id: undefined } };
    const a = projectEvent(withoutId);
    const b = projectEvent(JSON.parse(JSON.stringify(withoutId)));
    expect(a.kind === "row" && b.kind === "row" && a.row.event_id === b.row.event_id).toBe(true);
    expect(stableEventId(withoutId)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(stableEventId({ ...withoutId, title: "Other" })).not.toBe(stableEventId(withoutId));
  });

  test("optional columns are null when absent (log events without id, IP editors without bot flag)", () => {
    const { id: _id, bot: _bot, namespace: _ns, user: _user, ...rest } = edit;
    const result = projectEvent(rest);
    expect(result).toMatchObject({ kind: "row", row: { id: null, bot: null, namespace: null, user: null } });
  });

  test("the message body is JSON.stringify(row), for every fixture line", () => {
    const mismatches: string[] = [];
    for (const line of fixture) {
      const result = projectData(line);
      if (result.kind === "row" && result.json !== JSON.stringify(result.row)) mismatches.push(line);
    }
    expect(mismatches).toEqual([]);
  });
});
