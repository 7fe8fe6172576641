import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newSigningSecret, signWebhook, verifyWebhook } from "../../src/webhooks/signing.ts";

const secret = "whsec_test-secret";
const body = JSON.stringify({ id: "ntf_1", type: "video.ready", data: { video_id: "v1" } });
const now = 1_800_000_000;

describe("webhook signatures", () => {
  it("signs HMAC-SHA256 over the timestamp, a dot and the body with the endpoint's secret, as computed here independently", () => {
    const headers = signWebhook(secret, "ntf_1", now, body);
    // Written out by hand, as a receiver in any language would compute it.
    const mac = createHmac("sha256", Buffer.from(secret, "utf8"));
    mac.update(Buffer.from(`${now}.${body}`, "utf8"));
    expect(headers).toEqual({
      "webhook-id": "ntf_1",
      "webhook-timestamp": String(now),
      "webhook-signature": `v1,${mac.digest("base64")}`,
    });
    expect(verifyWebhook(secret, headers, body, { nowSeconds: now })).toEqual({
      ok: true,
      id: "ntf_1",
      timestamp: now,
    });
  });

  it("accepts fetch Headers, Node's header objects (any case, arrays) and a rotated second signature", () => {
    const h = signWebhook(secret, "ntf_1", now, body);
    expect(verifyWebhook(secret, new Headers(h), body, { nowSeconds: now }).ok).toBe(true);
    const upper = {
      "Webhook-Id": [h["webhook-id"]!],
      "WEBHOOK-TIMESTAMP": h["webhook-timestamp"],
      "webhook-signature": h["webhook-signature"],
    };
    expect(verifyWebhook(secret, upper, Buffer.from(body), { nowSeconds: now }).ok).toBe(true);
    const rotated = {
      ...h,
      "webhook-signature": `v1,${Buffer.alloc(32).toString("base64")} ${h["webhook-signature"]}`,
    };
    expect(verifyWebhook(secret, rotated, body, { nowSeconds: now }).ok).toBe(true);
  });

  it("refuses a tampered body, a tampered timestamp, another secret and missing headers", () => {
    const h = signWebhook(secret, "ntf_1", now, body);
    expect(verifyWebhook(secret, h, body.replace("v1", "v2"), { nowSeconds: now })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(verifyWebhook(secret, { ...h, "webhook-timestamp": String(now + 1) }, body, { nowSeconds: now })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(verifyWebhook("whsec_other", h, body, { nowSeconds: now }).ok).toBe(false);
    expect(verifyWebhook(secret, { ...h, "webhook-signature": "v0,abc" }, body, { nowSeconds: now }).ok).toBe(false);
    expect(verifyWebhook(secret, { "webhook-id": "ntf_1" }, body, { nowSeconds: now })).toEqual({
      ok: false,
      reason: "missing_headers",
    });
    expect(verifyWebhook(secret, { ...h, "webhook-timestamp": "1e9" }, body, { nowSeconds: now })).toEqual({
      ok: false,
      reason: "bad_timestamp",
    });
  });

  it("refuses a timestamp outside the tolerance (a replayed capture), either way", () => {
    const old = signWebhook(secret, "ntf_1", now - 301, body);
    expect(verifyWebhook(secret, old, body, { nowSeconds: now })).toEqual({ ok: false, reason: "too_old" });
    expect(verifyWebhook(secret, old, body, { nowSeconds: now, toleranceSeconds: 600 }).ok).toBe(true);
    const ahead = signWebhook(secret, "ntf_1", now + 301, body);
    expect(verifyWebhook(secret, ahead, body, { nowSeconds: now })).toEqual({ ok: false, reason: "too_new" });
    // Without nowSeconds, the real clock: a signature made now verifies.
    const fresh = signWebhook(secret, "ntf_1", Math.floor(Date.now() / 1000), body);
    expect(verifyWebhook(secret, fresh, body).ok).toBe(true);
  });

  it("makes a new random secret each time", () => {
    const a = newSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newSigningSecret()).not.toBe(a);
  });
});
