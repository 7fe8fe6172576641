import { createHash } from "node:crypto";
import type { Database, Migration } from "@reeltime/database";
import type { NotificationEvent } from "@reeltime/events";

/** What the notifier needs of @reeltime/database's `Database`: SQL text and bound parameters, never a value spliced into SQL. */
export type Sql = Pick<Database, "query">;

export type Channel = NotificationEvent["notification"]["channel"];
export type Trigger = NotificationEvent["notification"]["trigger"];

/** The migrations owner of the notifier's tables. */
export const MIGRATIONS_OWNER = "notifier";

/**
 * The notifier's schema, in order; applied once each by `migrate(db, "notifier", NOTIFIER_MIGRATIONS)`.
 * - notifier_endpoints: webhook endpoints per app. The signing secret is stored as it is
 *   (it must be usable to sign): protect the database like any credential store.
 * - notifier_deliveries: one row per notification (its id is the idempotency key), with its
 *   state and when it is due next, so retries survive restarts.
 * - notifier_attempts: the delivery log, one row per attempt (status, latency, outcome); the
 *   `published` flag is an outbox: the notification.* event of an attempt (and the dead letter
 *   of a given-up one) is published until the bus acknowledged it.
 */
export const NOTIFIER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "webhook endpoints, notifications and their delivery log",
    sql: `
CREATE TABLE notifier_endpoints (
  endpoint_id text PRIMARY KEY,
  app_id text NOT NULL,
  url text NOT NULL,
  description text,
  secret text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX notifier_endpoints_app ON notifier_endpoints (app_id);
CREATE TABLE notifier_deliveries (
  notification_id text PRIMARY KEY,
  app_id text NOT NULL,
  video_id text NOT NULL,
  trigger text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
  endpoint_id text,
  recipient text,
  title text,
  payload text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  retry_from timestamptz NOT NULL,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX notifier_deliveries_due ON notifier_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE TABLE notifier_attempts (
  notification_id text NOT NULL,
  attempt integer NOT NULL,
  event_id text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('sent', 'failed', 'dead')),
  status_code integer,
  latency_ms integer NOT NULL,
  error_code text,
  error_message text,
  next_attempt_at timestamptz,
  at timestamptz NOT NULL,
  published boolean NOT NULL DEFAULT false,
  PRIMARY KEY (notification_id, attempt)
);
CREATE INDEX notifier_attempts_unpublished ON notifier_attempts (at) WHERE NOT published;
`,
  },
];

/** The deterministic id of the notification of one (app, video, trigger, channel, endpoint): its idempotency key. */
export function notificationId(app: string, video: string, trigger: Trigger, channel: Channel, endpoint = ""): string {
  const h = createHash("sha256").update([app, video, trigger, channel, endpoint].join("\u0000")).digest("hex");
  return `ntf_${h.slice(0, 40)}`;
}

export type EndpointRow = {
  endpoint_id: string;
  app_id: string;
  url: string;
  description: string | null;
  secret: string;
  created_at: Date | string;
};

export type DeliveryRow = {
  notification_id: string;
  app_id: string;
  video_id: string;
  trigger: Trigger;
  channel: Channel;
  endpoint_id: string | null;
  recipient: string | null;
  title: string | null;
  payload: string;
  state: "pending" | "delivered" | "dead" | "cancelled";
  attempts: number;
  next_attempt_at: Date | string | null;
  retry_from: Date | string;
  last_status: number | null;
  last_error: string | null;
  created_at: Date | string;
};

/** A due delivery with its endpoint (url, secret), as claimed by the delivery loop. */
export type ClaimedDelivery = DeliveryRow & { url: string | null; secret: string | null };

export const iso = (ms: number) => new Date(ms).toISOString();
export const ms = (t: Date | string | null | undefined) =>
  t === null || t === undefined ? undefined : t instanceof Date ? t.getTime() : Date.parse(t);

export async function listEndpoints(db: Sql, app: string): Promise<EndpointRow[]> {
  const r = await db.query<EndpointRow>(
    "SELECT endpoint_id, app_id, url, description, secret, created_at FROM notifier_endpoints WHERE app_id = $1 ORDER BY created_at, endpoint_id",
    [app],
  );
  return r.rows;
}

