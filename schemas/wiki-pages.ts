import { CDC_PSEUDO_COLUMNS } from "./cdc-sequence";
import { TableSchema } from "./table-schema";

/**
 * Raw layer, CDC: the current state of every page the stream has seen, one row per
 * (wiki, namespace, title). The worker publishes UPSERT and DELETE changes of it to the CDC topic
 * (app-worker/src/page-state.ts); BigQuery applies them by primary key, newest sequence number wins.
 */
export const WIKI_PAGES_SCHEMA = new TableSchema(
  [
    { name: "wiki", type: "STRING", mode: "REQUIRED", description: "wiki database name, e.g. enwiki; primary key" },
    { name: "namespace", type: "INT64", mode: "REQUIRED", description: "namespace id of the page; primary key" },
    {
      name: "title",
      type: "STRING",
      mode: "REQUIRED",
      description: "page title with its namespace prefix, as recentchange sends it; primary key",
    },
    { name: "revision_id", type: "INT64", description: "latest revision id (null after a move, until the next edit)" },
    {
      name: "length",
      type: "INT64",
      description: "page length in bytes after the latest revision (null after a move)",
    },
    {
      name: "last_editor",
      type: "STRING",
      description: "user who made the latest change (edit, creation, move, restore)",
    },
    { name: "last_edit_time", type: "TIMESTAMP", description: "time of the latest change (the event's timestamp)" },
    { name: "bot", type: "BOOL", description: "whether the latest edit or creation was flagged as a bot's" },
    { name: "last_change", type: "STRING", description: "what produced the row: edit, new, move or restore" },
    { name: "event_id", type: "STRING", description: "meta.id of the event that produced the row" },
  ],
  { name: "wiki_pages" },
);

/** The primary key of `wiki_pages`. */
export const WIKI_PAGES_PRIMARY_KEY = ["wiki", "namespace", "title"] as const;

/** The top-level keys of every CDC message the worker publishes: the table's columns, then the pseudo-columns. */
export const WIKI_PAGES_CDC_MESSAGE_FIELDS: readonly string[] = [
  ...WIKI_PAGES_SCHEMA.fieldNames,
  ...CDC_PSEUDO_COLUMNS,
];
