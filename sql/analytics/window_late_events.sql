-- Windowed aggregates, statement 1 of each run: records the events that arrived beyond the
-- allowed lateness. Rendered once per aggregate (constructs/bigquery/windowed-aggregate.ts);
-- the MERGE of its window kind (window_fixed.sql or window_sessions.sql) follows it in the
-- same scheduled script.
--
-- Arrivals: the rows of {{window.source}} that completed staging runs added since this
-- aggregate's last run: {{window.arrival}} after the largest staged_through of the window
-- table, and at or before the latest staging mark (every row up to it is committed).
-- Watermark: the window table's latest watermark (max event time seen minus the allowed
-- lateness of {{window.lateness_seconds}} s). An arrival whose event time is behind it is too
-- late: its window may already be final and is left alone; the event is recorded here once.
INSERT INTO {{window.late}} (event_id, {{window.key}}, event_time, arrived_at, watermark, recorded_at)
WITH
  state AS (
    SELECT
      (SELECT MAX(watermark) FROM {{window.table}}) AS watermark,
      (SELECT MAX(staged_through) FROM {{window.table}}) AS staged_through,
      (SELECT MAX({{window.mark_column}}) FROM {{window.mark}}) AS through
  )
SELECT
  source.{{window.id}},
  source.{{window.key}},
  source.{{window.time}},
  source.{{window.arrival}},
  state.watermark,
  CURRENT_TIMESTAMP()
FROM {{window.source}} AS source
CROSS JOIN state
WHERE
  source.{{window.time}} >= TIMESTAMP_SUB(@run_time, INTERVAL {{window.horizon_hours}} HOUR)
  AND source.{{window.key}} IS NOT NULL
  AND source.{{window.arrival}} <= state.through
  AND (state.staged_through IS NULL OR source.{{window.arrival}} > state.staged_through)
  AND source.{{window.time}} < state.watermark
  AND source.{{window.id}} NOT IN (SELECT late.event_id FROM {{window.late}} AS late)
