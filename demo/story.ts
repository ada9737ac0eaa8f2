/**
 * The demo's story: every reporting object read side by side at one moment (mid-replay, and at the
 * end), with how many events it covered, how far it was behind the newest event, what it said, and
 * the bytes a BigQuery query of it would scan (estimated: demo/scan-bytes.ts).
 *
 * "Covered" counts what the object's own figures include, compared with the same measure over every
 * event in raw at that moment (`events_expected`): distinct events for raw and staging, changes with a
 * user for the leaderboards and sessions, changes with a wiki for the per-minute window, page changes
 * applied for wiki_pages. The hopping window counts distinct editors, not events: no count there.
 */
import { BigQuery } from "@google-cloud/bigquery";
import { liveLeaderboardSql } from "./analytics";
import { leaderboardSource } from "./elt";
import { LocalResources, LocalTable } from "./local-stack";
import type { LeaderboardRow } from "./report";
import { scanBytes, ScanPart, viewScanParts } from "./scan-bytes";

export type ReadAt = "mid-replay" | "end";

/** One reporting object as read at one moment. */
export interface StoryRow {
  /** The table or view read. */
  object: string;
  /** Its layer and kind, e.g. "reporting view". */
  kind: string;
  read_at: ReadAt;
  /** Events the replay had sent when it was read (null for the live stream). */
  replayed_events: number | null;
  /** Wall-clock time of the read. */
  read_at_time: string;
  events_covered: number | null;
  /** The same measure over every event in raw at that moment. */
  events_expected: number | null;
  /** Whether it covered every event it should (null where it counts no events). */
  exact: boolean | null;
  /** Seconds of event time between the newest event sent and the newest event it reflects. */
  lag_seconds: number | null;
  /** What it said: a short summary. */
  summary: string;
  /** Bytes a query of it would scan in BigQuery. */
  bytes_scanned: number;
  /** True: the emulator cannot measure scanned bytes, so they are estimated (demo/scan-bytes.ts). */
  bytes_estimated: boolean;
  /** The leaderboards' top 10 (by changes_count descending, then user) as read. */
  top10?: LeaderboardRow[];
}

/** What a read needs besides the emulator. */
export interface StoryInputs {
  readonly bigquery: BigQuery;
  readonly resources: LocalResources;
  readonly readAt: ReadAt;
  readonly replayedEvents: number | null;
  /** Event time of the newest event sent so far (the replay's, or raw's newest for the live stream). */
  readonly lastEventTime: Date;
  /** The clock the live view is read at (`CURRENT_TIMESTAMP()` bound to it). */
  readonly clock: Date;
  /** Page changes the CDC applier has applied, and the changes the events so far imply. */
  readonly cdc: { readonly applied: number; readonly expected: number | null };
}

type Row = Record<string, any>;
const timeOf = (value: any): Date | undefined => (value ? new Date(value.value ?? value) : undefined);
const hhmmss = (date: Date | undefined) => (date ? date.toISOString().slice(11, 19) : "-");

/** Measures of one object, before the shared columns are added. */
interface Reading {
  object: string;
  kind: string;
  covered: number | null;
  expected: number | null;
  newest: Date | undefined;
  summary: string;
  scan: readonly ScanPart[];
  top10?: LeaderboardRow[];
}

/** Reads every reporting object; the order is the pipeline's. */
export async function readStory(inputs: StoryInputs): Promise<StoryRow[]> {
  const ctx = new StoryQueries(inputs);
  const truth = await ctx.truth();
  const readings = [
    await ctx.raw(),
    await ctx.staged(truth.events),
    ...(await ctx.leaderboards(truth.withUser)),
    ...(await ctx.windows(truth)),
    await ctx.pages(),
  ];
  const rows: StoryRow[] = [];
  for (const r of readings) rows.push(await ctx.row(r));
  return rows;
}

class StoryQueries {
  private readonly project: string;
  constructor(private readonly inputs: StoryInputs) {
    this.project = inputs.resources.config.projectId;
  }

  private async one(query: string): Promise<Row> {
    const [rows] = await this.inputs.bigquery.query({ query });
    return rows[0] ?? {};
  }

  private ref(t: { datasetId: string; tableId: string }): string {
    return `\`${this.project}\`.\`${t.datasetId}\`.\`${t.tableId}\``;
  }

