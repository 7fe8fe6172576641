import type { Database } from "@reeltime/database";
import type { VideoRecord } from "@reeltime/events";
import { mergeStates, recordOf, type VideoState } from "./state.ts";

/** A catalogue row as the API answers it: the contract's record plus the private owner email. */
export type CatalogueRow = VideoRecord & { owner_email?: string };

/** Columns written from the record, in the order of the parameters below. */
const COLUMNS = [
  "status",
  "title",
  "owner_id",
  "owner_email",
  "failure_code",
  "failure_message",
  "upload_id",
  "source_key",
  "source_version",
  "source_bytes",
  "content_type",
  "job_id",
  "duration_ms",
  "width",
  "height",
  "renditions",
  "manifests",
  "thumbnails",
  "uploaded_at",
  "processing_at",
  "ready_at",
  "failed_at",
  "updated_at",
  "upload_to_ready_ms",
  "analysis",
] as const;
/** JSON columns: the lists ('[]' when empty) and the analysis (NULL until there is one). */
const LIST_COLUMNS = new Set(["renditions", "manifests", "thumbnails"]);
const JSON_COLUMNS = new Set([...LIST_COLUMNS, "analysis"]);

function column(c: string, v: unknown): unknown {
  if (!JSON_COLUMNS.has(c)) return v ?? null;
  return v === undefined ? (LIST_COLUMNS.has(c) ? "[]" : null) : JSON.stringify(v);
}

function params(s: VideoState): unknown[] {
  const r = recordOf(s) as Record<string, unknown>;
  return [s.app_id, s.video_id, ...COLUMNS.map((c) => column(c, r[c])), JSON.stringify(s)];
}

const placeholders = COLUMNS.map((_, i) => `$${i + 3}`).join(", ");
const INSERT = `INSERT INTO videos (app_id, video_id, ${COLUMNS.join(", ")}, state)
VALUES ($1, $2, ${placeholders}, $${COLUMNS.length + 3})
ON CONFLICT (app_id, video_id) DO NOTHING`;
const UPDATE = `UPDATE videos SET ${COLUMNS.map((c, i) => `${c} = $${i + 3}`).join(", ")}, state = $${COLUMNS.length + 3},
revision = revision + 1
WHERE app_id = $1 AND video_id = $2
RETURNING revision`;

/**
 * Merges `incoming` into the stored state of its video and rewrites the row from the result, in
 * one transaction holding the row's lock (`FOR UPDATE`), so two updaters on different partitions
 * (upload events by video, job events by job) never lose each other's facts. Because the merge is
 * a join, applying the same facts again or in another order leaves the same row. Returns the
 * merged state, whether the row changed and the row's revision: 1 when inserted, one more at
 * every change (taken under the lock, so a higher revision always holds every fact of a lower
 * one), unchanged when nothing changed.
 */
export async function upsertVideo(
  db: Database,
  incoming: VideoState,
): Promise<{ state: VideoState; changed: boolean; revision: number }> {
  return db.transaction(async (tx) => {
    const inserted = await tx.query(INSERT, params(incoming));
    if (inserted.rowCount === 1) return { state: incoming, changed: true, revision: 1 };
    const { rows } = await tx.query<{ state: VideoState | string; revision: number }>(
      "SELECT state, revision FROM videos WHERE app_id = $1 AND video_id = $2 FOR UPDATE",
      [incoming.app_id, incoming.video_id],
    );
    const stored = rows[0]?.state;
    const before = (typeof stored === "string" ? JSON.parse(stored) : stored) as VideoState;
    const merged = mergeStates(before, incoming);
    if (JSON.stringify(merged) === JSON.stringify(mergeStates(before, before)))
      return { state: merged, changed: false, revision: Number(rows[0]?.revision) };
    const updated = await tx.query<{ revision: number }>(UPDATE, params(merged));
    return { state: merged, changed: true, revision: Number(updated.rows[0]?.revision) };
  });
}

const SELECT = `SELECT app_id, video_id, ${COLUMNS.join(", ")} FROM videos`;

/** A row as read back: timestamps as ISO strings, absent values left out. */
export function rowOf(raw: Record<string, unknown>): CatalogueRow {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === null || v === undefined) continue;
    out[k] = v instanceof Date ? v.toISOString() : typeof v === "string" && JSON_COLUMNS.has(k) ? JSON.parse(v) : v;
  }
  return out as CatalogueRow;
}

export async function getVideo(db: Database, appId: string | undefined, videoId: string) {
  const { rows } =
    appId === undefined
      ? await db.query(`${SELECT} WHERE video_id = $1 ORDER BY app_id LIMIT 1`, [videoId])
      : await db.query(`${SELECT} WHERE app_id = $1 AND video_id = $2`, [appId, videoId]);
  return rows[0] && rowOf(rows[0]);
}

export interface ListFilter {
  /** Undefined: every app (a read token of app "*"). */
  app_id?: string;
  status?: VideoRecord["status"];
  /** Inclusive lower and exclusive upper bound on updated_at. */
  from?: Date;
  to?: Date;
  /** Rows strictly after this (updated_at, video_id, app_id). */
  after?: { updated_at: string; video_id: string; app_id: string };
  limit: number;
}

/** Videos ordered by (updated_at, video_id, app_id), every filter a bound parameter. */
export async function listVideos(db: Database, f: ListFilter): Promise<CatalogueRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const bind = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  if (f.app_id !== undefined) where.push(`app_id = ${bind(f.app_id)}`);
  if (f.status !== undefined) where.push(`status = ${bind(f.status)}`);
  if (f.from !== undefined) where.push(`updated_at >= ${bind(f.from.toISOString())}`);
  if (f.to !== undefined) where.push(`updated_at < ${bind(f.to.toISOString())}`);
  if (f.after !== undefined)
    where.push(
      `(updated_at, video_id, app_id) > (${bind(f.after.updated_at)}::timestamptz, ${bind(f.after.video_id)} COLLATE "C", ${bind(f.after.app_id)} COLLATE "C")`,
    );
  const sql = `${SELECT}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
ORDER BY updated_at, video_id COLLATE "C", app_id COLLATE "C" LIMIT ${bind(f.limit)}`;
  const { rows } = await db.query(sql, values);
  return rows.map(rowOf);
}
