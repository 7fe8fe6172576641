import type { Database, Migration } from "@reeltime/database";

/**
 * Upload sessions and per-app daily quotas in PostgreSQL (PGlite by default), through the
 * `Database` of @reeltime/database: SQL text with bound parameters only, never a value spliced in.
 */

/** What the store needs of a database: one query with bound parameters. */
export type Sql = Pick<Database, "query">;

/** The migrations owner of the upload API's tables. */
export const MIGRATIONS_OWNER = "uploads";

/** The upload API's schema, in order; applied once each by `migrate(db, "uploads", UPLOAD_MIGRATIONS)`. */
export const UPLOAD_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "upload sessions and daily quotas",
    sql: `
CREATE TABLE uploads (
  id text PRIMARY KEY,
  app_id text NOT NULL,
  video_id text NOT NULL UNIQUE,
  bucket text NOT NULL,
  key text NOT NULL,
  s3_upload_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('created', 'completed', 'aborted')),
  filename text NOT NULL,
  content_type text NOT NULL,
  bytes bigint NOT NULL,
  part_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  title text,
  owner_id text,
  owner_email text,
  version text,
  parts integer,
  error_code text,
  error_message text,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  event_published_at timestamptz
);
CREATE INDEX uploads_app_created ON uploads (app_id, created_at);
CREATE TABLE upload_quota (
  app_id text NOT NULL,
  day date NOT NULL,
  bytes bigint NOT NULL,
  PRIMARY KEY (app_id, day)
);`,
  },
];

export type UploadState = "created" | "completed" | "aborted";

/** One upload session. */
export interface UploadRow {
  id: string;
  app_id: string;
  video_id: string;
  bucket: string;
  key: string;
  s3_upload_id: string;
  state: UploadState;
  filename: string;
  content_type: string;
  bytes: number;
  part_bytes: number;
  sha256: string;
  title: string | null;
  owner_id: string | null;
  owner_email: string | null;
  version: string | null;
  parts: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  finished_at: Date | null;
  event_published_at: Date | null;
}

export type NewUpload = Pick<
  UploadRow,
  | "id"
  | "app_id"
  | "video_id"
  | "bucket"
  | "key"
  | "s3_upload_id"
  | "filename"
  | "content_type"
  | "bytes"
  | "part_bytes"
  | "sha256"
  | "title"
  | "owner_id"
  | "owner_email"
  | "created_at"
>;

const COLUMNS =
  "id, app_id, video_id, bucket, key, s3_upload_id, state, filename, content_type, bytes, part_bytes, sha256, " +
  "title, owner_id, owner_email, version, parts, error_code, error_message, created_at, finished_at, event_published_at";

const date = (v: unknown): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));

/** A row as the driver returns it (bigint may be a string or a bigint, timestamps a Date or a string). */
function toRow(r: Record<string, unknown>): UploadRow {
  return {
    ...(r as unknown as UploadRow),
    bytes: Number(r.bytes),
    part_bytes: Number(r.part_bytes),
    parts: r.parts === null || r.parts === undefined ? null : Number(r.parts),
    created_at: date(r.created_at) as Date,
    finished_at: date(r.finished_at),
    event_published_at: date(r.event_published_at),
  };
}

/** The UTC day a time falls on, as PostgreSQL's `date` reads it. */
export const utcDay = (t: Date): string => t.toISOString().slice(0, 10);

/** Upload sessions and quotas: {@link UploadStore} in SQL; tests may use a double. */
export interface UploadSessions {
  reserveQuota(app: string, day: string, bytes: number, quota: number): Promise<boolean>;
  releaseQuota(app: string, day: string, bytes: number): Promise<void>;
  usedQuota(app: string, day: string): Promise<number>;
  insert(u: NewUpload): Promise<void>;
  get(app: string, id: string): Promise<UploadRow | undefined>;
  /** The app's upload of this video (video ids are unique); another app's is not found. */
  getByVideo(app: string, videoId: string): Promise<UploadRow | undefined>;
  markCompleted(id: string, done: { version: string; parts: number; finishedAt: Date }): Promise<UploadRow | undefined>;
  markAborted(id: string, error: { code: string; message: string }, finishedAt: Date): Promise<UploadRow | undefined>;
  markPublished(id: string, at: Date): Promise<void>;
  /** Finished uploads whose final event is not yet recorded as published, oldest first. */
  unpublished(limit: number): Promise<UploadRow[]>;
}

export class UploadStore implements UploadSessions {
  readonly #db: Sql;
  constructor(db: Sql) {
    this.#db = db;
  }