export async function insertEndpoint(db: Sql, e: Omit<EndpointRow, "created_at">, now: number): Promise<void> {
  await db.query(
    "INSERT INTO notifier_endpoints (endpoint_id, app_id, url, description, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    [e.endpoint_id, e.app_id, e.url, e.description, e.secret, iso(now)],
  );
}

/** Deletes an app's endpoint; its pending deliveries are cancelled. False when the app has no such endpoint. */
export async function deleteEndpoint(db: Sql, app: string, id: string, now: number): Promise<boolean> {
  const r = await db.query<{ endpoint_id: string }>(
    "DELETE FROM notifier_endpoints WHERE app_id = $1 AND endpoint_id = $2 RETURNING endpoint_id",
    [app, id],
  );
  if (r.rows.length === 0) return false;
  await db.query(
    "UPDATE notifier_deliveries SET state = 'cancelled', next_attempt_at = NULL, updated_at = $2 WHERE endpoint_id = $1 AND state = 'pending'",
    [id, iso(now)],
  );
  return true;
}

/** Records a notification, due now; nothing happens when one with this id exists (a replayed job event). */
export async function insertDelivery(
  db: Sql,
  d: Pick<
    DeliveryRow,
    | "notification_id"
    | "app_id"
    | "video_id"
    | "trigger"
    | "channel"
    | "endpoint_id"
    | "recipient"
    | "title"
    | "payload"
  >,
  now: number,
): Promise<boolean> {
  const r = await db.query<{ notification_id: string }>(
    `INSERT INTO notifier_deliveries
       (notification_id, app_id, video_id, trigger, channel, endpoint_id, recipient, title, payload,
        state, attempts, next_attempt_at, retry_from, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10, $10, $10)
     ON CONFLICT (notification_id) DO NOTHING
     RETURNING notification_id`,
    [
      d.notification_id,
      d.app_id,
      d.video_id,
      d.trigger,
      d.channel,
      d.endpoint_id,
      d.recipient,
      d.title,
      d.payload,
      iso(now),
    ],
  );
  return r.rows.length > 0;
}

/**
 * Claims up to `limit` due deliveries: their next_attempt_at moves `leaseMs` ahead, so another
 * notifier (or this one, later) takes them again only if this one died mid-send (then the
 * receiver may get it twice and drops it by webhook-id). SKIP LOCKED lets replicas share the table.
 */
