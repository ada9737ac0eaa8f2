-- Sizing the BACKGROUND reservation from measured use: the slots its jobs (the CDC apply jobs) used in
-- each hour of the last 7 days (idle hours count as 0), and over the week the median and 95th percentile
-- of the hourly average and the busiest minute. Autoscaling should reach the peak (autoscaleMaxSlots);
-- a baseline, billed every hour busy or idle, pays off only up to the median (production only).
-- The reservation_id filter names it as JOBS_TIMELINE does: 'ADMIN_PROJECT:LOCATION.RESERVATION'.
WITH
  per_minute AS (
    SELECT
      TIMESTAMP_TRUNC(period_start, MINUTE) AS minute,
      SUM(period_slot_ms) / (60 * 1000) AS slots
    FROM {{region}}.INFORMATION_SCHEMA.JOBS_TIMELINE_BY_PROJECT
    WHERE
      job_creation_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 8 DAY)
      AND period_start >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
      AND reservation_id = {{reservation.id}}
    GROUP BY minute
  ),
  hours AS (
    SELECT hour
    FROM
      UNNEST(
        GENERATE_TIMESTAMP_ARRAY(
          TIMESTAMP_TRUNC(TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY), HOUR),
          TIMESTAMP_TRUNC(CURRENT_TIMESTAMP(), HOUR),
          INTERVAL 1 HOUR
        )
      ) AS hour
  ),
  per_hour AS (
    SELECT
      hours.hour,
      COALESCE(SUM(per_minute.slots), 0) / 60 AS average_slots,
      COALESCE(MAX(per_minute.slots), 0) AS peak_slots
    FROM hours
    LEFT JOIN per_minute ON TIMESTAMP_TRUNC(per_minute.minute, HOUR) = hours.hour
    GROUP BY hours.hour
  )
SELECT
  hour,
  ROUND(average_slots, 1) AS average_slots,
  ROUND(peak_slots, 1) AS peak_slots,
  ROUND(PERCENTILE_CONT(average_slots, 0.5) OVER (), 1) AS week_median_hourly_slots,
  ROUND(PERCENTILE_CONT(average_slots, 0.95) OVER (), 1) AS week_p95_hourly_slots,
  ROUND(MAX(peak_slots) OVER (), 1) AS week_peak_slots,
  ROUND(SUM(average_slots) OVER (), 1) AS week_slot_hours
FROM per_hour
ORDER BY hour DESC