  /**
   * Adds `bytes` to the app's count for `day` unless that would pass `quota`: one statement, so
   * replicas racing for the last bytes of a quota cannot both win. False when refused.
   */
  async reserveQuota(app: string, day: string, bytes: number, quota: number): Promise<boolean> {
    if (bytes > quota) return false;
    const { rows } = await this.#db.query(
      `INSERT INTO upload_quota (app_id, day, bytes) VALUES ($1, $2, $3)
       ON CONFLICT (app_id, day) DO UPDATE SET bytes = upload_quota.bytes + EXCLUDED.bytes
       WHERE upload_quota.bytes + EXCLUDED.bytes <= $4
       RETURNING bytes`,
      [app, day, bytes, quota],
    );
    return rows.length === 1;
  }

  /** Gives back bytes reserved for an upload that did not start. */
  async releaseQuota(app: string, day: string, bytes: number): Promise<void> {
    await this.#db.query("UPDATE upload_quota SET bytes = GREATEST(bytes - $3, 0) WHERE app_id = $1 AND day = $2", [
      app,
      day,
      bytes,
    ]);
  }

  /** Bytes the app has started uploading on `day`. */
  async usedQuota(app: string, day: string): Promise<number> {
    const { rows } = await this.#db.query<{ bytes: unknown }>(
      "SELECT bytes FROM upload_quota WHERE app_id = $1 AND day = $2",
      [app, day],
    );
    return rows.length === 0 ? 0 : Number(rows[0]?.bytes);
  }

  async insert(u: NewUpload): Promise<void> {
    await this.#db.query(
      `INSERT INTO uploads (id, app_id, video_id, bucket, key, s3_upload_id, state, filename, content_type, bytes,
         part_bytes, sha256, title, owner_id, owner_email, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'created', $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        u.id,
        u.app_id,
        u.video_id,
        u.bucket,
        u.key,
        u.s3_upload_id,
        u.filename,
        u.content_type,
        u.bytes,
        u.part_bytes,
        u.sha256,
        u.title,
        u.owner_id,
        u.owner_email,
        u.created_at.toISOString(),
      ],
    );
  }

  /** The app's upload of this id; another app's is not found. */
  async get(app: string, id: string): Promise<UploadRow | undefined> {
    const { rows } = await this.#db.query(`SELECT ${COLUMNS} FROM uploads WHERE id = $1 AND app_id = $2`, [id, app]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** The app's upload of this video (video_id is UNIQUE), as S3's notification of its key names them. */
  async getByVideo(app: string, videoId: string): Promise<UploadRow | undefined> {
    const { rows } = await this.#db.query(`SELECT ${COLUMNS} FROM uploads WHERE app_id = $1 AND video_id = $2`, [
      app,
      videoId,
    ]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** created → completed, once: the row after, or undefined when another call moved it first. */
  async markCompleted(
    id: string,
    done: { version: string; parts: number; finishedAt: Date },
  ): Promise<UploadRow | undefined> {
    const { rows } = await this.#db.query(
      `UPDATE uploads SET state = 'completed', version = $2, parts = $3, finished_at = $4
       WHERE id = $1 AND state = 'created' RETURNING ${COLUMNS}`,
      [id, done.version, done.parts, done.finishedAt.toISOString()],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** created → aborted, once, with the reason: the row after, or undefined when another call moved it first. */
  async markAborted(
    id: string,
    error: { code: string; message: string },
    finishedAt: Date,
  ): Promise<UploadRow | undefined> {
    const { rows } = await this.#db.query(
      `UPDATE uploads SET state = 'aborted', error_code = $2, error_message = $3, finished_at = $4
       WHERE id = $1 AND state = 'created' RETURNING ${COLUMNS}`,
      [id, error.code, error.message, finishedAt.toISOString()],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async unpublished(limit: number): Promise<UploadRow[]> {
    const { rows } = await this.#db.query(
      `SELECT ${COLUMNS} FROM uploads WHERE state IN ('completed', 'aborted') AND event_published_at IS NULL
       ORDER BY finished_at LIMIT $1`,
      [limit],
    );
    return rows.map(toRow);
  }

  /** Records that the upload's final event (completed or aborted) is on the bus. */
  async markPublished(id: string, at: Date): Promise<void> {
    await this.#db.query("UPDATE uploads SET event_published_at = $2 WHERE id = $1 AND event_published_at IS NULL", [
      id,
      at.toISOString(),
    ]);
  }
}
