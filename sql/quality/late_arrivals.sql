-- How late events arrive: per hour of event time, how many events arrived and how long
-- after they were emitted (arrival = the raw row's ingestion partition, so the delay is
-- exact to the partition granularity; rows still in the streaming buffer count as
-- arriving now). beyond_lookback counts events older than the staging load's window when
-- they arrived: the load will not pick them up (a backfill will).
SELECT
  TIMESTAMP_TRUNC(event_time, HOUR) AS event_hour,
  COUNT(*) AS events,
  COUNTIF(arrival > TIMESTAMP_ADD(event_time, INTERVAL 1 HOUR)) AS later_than_1h,
  COUNTIF(arrival > TIMESTAMP_ADD(event_time, INTERVAL {{lookback_hours}} HOUR)) AS beyond_lookback,
  MAX(GREATEST(TIMESTAMP_DIFF(arrival, event_time, MINUTE), 0)) AS max_delay_minutes,
  APPROX_QUANTILES(GREATEST(TIMESTAMP_DIFF(arrival, event_time, MINUTE), 0), 100)[OFFSET(95)] AS p95_delay_minutes
FROM (
  SELECT event_time, COALESCE(_PARTITIONTIME, CURRENT_TIMESTAMP()) AS arrival
  FROM {{raw.wiki_changes}}
  WHERE
    _PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {{lookback_hours}} HOUR), DAY)
    OR _PARTITIONTIME IS NULL
)
GROUP BY event_hour
ORDER BY event_hour DESC
