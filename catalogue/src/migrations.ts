import type { Migration } from "@reeltime/database";

/** The owner name of the catalogue's migrations in reeltime_migrations. */
export const OWNER = "catalogue";

/**
 * The catalogue's schema, in order; never edit one that shipped, add the next. `state` holds the
 * order-proof state the row is derived from (catalogue/src/state.ts); the other columns are
 * that derivation, kept as columns for filters, paging and the notifier.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "videos",
    sql: `
CREATE TABLE videos (
  app_id text NOT NULL,
  video_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('uploaded', 'processing', 'ready', 'failed')),
  title text,
  owner_id text,
  owner_email text,
  failure_code text,
  failure_message text,
  upload_id text,
  source_key text,
  source_version text,
  source_bytes bigint,
  content_type text,
  job_id text,
  duration_ms bigint,
  width integer,
  height integer,
  renditions jsonb NOT NULL DEFAULT '[]',
  manifests jsonb NOT NULL DEFAULT '[]',
  thumbnails jsonb NOT NULL DEFAULT '[]',
  uploaded_at timestamptz,
  processing_at timestamptz,
  ready_at timestamptz,
  failed_at timestamptz,
  updated_at timestamptz NOT NULL,
  upload_to_ready_ms bigint,
  state jsonb NOT NULL,
  PRIMARY KEY (app_id, video_id)
);
CREATE INDEX videos_app_updated ON videos (app_id, updated_at, video_id);
CREATE INDEX videos_app_status_updated ON videos (app_id, status, updated_at, video_id);
CREATE INDEX videos_updated ON videos (updated_at, video_id);
`,
  },
  {
    // The row's revision: 1 when inserted, one more at every change (under the row lock), so the
    // archived copies of a video's record are ordered: readers keep the highest.
    version: 2,
    name: "videos revision",
    sql: "ALTER TABLE videos ADD COLUMN revision bigint NOT NULL DEFAULT 1;",
  },
  {
    // What the content analyses found (the record's `analysis`: totals and timed findings);
    // NULL until an analysis step of the video completed.
    version: 3,
    name: "videos analysis",
    sql: "ALTER TABLE videos ADD COLUMN analysis jsonb;",
  },
];
