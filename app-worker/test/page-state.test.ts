import { compareSequenceNumbers } from "../../schemas/cdc-sequence";
import { WIKI_PAGES_CDC_MESSAGE_FIELDS } from "../../schemas/wiki-pages";
import { loadFixture } from "../../tools/fixtures/generate";
import {
  derivePageChanges,
  derivePageChangesFromData,
  PageChange,
  pageSequenceNumber,
  targetNamespace,
} from "../src/page-state";

const fixture = loadFixture();
const events = fixture.map((line) => JSON.parse(line) as Record<string, any>);
const first = (predicate: (event: Record<string, any>) => boolean) => structuredClone(events.find(predicate)!);
const edit = first((e) => e.type === "edit" && e.meta.domain !== "canary");
const created = first((e) => e.type === "new" && e.meta.domain !== "canary");
const deletion = first((e) => e.log_type === "delete");
const move = first((e) => e.log_type === "move" && e.namespace === 0);

/** `event` placed `ms` after the first edit in the stream: dt, offset and rc id as the live stream would assign them. */
function later(event: Record<string, any>, ms: number, changes: Record<string, any> = {}): Record<string, any> {
  const copy = structuredClone(event);
  copy.meta.dt = new Date(Date.parse(edit.meta.dt) + ms).toISOString();
  copy.meta.offset = edit.meta.offset + ms;
  copy.id = edit.id + ms;
  copy.meta.id = `${event.meta.id.slice(0, -4)}${String(ms).padStart(4, "0").slice(-4)}`;
  return { ...copy, ...changes };
}

function changes(event: unknown, receivedAtMs?: number): PageChange[] {
  const result = derivePageChanges(event, receivedAtMs);
  if (result.kind !== "changes") throw new Error(`expected changes, got ${JSON.stringify(result)}`);
  return result.changes;
}

/**
 * Reference model of BigQuery's apply, written independently of the worker: per key, the change with
 * the greatest sequence number — its sections compared as numbers, not strings — decides.
 */
function applyModel(all: PageChange[]): Map<string, Record<string, unknown>> {
  const newest = new Map<string, { order: number[]; change: PageChange }>();
  for (const change of all) {
    const order = change.sequenceNumber.split("/").map((hex) => Number.parseInt(hex, 16));
    const seen = newest.get(change.key);
    const differs = seen ? order.findIndex((value, i) => value !== seen.order[i]) : -1;
    const newer = !seen || (differs >= 0 && order[differs] > seen.order[differs]);
    if (newer) newest.set(change.key, { order, change });
  }
  const table = new Map<string, Record<string, unknown>>();
  for (const [key, { change }] of newest) if (change.changeType === "UPSERT") table.set(key, change.message as never);
  return table;
}

