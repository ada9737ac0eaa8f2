-- CDC tables (those with max_staleness) of the dataset: how far BigQuery's background
-- apply of UPSERT/DELETE rows has got (upsert_stream_apply_watermark) and how stale the
-- applied data is now. Queries may return data up to max_staleness old without merging
-- the pending changes; staleness well above it means the apply jobs fall behind (check
-- the BACKGROUND reservation: cdc/background_slot_usage.sql).
SELECT
  t.table_name,
  o.option_value AS max_staleness,
  t.upsert_stream_apply_watermark,
  TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), t.upsert_stream_apply_watermark, SECOND) AS staleness_seconds
FROM {{cdc.dataset}}.INFORMATION_SCHEMA.TABLES AS t
JOIN {{cdc.dataset}}.INFORMATION_SCHEMA.TABLE_OPTIONS AS o
  ON o.table_name = t.table_name AND o.option_name = 'max_staleness'
ORDER BY staleness_seconds DESC, t.table_name
