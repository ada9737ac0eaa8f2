-- Per-minute event counts over the last complete hour, each flagged when it is more than
-- two standard deviations away from the hour's mean. Minutes without events count as 0
-- (an outage is an anomaly too).
WITH bounds AS (
  SELECT
    TIMESTAMP_SUB(TIMESTAMP_TRUNC(CURRENT_TIMESTAMP(), MINUTE), INTERVAL 60 MINUTE) AS first_minute,
    TIMESTAMP_SUB(TIMESTAMP_TRUNC(CURRENT_TIMESTAMP(), MINUTE), INTERVAL 1 MINUTE) AS last_minute
),
minutes AS (
  SELECT minute
  FROM bounds, UNNEST(GENERATE_TIMESTAMP_ARRAY(first_minute, last_minute, INTERVAL 1 MINUTE)) AS minute
),
counts AS (
  SELECT TIMESTAMP_TRUNC(event_timestamp, MINUTE) AS minute, COUNT(*) AS events
  FROM {{raw.streaming_events}}, bounds
  WHERE
    _inserted_at >= TIMESTAMP_SUB(first_minute, INTERVAL 15 MINUTE)
    AND event_timestamp >= first_minute
    AND event_timestamp < TIMESTAMP_ADD(last_minute, INTERVAL 1 MINUTE)
  GROUP BY minute
),
per_minute AS (
  SELECT minute, COALESCE(counts.events, 0) AS events
  FROM minutes
  LEFT JOIN counts USING (minute)
),
baseline AS (
  SELECT AVG(events) AS mean_events, STDDEV_SAMP(events) AS stddev_events
  FROM per_minute
)
SELECT
  minute,
  events,
  mean_events,
  stddev_events,
  SAFE_DIVIDE(events - mean_events, stddev_events) AS z_score,
  COALESCE(ABS(events - mean_events) > 2 * stddev_events, FALSE) AS is_anomaly
FROM per_minute
CROSS JOIN baseline
ORDER BY minute
