/**
 * The contract change the mixed-rollout tests roll out, written as docs/schema-evolution.md tells a
 * user to write it: one NULLABLE column appended to the table schema in `schemas/`, and the worker's
 * projection deriving it from the event. The tests cannot ship two builds of the worker, so the new
 * worker's projection here is today's projection (the real code) plus the one derivation the edit of
 * `app-worker/src/projection.ts` (or `page-state.ts`) would add; everything after it (publisher, sinks,
 * Storage Write descriptors, the Avro schema) is the product's code given the new schema.
 */
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";
import { WIKI_PAGES_SCHEMA } from "../../schemas/wiki-pages";
import { CDC_PSEUDO_COLUMNS, ChangeType } from "../../schemas/cdc-sequence";
import { projectData, WikiChangeRow } from "../../app-worker/src/projection";
import { derivePageChangesFromData } from "../../app-worker/src/page-state";
import { SinkRow } from "../../app-worker/src/sink";

/** The new column: whether MediaWiki flagged the edit as minor (absent, so NULL, for other event types). */
export const MINOR_COLUMN = {
  name: "minor",
  type: "BOOL",
  description: "whether the edit was flagged as minor (null for other types)",
} as const;

/** `schemas/wiki-changes.ts` after the change: today's columns, then `minor`. */
export const WIKI_CHANGES_V2 = WIKI_CHANGES_SCHEMA.withColumns([MINOR_COLUMN]);

/** `schemas/wiki-pages.ts` after the change: a non-key column appended. */
export const WIKI_PAGES_V2 = WIKI_PAGES_SCHEMA.withColumns([
  { name: "minor", type: "BOOL", description: "whether the latest edit was flagged as minor" },
]);

/** The derivation the projection gains: `event.minor` when it is a boolean, else null. */
function minorOf(data: string): boolean | null {
  const minor = (JSON.parse(data) as { minor?: unknown }).minor;
  return typeof minor === "boolean" ? minor : null;
}

/** A worker's projection of one SSE data line into what its sink writes, or undefined when dropped. */
export type Projector = (data: string) => SinkRow | undefined;

const toSinkRow = (row: object & { event_id: string }): SinkRow => ({
  eventId: row.event_id,
  row,
  json: JSON.stringify(row),
});

/** Today's worker: `projectData` as shipped. */
export const projectV1: Projector = (data) => {
  const result = projectData(data);
  return result.kind === "row" ? toSinkRow(result.row) : undefined;
};

/** The new worker: the same row with `minor` appended (the column order of WIKI_CHANGES_V2). */
export const projectV2: Projector = (data) => {
  const result = projectData(data);
  if (result.kind !== "row") return undefined;
  const row: WikiChangeRow & { minor: boolean | null } = { ...result.row, minor: minorOf(data) };
  return toSinkRow(row);
};

/** One page change as the Storage Write CDC sink takes it. */
export interface PageChangeWrite {
  readonly type: ChangeType;
  readonly row: Record<string, string | number | boolean | null>;
  readonly sequenceNumber: string;
}

/** The page changes of one event, by today's page-state derivation, with `minor` on UPSERTs for the new writer. */
export function pageChanges(data: string, version: 1 | 2, receivedAtMs: number): PageChangeWrite[] {
  const result = derivePageChangesFromData(data, receivedAtMs);
  if (result.kind !== "changes") return [];
  return result.changes.map((change) => {
    const row: Record<string, string | number | boolean | null> = {};
    for (const [key, value] of Object.entries(change.message)) {
      if (!(CDC_PSEUDO_COLUMNS as readonly string[]).includes(key)) row[key] = value;
    }
    if (version === 2 && change.changeType === "UPSERT") row.minor = minorOf(data);
    return { type: change.changeType, row, sequenceNumber: change.sequenceNumber };
  });
}
