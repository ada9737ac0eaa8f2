-- How far staging is behind raw: the newest event in raw that the staging load can stage
-- (inside its lookback window) against the newest event in staging. staging_lag_seconds
-- grows when the load stops running or falls behind; it is 0 when staging has caught up.
-- Raw is filtered on _PARTITIONTIME (rows still in the streaming buffer have NULL and are
-- included), staging on its partitioning column, so the query reads recent partitions only.
WITH newest AS (
  SELECT
    (
      SELECT MAX(event_time)
      FROM {{raw.wiki_changes}}
      WHERE
        (
          _PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR), DAY)
          OR _PARTITIONTIME IS NULL
        )
        AND event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR)
    ) AS newest_raw_event,
    (
      SELECT MAX(event_time)
      FROM {{staging.wiki_staged}}
      WHERE event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR)
    ) AS newest_staged_event
)
SELECT
  newest_raw_event,
  newest_staged_event,
  GREATEST(
    COALESCE(
      TIMESTAMP_DIFF(
        newest_raw_event,
        COALESCE(newest_staged_event, TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR)),
        SECOND
      ),
      0
    ),
    0
  ) AS staging_lag_seconds
FROM newest
