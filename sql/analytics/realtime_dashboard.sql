-- The last 30 minutes at a glance: one row with event and active-user counts, the top
-- pages and the mix of event types. Filters on _inserted_at (the partitioning column) so
-- only today's partitions are read.
WITH recent AS (
  SELECT event_type, user_id, page
  FROM {{raw.streaming_events}}
  WHERE
    _inserted_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 MINUTE)
    AND event_timestamp >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 MINUTE)
)
SELECT
  (SELECT COUNT(*) FROM recent) AS events,
  (SELECT COUNT(DISTINCT user_id) FROM recent) AS active_users,
  ARRAY(
    SELECT AS STRUCT page, COUNT(*) AS events
    FROM recent
    WHERE page IS NOT NULL
    GROUP BY page
    ORDER BY events DESC, page
    LIMIT 10
  ) AS top_pages,
  ARRAY(
    SELECT AS STRUCT event_type, COUNT(*) AS events
    FROM recent
    GROUP BY event_type
    ORDER BY events DESC, event_type
  ) AS event_types
