/**
 * Page state end to end in `npm run demo`: the real worker publishes page changes to the CDC topic
 * of the Pub/Sub emulator, the local CDC applier applies them onto the BigQuery emulator's
 * wiki_pages, and the table must equal a model computed here, independently, from the fixture:
 * per key, the change with the highest sequence number decides (UPSERT → present, DELETE → absent),
 * whatever the order of the stream and however many times an event comes again.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pagesDigest } from "../../demo/cdc-applier";
import { readFixture } from "../../demo/fixture";
import { generatePageFixture } from "../../tools/fixtures/generate-pages";

const ROOT = path.resolve(__dirname, "../..");

type Row = { wiki: string; namespace: number; title: string; revision_id: number | null; last_change: string };
type Change = { key: string; order: bigint[]; type: "UPSERT" | "DELETE"; row?: Row };

/**
 * The page changes of each event, re-derived for the fixtures' shapes (moves keep the source's
 * namespace when the target has its prefix, else land in namespace 0: the fixtures' targets carry
 * no other prefix), ordered by (the second of meta.dt, rc id, meta.offset) as integers: the commit order
 * of each wiki within a second (the recorded times are in the past, so no clamping to receipt).
 */
function modelChanges(line: string): Change[] {
  const e = JSON.parse(line);
  if (e.meta.domain === "canary") return [];
  const order = [BigInt(Math.floor(Date.parse(e.meta.dt) / 1000)), BigInt(e.id ?? 0), BigInt(e.meta.offset ?? 0)];
  const key = (ns: number, title: string) => JSON.stringify([e.wiki, ns, title]);
  const upsert = (ns: number, title: string, revision: number | null, change: string): Change => ({
    key: key(ns, title),
    order,
    type: "UPSERT",
    row: { wiki: e.wiki, namespace: ns, title, revision_id: revision, last_change: change },
  });
  if (e.type === "edit" || e.type === "new") return [upsert(e.namespace, e.title, e.revision?.new ?? null, e.type)];
  if (e.type !== "log") return [];
  if (e.log_type === "delete" && ["delete", "delete_redir"].includes(e.log_action))
    return [{ key: key(e.namespace, e.title), order, type: "DELETE" }];
  if (e.log_type === "delete" && e.log_action === "restore") return [upsert(e.namespace, e.title, null, "restore")];
  if (e.log_type === "move") {
    const target: string = e.log_params.target;
    const prefix = e.namespace !== 0 ? e.title.split(":")[0] + ":" : undefined;
    const ns = prefix && target.startsWith(prefix) ? e.namespace : 0;
    return [{ key: key(e.namespace, e.title), order, type: "DELETE" }, upsert(ns, target, null, "move")];
  }
  return [];
}

function model(lines: string[]): { rows: Row[]; upserts: number; deletes: number } {
  const newest = new Map<string, Change>();
  const newer = (a: bigint[], b: bigint[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
    return false;
  };
  let upserts = 0;
  let deletes = 0;
  const seenEvents = new Set<string>();
  for (const line of lines) {
    const changes = modelChanges(line);
    const id = JSON.parse(line).meta.id;
    if (!seenEvents.has(id)) {
      seenEvents.add(id);
      for (const c of changes) {
        if (c.type === "UPSERT") upserts++;
        else deletes++;
      }
    }
    for (const change of changes) {
      const current = newest.get(change.key);
      if (!current || newer(change.order, current.order)) newest.set(change.key, change);
    }
  }
  const rows = [...newest.values()].filter((c) => c.type === "UPSERT").map((c) => c.row!);
  return { rows, upserts, deletes };
}

function runDemo(fixture: string): any {
  const run = spawnSync("npm", ["run", "--silent", "demo", "--", "--fixture", fixture, "--json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`demo failed (${run.status}):\n${run.stderr.slice(-3000)}`);
  // stdout is the JSON alone; the human report goes to stderr.
  return { result: JSON.parse(run.stdout), report: run.stderr };
}

describe("npm run demo: page state (CDC)", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-streams-cdc-test-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const pages = generatePageFixture({ count: 1500, seed: 7 });

  test("the page fixture has what the model must survive: deletes, moves, re-creations, out-of-order replays", () => {
    const events = pages.map((line) => JSON.parse(line));
    expect(events.filter((e) => e.log_type === "delete" && e.log_action === "delete").length).toBeGreaterThan(50);
    expect(events.filter((e) => e.log_type === "move").length).toBeGreaterThan(50);
    // A re-creation: a key deleted, then created again later.
    const deletedKeys = new Set<string>();
    let recreations = 0;
    for (const e of events) {
      const key = `${e.wiki}|${e.title}`;
      if (e.log_type === "delete" && e.log_action === "delete") deletedKeys.add(key);
      else if (e.type === "new" && deletedKeys.has(key)) recreations++;
    }
    expect(recreations).toBeGreaterThan(10);
    // Replays: a line equal to an earlier one, arriving after newer events.
    const firstIndex = new Map<string, number>();
    let replays = 0;
    pages.forEach((line, i) => {
      if (firstIndex.has(line) && firstIndex.get(line)! < i - 1) replays++;
      else firstIndex.set(line, i);
    });
    expect(replays).toBeGreaterThan(50);
  });

  test("wiki_pages equals the model, in stream order and shuffled with every event sent twice more", () => {
    const expected = model(pages);
    expect(expected.rows.length).toBeGreaterThan(10);
    const inOrder = path.join(work, "pages.jsonl");
    fs.writeFileSync(inOrder, `${pages.join("\n")}\n`);
    const { result, report } = runDemo(inOrder);
    expect(result.cdc).toEqual({
      messages: expect.any(Number),
      upserts: expected.upserts,
      deletes: expected.deletes,
      pages_rows: expected.rows.length,
      pages_sha256: pagesDigest(expected.rows),
    });
    expect(result.cdc.messages).toBeGreaterThanOrEqual(expected.upserts + expected.deletes);
    expect(report).toContain(`wiki_pages rows    ${expected.rows.length}`);

    // Same events, any order, each three times: newest-per-key must give the same table.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const shuffled = [...pages, ...pages, ...pages]
      .map((line) => ({ line, k: random() }))
      .sort((a, b) => a.k - b.k)
      .map(({ line }) => line);
    const shuffledFile = path.join(work, "pages-shuffled.jsonl");
    fs.writeFileSync(shuffledFile, `${shuffled.join("\n")}\n`);
    const again = runDemo(shuffledFile).result;
    expect(model(shuffled).rows.length).toBe(expected.rows.length);
    expect(again.cdc.pages_rows).toBe(expected.rows.length);
    expect(again.cdc.pages_sha256).toBe(pagesDigest(expected.rows));
    expect(again.cdc.messages).toBeGreaterThanOrEqual(3 * (expected.upserts + expected.deletes));
  });

  test("the bundled fixture: wiki_pages equals the model too", () => {
    const lines = readFixture(path.join(ROOT, "tools/fixtures/recentchange.jsonl.gz"));
    const expected = model(lines);
    const { result } = runDemo(path.join(ROOT, "tools/fixtures/recentchange.jsonl.gz"));
    expect(result.cdc).toMatchObject({
      upserts: expected.upserts,
      deletes: expected.deletes,
      pages_rows: expected.rows.length,
      pages_sha256: pagesDigest(expected.rows),
    });
  });
});
