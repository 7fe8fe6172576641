-- name: top_videos
-- Videos ranked by total playing time (pauses, stalls and startup excluded) over the final
-- view records of the days given. Sampled views count `weight` (1 / sample_rate) times.
-- param: from_dt  first day, YYYY-MM-DD (inclusive)
-- param: to_dt    last day, YYYY-MM-DD (inclusive)
-- param: top_n    how many videos, e.g. 10
WITH latest AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY view_id ORDER BY events DESC, updated_at DESC) AS version
  FROM views
  WHERE dt BETWEEN ? AND ?
),
per_video AS (
  SELECT
    video_id,
    MAX(video_title) AS video_title,
    CAST(ROUND(SUM(COALESCE(weight, 1))) AS BIGINT) AS views,
    CAST(ROUND(SUM(playing_ms * COALESCE(weight, 1))) AS BIGINT) AS playing_ms
  FROM latest
  WHERE version = 1
  GROUP BY video_id
),
ranked AS (
  SELECT
    per_video.*,
    ROW_NUMBER() OVER (ORDER BY playing_ms DESC, video_id ASC) AS place
  FROM per_video
)
SELECT
  place,
  video_id,
  video_title,
  views,
  playing_ms,
  ROUND(CAST(playing_ms AS DOUBLE) / 3600000, 3) AS playing_hours
FROM ranked
WHERE place <= ?
ORDER BY place
