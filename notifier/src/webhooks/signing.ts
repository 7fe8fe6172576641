import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures, in the style of Stripe and Standard Webhooks: HMAC-SHA256 with the
 * endpoint's own secret (the whole `whsec_…` string as the key) over `${timestamp}.${body}`,
 * sent as `webhook-signature: v1,<base64>` beside `webhook-id` (the notification id, the
 * idempotency key) and `webhook-timestamp` (Unix seconds). Several signatures may be sent
 * separated by spaces (a secret being rotated); one valid signature is enough.
 */
export const WEBHOOK_HEADERS = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature",
} as const;

/** A new signing secret: `whsec_` and 32 random bytes in base64url. Shown once, at creation. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** The base64 HMAC-SHA256 of `${timestamp}.${body}` under the secret. */
export function signature(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("base64");
}

/** The headers of one delivery. `timestamp` is Unix seconds. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: `v1,${signature(secret, timestamp, body)}`,
  };
}

export type VerifyResult =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: "missing_headers" | "bad_timestamp" | "too_old" | "too_new" | "bad_signature" };

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : bag[key];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Checks a delivery as a receiver would: the signature over the raw body as received (not a
 * re-serialised object), and a timestamp within `toleranceSeconds` (default 300) of now, so a
 * captured delivery cannot be replayed later. Drop duplicates by `id` (the `webhook-id`).
 */
export function verifyWebhook(
  secret: string,
  headers: HeaderBag,
  body: string | Uint8Array,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): VerifyResult {
  const id = header(headers, WEBHOOK_HEADERS.id);
  const ts = header(headers, WEBHOOK_HEADERS.timestamp);
  const sigs = header(headers, WEBHOOK_HEADERS.signature);
  if (!id || !ts || !sigs) return { ok: false, reason: "missing_headers" };
  if (!/^[0-9]{1,12}$/.test(ts)) return { ok: false, reason: "bad_timestamp" };
  const timestamp = Number(ts);
  const tolerance = opts.toleranceSeconds ?? 300;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (timestamp < now - tolerance) return { ok: false, reason: "too_old" };
  if (timestamp > now + tolerance) return { ok: false, reason: "too_new" };
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  const expected = Buffer.from(signature(secret, timestamp, text), "base64");
  for (const part of sigs.split(" ")) {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) continue;
    const given = Buffer.from(value, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id, timestamp };
  }
  return { ok: false, reason: "bad_signature" };
}