export async function claimDue(db: Sql, now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const r = await db.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT notification_id FROM notifier_deliveries
        WHERE state = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     )
     UPDATE notifier_deliveries d SET next_attempt_at = $3, updated_at = $1
       FROM due WHERE d.notification_id = due.notification_id
     RETURNING d.*,
       (SELECT e.url FROM notifier_endpoints e WHERE e.endpoint_id = d.endpoint_id) AS url,
       (SELECT e.secret FROM notifier_endpoints e WHERE e.endpoint_id = d.endpoint_id) AS secret`,
    [iso(now), limit, iso(now + leaseMs)],
  );
  return r.rows;
}

export type AttemptRecord = {
  notification_id: string;
  attempt: number;
  event_id: string;
  outcome: "sent" | "failed" | "dead";
  status_code?: number | undefined;
  latency_ms: number;
  error_code?: string | undefined;
  error_message?: string | undefined;
  next_attempt_at?: number | undefined;
  at: number;
};

/** Logs an attempt and moves its delivery to the state it leads to (pending again, delivered, dead). */
export async function recordAttempt(db: Sql, a: AttemptRecord): Promise<void> {
  await db.query(
    `INSERT INTO notifier_attempts
       (notification_id, attempt, event_id, outcome, status_code, latency_ms, error_code, error_message, next_attempt_at, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (notification_id, attempt) DO NOTHING`,
    [
      a.notification_id,
      a.attempt,
      a.event_id,
      a.outcome,
      a.status_code ?? null,
      a.latency_ms,
      a.error_code ?? null,
      a.error_message ?? null,
      a.next_attempt_at === undefined ? null : iso(a.next_attempt_at),
      iso(a.at),
    ],
  );
  const state = a.outcome === "sent" ? "delivered" : a.outcome === "dead" ? "dead" : "pending";
  await db.query(
    `UPDATE notifier_deliveries
        SET state = $2, attempts = $3, next_attempt_at = $4, last_status = $5, last_error = $6, updated_at = $7
      WHERE notification_id = $1`,
    [
      a.notification_id,
      state,
      a.attempt,
      a.next_attempt_at === undefined ? null : iso(a.next_attempt_at),
      a.status_code ?? null,
      a.error_message === undefined ? null : `${a.error_code ?? "error"}: ${a.error_message}`.slice(0, 2000),
      iso(a.at),
    ],
  );
}

/** Cancels a delivery that can no longer be sent (its endpoint was deleted). */
export async function cancelDelivery(db: Sql, id: string, now: number): Promise<void> {
  await db.query(
    "UPDATE notifier_deliveries SET state = 'cancelled', next_attempt_at = NULL, updated_at = $2 WHERE notification_id = $1",
    [id, iso(now)],
  );
}

export type UnpublishedAttempt = AttemptRecord & {
  app_id: string;
  video_id: string;
  title: string | null;
  trigger: Trigger;
  channel: Channel;
  endpoint_id: string | null;
};

export async function unpublishedAttempts(db: Sql, limit: number): Promise<UnpublishedAttempt[]> {
  const r = await db.query<
    Omit<UnpublishedAttempt, "at" | "next_attempt_at"> & {
      at: Date | string;
      next_attempt_at: Date | string | null;
      status_code: number | null;
      error_code: string | null;
      error_message: string | null;
    }
  >(
    `SELECT a.notification_id, a.attempt, a.event_id, a.outcome, a.status_code, a.latency_ms, a.error_code,
            a.error_message, a.next_attempt_at, a.at, d.app_id, d.video_id, d.title, d.trigger, d.channel, d.endpoint_id
       FROM notifier_attempts a JOIN notifier_deliveries d ON d.notification_id = a.notification_id
      WHERE NOT a.published
      ORDER BY a.at, a.notification_id, a.attempt
      LIMIT $1`,
    [limit],
  );
  return r.rows.map((row) => ({
    ...row,
    status_code: row.status_code ?? undefined,
    error_code: row.error_code ?? undefined,
    error_message: row.error_message ?? undefined,
    at: ms(row.at)!,
    next_attempt_at: ms(row.next_attempt_at),
  }));
}

export async function markPublished(db: Sql, attempts: { notification_id: string; attempt: number }[]): Promise<void> {
  for (const a of attempts)
    await db.query("UPDATE notifier_attempts SET published = true WHERE notification_id = $1 AND attempt = $2", [
      a.notification_id,
      a.attempt,
    ]);
}

/** The delivery log of one notification, oldest attempt first. */
export async function attemptsOf(db: Sql, id: string): Promise<AttemptRecord[]> {
  const r = await db.query<AttemptRecord & { at: Date | string; next_attempt_at: Date | string | null }>(
    "SELECT * FROM notifier_attempts WHERE notification_id = $1 ORDER BY attempt",
    [id],
  );
  return r.rows.map((row) => ({ ...row, at: ms(row.at)!, next_attempt_at: ms(row.next_attempt_at) }));
}

export async function deliveryOf(db: Sql, id: string): Promise<DeliveryRow | undefined> {
  const r = await db.query<DeliveryRow>("SELECT * FROM notifier_deliveries WHERE notification_id = $1", [id]);
  return r.rows[0];
}

/**
 * `reeltime replay` for a notification: marks it due again now, whatever its state (delivered,
 * dead, pending) but cancelled, with a fresh retry window. The same id is sent again, so a
 * receiver that already has it drops it. False when there is no such notification (or its
 * endpoint was deleted).
 */
export async function resendNotification(db: Sql, id: string, now: number = Date.now()): Promise<boolean> {
  const r = await db.query<{ notification_id: string }>(
    `UPDATE notifier_deliveries
        SET state = 'pending', next_attempt_at = $2, retry_from = $2, updated_at = $2
      WHERE notification_id = $1 AND state <> 'cancelled'
      RETURNING notification_id`,
    [id, iso(now)],
  );
  return r.rows.length > 0;
}