describe("page state from recentchange events", () => {
  test("an edit is an UPSERT of (wiki, namespace, title) with revision, length, editor, time and bot flag", () => {
    const [change] = changes(edit);
    expect(change.changeType).toBe("UPSERT");
    expect(Object.keys(change.message)).toEqual(WIKI_PAGES_CDC_MESSAGE_FIELDS);
    expect(change.message).toEqual({
      wiki: edit.wiki,
      namespace: edit.namespace,
      title: edit.title,
      revision_id: edit.revision.new,
      length: edit.length.new,
      last_editor: edit.user,
      last_edit_time: new Date(edit.timestamp * 1000).toISOString(),
      bot: edit.bot,
      last_change: "edit",
      event_id: edit.meta.id,
      _CHANGE_TYPE: "UPSERT",
      _CHANGE_SEQUENCE_NUMBER: change.sequenceNumber,
    });
    expect(JSON.parse(change.json)).toEqual(change.message);
  });

  test("a page creation is an UPSERT marked new, with its first revision and length", () => {
    const [change] = changes(created);
    expect(change.message).toMatchObject({
      _CHANGE_TYPE: "UPSERT",
      revision_id: created.revision.new,
      length: created.length.new,
      last_change: "new",
      bot: created.bot,
    });
  });

  test("a deletion is a DELETE of the page's key; the other columns are null", () => {
    const [change] = changes(deletion);
    expect(change.changeType).toBe("DELETE");
    expect(change.message).toMatchObject({
      wiki: deletion.wiki,
      namespace: deletion.namespace,
      title: deletion.title,
      revision_id: null,
      last_editor: null,
      _CHANGE_TYPE: "DELETE",
    });
    const redirect = changes({ ...deletion, log_action: "delete_redir" });
    expect(redirect.map((c) => c.changeType)).toEqual(["DELETE"]);
  });

  test("a move is a DELETE of the old title and an UPSERT of the target, with one sequence number", () => {
    const [gone, moved] = changes(move);
    expect(gone.message).toMatchObject({ _CHANGE_TYPE: "DELETE", title: move.title, namespace: 0 });
    expect(moved.message).toMatchObject({
      _CHANGE_TYPE: "UPSERT",
      title: move.log_params.target,
      namespace: 0,
      last_editor: move.user,
      last_change: "move",
      revision_id: null,
    });
    expect(gone.sequenceNumber).toBe(moved.sequenceNumber);
    expect(gone.key).not.toBe(moved.key);
  });

  test("the target's namespace: the source's prefix, a canonical name, otherwise the main namespace", () => {
    expect(targetNamespace("Talk:A", 1, "Talk:B")).toBe(1);
    expect(targetNamespace("Diskussion:A", 1, "Diskussion:B")).toBe(1);
    expect(targetNamespace("A", 0, "User:Alice/A")).toBe(2);
    expect(targetNamespace("User:Alice/A", 2, "A")).toBe(0);
    expect(targetNamespace("A", 0, "Star Wars: A New Hope")).toBe(0);
    expect(targetNamespace("A", 0, "Category_talk:B")).toBe(15);
    const [, moved] = changes({ ...move, namespace: 1, title: "Talk:X", log_params: { target: "Talk:Y" } });
    expect(moved.message).toMatchObject({ namespace: 1, title: "Talk:Y" });
  });

  test("an undeletion (delete/restore) is an UPSERT marked restore", () => {
    const [change] = changes({ ...deletion, log_action: "restore" });
    expect(change.message).toMatchObject({ _CHANGE_TYPE: "UPSERT", last_change: "restore", revision_id: null });
  });

  test("canaries, categorisations and other log events change no page", () => {
    expect(derivePageChanges({ ...edit, meta: { ...edit.meta, domain: "canary" } })).toEqual({ kind: "none" });
    for (const event of events
      .filter(
        (e) => e.type === "categorize" || ["patrol", "block", "protect", "newusers", "upload"].includes(e.log_type),
      )
      .slice(0, 50)) {
      expect(derivePageChanges(event)).toEqual({ kind: "none" });
    }
  });

  test("an event missing what page state needs is skipped with a reason, never thrown", () => {
    expect(derivePageChanges({ ...edit, namespace: undefined })).toEqual({
      kind: "skipped",
      reason: "namespace is missing",
    });
    expect(derivePageChanges({ ...move, log_params: [] })).toEqual({
      kind: "skipped",
      reason: "move without log_params.target",
    });
    expect(derivePageChanges({ ...edit, meta: { ...edit.meta, dt: "yesterday" } })).toEqual({
      kind: "skipped",
      reason: "meta.dt is not a time",
    });
    expect(derivePageChangesFromData("{not json")).toEqual({ kind: "skipped", reason: "not valid JSON" });
    expect(derivePageChanges(null)).toEqual({ kind: "skipped", reason: "not an event object" });
    // An edit without revision data still updates the page: what is known is published.
    expect(changes({ ...edit, revision: undefined, length: undefined })[0].message).toMatchObject({
      revision_id: null,
      length: null,
    });
  });

  test("sequence numbers: second of dt (its last ms) / rc id / offset, 16 hex digits each, increasing per wiki", () => {
    const second = Math.floor(Date.parse(edit.meta.dt) / 1000) * 1000;
    expect(pageSequenceNumber(edit)).toBe(
      [second + 999, edit.id, edit.meta.offset].map((n) => n.toString(16).toUpperCase().padStart(16, "0")).join("/"),
    );
    expect(pageSequenceNumber({ ...edit, meta: { ...edit.meta, offset: undefined }, id: undefined })).toMatch(
      /\/0{16}\/0{16}$/,
    );
    // The fixture is in stream order: within each wiki (the scope of a key), every event's number is
    // greater than the previous event's.
    const distinct = events.filter((e, i) => events.findIndex((f) => f.meta.id === e.meta.id) === i);
    const wikis = new Set(distinct.map((e) => e.wiki));
    expect(wikis.size).toBeGreaterThan(1);
    for (const wiki of wikis) {
      const ordered = distinct.filter((e) => e.wiki === wiki).map((e) => pageSequenceNumber(e)!);
      for (let i = 1; i < ordered.length; i++)
        expect(compareSequenceNumbers(ordered[i - 1], ordered[i])).toBeLessThan(0);
    }
  });

  test("a meta.dt in the future is clamped to the time of receipt (and counts by its second)", () => {
    const receivedAt = Date.parse(edit.meta.dt) + 60_000;
    const future = { ...edit, meta: { ...edit.meta, dt: "2100-01-01T00:00:00Z" } };
    const [section] = pageSequenceNumber(future, receivedAt)!.split("/");
    expect(Number.parseInt(section, 16)).toBe(Math.floor(receivedAt / 1000) * 1000 + 999);
    expect(changes(future, receivedAt)[0].sequenceNumber).toBe(pageSequenceNumber(future, receivedAt));
    // A past meta.dt does not depend on when it is received: replays keep their number.
    expect(pageSequenceNumber(edit, receivedAt)).toBe(pageSequenceNumber(edit, receivedAt + 3_600_000));
  });

  test("a replay of an event carries its original sequence number", () => {
    const again = structuredClone(edit);
    expect(changes(again)[0].sequenceNumber).toBe(changes(edit)[0].sequenceNumber);
    expect(changes(again)[0].json).toBe(changes(edit)[0].json);
  });

  test("replays of older events after newer ones never overwrite newer state", () => {
    const title = "Replay target";
    const base = { ...edit, title, namespace: 0 };
    const created = later(base, 10, { type: "new", revision: { new: 1 }, length: { new: 10 } });
    const edited = later(base, 20, { revision: { old: 1, new: 2 }, length: { old: 10, new: 20 } });
    const deleted = later({ ...deletion, wiki: edit.wiki, title, namespace: 0 }, 30);
    const recreated = later(base, 40, { type: "new", revision: { new: 3 }, length: { new: 30 } });
    const movedAway = later({ ...move, wiki: edit.wiki, title, namespace: 0, log_params: { target: "Elsewhere" } }, 50);
    const history = [created, edited, deleted, recreated, movedAway];
    const inOrder = history.flatMap(changes);
    const expected = applyModel(inOrder);
    expect([...expected.keys()].map((k) => k.split("\u001f")[2])).toEqual(["Elsewhere"]);

    // Every old event replayed after the newest, many times, in reverse, and interleaved.
    const replays = [
      [...history, ...history.slice(0, 4)],
      [...history].reverse(),
      [movedAway, created, movedAway, deleted, edited, recreated, created],
    ];
    for (const order of replays) expect(applyModel(order.flatMap(changes))).toEqual(expected);

    // Without the move: the re-creation (revision 3) wins over the older edit and delete, in any order.
    const recreation = applyModel([recreated, deleted, edited, created, deleted].flatMap(changes));
    expect([...recreation.values()].map((row) => row.revision_id)).toEqual([3]);
    const stillDeleted = applyModel([deleted, edited, created, deleted].flatMap(changes));
    expect(stillDeleted.size).toBe(0);
  });
});
