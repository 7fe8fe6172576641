-- name: qoe
-- QoE by day, video, media kind, rendition and browser, from the final view records: views, startup
-- time p50/p95 (nearest rank, exact on both engines), rebuffer ratio (rebuffer time over
-- playing + rebuffer time, summed over the views), failure % (views with a fatal error) and
-- EBVS % (exits before video start). The rendition is the one on screen when the view ended.
-- The media kind is what the view played on, video or audio (records written before it was
-- kept have none and count as video): a video listened to as audio is a row of its own.
-- Sampled views are weighted: each record stands for `weight` (1 / sample_rate) views in every
-- count, sum and percentile, so a 10 % sample gives the full totals.
-- param: from_dt  first day, YYYY-MM-DD (inclusive)
-- param: to_dt    last day, YYYY-MM-DD (inclusive)
WITH latest AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY view_id ORDER BY events DESC, updated_at DESC) AS version
  FROM views
  WHERE dt BETWEEN ? AND ?
),
v AS (
  SELECT
    dt,
    video_id,
    COALESCE(media_kind, 'video') AS media_kind,
    COALESCE(last_rendition, 'unknown') AS rendition,
    COALESCE(browser, 'unknown') AS browser,
    startup_ms,
    playing_ms,
    rebuffer_ms,
    playback_failure,
    ebvs,
    CAST(COALESCE(weight, 1) AS DOUBLE) AS w
  FROM latest
  WHERE version = 1
),
ranked AS (
  SELECT
    v.*,
    -- Weighted nearest rank: the views (weights) up to and including this one, in startup order.
    SUM(CASE WHEN startup_ms IS NOT NULL THEN w ELSE 0 END) OVER (
      PARTITION BY dt, video_id, media_kind, rendition, browser
      ORDER BY startup_ms ASC NULLS LAST, view_rank ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS startup_rank,
    SUM(CASE WHEN startup_ms IS NOT NULL THEN w ELSE 0 END) OVER (PARTITION BY dt, video_id, media_kind, rendition, browser) AS startup_n
  FROM (SELECT v.*, ROW_NUMBER() OVER (ORDER BY startup_ms, w) AS view_rank FROM v) v
)
SELECT
  dt,
  video_id,
  media_kind,
  rendition,
  browser,
  CAST(ROUND(SUM(w)) AS BIGINT) AS views,
  MIN(CASE WHEN startup_ms IS NOT NULL AND startup_rank >= CEIL(0.50 * startup_n) THEN startup_ms END) AS startup_p50_ms,
  MIN(CASE WHEN startup_ms IS NOT NULL AND startup_rank >= CEIL(0.95 * startup_n) THEN startup_ms END) AS startup_p95_ms,
  ROUND(SUM(rebuffer_ms * w) / NULLIF(SUM(playing_ms * w) + SUM(rebuffer_ms * w), 0), 4) AS rebuffer_ratio,
  ROUND(100 * SUM(CASE WHEN playback_failure THEN w ELSE 0 END) / SUM(w), 2) AS failure_pct,
  ROUND(100 * SUM(CASE WHEN ebvs THEN w ELSE 0 END) / SUM(w), 2) AS ebvs_pct
FROM ranked
GROUP BY dt, video_id, media_kind, rendition, browser
ORDER BY dt, video_id, media_kind, rendition, browser
