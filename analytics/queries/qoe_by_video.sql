-- name: qoe_by_video
-- QoE per video joined to the catalogue: the final view records of the days given, per
-- (app_id, video_id, media_kind), with the video's title and status from the newest `videos` record the
-- catalogue archived (latest updated_at, then highest revision; the whole videos table is read,
-- it has one small row per video change). Views, startup time p50/p95 (nearest rank over the
-- views that reached a first frame), rebuffers (stalls), rebuffer ratio (rebuffer time over
-- playing + rebuffer time, summed over the views), failure % and EBVS %. A video the catalogue
-- has no record of (or views without an app) keeps a NULL title and status. Sampled views are
-- weighted: each record stands for `weight` (1 / sample_rate) views. The media kind is what the
-- views played on, video or audio (records written before it was kept have none and count as
-- video): a video listened to as audio is a row of its own, with the same title and status.
-- param: from_dt  first day of the views, YYYY-MM-DD (inclusive)
-- param: to_dt    last day of the views, YYYY-MM-DD (inclusive)
WITH latest AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY view_id ORDER BY events DESC, updated_at DESC) AS version
  FROM views
  WHERE dt BETWEEN ? AND ?
),
v AS (
  SELECT
    app_id,
    video_id,
    COALESCE(media_kind, 'video') AS media_kind,
    startup_ms,
    playing_ms,
    rebuffer_ms,
    rebuffer_count,
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
      PARTITION BY app_id, video_id, media_kind
      ORDER BY startup_ms ASC NULLS LAST, view_rank ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS startup_rank,
    SUM(CASE WHEN startup_ms IS NOT NULL THEN w ELSE 0 END) OVER (PARTITION BY app_id, video_id, media_kind) AS startup_n
  FROM (SELECT v.*, ROW_NUMBER() OVER (ORDER BY startup_ms, w) AS view_rank FROM v) v
),
per_video AS (
  SELECT
    app_id,
    video_id,
    media_kind,
    CAST(ROUND(SUM(w)) AS BIGINT) AS views,
    MIN(CASE WHEN startup_ms IS NOT NULL AND startup_rank >= CEIL(0.50 * startup_n) THEN startup_ms END) AS startup_p50_ms,
    MIN(CASE WHEN startup_ms IS NOT NULL AND startup_rank >= CEIL(0.95 * startup_n) THEN startup_ms END) AS startup_p95_ms,
    CAST(ROUND(SUM(rebuffer_count * w)) AS BIGINT) AS rebuffers,
    ROUND(SUM(rebuffer_ms * w) / NULLIF(SUM(playing_ms * w) + SUM(rebuffer_ms * w), 0), 4) AS rebuffer_ratio,
    ROUND(100 * SUM(CASE WHEN playback_failure THEN w ELSE 0 END) / SUM(w), 2) AS failure_pct,
    ROUND(100 * SUM(CASE WHEN ebvs THEN w ELSE 0 END) / SUM(w), 2) AS ebvs_pct
  FROM ranked
  GROUP BY app_id, video_id, media_kind
),
catalogue AS (
  SELECT
    app_id,
    video_id,
    title,
    status,
    ROW_NUMBER() OVER (
      PARTITION BY app_id, video_id
      ORDER BY updated_at DESC, revision DESC NULLS LAST
    ) AS version
  FROM videos
)
SELECT
  p.app_id,
  p.video_id,
  p.media_kind,
  c.title,
  c.status,
  p.views,
  p.startup_p50_ms,
  p.startup_p95_ms,
  p.rebuffers,
  p.rebuffer_ratio,
  p.failure_pct,
  p.ebvs_pct
FROM per_video p
LEFT JOIN catalogue c ON c.app_id = p.app_id AND c.video_id = p.video_id AND c.version = 1
ORDER BY p.app_id, p.video_id, p.media_kind
