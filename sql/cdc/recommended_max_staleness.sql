-- Recommended max_staleness per CDC table, from how long BigQuery's background CDC apply
-- jobs took over the last 7 days. A max_staleness below the apply duration makes queries
-- merge pending changes at run time (slower, more slots). The recommendation is the
-- documented rule, the same as recommendedMaxStaleness() in constructs/bigquery/cdc-table.ts:
-- twice the p95 apply duration in minutes, rounded up, plus a 7-minute buffer.
WITH apply_jobs AS (
  SELECT
    destination_table.dataset_id AS dataset_id,
    destination_table.table_id AS table_id,
    TIMESTAMP_DIFF(end_time, start_time, MILLISECOND) / 1000 AS duration_seconds
  FROM {{region}}.INFORMATION_SCHEMA.JOBS
  WHERE
    creation_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
    AND job_id LIKE '%cdc_background%'
    AND state = 'DONE'
    AND error_result IS NULL
    AND start_time IS NOT NULL
    AND end_time IS NOT NULL
),
per_table AS (
  SELECT
    dataset_id,
    table_id,
    COUNT(*) AS apply_jobs,
    APPROX_QUANTILES(duration_seconds, 100)[OFFSET(50)] AS p50_apply_seconds,
    APPROX_QUANTILES(duration_seconds, 100)[OFFSET(95)] AS p95_apply_seconds,
    MAX(duration_seconds) AS max_apply_seconds
  FROM apply_jobs
  GROUP BY dataset_id, table_id
)
SELECT
  *,
  CAST(CEIL(2 * p95_apply_seconds / 60) AS INT64) + 7 AS recommended_max_staleness_minutes,
  FORMAT(
    'ALTER TABLE `%s.%s` SET OPTIONS (max_staleness = INTERVAL %d MINUTE)',
    dataset_id,
    table_id,
    CAST(CEIL(2 * p95_apply_seconds / 60) AS INT64) + 7
  ) AS recommended_ddl
FROM per_table
ORDER BY p95_apply_seconds DESC
