import type { DashboardSpec, EsPanel } from "./types.ts";

const COMPLETED = 'event_type:"job.step_completed"';
const RENDITIONS = `${COMPLETED} AND job.step:rendition`;

const es = (p: Omit<EsPanel, "kind" | "appScoped">): EsPanel => ({ kind: "es", appScoped: false, ...p });

/** Pipeline: job records (state, speed, failures) and job step events (durations per step and rendition). */
export const pipelineDashboard: DashboardSpec = {
  uid: "reeltime-pipeline",
  title: "reeltime / Pipeline",
  description: "Transcoding jobs by state, step durations, failures and encode speed.",
  tags: ["reeltime", "pipeline"],
  variables: [],
  rows: [
    {
      title: "Jobs",
      panels: [
        es({
          key: "jobs-by-state",
          title: "Jobs by state",
          description: "Jobs created in the time range, by their current state.",
          source: "jobs",
          query: "*",
          metrics: [{ type: "count" }],
          buckets: [{ type: "terms", field: "status", size: 10 }],
          viz: "bar",
          unit: "short",
        }),
        es({
          key: "jobs-created-over-time",
          title: "Jobs created, by state",
          description: "Jobs created in each interval, split by their current state.",
          source: "jobs",
          query: "*",
          metrics: [{ type: "count" }],
          buckets: [
            { type: "terms", field: "status", size: 10 },
            { type: "date_histogram", interval: "auto" },
          ],
          viz: "timeseries",
          unit: "short",
        }),
        es({
          key: "jobs-queue-wait",
          title: "Queue wait and job wall time",
          description: "Mean time from upload to the first step, and mean wall time of finished jobs.",
          source: "jobs",
          query: "*",
          metrics: [
            { type: "avg", field: "queue_wait_ms" },
            { type: "avg", field: "duration_ms" },
          ],
          buckets: [],
          viz: "stat",
          unit: "ms",
        }),
      ],
    },
    {
      title: "Step durations",
      panels: [
        es({
          key: "steps-duration",
          title: "Step durations",
          description: "Completed steps: count, mean, p50 and p95 wall time per step.",
          source: "events",
          query: COMPLETED,
          metrics: [
            { type: "count" },
            { type: "avg", field: "job.duration_ms" },
            { type: "percentiles", field: "job.duration_ms", percents: [50, 95] },
          ],
          buckets: [{ type: "terms", field: "job.step", size: 10 }],
          viz: "table",
          unit: "ms",
        }),
        es({
          key: "steps-duration-by-rendition",
          title: "Rendition encode durations",
          description: "Completed rendition steps: mean and p95 wall time per rendition.",
          source: "events",
          query: RENDITIONS,
          metrics: [
            { type: "count" },
            { type: "avg", field: "job.duration_ms" },
            { type: "percentiles", field: "job.duration_ms", percents: [95] },
          ],
          buckets: [{ type: "terms", field: "job.rendition", size: 20 }],
          viz: "table",
          unit: "ms",
        }),
      ],
    },
    {
      title: "Failures",
      panels: [
        es({
          key: "failures-by-step",
          title: "Failed jobs by step",
          description: "Jobs that gave up, by the step that failed.",
          source: "jobs",
          query: "status:failed",
          metrics: [{ type: "count" }],
          buckets: [{ type: "terms", field: "failed_step", size: 10 }],
          viz: "bar",
          unit: "short",
        }),
        es({
          key: "failures-step-attempts",
          title: "Failed step attempts by error",
          description: "Step attempts that failed (retried or not), by step and error code.",
          source: "events",
          query: 'event_type:"job.step_failed"',
          metrics: [{ type: "count" }],
          buckets: [
            { type: "terms", field: "job.step", size: 10 },
            { type: "terms", field: "job.error.code", size: 10 },
          ],
          viz: "table",
          unit: "short",
        }),
        es({
          key: "failures-exit-status",
          title: "Failed step attempts by ffmpeg exit status",
          description: "Step attempts that failed, by ffmpeg's exit status.",
          source: "events",
          query: 'event_type:"job.step_failed" AND _exists_:job.error.exit_code',
          metrics: [{ type: "count" }],
          buckets: [{ type: "terms", field: "job.error.exit_code", size: 10 }],
          viz: "table",
          unit: "short",
        }),
        {
          kind: "docs",
          key: "failures-last-jobs",
          title: "Last 100 failed jobs",
          description: "The newest failed jobs with their step, error and ffmpeg exit status.",
          source: "jobs",
          query: "status:failed",
          appScoped: false,
          columns: [
            "job_id",
            "video_id",
            "failed_step",
            "failed_rendition",
            "error_code",
            "exit_code",
            "error_message",
          ],
          size: 100,
        },
      ],
    },
    {
      title: "Encode speed",
      panels: [
        es({
          key: "speed-overall",
          title: "Encode speed",
          description: "Mean speed of completed rendition encodes (media duration ÷ encode time; 2 = twice real time).",
          source: "events",
          query: `${RENDITIONS} AND _exists_:job.speed`,
          metrics: [{ type: "avg", field: "job.speed" }],
          buckets: [],
          viz: "stat",
          unit: "speed",
        }),
        es({
          key: "speed-by-rendition",
          title: "Encode speed by rendition",
          description: "Mean and slowest speed of completed encodes per rendition.",
          source: "events",
          query: `${RENDITIONS} AND _exists_:job.speed`,
          metrics: [
            { type: "avg", field: "job.speed" },
            { type: "min", field: "job.speed" },
          ],
          buckets: [{ type: "terms", field: "job.rendition", size: 20 }],
          viz: "table",
          unit: "speed",
        }),
      ],
    },
  ],
};
