-- name: qoe_by_pop
-- QoE by CDN edge location (POP): the CDN requests of the days given joined to the final view
-- records by the view id the player sent as CMCD session id (`cdn.sid` = `view_id`; a request
-- naming an app must name the view's app). Per (app_id, pop): the views that POP served (a view
-- served by two POPs counts for each), their requests, the cache hit ratio (Hit, RefreshHit and
-- OriginShieldHit over requests), the median time to first byte at the edge (nearest rank over
-- the requests), and the QoE of those views: startup p50 (nearest rank), rebuffer ratio
-- (rebuffer time over playing + rebuffer time, summed), EBVS %. A request counts once however
-- often its log line was imported (by event_id); requests without a session id, or whose view
-- is not among the views of the days given, are left out. Views are weighted by `weight`
-- (1 / sample_rate); a request's view weighs the same.
-- param: from_dt  first day of the views and requests, YYYY-MM-DD (inclusive)
-- param: to_dt    last day of the views and requests, YYYY-MM-DD (inclusive)
-- param: from_dt  (again, for the requests)
-- param: to_dt    (again, for the requests)
WITH latest AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY view_id ORDER BY events DESC, updated_at DESC) AS version
  FROM views
  WHERE dt BETWEEN ? AND ?
),
v AS (
  SELECT
    view_id,
    app_id,
    startup_ms,
    playing_ms,
    rebuffer_ms,
    ebvs,
    CAST(COALESCE(weight, 1) AS DOUBLE) AS w
  FROM latest
  WHERE version = 1
),
requests AS (
  SELECT
    event_id,
    app_id,
    cdn_sid,
    COALESCE(cdn_pop, 'unknown') AS pop,
    cdn_cache_result,
    cdn_ttfb_ms,
    ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY received_at) AS copy
  FROM cdn_events
  WHERE dt BETWEEN ? AND ? AND cdn_sid IS NOT NULL
),
joined AS (
  SELECT
    v.app_id,
    r.pop,
    v.view_id,
    v.w,
    CASE WHEN r.cdn_cache_result IN ('Hit', 'RefreshHit', 'OriginShieldHit') THEN 1 ELSE 0 END AS hit,
    r.cdn_ttfb_ms
  FROM requests r
  JOIN v ON v.view_id = r.cdn_sid AND (r.app_id IS NULL OR v.app_id IS NULL OR r.app_id = v.app_id)
  WHERE r.copy = 1
),
ttfb_ranked AS (
  SELECT
    app_id,
    pop,
    cdn_ttfb_ms,
    SUM(w) OVER (
      PARTITION BY app_id, pop
      ORDER BY cdn_ttfb_ms ASC, view_id ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS ttfb_rank,
    SUM(w) OVER (PARTITION BY app_id, pop) AS ttfb_n
  FROM joined
  WHERE cdn_ttfb_ms IS NOT NULL
),
per_pop_requests AS (
  SELECT
    app_id,
    pop,
    CAST(ROUND(SUM(w)) AS BIGINT) AS requests,
    ROUND(SUM(hit * w) / SUM(w), 4) AS cache_hit_ratio
  FROM joined
  GROUP BY app_id, pop
),
per_pop_ttfb AS (
  SELECT app_id, pop, MIN(CASE WHEN ttfb_rank >= CEIL(0.50 * ttfb_n) THEN cdn_ttfb_ms END) AS ttfb_p50_ms
  FROM ttfb_ranked
  GROUP BY app_id, pop
),
pop_views AS (
  SELECT DISTINCT j.app_id, j.pop, v.view_id, v.startup_ms, v.playing_ms, v.rebuffer_ms, v.ebvs, v.w
  FROM joined j
  JOIN v ON v.view_id = j.view_id
),
startup_ranked AS (
  SELECT
    pop_views.*,
    SUM(CASE WHEN startup_ms IS NOT NULL THEN w ELSE 0 END) OVER (
      PARTITION BY app_id, pop
      ORDER BY startup_ms ASC NULLS LAST, view_id ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS startup_rank,
    SUM(CASE WHEN startup_ms IS NOT NULL THEN w ELSE 0 END) OVER (PARTITION BY app_id, pop) AS startup_n
  FROM pop_views
),
per_pop_views AS (
  SELECT
    app_id,
    pop,
    CAST(ROUND(SUM(w)) AS BIGINT) AS views,
    MIN(CASE WHEN startup_ms IS NOT NULL AND startup_rank >= CEIL(0.50 * startup_n) THEN startup_ms END) AS startup_p50_ms,
    ROUND(SUM(rebuffer_ms * w) / NULLIF(SUM(playing_ms * w) + SUM(rebuffer_ms * w), 0), 4) AS rebuffer_ratio,
    ROUND(100 * SUM(CASE WHEN ebvs THEN w ELSE 0 END) / SUM(w), 2) AS ebvs_pct
  FROM startup_ranked
  GROUP BY app_id, pop
)
SELECT
  p.app_id,
  p.pop,
  p.views,
  q.requests,
  q.cache_hit_ratio,
  t.ttfb_p50_ms,
  p.startup_p50_ms,
  p.rebuffer_ratio,
  p.ebvs_pct
FROM per_pop_views p
JOIN per_pop_requests q ON q.app_id IS NOT DISTINCT FROM p.app_id AND q.pop = p.pop
LEFT JOIN per_pop_ttfb t ON t.app_id IS NOT DISTINCT FROM p.app_id AND t.pop = p.pop
ORDER BY p.app_id, p.pop
