import { createHash } from "node:crypto";
import type { Bus, ConsumedMessage } from "@reeltime/connectors";
import { TOPICS, validateEvent } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { WORKER_ERRORS } from "../errors.ts";

/** The work queue of transcode requests; transcode workers consume it as one consumer group. */
export const TRANSCODE_TOPIC = TOPICS.transcode;
/** The consumer group every transcode worker joins: each request goes to exactly one of them. */
export const WORKER_GROUP = "reeltime-transcoders";

/** One upload to transcode, as it travels on {@link TRANSCODE_TOPIC} (keyed by request_id). */
export interface TranscodeRequest {
  /** Stable per upload version: a request published twice is still processed once. */
  request_id: string;
  /** Archive key of the uploaded file. */
  source_key: string;
  video_id?: string;
  app_id?: string;
  title?: string;
  /** ISO time the upload landed / the request was made (queue wait is measured from it). */
  requested_at: string;
}

/** The request id of one version of an upload: the same key, size and time give the same id. */
export function requestIdFor(sourceKey: string, size: number, lastModified: Date): string {
  return createHash("sha256").update(`${sourceKey}\n${size}\n${lastModified.toISOString()}`).digest("hex").slice(0, 32);
}

/**
 * Where uploads land in the archive: `uploads/<app>/<video>/…` (the upload API's keys). An
 * upload event whose key is outside its own app's folder is refused, so no app can have
 * another app's source transcoded as its own.
 */
export const UPLOADS_PREFIX = "uploads/";

/** The request id of one upload and object version (one job id per upload version, whoever runs it). */
export function requestIdForUpload(key: string, version: string | undefined): string {
  return createHash("sha256")
    .update(`${key}\n${version ?? ""}`)
    .digest("hex")
    .slice(0, 32);
}

/**
 * The transcode request an `upload.completed` event stands for; `undefined` for the upload
 * family's other events (they need no work). Throws REELTIME_ERR_BAD_TRANSCODE_REQUEST for a
 * message that is not a valid upload event or names a key outside its app's folder.
 */
export function requestFromUpload(message: ConsumedMessage): TranscodeRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(message.value));
  } catch {
    value = undefined;
  }
  const where = `message ${message.partition}/${message.offset} on ${TOPICS.upload}`;
  // Timestamps are judged against when the bus took the message: a replay weeks later is still valid.
  const checked = validateEvent(value, 0, { now: new Date(message.timestamp) });
  if (!checked.ok)
    throw new ReeltimeError(
      WORKER_ERRORS.badRequest,
      `${where} is not a valid upload event: ${checked.errors
        .slice(0, 3)
        .map((i) => `${i.pointer || "/"} ${i.message}`)
        .join("; ")}`,
    );
  const event = checked.event;
  if (
    event.event_type !== "upload.created" &&
    event.event_type !== "upload.completed" &&
    event.event_type !== "upload.aborted"
  )
    throw new ReeltimeError(WORKER_ERRORS.badRequest, `${where} is a ${event.event_type} event, not an upload event`);
  if (event.event_type !== "upload.completed") return undefined;
  const app = event.app_id;
  if (!app || !event.upload.key.startsWith(`${UPLOADS_PREFIX}${app}/`))
    throw new ReeltimeError(
      WORKER_ERRORS.badRequest,
      `${where}: upload ${event.upload.id} names key "${event.upload.key.slice(0, 200)}", which is not in its app's folder ` +
        `(${UPLOADS_PREFIX}${app ?? "<no app>"}/); it is not transcoded`,
    );
  return {
    request_id: requestIdForUpload(event.upload.key, event.upload.version),
    source_key: event.upload.key,
    video_id: event.video.id,
    app_id: app,
    ...(event.video.title ? { title: event.video.title } : {}),
    requested_at: event.client_ts,
  };
}

/** Publishes transcode requests; resolves once the bus acknowledged them. */
export async function requestTranscodes(
  bus: Bus,
  requests: readonly TranscodeRequest[],
  topic: string = TRANSCODE_TOPIC,
): Promise<void> {
  await bus.publish(
    topic,
    requests.map((r) => ({
      key: r.request_id,
      value: new TextEncoder().encode(JSON.stringify(r)),
      headers: { "content-type": "application/json" },
    })),
  );
}

/** Reads a request off the bus; throws REELTIME_ERR_BAD_TRANSCODE_REQUEST for anything else. */
export function decodeRequest(message: ConsumedMessage): TranscodeRequest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(message.value));
  } catch {
    value = undefined;
  }
  const r = value as Partial<TranscodeRequest> | undefined;
  const text = (v: unknown) => typeof v === "string" && v.length > 0 && v.length <= 1024;
  if (!r || !text(r.request_id) || !/^[A-Za-z0-9._-]{1,128}$/.test(r.request_id ?? "") || !text(r.source_key))
    throw new ReeltimeError(
      WORKER_ERRORS.badRequest,
      `message ${message.partition}/${message.offset} on ${TRANSCODE_TOPIC} is not a transcode request ` +
        "(JSON with request_id and source_key); publish requests with requestTranscodes()",
    );
  return {
    request_id: r.request_id as string,
    source_key: r.source_key as string,
    requested_at: text(r.requested_at) ? (r.requested_at as string) : new Date(message.timestamp).toISOString(),
    ...(text(r.video_id) ? { video_id: r.video_id as string } : {}),
    ...(text(r.app_id) ? { app_id: r.app_id as string } : {}),
    ...(text(r.title) ? { title: r.title as string } : {}),
  };
}
