-- Duplicates that survived into staging over the lookback window. The staging load inserts
-- each event_id once (MERGE on event_id, earliest-ingested copy), so surplus_rows is 0 unless
-- its de-duplication failed: copies with different event_time values fall outside the
-- MERGE's partition window, or two loads ran over the same rows at once.
SELECT
  COUNT(*) AS distinct_ids,
  SUM(copies) AS staged_rows,
  SUM(copies) - COUNT(*) AS surplus_rows,
  COUNTIF(copies > 1) AS duplicated_ids
FROM (
  SELECT event_id, COUNT(*) AS copies
  FROM {{staging.wiki_staged}}
  WHERE event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR)
  GROUP BY event_id
)
