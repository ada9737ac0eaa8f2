-- Raw events over the lookback window, one row per event_id (the earliest-ingested copy):
-- the same rule the staging load applies, readable before the next load runs.
SELECT * EXCEPT (copy_number)
FROM (
  SELECT
    *,
    _PARTITIONTIME AS ingested_at,
    ROW_NUMBER() OVER (
      PARTITION BY event_id
      ORDER BY _PARTITIONTIME IS NULL, _PARTITIONTIME, event_time
    ) AS copy_number
  FROM {{raw.wiki_changes}}
  WHERE
    _PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR), DAY)
    OR _PARTITIONTIME IS NULL
)
WHERE copy_number = 1
