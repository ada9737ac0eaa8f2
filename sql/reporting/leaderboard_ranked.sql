-- The leaderboard as people read it: most changes first, ties ordered by user name.
SELECT
  RANK() OVER (ORDER BY changes_count DESC) AS `rank`,
  `user`,
  changes_count
FROM {{reporting.leaderboard}}
ORDER BY changes_count DESC, `user`
