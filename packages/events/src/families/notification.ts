import { Type } from "@sinclair/typebox";
import { Count, Id, Keyword, LongText, Ms, Obj, ShortText, Timestamp } from "../common.ts";
import { defineEvent, Video } from "../envelope.ts";

export const NOTIFICATION_CHANNELS = ["webhook", "email"] as const;
/** What a notification tells: a video became ready, or failed. */
export const NOTIFICATION_TRIGGERS = ["video.ready", "video.failed"] as const;

/** One notification (its id is the idempotency key receivers drop duplicates by) and one attempt at it. */
export const Notification = Obj({
  id: Id,
  channel: Keyword(NOTIFICATION_CHANNELS),
  trigger: Keyword(NOTIFICATION_TRIGGERS),
  endpoint_id: Type.Optional(Id),
  attempt: Type.Integer({ minimum: 1, maximum: 10_000 }),
  status_code: Type.Optional(Type.Integer({ minimum: 0, maximum: 999, description: "HTTP or SMTP reply code" })),
  latency_ms: Type.Optional(Ms()),
  next_attempt_at: Type.Optional(Timestamp),
  attempts_left: Type.Optional(Count()),
  error: Type.Optional(Obj({ code: ShortText(), message: LongText() })),
});

const notificationFields = { notification: Notification, video: Type.Optional(Video) };
const notificationEvent = <T extends string>(type: T, description: string) =>
  defineEvent(type, description, { ...notificationFields });

export const NotificationEvents = {
  /** Fires when a delivery attempt succeeded (2xx, or the SMTP server accepted the message). */
  "notification.sent": notificationEvent("notification.sent", "a notification was delivered"),
  /** Fires when a delivery attempt failed and another is scheduled. */
  "notification.failed": notificationEvent("notification.failed", "a delivery attempt failed; it will be retried"),
  /** Fires when the notifier gives up (24 h of retries) and the notification goes to dead letters. */
  "notification.dead": notificationEvent("notification.dead", "a notification could not be delivered"),
} as const;
