-- Leaderboard as an incremental materialized view: changes per user, all event types.
--
-- wiki_staged only ever receives inserts (staging/wiki_staged.sql never updates or
-- deletes), so BigQuery refreshes this view from the new rows alone and answers every
-- query fresh by combining the stored result with rows added since the last refresh.
-- A materialized view cannot have ORDER BY: the ranked, tie-ordered reading is
-- reporting/leaderboard_ranked.sql.
SELECT `user`, COUNT(*) AS changes_count
FROM {{staging.wiki_staged}}
WHERE `user` IS NOT NULL
GROUP BY `user`
