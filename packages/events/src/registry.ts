import type { Static, TObject } from "@sinclair/typebox";
import { ApiEvents } from "./families/api.ts";
import { CdnEvents } from "./families/cdn.ts";
import { ClickEvents } from "./families/click.ts";
import { JobEvents } from "./families/job.ts";
import { NotificationEvents } from "./families/notification.ts";
import { PlaybackEvents } from "./families/playback.ts";
import { UploadEvents } from "./families/upload.ts";
import type { Family } from "./topics.ts";
import { TOPICS } from "./topics.ts";

/** Every event type of the contract, keyed by its `event_type`. */
export const EVENT_SCHEMAS = {
  ...PlaybackEvents,
  ...ClickEvents,
  ...JobEvents,
  ...ApiEvents,
  ...UploadEvents,
  ...NotificationEvents,
  ...CdnEvents,
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
/** The payload of each event type: `EventOf<"playback.rebuffer_end">`. */
export type EventOf<T extends EventType> = Static<(typeof EVENT_SCHEMAS)[T]>;
/** Any event of the contract, discriminated by `event_type`. */
export type ReeltimeEvent = { [T in EventType]: EventOf<T> }[EventType];
export type PlaybackEvent = Extract<ReeltimeEvent, { event_type: `playback.${string}` }>;
export type JobEvent = Extract<ReeltimeEvent, { event_type: `job.${string}` }>;
export type ClickEvent = EventOf<"click">;
export type ApiEvent = EventOf<"api.request">;
export type UploadEvent = Extract<ReeltimeEvent, { event_type: `upload.${string}` }>;
export type NotificationEvent = Extract<ReeltimeEvent, { event_type: `notification.${string}` }>;
export type CdnEvent = EventOf<"cdn.request">;

export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

/**
 * Types of a client family that only reeltime's own services make: the public write API refuses
 * them (a write key ships in web pages and must not write the CDN's figures).
 */
export const SERVER_EVENT_TYPES: readonly EventType[] = ["playback.delivery"];

export function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && Object.hasOwn(EVENT_SCHEMAS, value);
}

/** The family (topic, index, table) an event type belongs to. */
export function familyOf(type: EventType): Family {
  if (type === "click") return "click";
  return type.slice(0, type.indexOf(".")) as Family;
}

export function schemasOfFamily(family: Family): TObject[] {
  return EVENT_TYPES.filter((t) => familyOf(t) === family).map((t) => EVENT_SCHEMAS[t] as TObject);
}

/** The bus topic of an event and its partition key (ordering is guaranteed per key). */
export function routeOf(event: ReeltimeEvent): { topic: string; key: string } {
  const family = familyOf(event.event_type);
  switch (family) {
    case "playback":
      return { topic: TOPICS.playback, key: (event as PlaybackEvent).view_id };
    case "click":
      return { topic: TOPICS.click, key: (event as ClickEvent).view_id ?? (event as ClickEvent).session_id };
    case "job":
      return { topic: TOPICS.job, key: (event as JobEvent).job.id };
    case "api":
      return { topic: TOPICS.api, key: (event as ApiEvent).app_id };
    case "upload":
      return { topic: TOPICS.upload, key: (event as UploadEvent).video.id };
    case "notification":
      return { topic: TOPICS.notification, key: (event as NotificationEvent).notification.id };
    case "cdn":
      return { topic: TOPICS.cdn, key: cdnKey(event as CdnEvent) };
  }
}

/** A CDN request's key: its view's CMCD session id, else the edge's request id, else its log line. */
function cdnKey(e: CdnEvent): string {
  const c = e.cdn;
  if (c.sid) return c.sid;
  if (c.request_id) return c.request_id;
  return c.log_file !== undefined ? `${c.log_file}#${c.line ?? 0}` : e.event_id;
}
