import { TableSchema } from "./table-schema";

/** Reporting layer: changes per user. */
export const LEADERBOARD_SCHEMA = new TableSchema(
  [
    { name: "user", type: "STRING", mode: "REQUIRED", description: "user name" },
    {
      name: "changes_count",
      type: "INT64",
      mode: "REQUIRED",
      description: "distinct changes (all event types) by this user",
    },
  ],
  { name: "leaderboard" },
);
