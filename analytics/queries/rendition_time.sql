-- name: rendition_time
-- Playing time per rendition, to see which rungs of the ladder earn their keep. Built from
-- the player's running playing-time total carried by heartbeats and view_end: each increase
-- is credited to the rendition on screen when the report was sent (so a switch is placed to
-- within one heartbeat, at most 30 s). A duplicated report adds nothing (its increase is 0).
-- A sampled view counts 1 / sample_rate times, in views and in playing time.
-- param: from_dt  first day, YYYY-MM-DD (inclusive)
-- param: to_dt    last day, YYYY-MM-DD (inclusive)
WITH reports AS (
  SELECT
    view_id,
    COALESCE(rendition_id, 'unknown') AS rendition_id,
    rendition_height,
    rendition_bitrate_bps,
    1.0 / COALESCE(sample_rate, 1) AS w,
    stats_playing_ms - COALESCE(
      LAG(stats_playing_ms) OVER (PARTITION BY view_id ORDER BY seq ASC, client_ts ASC, event_id ASC),
      0
    ) AS delta_ms
  FROM playback_events
  WHERE dt BETWEEN ? AND ?
    AND event_type IN ('playback.heartbeat', 'playback.view_end')
    AND stats_playing_ms IS NOT NULL
),
per_view AS (
  SELECT
    rendition_id,
    view_id,
    MAX(rendition_height) AS height,
    MAX(rendition_bitrate_bps) AS bitrate_bps,
    MAX(w) AS w,
    SUM(GREATEST(delta_ms, 0)) AS ms
  FROM reports
  GROUP BY rendition_id, view_id
)
SELECT
  rendition_id,
  MAX(height) AS height,
  MAX(bitrate_bps) AS bitrate_bps,
  CAST(ROUND(SUM(w)) AS BIGINT) AS views,
  CAST(ROUND(SUM(ms * w)) AS BIGINT) AS playing_ms,
  ROUND(100 * SUM(ms * w) / NULLIF(SUM(SUM(ms * w)) OVER (), 0), 2) AS share_pct
FROM per_view
GROUP BY rendition_id
ORDER BY SUM(ms * w) DESC, rendition_id ASC
