import { createHash } from "node:crypto";
import type { Archive, Bus } from "@reeltime/connectors";
import {
  archivePrefix,
  type JobEvent,
  type JobRecord,
  type RecordName,
  recordColumns,
  TOPICS,
  type VideoRecord,
  type ViewRecord,
} from "@reeltime/events";
import type { ProcessorMetrics } from "@reeltime/processing";
import { KeyedFold } from "@reeltime/processing";
import type { Logger } from "@reeltime/runtime";
import type { ParquetWriter } from "../archiver/parquet.ts";
import { computeJob } from "../jobs/compute.ts";
import { computeView, type ViewInput } from "../sessionizer/compute.ts";
import { VIEW_TIMEOUT_MS } from "../sessionizer/sessionizer.ts";
import { isCmcd, isDelivery } from "../sessionizer/view-state.ts";

export interface RecordArchiverDeps {
  archive: Archive;
  bus: Bus;
  log: Logger;
  metrics: ProcessorMetrics;
  writer: ParquetWriter;
}

const dayOf = (iso: string | undefined) => (iso ?? "1970-01-01T00:00:00.000Z").slice(0, 10);

/**
 * Writes final records as Parquet under `records/<name>/dt=<day>/`, one file per day per batch
 * of records that became final together. The name is a hash of the records' identities and
 * versions, so the same batch written again (a retry) replaces the same object. A replay that
 * regroups the records can store one record in two files: readers keep the newest version per
 * id (most events, then latest update), which is what the named queries do.
 */
async function writeFinal<R>(
  name: RecordName,
  records: R[],
  deps: Pick<RecordArchiverDeps, "archive" | "writer">,
  day: (r: R) => string,
  version: (r: R) => string,
): Promise<void> {
  if (records.length === 0) return;
  const byDay = new Map<string, R[]>();
  for (const r of records) byDay.set(day(r), [...(byDay.get(day(r)) ?? []), r]);
  for (const [dt, rows] of byDay) {
    const hash = createHash("sha256").update(rows.map(version).sort().join("\n")).digest("hex").slice(0, 24);
    const bytes = await deps.writer.write(recordColumns(name), rows);
    await deps.archive.put(`${archivePrefix.record(name)}dt=${dt}/${name}-${hash}.parquet`, bytes, {
      contentType: "application/vnd.apache.parquet",
    });
  }
}

/**
 * Playback events → final `views` records archived as Parquet for Athena/DuckDB. Its own
 * consumer group with the sessionizer's computation, so the archived record is the one the
 * search store holds once the view ended (on `view_end`, a fatal error or the timeout).
 */
export function createViewArchiver(
  deps: RecordArchiverDeps,
  opts: { timeoutMs?: number; snapshotEveryMs?: number } = {},
): KeyedFold<ViewInput, ViewRecord> {
  const isFinal = (r: ViewRecord) => r.status === "ended";
  return new KeyedFold<ViewInput, ViewRecord>(
    {
      name: "view-archiver",
      group: "reeltime-view-archiver",
      topic: TOPICS.playback,
      keyOf: (e) => (typeof e.view_id === "string" ? e.view_id : undefined),
      // As in the sessionizer: a CMCD report joins the view of its id, it never starts one; the
      // CDN's totals start a key that has no record until the view's first SDK event.
      compute: (events, { timedOut }) =>
        events.some((e) => !isDelivery(e)) ? computeView(events, { timedOut }) : undefined,
      joinsOnly: isCmcd,
      bringsBack: isDelivery,
      isFinal,
      upsert: (records) =>
        writeFinal(
          "views",
          records.filter(isFinal),
          deps,
          (r) => dayOf(r.started_at),
          (r) => `${r.view_id}:${r.events}:${r.last_seq}:${r.updated_at}`,
        ),
      timeoutMs: opts.timeoutMs ?? VIEW_TIMEOUT_MS,
      ...(opts.snapshotEveryMs !== undefined ? { snapshotEveryMs: opts.snapshotEveryMs } : {}),
    },
    deps,
  );
}

/** Job events → final `jobs` records (completed or failed) archived as Parquet. */
export function createJobArchiver(
  deps: RecordArchiverDeps,
  opts: { snapshotEveryMs?: number } = {},
): KeyedFold<JobEvent, JobRecord> {
  const isFinal = (r: JobRecord) => r.status === "completed" || r.status === "failed";
  return new KeyedFold<JobEvent, JobRecord>(
    {
      name: "job-archiver",
      group: "reeltime-job-archiver",
      topic: TOPICS.job,
      keyOf: (e) => (typeof e.job?.id === "string" ? e.job.id : undefined),
      compute: (events) => computeJob(events),
      isFinal,
      upsert: (records) =>
        writeFinal(
          "jobs",
          records.filter(isFinal),
          deps,
          (r) => dayOf(r.created_at),
          (r) => `${r.job_id}:${r.last_seq}:${r.updated_at}`,
        ),
      timeoutMs: 24 * 60 * 60 * 1000,
      ...(opts.snapshotEveryMs !== undefined ? { snapshotEveryMs: opts.snapshotEveryMs } : {}),
    },
    deps,
  );
}

/** The day a video record is filed under: the first instant the catalogue knows of the video. */
export function videoDay(r: VideoRecord): string {
  const instants = [r.uploaded_at, r.processing_at, r.ready_at, r.failed_at, r.updated_at].filter(
    (t): t is string => t !== undefined,
  );
  return dayOf(instants.map((t) => new Date(t).toISOString()).sort()[0]);
}

/**
 * The catalogue's public video records → Parquet under `records/videos/dt=<day>/` (the day the
 * catalogue first knew of the video), for the catalogue updater to call after each batch (its
 * `VideoRecordArchive`). Not a consumer group of its own: a video's facts arrive on two topics
 * whose partitions are consumed apart, and only the catalogue's row (merged under its lock)
 * holds them all. Each record carries its row's `revision`; a file's name is a hash of its
 * records' ids and revisions, so a batch written again (a retry) replaces the same object, and
 * a replay that regroups them writes copies readers collapse: per (app_id, video_id) the newest
 * `updated_at`, then the highest revision, wins (as the named queries do). Within one catalogue
 * a higher revision holds every fact of a lower one, so its `updated_at` is never older; ordering
 * by `updated_at` first also prefers a rebuilt catalogue's newer rows over an old one's.
 */
export function createVideoRecordArchive(deps: Pick<RecordArchiverDeps, "archive" | "writer">): {
  archiveVideos(records: VideoRecord[]): Promise<void>;
} {
  return {
    archiveVideos: (records) =>
      writeFinal(
        "videos",
        records,
        deps,
        videoDay,
        (r) => `${r.app_id}/${r.video_id}:${r.revision ?? 0}:${r.updated_at}`,
      ),
  };
}
