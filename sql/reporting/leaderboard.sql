-- Scheduled full refresh of the leaderboard table: changes per user, all event types.
--
-- Used only when the leaderboard is a plain table (see reporting/leaderboard_mv.sql for
-- the materialized view, the default). One MERGE instead of WRITE_TRUNCATE: it is atomic
-- (readers never see an empty or half-written table), it keeps the table's declared
-- schema (a truncating query job would replace it with NULLABLE columns) and it rewrites
-- only the users whose count changed.
MERGE {{reporting.leaderboard}} AS board
USING (
  SELECT `user`, COUNT(*) AS changes_count
  FROM {{staging.wiki_staged}}
  WHERE `user` IS NOT NULL
  GROUP BY `user`
) AS fresh
ON board.`user` = fresh.`user`
WHEN MATCHED AND board.changes_count != fresh.changes_count THEN
  UPDATE SET changes_count = fresh.changes_count
WHEN NOT MATCHED BY TARGET THEN
  INSERT (`user`, changes_count) VALUES (fresh.`user`, fresh.changes_count)
WHEN NOT MATCHED BY SOURCE THEN
  DELETE
