import { createHash } from "node:crypto";

/**
 * A UUIDv7 that is the same every time it is made from the same key and time: the time in its
 * first 48 bits, the key's SHA-256 in the rest (version and variant bits set as RFC 9562 says).
 * For an event that states one fact however often it is sent again (an upload completed, a job
 * completed): every copy carries the same `event_id`, so every store that keeps events by id
 * keeps one.
 */
export function stableEventId(key: string, at: Date): string {
  const hash = createHash("sha256").update(key).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(at.getTime(), 0, 6);
  hash.copy(b, 6, 0, 10);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f); // version 7
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f); // RFC 9562 variant
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
