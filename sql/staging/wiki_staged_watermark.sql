-- The staging high-water mark: the second statement of the staging load's script, run only
-- after its MERGE (staging/wiki_staged.sql) succeeded.
--
-- After the MERGE of the run at @run_time, every raw event that was visible at @run_time
-- and whose event_time is at or after covered_from is in wiki_staged (the MERGE's window
-- starts at or before covered_from). recorded_at is taken after the MERGE committed, so
-- every row that MERGE staged has staged_at at or before it, and a later run's rows after it.
--
-- A mark that is missing or older than the truth is harmless (readers anti-join staging);
-- only a mark newer than the truth could lose events, which is why it is written after
-- the MERGE, in the same script, and never by a separately scheduled query.
INSERT INTO {{staging.wiki_staged_watermark}} (run_time, covered_from, lookback_hours, recorded_at)
VALUES (
  @run_time,
  TIMESTAMP_SUB(@run_time, INTERVAL {{lookback_hours}} HOUR),
  {{lookback_hours}},
  CURRENT_TIMESTAMP()
)
