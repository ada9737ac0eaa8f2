-- Windowed aggregates, fixed windows (tumbling and hopping), statement 2 of each run:
-- {{window.measure}} (distinct {{window.counted}}) per {{window.key}} per window of {{window.size_seconds}} s starting every
-- {{window.hop_seconds}} s (tumbling: the hop is the size), aligned on whole multiples of the
-- hop since the Unix epoch (UTC), by event time.
--
-- * Watermark: max event time seen minus the allowed lateness ({{window.lateness_seconds}} s),
--   never moving back. A window is final when it ends at or before the watermark: every event
--   still accepted is at or after the watermark, so it cannot belong to a final window.
-- * Incremental: the arrivals (see window_late_events.sql) that are not behind the watermark
--   touch their windows; only those are recomputed, from the source rows up to the latest
--   staging mark minus the events recorded as too late. Untouched provisional windows keep
--   their value and only get the new watermark and flag; final windows are never rewritten.
-- * Idempotent: a re-run with nothing new finds no arrivals and an unchanged watermark, and the
--   MERGE updates only rows whose values differ.
-- * Cost: the source is read from @run_time minus {{window.horizon_hours}} hours (a constant
--   filter on its partitioning column); the window table, an aggregate, is read whole.
MERGE {{window.table}} AS target
USING (
  WITH
    state AS (
      SELECT
        (SELECT MAX(watermark) FROM {{window.table}}) AS watermark,
        (SELECT MAX(staged_through) FROM {{window.table}}) AS staged_through,
        (SELECT MAX({{window.mark_column}}) FROM {{window.mark}}) AS through
    ),
    recent AS (
      SELECT
        source.{{window.id}} AS event_id,
        source.{{window.key}} AS window_key,
        source.{{window.time}} AS event_time,
        source.{{window.arrival}} AS arrived_at,
        source.{{window.counted}} AS counted
      FROM {{window.source}} AS source
      CROSS JOIN state
      WHERE
        source.{{window.time}} >= TIMESTAMP_SUB(@run_time, INTERVAL {{window.horizon_hours}} HOUR)
        AND source.{{window.key}} IS NOT NULL
        AND source.{{window.arrival}} <= state.through
        AND source.{{window.id}} NOT IN (SELECT late.event_id FROM {{window.late}} AS late)
    ),
    arrivals AS (
      SELECT recent.*
      FROM recent
      CROSS JOIN state
      WHERE
        (state.staged_through IS NULL OR recent.arrived_at > state.staged_through)
        AND (state.watermark IS NULL OR recent.event_time >= state.watermark)
    ),
    progress AS (
      SELECT
        state.through,
        -- Whether anything arrived: only then do the rows record the new source mark, so a
        -- re-run with nothing new rewrites nothing.
        EXISTS (
          SELECT 1 FROM recent WHERE state.staged_through IS NULL OR recent.arrived_at > state.staged_through
        ) AS moved,
        CASE
          WHEN state.watermark IS NULL THEN newest.event_time
          WHEN newest.event_time IS NULL THEN state.watermark
          ELSE GREATEST(state.watermark, newest.event_time)
        END AS watermark
      FROM state
      CROSS JOIN (
        SELECT TIMESTAMP_SUB(MAX(event_time), INTERVAL {{window.lateness_seconds}} SECOND) AS event_time FROM arrivals
      ) AS newest
    ),
    touched AS (
      SELECT DISTINCT
        arrivals.window_key,
        TIMESTAMP_SECONDS(
          DIV(UNIX_SECONDS(arrivals.event_time), {{window.hop_seconds}}) * {{window.hop_seconds}} - step * {{window.hop_seconds}}
        ) AS window_start
      FROM arrivals
      CROSS JOIN UNNEST(GENERATE_ARRAY(0, DIV({{window.size_seconds}}, {{window.hop_seconds}}) - 1)) AS step
    ),
    -- The touched windows' values from their events. Set operations and GROUP BY instead of
    -- range and anti-joins: the same result, and linear on the emulator too.
    expanded AS (
      SELECT
        recent.window_key,
        TIMESTAMP_SECONDS(
          DIV(UNIX_SECONDS(recent.event_time), {{window.hop_seconds}}) * {{window.hop_seconds}} - step * {{window.hop_seconds}}
        ) AS window_start,
        recent.counted
      FROM recent
      CROSS JOIN UNNEST(GENERATE_ARRAY(0, DIV({{window.size_seconds}}, {{window.hop_seconds}}) - 1)) AS step
      WHERE recent.window_key IN (SELECT touched.window_key FROM touched)
    ),
    recomputed AS (
      SELECT window_key, window_start, COUNT(DISTINCT counted) AS value, CAST(NULL AS TIMESTAMP) AS staged_through
      FROM (
        SELECT window_key, window_start, counted, FALSE AS is_touched FROM expanded
        UNION ALL
        SELECT window_key, window_start, NULL, TRUE FROM touched
      )
      GROUP BY window_key, window_start
      HAVING LOGICAL_OR(is_touched)
    ),
    -- Provisional windows nobody touched: their value stays, their flag and watermark follow.
    carried AS (
      SELECT window_key, window_start, ANY_VALUE(value) AS value, ANY_VALUE(staged_through) AS staged_through
      FROM (
        SELECT
          kept.{{window.key}} AS window_key,
          kept.window_start,
          kept.{{window.measure}} AS value,
          kept.staged_through,
          FALSE AS is_touched
        FROM {{window.table}} AS kept
        WHERE NOT kept.is_final
        UNION ALL
        SELECT window_key, window_start, NULL, NULL, TRUE FROM touched
      )
      GROUP BY window_key, window_start
      HAVING NOT LOGICAL_OR(is_touched)
    )
  SELECT
    windows.window_key,
    windows.window_start,
    TIMESTAMP_ADD(windows.window_start, INTERVAL {{window.size_seconds}} SECOND) AS window_end,
    windows.value,
    TIMESTAMP_ADD(windows.window_start, INTERVAL {{window.size_seconds}} SECOND) <= progress.watermark AS is_final,
    progress.watermark,
    IF(progress.moved, progress.through, windows.staged_through) AS staged_through
  FROM (SELECT * FROM recomputed UNION ALL SELECT * FROM carried) AS windows
  CROSS JOIN progress
) AS fresh
ON target.{{window.key}} = fresh.window_key AND target.window_start = fresh.window_start
WHEN MATCHED AND NOT target.is_final AND (
  target.{{window.measure}} != fresh.value
  OR target.is_final != fresh.is_final
  OR target.watermark != fresh.watermark
  OR target.staged_through != fresh.staged_through
) THEN
  UPDATE SET
    {{window.measure}} = fresh.value,
    is_final = fresh.is_final,
    watermark = fresh.watermark,
    staged_through = fresh.staged_through,
    computed_at = CURRENT_TIMESTAMP()
WHEN NOT MATCHED BY TARGET THEN
  INSERT ({{window.key}}, window_start, window_end, {{window.measure}}, is_final, watermark, staged_through, computed_at)
  VALUES (
    fresh.window_key,
    fresh.window_start,
    fresh.window_end,
    fresh.value,
    fresh.is_final,
    fresh.watermark,
    fresh.staged_through,
    CURRENT_TIMESTAMP()
  )
