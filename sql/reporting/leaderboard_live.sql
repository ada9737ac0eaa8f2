-- The live leaderboard: changes per user over every distinct event in raw at query time
-- (event types and the NULL-user rule as in reporting/leaderboard_mv.sql), exact to the
-- last raw row, not to the last staging run.
--
-- staged: what the staging load has covered, read from the staged counts (the incremental
--   materialized view, or the same aggregate over wiki_staged when the leaderboard is a table
--   refreshed on a schedule, which may be behind staging).
-- tail:   raw rows the staging load has not covered yet: one per event_id, not in
--   wiki_staged. The boundary is the staging high-water mark (staging/wiki_staged_watermark.sql,
--   written by the same scheduled run after its MERGE): every raw event visible at the mark's
--   run_time with event_time at or after its covered_from is staged, and the next run stages
--   every event at or after it (staging/wiki_staged.sql chains its window). So
--   * no double counting: a tail event that staging already holds (a duplicate delivered
--     after the run, or a row the MERGE staged after the mark was read) is removed by the
--     anti-join on event_id;
--   * no gap: an uncovered raw event is either ingested after the mark's run (its partition is
--     read below) or older than covered_from, which the staging load never stages either
--     (late beyond the lookback: quality/late_arrivals.sql counts it).
-- Cost: the mark (one row per run), the staged counts (one row per user), raw partitions from
--   the day of now minus {{lookback_hours}} hours (constant filters: BigQuery prunes on them) and
--   wiki_staged's event_id over the last 2 x {{lookback_hours}} hours. Correct only while the last
--   staging run is at most {{lookback_hours}} hours old: otherwise the query fails (ERROR) rather
--   than answer from partitions it did not read.
WITH
  mark AS (
    SELECT ARRAY_AGG(STRUCT(run_time, covered_from) ORDER BY run_time DESC LIMIT 1)[SAFE_OFFSET(0)] AS latest
    FROM {{staging.wiki_staged_watermark}}
  ),
  boundary AS (
    SELECT
      CASE
        WHEN latest IS NULL THEN TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR)
        WHEN latest.run_time < TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR)
          THEN ERROR(
            CONCAT(
              "leaderboard_live: the last staging run (",
              CAST(latest.run_time AS STRING),
              ") is more than {{lookback_hours}} hours old; run or backfill the staging load"
            )
          )
        ELSE latest.covered_from
      END AS covered_from
    FROM mark
  ),
  tail AS (
    SELECT raw.event_id, ANY_VALUE(raw.`user`) AS `user`
    FROM {{raw.wiki_changes}} AS raw
    CROSS JOIN boundary
    WHERE
      (
        _PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR), DAY)
        OR _PARTITIONTIME IS NULL
      )
      AND raw.event_time >= boundary.covered_from
    GROUP BY raw.event_id
  ),
  unstaged AS (
    SELECT tail.`user`, COUNT(*) AS changes_count
    FROM tail
    WHERE
      tail.`user` IS NOT NULL
      -- event_id is REQUIRED: NOT IN never meets a NULL.
      AND tail.event_id NOT IN (
        SELECT staged.event_id
        FROM {{staging.wiki_staged}} AS staged
        WHERE staged.event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 2 * {{lookback_hours}} HOUR)
      )
    GROUP BY tail.`user`
  )
SELECT `user`, SUM(changes_count) AS changes_count
FROM (
  SELECT `user`, changes_count FROM {{leaderboard.staged_counts}}
  UNION ALL
  SELECT `user`, changes_count FROM unstaged
)
GROUP BY `user`
