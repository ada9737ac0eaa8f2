-- Windowed aggregates, statement 2 of each run (when the aggregate names an ingestion log): records
-- the arrivals older than the run's horizon, which statement 1 (window_late_events.sql) and the
-- window MERGE never read. Rendered once per aggregate (constructs/bigquery/windowed-aggregate.ts).
--
-- Which arrivals: a replay after a long outage or a backfill puts events in {{window.ingested}}
-- (the ingestion-time partitioned table the source is loaded from) whose event time is older than
-- @run_time minus {{window.horizon_hours}} hours. The staging load does not stage them by itself
-- (they are older than its lookback) and the windows' constant horizon never reads them in the
-- source; every such event is behind the watermark (max event time seen minus the allowed
-- lateness), so it is recorded here once, however late, and its windows are left alone. A later
-- backfill that stages it does not record it again (the anti-join on this table).
--
-- Cost: the event is found by its ingestion time, which is recent, not by its event time, which is
-- not. {{window.ingested}} is filtered on _PARTITIONTIME (a constant bound: the partitions ingested
-- within the horizon, truncated to the day so it is correct for hourly and daily partitions; rows
-- still in the streaming buffer have a NULL _PARTITIONTIME and are included), so each run reads the
-- same recent partitions the horizon already bounds, whatever the event times in them. The source,
-- partitioned by event time, is not read for these events at all.
--
-- arrived_at is the ingestion partition (the start of its day), or the run's time while the row is
-- in the streaming buffer. An event ingested older than the staging lookback but younger than the
-- horizon is recorded by the first run after it falls behind the horizon (its ingestion partition
-- is then still within it), unless a staging backfill stages it first (then statement 1 records
-- it). What this cannot see: an event ingested on time that the staging load never staged (the
-- load failing for longer than its reach), or the windows not running at all while such an event
-- is older than the horizon and its ingestion day is not: quality/late_arrivals.sql counts those
-- (beyond_lookback).
INSERT INTO {{window.late}} (event_id, {{window.key}}, event_time, arrived_at, watermark, recorded_at)
WITH
  state AS (
    SELECT (SELECT MAX(watermark) FROM {{window.table}}) AS watermark
  ),
  ingested AS (
    SELECT
      log.{{window.id}} AS event_id,
      ANY_VALUE(log.{{window.key}}) AS window_key,
      MIN(log.{{window.time}}) AS event_time,
      MIN(IFNULL(_PARTITIONTIME, @run_time)) AS arrived_at
    FROM {{window.ingested}} AS log
    WHERE
      (
        _PARTITIONTIME >= TIMESTAMP_TRUNC(TIMESTAMP_SUB(@run_time, INTERVAL {{window.horizon_hours}} HOUR), DAY)
        OR _PARTITIONTIME IS NULL
      )
      AND log.{{window.time}} < TIMESTAMP_SUB(@run_time, INTERVAL {{window.horizon_hours}} HOUR)
      AND log.{{window.key}} IS NOT NULL
    GROUP BY log.{{window.id}}
  )
SELECT
  ingested.event_id,
  ingested.window_key,
  ingested.event_time,
  ingested.arrived_at,
  state.watermark,
  CURRENT_TIMESTAMP()
FROM ingested
CROSS JOIN state
WHERE
  ingested.event_time < state.watermark
  AND ingested.event_id NOT IN (SELECT late.event_id FROM {{window.late}} AS late)
