-- name: last_api_calls
-- The last N ingest API calls of every app, newest first (server receive time).
-- param: from_dt  first day, YYYY-MM-DD (inclusive)
-- param: to_dt    last day, YYYY-MM-DD (inclusive)
-- param: n        calls per app, e.g. 20
WITH calls AS (
  SELECT
    app_id,
    COALESCE(received_at, client_ts) AS called_at,
    api_method,
    api_route,
    api_status,
    api_latency_ms,
    api_accepted,
    api_rejected,
    api_error_code,
    event_id,
    ROW_NUMBER() OVER (PARTITION BY app_id ORDER BY COALESCE(received_at, client_ts) DESC, event_id DESC) AS recent
  FROM api_events
  WHERE dt BETWEEN ? AND ?
)
SELECT
  app_id,
  recent,
  called_at,
  api_method AS method,
  api_route AS route,
  api_status AS status,
  api_latency_ms AS latency_ms,
  api_accepted AS accepted,
  api_rejected AS rejected,
  api_error_code AS error_code
FROM calls
WHERE recent <= ?
ORDER BY app_id, recent
