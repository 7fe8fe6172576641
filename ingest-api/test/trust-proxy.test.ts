import { exampleEvent, TOPICS } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadIngestConfig } from "../src/config.ts";
import { parseTrustProxy } from "../src/trust-proxy.ts";
import { decode, drain, type Harness, harness, testEnv, WRITE_KEY } from "./helpers.ts";

describe("REELTIME_TRUST_PROXY parsing", () => {
  it("takes false, addresses and CIDRs (v4 and v6) and proxy-addr's named ranges", () => {
    expect(parseTrustProxy("false", "production")).toBe(false);
    expect(parseTrustProxy("", "production")).toBe(false);
    expect(parseTrustProxy(" 10.0.0.0/16, 10.1.2.3 ,2600:1f18::/56,loopback", "production")).toEqual([
      "10.0.0.0/16",
      "10.1.2.3",
      "2600:1f18::/56",
      "loopback",
    ]);
  });

  it("refuses true in production with a message that says what to set", () => {
    expect(parseTrustProxy("true", "development")).toBe(true);
    expect(() => parseTrustProxy("true", "production")).toThrow(
      /REELTIME_TRUST_PROXY.*load balancer's addresses or CIDRs/,
    );
    expect(() => loadIngestConfig(testEnv({ REELTIME_ENV: "production", REELTIME_TRUST_PROXY: "true" }))).toThrowError(
      expect.objectContaining({ code: "REELTIME_ERR_CONFIG" }),
    );
    expect(
      loadIngestConfig(testEnv({ REELTIME_ENV: "production", REELTIME_TRUST_PROXY: "10.0.0.0/8" })).env,
    ).toMatchObject({ REELTIME_TRUST_PROXY: "10.0.0.0/8" });
  });

  it("refuses entries that are not addresses or CIDRs, naming them", () => {
    expect(() => parseTrustProxy("10.0.0.0/16,lb.internal", "development")).toThrow(/"lb\.internal" is not an IP/);
    expect(() => parseTrustProxy("10.0.0.0/33", "development")).toThrow(/"10\.0\.0\.0\/33"/);
    expect(() => parseTrustProxy(",", "development")).toThrow(/REELTIME_TRUST_PROXY/);
  });
});

describe("X-Forwarded-For is believed only from the listed proxies", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ REELTIME_TRUST_PROXY: "10.0.0.0/16" });
  });
  afterAll(() => h.close());

  const send = async (remoteAddress: string, eventId: string) => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/events",
      headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY, "x-forwarded-for": "198.51.100.7" },
      payload: JSON.stringify([{ ...exampleEvent("playback.play"), event_id: eventId }]),
      remoteAddress,
    });
    expect(res.statusCode, res.body).toBe(200);
    const [m] = await drain(h.bus, [TOPICS.playback], 1, 15_000, (x) => decode(x).event_id === eventId);
    return decode(m!).client;
  };

  it("from the load balancer: the forwarded client; from anyone else: the socket's address", async () => {
    expect(await send("10.0.3.4", "01930000-0000-7000-8000-0000000000b1")).toEqual({ ip: "198.51.100.0" });
    expect(await send("203.0.113.9", "01930000-0000-7000-8000-0000000000b2")).toEqual({ ip: "203.0.113.0" });
  });
});
