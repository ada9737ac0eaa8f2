-- Duplicates in raw over the lookback window: at-least-once delivery and replays after a
-- reconnect produce them (the staging load removes them). max_copies_per_id > 1 is
-- expected now and then; a steady rise points at a publisher or subscription problem.
SELECT
  COUNT(*) AS distinct_ids,
  SUM(copies) AS raw_rows,
  SUM(copies) - COUNT(*) AS surplus_rows,
  COUNTIF(copies > 1) AS duplicated_ids,
  MAX(copies) AS max_copies_per_id
FROM (
  SELECT event_id, COUNT(*) AS copies
  FROM {{raw.wiki_changes}}
  WHERE
    _PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR), DAY)
    OR _PARTITIONTIME IS NULL
  GROUP BY event_id
)
