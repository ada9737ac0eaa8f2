-- Slots used by BigQuery's background CDC apply jobs, per minute over the last day and
-- per reservation: the figure to size the BACKGROUND reservation assignment against
-- (average slots = slot-milliseconds in the minute / 60,000).
SELECT
  TIMESTAMP_TRUNC(period_start, MINUTE) AS minute,
  reservation_id,
  COUNT(DISTINCT job_id) AS background_jobs,
  SUM(period_slot_ms) AS slot_ms,
  SAFE_DIVIDE(SUM(period_slot_ms), 60 * 1000) AS average_slots
FROM {{region}}.INFORMATION_SCHEMA.JOBS_TIMELINE_BY_PROJECT
WHERE
  job_creation_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 DAY)
  AND period_start >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 DAY)
  AND job_id LIKE '%cdc_background%'
GROUP BY minute, reservation_id
ORDER BY minute DESC, reservation_id
