-- name: job_steps
-- Transcoding by step: attempts completed and failed, failure % (failed ÷ finished attempts),
-- mean speed of the completed attempts and overall encode speed (media time ÷ wall time).
-- The row "(job)" counts whole jobs completed or failed. A duplicated event counts once.
-- param: from_dt  first day, YYYY-MM-DD (inclusive)
-- param: to_dt    last day, YYYY-MM-DD (inclusive)
WITH copies AS (
  SELECT
    CASE WHEN event_type IN ('job.completed', 'job.failed') THEN '(job)' ELSE job_step END AS step,
    CASE WHEN event_type IN ('job.step_completed', 'job.completed') THEN 'completed' ELSE 'failed' END AS outcome,
    job_speed,
    job_media_duration_ms,
    job_duration_ms,
    ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY received_at ASC) AS copy
  FROM job_events
  WHERE dt BETWEEN ? AND ?
    AND event_type IN ('job.step_completed', 'job.step_failed', 'job.completed', 'job.failed')
),
e AS (
  SELECT * FROM copies WHERE copy = 1 AND step IS NOT NULL
)
SELECT
  step,
  SUM(CASE WHEN outcome = 'completed' THEN 1 ELSE 0 END) AS completed,
  SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,
  ROUND(100 * CAST(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*), 2) AS failure_pct,
  ROUND(AVG(CASE WHEN outcome = 'completed' THEN job_speed END), 4) AS mean_speed,
  ROUND(
    CAST(SUM(CASE WHEN outcome = 'completed' AND job_speed IS NOT NULL THEN job_media_duration_ms END) AS DOUBLE)
      / NULLIF(SUM(CASE WHEN outcome = 'completed' AND job_speed IS NOT NULL THEN job_duration_ms END), 0),
    4
  ) AS encode_speed
FROM e
GROUP BY step
ORDER BY step
