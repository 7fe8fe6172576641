-- name: concurrent_viewers
-- Concurrent viewers per minute: a view counts from its start until it ended (or, when it
-- timed out, until its last event). One row per minute in which a view started or ended:
-- the peak within the minute and the count at its end. A minute without a row kept the
-- previous row's viewers_at_end. A sampled view counts `weight` (1 / sample_rate) viewers.
-- param: from_dt  first day, YYYY-MM-DD (inclusive)
-- param: to_dt    last day, YYYY-MM-DD (inclusive)
WITH latest AS (
  SELECT
    view_id,
    started_at,
    COALESCE(ended_at, last_event_at) AS ended_at,
    CAST(COALESCE(weight, 1) AS DOUBLE) AS w,
    ROW_NUMBER() OVER (PARTITION BY view_id ORDER BY events DESC, updated_at DESC) AS version
  FROM views
  WHERE dt BETWEEN ? AND ?
),
changes AS (
  SELECT started_at AS t, w AS delta FROM latest WHERE version = 1
  UNION ALL
  SELECT ended_at AS t, -w AS delta FROM latest WHERE version = 1
),
running AS (
  SELECT
    t,
    delta,
    ROW_NUMBER() OVER (ORDER BY t ASC, delta ASC) AS step,
    SUM(delta) OVER (ORDER BY t ASC, delta ASC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS viewers
  FROM changes
)
SELECT
  date_trunc('minute', t) AS minute,
  CAST(ROUND(MAX(CASE WHEN delta < 0 THEN viewers - delta ELSE viewers END)) AS BIGINT) AS peak_viewers,
  CAST(ROUND(max_by(viewers, step)) AS BIGINT) AS viewers_at_end
FROM running
GROUP BY date_trunc('minute', t)
ORDER BY minute
