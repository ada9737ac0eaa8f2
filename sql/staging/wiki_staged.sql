-- Incremental load of the staging layer (wiki_staged) from raw (wiki_changes).
--
-- Runs as a scheduled query; @run_time is the scheduled time of the run, supplied by the
-- Data Transfer Service (and by a backfill), so a run is reproducible.
--
-- * De-duplicates by event_id: at-least-once delivery and replays after a reconnect put
--   several copies of an event in raw; the earliest-ingested copy wins, and an event
--   already staged is never inserted again (the MERGE only inserts), so re-running the
--   load changes nothing.
-- * Late events: instead of "everything newer than MAX(event_time)" (which silently drops
--   an event that arrives after newer ones), every run re-reads the last
--   {{lookback_hours}} hours and inserts whatever is not staged yet. An event emitted
--   more than {{lookback_hours}} hours before the run is left in raw (see
--   quality/late_arrivals.sql, column beyond_lookback); raw is kept, so a backfill with a
--   larger window recovers it.
-- * No gap between runs: the window starts where the previous run's guarantee starts
--   (covered_from of the latest mark in staging/wiki_staged_watermark.sql before this
--   run), or at @run_time minus {{lookback_hours}} hours if that is earlier. So an event
--   that reporting/leaderboard_live.sql counted from raw (event_time at or after the
--   latest mark's covered_from) is staged by the next run, whatever the schedule. The
--   chain is capped at twice the lookback, which keeps the staging scan constant: a gap
--   needs the load to fail for more than {{lookback_hours}} hours in a row (then
--   leaderboard_live refuses to answer and a backfill closes the gap).
-- * Flat cost: raw is filtered on _PARTITIONTIME (ingestion time, truncated to the day so
--   it is correct for hourly and daily partitions) and staging on event_time (its
--   partitioning column), so each run scans only the recent partitions of both tables.
--   Rows still in the streaming buffer have a NULL _PARTITIONTIME and are included.
MERGE {{staging.wiki_staged}} AS staged
USING (
  SELECT * EXCEPT (copy_number)
  FROM (
    SELECT
      event_id,
      id,
      type,
      wiki,
      `user`,
      title,
      bot,
      namespace,
      `timestamp`,
      event_time,
      _PARTITIONTIME AS ingested_at,
      ROW_NUMBER() OVER (
        PARTITION BY event_id
        ORDER BY _PARTITIONTIME IS NULL, _PARTITIONTIME, event_time
      ) AS copy_number
    FROM {{raw.wiki_changes}}
    WHERE
      (
        _PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(@run_time, INTERVAL {{lookback_hours}} HOUR), DAY)
        OR _PARTITIONTIME IS NULL
      )
      AND event_time >= GREATEST(
        TIMESTAMP_SUB(@run_time, INTERVAL 2 * {{lookback_hours}} HOUR),
        LEAST(
          TIMESTAMP_SUB(@run_time, INTERVAL {{lookback_hours}} HOUR),
          IFNULL(
            (
              SELECT MAX(covered_from)
              FROM {{staging.wiki_staged_watermark}}
              WHERE run_time < @run_time
            ),
            TIMESTAMP_SUB(@run_time, INTERVAL {{lookback_hours}} HOUR)
          )
        )
      )
  )
  WHERE copy_number = 1
) AS fresh
ON
  staged.event_id = fresh.event_id
  -- A constant lower bound of the source's window on the target: prunes wiki_staged to its
  -- recent partitions. Correct because every copy of an event carries the same event_time.
  AND staged.event_time >= TIMESTAMP_SUB(@run_time, INTERVAL 2 * {{lookback_hours}} HOUR)
WHEN NOT MATCHED BY TARGET THEN
  INSERT (event_id, id, type, wiki, `user`, title, bot, namespace, `timestamp`, event_time, ingested_at, staged_at)
  VALUES (
    fresh.event_id,
    fresh.id,
    fresh.type,
    fresh.wiki,
    fresh.`user`,
    fresh.title,
    fresh.bot,
    fresh.namespace,
    fresh.`timestamp`,
    fresh.event_time,
    fresh.ingested_at,
    CURRENT_TIMESTAMP()
  )
