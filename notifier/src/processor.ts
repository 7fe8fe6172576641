import type { Bus, ConsumedBatch, DeadLetter } from "@reeltime/connectors";
import { type JobEvent, TOPICS } from "@reeltime/events";
import { deadLetter, decode, type Processor, type ProcessorMetrics, publishDeadLetters } from "@reeltime/processing";
import type { Logger } from "@reeltime/runtime";
import type { DeliveryLoop } from "./deliveries.ts";
import { type Channel, insertDelivery, listEndpoints, notificationId, type Sql, type Trigger } from "./store.ts";

const TRIGGERS: Partial<Record<string, Trigger>> = { "job.completed": "video.ready", "job.failed": "video.failed" };
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const APP = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * The catalogue's row of a video, when there is one (the catalogue owns the table; video ids are
 * per app). Without the app, only a video id that is one app's.
 */
async function catalogueRow(
  db: Sql,
  app: string | undefined,
  video: string,
): Promise<{ app_id: string; title: string | null; owner_email: string | null } | undefined> {
  try {
    const r = app
      ? await db.query<{ app_id: string; title: string | null; owner_email: string | null }>(
          "SELECT app_id, title, owner_email FROM videos WHERE app_id = $1 AND video_id = $2",
          [app, video],
        )
      : await db.query<{ app_id: string; title: string | null; owner_email: string | null }>(
          "SELECT app_id, title, owner_email FROM videos WHERE video_id = $1 LIMIT 2",
          [video],
        );
    return r.rows.length === 1 ? r.rows[0] : undefined;
  } catch (err) {
    // No catalogue here (42P01: no table) or an older one (42703: no column): webhooks only.
    const code = (err as { code?: string }).code;
    if (code === "42P01" || code === "42703") return undefined;
    throw err;
  }
}

/**
 * The notifier's consumer group over the job topic: a job.completed (video.ready) or job.failed
 * (video.failed) becomes one notification per webhook endpoint of the app, and one email to the
 * video's owner when SMTP is configured and the catalogue knows the owner. Each has a
 * deterministic id (app, video, trigger, channel, endpoint): a replayed or repeated job event
 * records nothing new. The batch is committed once the notifications are recorded (not once
 * sent): the delivery loop sends them, from the table, across restarts.
 */
export class NotifierProcessor implements Processor {
  readonly name = "notifier";
  readonly group = "reeltime-notifier";
  readonly topics = [TOPICS.job];
  readonly commit = "after-handler" as const;
  readonly #db: Sql;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #metrics: ProcessorMetrics | undefined;
  readonly #loop: DeliveryLoop;
  readonly #email: boolean;
  readonly #now: () => number;

  constructor(
    deps: { db: Sql; bus: Bus; log: Logger; loop: DeliveryLoop; metrics?: ProcessorMetrics | undefined },
    opts: { email: boolean; now?: () => number },
  ) {
    this.#db = deps.db;
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#loop = deps.loop;
    this.#metrics = deps.metrics;
    this.#email = opts.email;
    this.#now = opts.now ?? Date.now;
  }

  async handle(batch: ConsumedBatch): Promise<void> {
    const letters: DeadLetter[] = [];
    let recorded = 0;
    for (const m of batch.messages) {
      const e = decode<JobEvent>(m);
      if (!e) {
        letters.push(deadLetter(this.name, "undecodable", "not a JSON object", m, undefined));
        continue;
      }
      const trigger = TRIGGERS[e.event_type];
      if (!trigger) continue;
      recorded += await this.#record(e, trigger);
    }
    await publishDeadLetters(this.#bus, letters);
    for (const l of letters) this.#metrics?.deadLetters.inc({ processor: this.name, reason: l.reason });
    if (recorded > 0) this.#loop.kick();
  }

  async #record(e: JobEvent, trigger: Trigger): Promise<number> {
    const video = e.video?.id;
    if (typeof video !== "string" || !ID.test(video)) return 0;
    const given = typeof e.app_id === "string" && APP.test(e.app_id) ? e.app_id : undefined;
    const owner = await catalogueRow(this.#db, given, video);
    const app = given ?? owner?.app_id;
    if (!app) return 0;
    const title = owner?.title ?? e.video?.title ?? null;
    const now = this.#now();
    const body = (id: string) =>
      JSON.stringify({
        id,
        type: trigger,
        created_at: new Date(now).toISOString(),
        app_id: app,
        data: {
          video_id: video,
          ...(title ? { title } : {}),
          status: trigger === "video.ready" ? "ready" : "failed",
          job_id: e.job?.id,
          ...(trigger === "video.failed" && e.job?.error
            ? { error: { code: e.job.error.code, message: e.job.error.message } }
            : {}),
        },
      });
    let recorded = 0;
    const add = async (channel: Channel, endpoint: string | null, recipient: string | null) => {
      const id = notificationId(app, video, trigger, channel, endpoint ?? "");
      const fresh = await insertDelivery(
        this.#db,
        {
          notification_id: id,
          app_id: app,
          video_id: video,
          trigger,
          channel,
          endpoint_id: endpoint,
          recipient,
          title,
          payload: body(id),
        },
        now,
      );
      if (fresh) recorded++;
    };
    for (const ep of await listEndpoints(this.#db, app)) await add("webhook", ep.endpoint_id, null);
    if (this.#email && owner?.owner_email) await add("email", null, owner.owner_email);
    if (recorded > 0)
      this.#log.info(
        { app_id: app, video_id: video, trigger, notifications: recorded },
        "notifier: notifications recorded",
      );
    return recorded;
  }
}
