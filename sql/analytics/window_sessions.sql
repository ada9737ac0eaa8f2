-- Windowed aggregates, session windows, statement 2 of each run: per {{window.key}}, sessions
-- of activity by event time; a session ends when the next event of that key comes more than
-- {{window.gap_seconds}} s after its last one. {{window.measure}} = distinct {{window.counted}} in the session.
--
-- * Watermark: max event time seen minus the allowed lateness ({{window.lateness_seconds}} s),
--   never moving back. A session is final when its last event plus the gap is before the
--   watermark: every event still accepted is at or after the watermark, more than the gap
--   after the session, so it can neither extend nor merge into it.
-- * Incremental: only keys with accepted arrivals (see window_late_events.sql) are
--   re-sessionized, from their events after their last final session (source rows up to the
--   latest staging mark, minus the events recorded as too late). Their provisional sessions
--   are replaced: a session that merged into another is deleted. Other keys' provisional
--   sessions keep their values and only get the new watermark and flag; final sessions are
--   never rewritten.
-- * Idempotent: a re-run with nothing new finds no arrivals and an unchanged watermark.
-- * Cost: the source is read from @run_time minus {{window.horizon_hours}} hours (a constant
--   filter on its partitioning column), so a session longer than that is split at it.
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
      SELECT DISTINCT window_key FROM arrivals
    ),
    -- The touched keys' events after their last final session (none can join a final session),
    -- minus those recorded as too late. Set operations and window functions instead of joins:
    -- the same result, and linear on the emulator too.
    candidates AS (
      SELECT
        window_key,
        event_id,
        event_time,
        counted,
        is_event,
        MAX(closed_until) OVER (PARTITION BY window_key) AS closed_until
      FROM (
        SELECT
          recent.window_key,
          recent.event_id,
          recent.event_time,
          recent.counted,
          TRUE AS is_event,
          CAST(NULL AS TIMESTAMP) AS closed_until
        FROM recent
        WHERE recent.window_key IN (SELECT touched.window_key FROM touched)
        UNION ALL
        SELECT final.{{window.key}}, NULL, NULL, NULL, FALSE, final.session_end
        FROM {{window.table}} AS final
        WHERE final.is_final AND final.{{window.key}} IN (SELECT touched.window_key FROM touched)
      )
    ),
    open_events AS (
      SELECT
        window_key,
        event_id,
        event_time,
        counted,
        IF(
          TIMESTAMP_DIFF(
            event_time,
            LAG(event_time) OVER (PARTITION BY window_key ORDER BY event_time, event_id),
            MICROSECOND
          ) <= {{window.gap_seconds}} * 1000000,
          0,
          1
        ) AS starts_session
      FROM candidates
      WHERE is_event AND (closed_until IS NULL OR event_time > closed_until)
    ),
    numbered AS (
      SELECT
        open_events.*,
        SUM(starts_session) OVER (
          PARTITION BY window_key ORDER BY event_time, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS session_number
      FROM open_events
    ),
    recomputed AS (
      SELECT
        window_key,
        MIN(event_time) AS session_start,
        MAX(event_time) AS session_end,
        COUNT(DISTINCT counted) AS value,
        FALSE AS dropped,
        CAST(NULL AS TIMESTAMP) AS staged_through
      FROM numbered
      GROUP BY window_key, session_number
    ),
    -- The touched keys' provisional sessions that no longer exist (merged into another): deleted.
    replaced AS (
      SELECT
        window_key,
        session_start,
        ANY_VALUE(session_end) AS session_end,
        ANY_VALUE(value) AS value,
        TRUE AS dropped,
        ANY_VALUE(staged_through) AS staged_through
      FROM (
        SELECT
          old.{{window.key}} AS window_key,
          old.session_start,
          old.session_end,
          old.{{window.measure}} AS value,
          old.staged_through,
          FALSE AS is_recomputed
        FROM {{window.table}} AS old
        WHERE NOT old.is_final AND old.{{window.key}} IN (SELECT touched.window_key FROM touched)
        UNION ALL
        SELECT window_key, session_start, NULL, NULL, NULL, TRUE FROM recomputed
      )
      GROUP BY window_key, session_start
      HAVING NOT LOGICAL_OR(is_recomputed)
    ),
    -- Provisional sessions of keys nobody touched: their values stay, their flag and watermark follow.
    carried AS (
      SELECT
        kept.{{window.key}} AS window_key,
        kept.session_start,
        kept.session_end,
        kept.{{window.measure}} AS value,
        FALSE AS dropped,
        kept.staged_through
      FROM {{window.table}} AS kept
      WHERE NOT kept.is_final AND kept.{{window.key}} NOT IN (SELECT touched.window_key FROM touched)
    )
  SELECT
    sessions.window_key,
    sessions.session_start,
    sessions.session_end,
    sessions.value,
    sessions.dropped,
    TIMESTAMP_ADD(sessions.session_end, INTERVAL {{window.gap_seconds}} SECOND) < progress.watermark AS is_final,
    progress.watermark,
    IF(progress.moved, progress.through, sessions.staged_through) AS staged_through
  FROM (SELECT * FROM recomputed UNION ALL SELECT * FROM replaced UNION ALL SELECT * FROM carried) AS sessions
  CROSS JOIN progress
) AS fresh
ON target.{{window.key}} = fresh.window_key AND target.session_start = fresh.session_start
WHEN MATCHED AND NOT target.is_final AND fresh.dropped THEN
  DELETE
WHEN MATCHED AND NOT target.is_final AND (
  target.session_end != fresh.session_end
  OR target.{{window.measure}} != fresh.value
  OR target.is_final != fresh.is_final
  OR target.watermark != fresh.watermark
  OR target.staged_through != fresh.staged_through
) THEN
  UPDATE SET
    session_end = fresh.session_end,
    {{window.measure}} = fresh.value,
    is_final = fresh.is_final,
    watermark = fresh.watermark,
    staged_through = fresh.staged_through,
    computed_at = CURRENT_TIMESTAMP()
WHEN NOT MATCHED BY TARGET AND NOT fresh.dropped THEN
  INSERT ({{window.key}}, session_start, session_end, {{window.measure}}, is_final, watermark, staged_through, computed_at)
  VALUES (
    fresh.window_key,
    fresh.session_start,
    fresh.session_end,
    fresh.value,
    fresh.is_final,
    fresh.watermark,
    fresh.staged_through,
    CURRENT_TIMESTAMP()
  )
