import { WIKI_CHANGES_SCHEMA } from "./wiki-changes";

/** Staging layer: raw columns, de-duplicated by event_id, plus load bookkeeping. */
export const WIKI_STAGED_SCHEMA = WIKI_CHANGES_SCHEMA.withColumns(
  [
    { name: "ingested_at", type: "TIMESTAMP", description: "_PARTITIONTIME of the raw row the staged row came from" },
    { name: "staged_at", type: "TIMESTAMP", mode: "REQUIRED", description: "when the staging load wrote this row" },
  ],
  { name: "wiki_staged" },
);
