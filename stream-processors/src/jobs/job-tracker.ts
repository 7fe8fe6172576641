import type { Archive, Bus, SearchStore } from "@reeltime/connectors";
import { type JobEvent, type JobRecord, TOPICS } from "@reeltime/events";
import type { ProcessorMetrics } from "@reeltime/processing";
import { KeyedFold } from "@reeltime/processing";
import type { Logger } from "@reeltime/runtime";
import { computeJob } from "./compute.ts";

/** Job events → one `jobs` record per job: state, per-step durations, failed step and reason. */
export function createJobTracker(
  deps: { search: SearchStore; archive: Archive; bus: Bus; log: Logger; metrics: ProcessorMetrics },
  opts: { snapshotEveryMs?: number } = {},
): KeyedFold<JobEvent, JobRecord> {
  return new KeyedFold<JobEvent, JobRecord>(
    {
      name: "jobs",
      group: "reeltime-jobs",
      topic: TOPICS.job,
      keyOf: (e) => (typeof e.job?.id === "string" ? e.job.id : undefined),
      compute: (events) => computeJob(events),
      isFinal: (r) => r.status === "completed" || r.status === "failed",
      upsert: (records) => deps.search.upsertJobs(records),
      // A job that went silent for a day is dropped from memory; its record stays as it was.
      timeoutMs: 24 * 60 * 60 * 1000,
      ...(opts.snapshotEveryMs !== undefined ? { snapshotEveryMs: opts.snapshotEveryMs } : {}),
    },
    deps,
  );
}
