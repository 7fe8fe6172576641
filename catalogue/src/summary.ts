import type { Database } from "@reeltime/database";
import { VIDEO_STATUSES, type VideoRecord } from "@reeltime/events";

/** Videos of the catalogue panel's "recent" list. */
export const RECENT_VIDEOS = 10;

/** One of the most recently updated videos, as the live view lists it. */
export interface RecentVideo {
  app_id: string;
  video_id: string;
  title?: string;
  status: VideoRecord["status"];
  updated_at: string;
  upload_to_ready_ms?: number;
  failure_code?: string;
}

/** The live view's catalogue panel: videos by status, and time from upload to ready. */
export interface CatalogueSummary {
  /** Videos by their status now (every status present, 0 when none). */
  counts: Record<VideoRecord["status"], number>;
  /**
   * Time from upload completed to ready of the videos that became ready in the window
   * [from, to): how many, median and 95th percentile (linear interpolation between closest
   * ranks, PostgreSQL's percentile_cont), the longest; null when none did.
   */
  upload_to_ready: { videos: number; median_ms: number | null; p95_ms: number | null; max_ms: number | null };
  recent: RecentVideo[];
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));

/**
 * The catalogue panel's figures for one app (undefined: every app), every value a bound
 * parameter. Counts are over every video; upload-to-ready over the videos whose ready_at falls
 * in [from, to) (their updated_at is no earlier, which lets the (app, status, updated_at) index
 * narrow the scan).
 */
export async function catalogueSummary(
  db: Pick<Database, "query">,
  f: { app_id?: string; from: Date; to: Date },
): Promise<CatalogueSummary> {
  const app = f.app_id ?? null;
  const [counts, times, recent] = await Promise.all([
    db.query<{ status: string; videos: unknown }>(
      "SELECT status, count(*)::int AS videos FROM videos WHERE ($1::text IS NULL OR app_id = $1) GROUP BY status",
      [app],
    ),
    db.query<{ videos: unknown; median: unknown; p95: unknown; max: unknown }>(
      `SELECT count(*)::int AS videos,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY upload_to_ready_ms) AS median,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY upload_to_ready_ms) AS p95,
         max(upload_to_ready_ms) AS max
       FROM videos
       WHERE ($1::text IS NULL OR app_id = $1) AND status = 'ready' AND upload_to_ready_ms IS NOT NULL
         AND updated_at >= $2::timestamptz AND ready_at >= $2::timestamptz AND ready_at < $3::timestamptz`,
      [app, f.from.toISOString(), f.to.toISOString()],
    ),
    db.query<Record<string, unknown>>(
      `SELECT app_id, video_id, title, status, updated_at, upload_to_ready_ms, failure_code FROM videos
       WHERE ($1::text IS NULL OR app_id = $1)
       ORDER BY updated_at DESC, video_id COLLATE "C" DESC, app_id COLLATE "C" DESC LIMIT $2`,
      [app, RECENT_VIDEOS],
    ),
  ]);
  const byStatus = Object.fromEntries(VIDEO_STATUSES.map((s) => [s, 0])) as CatalogueSummary["counts"];
  for (const r of counts.rows)
    if ((VIDEO_STATUSES as readonly string[]).includes(r.status))
      byStatus[r.status as VideoRecord["status"]] = Number(r.videos);
  const t = times.rows[0];
  return {
    counts: byStatus,
    upload_to_ready: {
      videos: Number(t?.videos ?? 0),
      median_ms: num(t?.median),
      p95_ms: num(t?.p95),
      max_ms: num(t?.max),
    },
    recent: recent.rows.map((r) => ({
      app_id: String(r.app_id),
      video_id: String(r.video_id),
      ...(r.title === null || r.title === undefined ? {} : { title: String(r.title) }),
      status: r.status as VideoRecord["status"],
      updated_at: iso(r.updated_at),
      ...(r.upload_to_ready_ms === null || r.upload_to_ready_ms === undefined
        ? {}
        : { upload_to_ready_ms: Number(r.upload_to_ready_ms) }),
      ...(r.failure_code === null || r.failure_code === undefined ? {} : { failure_code: String(r.failure_code) }),
    })),
  };
}
