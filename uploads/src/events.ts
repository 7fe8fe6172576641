import { type Bus, withBusTimeout } from "@reeltime/connectors";
import { type EventOf, routeOf, SCHEMA_VERSION, validateEvent } from "@reeltime/events";
import { injectTraceHeaders, ReeltimeError, stableEventId } from "@reeltime/runtime";
import type { UploadRow } from "./store.ts";

type UploadType = "upload.created" | "upload.completed" | "upload.aborted";
export type UploadEventOf<T extends UploadType> = EventOf<T>;

/**
 * The event id of an upload's event of a type: a UUIDv7 whose time is the upload's start and
 * whose random bits are SHA-256(upload id, type). A retried call makes the same event, so a
 * consumer that keeps event ids drops a repeat, and there is one `upload.completed` per upload.
 */
export function uploadEventId(uploadId: string, type: UploadType, createdAt: Date): string {
  return stableEventId(`${uploadId}\n${type}`, createdAt);
}

/**
 * An upload's event, made only from its row (so a retry makes the same bytes): app_id is the
 * write key's app, never anything the client sent. created is seq 1, completed/aborted seq 2.
 */
export function uploadEvent<T extends UploadType>(type: T, row: UploadRow): UploadEventOf<T> {
  const final = type !== "upload.created";
  const at = final ? (row.finished_at ?? row.created_at) : row.created_at;
  const owner = {
    ...(row.owner_id ? { id: row.owner_id } : {}),
    ...(row.owner_email ? { email: row.owner_email } : {}),
  };
  const upload = {
    id: row.id,
    bucket: row.bucket,
    key: row.key,
    content_type: row.content_type,
    ...(type === "upload.completed"
      ? {
          bytes: row.bytes,
          parts: row.parts ?? 0,
          checksum_sha256: row.sha256,
          source: "api" as const,
          ...(row.version ? { version: row.version } : {}),
        }
      : {}),
    ...(type === "upload.created"
      ? { bytes: row.bytes, parts: Math.ceil(row.bytes / row.part_bytes), checksum_sha256: row.sha256 }
      : {}),
    ...(type === "upload.aborted"
      ? {
          bytes: row.bytes,
          error: { code: row.error_code ?? "REELTIME_ERR_UPLOAD_STATE", message: row.error_message ?? "aborted" },
        }
      : {}),
  };
  return {
    event_id: uploadEventId(row.id, type, row.created_at),
    schema_version: SCHEMA_VERSION,
    event_type: type,
    client_ts: at.toISOString(),
    seq: final ? 2 : 1,
    app_id: row.app_id,
    video: { id: row.video_id, ...(row.title ? { title: row.title } : {}) },
    ...(Object.keys(owner).length > 0 ? { owner } : {}),
    upload,
  } as unknown as UploadEventOf<T>;
}

const encoder = new TextEncoder();

/**
 * Publishes one upload event on its topic (reeltime.upload, keyed by video id) after checking
 * it against the contract; resolves once the bus acknowledged, or throws a retryable 503.
 */
export async function publishUploadEvent(bus: Bus, event: UploadEventOf<UploadType>, timeoutMs: number) {
  const checked = validateEvent(event);
  if (!checked.ok)
    throw new ReeltimeError(
      "REELTIME_ERR_INTERNAL",
      `the upload API made a ${event.event_type} the contract refuses: ${checked.errors
        .slice(0, 3)
        .map((i) => `${i.pointer} ${i.message}`)
        .join("; ")}`,
    );
  const { topic, key } = routeOf(checked.event);
  const headers = injectTraceHeaders({ schema_version: SCHEMA_VERSION, "content-type": "application/json" });
  await withBusTimeout(bus.publish(topic, [{ key, value: encoder.encode(JSON.stringify(event)), headers }]), timeoutMs);
}
