import { TableSchema } from "./table-schema";

/**
 * Staging layer: one row per completed staging load, written by the same scheduled run after
 * its MERGE. The staging high-water mark that `leaderboard_live` and the windowed aggregates
 * read: what staging is guaranteed to hold.
 */
export const WIKI_STAGED_WATERMARK_SCHEMA = new TableSchema(
  [
    { name: "run_time", type: "TIMESTAMP", mode: "REQUIRED", description: "@run_time of the staging run" },
    {
      name: "covered_from",
      type: "TIMESTAMP",
      mode: "REQUIRED",
      description:
        "every raw event visible at run_time with event_time at or after this is in wiki_staged (run_time minus the lookback)",
    },
    { name: "lookback_hours", type: "INT64", mode: "REQUIRED", description: "the run's lookback window, in hours" },
    {
      name: "recorded_at",
      type: "TIMESTAMP",
      mode: "REQUIRED",
      description: "when the run recorded the mark: every row it staged has staged_at at or before this",
    },
  ],
  { name: "wiki_staged_watermark" },
);