  private table(t: { datasetId: string; tableId: string }): LocalTable {
    const found = this.inputs.resources.tables.find((x) => x.datasetId === t.datasetId && x.tableId === t.tableId);
    if (!found) throw new Error(`the local stack declares no table ${t.datasetId}.${t.tableId}`);
    return found;
  }

  /** Distinct events in raw: all, with a user, with a wiki. */
  async truth(): Promise<{ events: number; withUser: number; withWiki: number }> {
    const r = await this.one(
      `SELECT COUNT(DISTINCT event_id) AS events, COUNT(DISTINCT IF(\`user\` IS NULL, NULL, event_id)) AS with_user,
         COUNT(DISTINCT IF(wiki IS NULL, NULL, event_id)) AS with_wiki
       FROM ${this.ref(this.inputs.resources.stack.warehouse.wikiChanges)}`,
    );
    return { events: Number(r.events), withUser: Number(r.with_user), withWiki: Number(r.with_wiki) };
  }

  async raw(): Promise<Reading> {
    const t = this.inputs.resources.stack.warehouse.wikiChanges;
    const r = await this.one(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS events, MAX(event_time) AS newest FROM ${this.ref(t)}`,
    );
    const [n, events] = [Number(r.n), Number(r.events)];
    const summary = `${n} rows (${n - events} duplicates)`;
    return {
      object: t.tableId,
      kind: "raw table",
      covered: events,
      expected: events,
      newest: timeOf(r.newest),
      summary,
      scan: [{ table: this.table(t) }],
    };
  }

  async staged(expected: number): Promise<Reading> {
    const t = this.inputs.resources.stack.warehouse.wikiStaged;
    const r = await this.one(`SELECT COUNT(*) AS n, MAX(event_time) AS newest FROM ${this.ref(t)}`);
    const newest = timeOf(r.newest);
    const summary = `${Number(r.n)} rows, staged through ${hhmmss(newest)}`;
    return {
      object: t.tableId,
      kind: "staging table",
      covered: Number(r.n),
      expected,
      newest,
      summary,
      scan: [{ table: this.table(t) }],
    };
  }

  /** The leaderboard (over staging only) and leaderboard_live (staging plus raw's unstaged tail). */
  async leaderboards(expected: number): Promise<Reading[]> {
    const { resources, clock } = this.inputs;
    const { stack, synthesized } = resources;
    const mv = leaderboardSource(resources);
    const view = stack.elt.leaderboardView;
    const viewSql: string =
      synthesized.resource.google_bigquery_table[stack.elt.views.leaderboard_live.resource.friendlyUniqueId].view.query;
    const mvName = view ? this.ref(view) : undefined;
    const liveSql = liveLeaderboardSql(resources, clock);
    const mvPart: ScanPart = {
      table: {
        datasetId: "",
        tableId: "leaderboard",
        schema: [
          { name: "user", type: "STRING" },
          { name: "changes_count", type: "INT64" },
        ],
      },
      from: mv,
    };
    const stagedNewest = timeOf(
      (await this.one(`SELECT MAX(event_time) AS t FROM ${this.ref(stack.warehouse.wikiStaged)}`)).t,
    );
    const rawNewest = timeOf(
      (await this.one(`SELECT MAX(event_time) AS t FROM ${this.ref(stack.warehouse.wikiChanges)}`)).t,
    );
    const liveScan = [
      ...viewScanParts(viewSql, this.project, resources.tables),
      ...(mvName && viewSql.includes(mvName) ? [mvPart] : []),
    ];
    return [
      {
        ...(await this.board(mv, expected)),
        object: view?.tableId ?? "leaderboard",
        kind: view ? "reporting materialized view" : "reporting table",
        newest: stagedNewest,
        scan: [mvPart],
      },
      {
        ...(await this.board(`(${liveSql})`, expected)),
        object: "leaderboard_live",
        kind: "reporting view",
        newest: rawNewest,
        scan: liveScan,
      },
    ];
  }

  /** One scan of a leaderboard: its total, its users and its top 10 (the live view is the costly one). */
  private async board(
    from: string,
    expected: number,
  ): Promise<Pick<Reading, "covered" | "expected" | "summary" | "top10">> {
    const r = await this.one(
      `SELECT SUM(changes_count) AS covered, COUNT(*) AS users,
         ARRAY_AGG(STRUCT(\`user\` AS u, changes_count AS c) ORDER BY changes_count DESC, \`user\` LIMIT 10) AS top
       FROM ${from} AS b`,
    );
    const top10 = ((r.top ?? []) as Row[]).map((t) => ({ user: String(t.u), changes_count: Number(t.c) }));
    const summary =
      top10.length === 0 ? "empty" : `top: ${top10[0].user} ${top10[0].changes_count} (of ${r.users} users)`;
    return { covered: Number(r.covered ?? 0), expected, summary, top10 };
  }

  /** The three window tables: per-minute changes, 5-minute active editors, sessions. */
  async windows(truth: { withUser: number; withWiki: number }): Promise<Reading[]> {
    const analytics = this.inputs.resources.stack.analytics;
    if (!analytics) return [];
    const lateness = (a: { allowedLateness: { toSeconds(): number } }) => a.allowedLateness.toSeconds();
    const read = async (a: typeof analytics.tumbling, key: string, measure: string, start: string) => {
      const r = await this.one(
        `SELECT COUNT(*) AS n, SUM(${measure}) AS total, MAX(watermark) AS watermark,
           ARRAY_AGG(STRUCT(\`${key}\` AS k, FORMAT_TIMESTAMP("%H:%M", ${start}) AS s, ${measure} AS m) ORDER BY ${measure} DESC, ${start} LIMIT 1)[SAFE_OFFSET(0)] AS top
         FROM ${this.ref(a.table)}`,
      );
      const watermark = timeOf(r.watermark);
      const newest = watermark && new Date(watermark.getTime() + lateness(a) * 1000);
      return {
        r,
        newest,
        scan: [{ table: this.table(a.table) }],
        object: a.table.tableId,
        kind: "reporting window table",
      };
    };
    const t = await read(analytics.tumbling, "wiki", "changes", "window_start");
    const h = await read(analytics.hopping, "wiki", "active_editors", "window_start");
    const s = await read(analytics.sessions, "user", "changes", "session_start");
    const top = (r: Row, what: string) => (r.top ? `${r.top.k} ${r.top.s} ${r.top.m} ${what}` : "none");
    return [
      {
        ...t,
        covered: Number(t.r.total ?? 0),
        expected: truth.withWiki,
        summary: `${t.r.n} wiki-minutes; busiest: ${top(t.r, "changes")}`,
      },
      { ...h, covered: null, expected: null, summary: `${h.r.n} windows; most editors: ${top(h.r, "editors")}` },
      {
        ...s,
        covered: Number(s.r.total ?? 0),
        expected: truth.withUser,
        summary: `${s.r.n} sessions; longest: ${top(s.r, "changes")}`,
      },
    ];
  }

  /** wiki_pages, the CDC table: page changes applied of those the events imply. */
  async pages(): Promise<Reading> {
    const t = this.inputs.resources.stack.warehouse.wikiPages;
    const r = await this.one(`SELECT COUNT(*) AS n, MAX(last_edit_time) AS newest FROM ${this.ref(t)}`);
    const { applied, expected } = this.inputs.cdc;
    return {
      object: t.tableId,
      kind: "raw CDC table",
      covered: applied,
      expected,
      newest: timeOf(r.newest),
      summary: `${Number(r.n)} pages`,
      scan: [{ table: this.table(t) }],
    };
  }

  async row(r: Reading): Promise<StoryRow> {
    const { readAt, replayedEvents, lastEventTime, bigquery } = this.inputs;
    const lag = r.newest ? Math.max(0, Math.floor((lastEventTime.getTime() - r.newest.getTime()) / 1000)) : null;
    return {
      object: r.object,
      kind: r.kind,
      read_at: readAt,
      replayed_events: replayedEvents,
      read_at_time: new Date().toISOString(),
      events_covered: r.covered,
      events_expected: r.expected,
      exact: r.covered === null || r.expected === null ? null : r.covered === r.expected,
      lag_seconds: lag,
      summary: r.summary,
      bytes_scanned: await scanBytes(async (query) => (await bigquery.query({ query }))[0], this.project, r.scan),
      bytes_estimated: true,
      ...(r.top10 ? { top10: r.top10 } : {}),
    };
  }
}
