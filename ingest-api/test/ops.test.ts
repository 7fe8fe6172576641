import { Writable } from "node:stream";
import { exampleEvent, truncateIp } from "@reeltime/events";
import { createLogger } from "@reeltime/runtime";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { loadIngestConfig } from "../src/config.ts";
import { type Harness, harness, testEnv, WRITE_KEY } from "./helpers.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("configuration", () => {
  it("production refuses to start without keys and tokens, naming what to set", () => {
    expect(() => loadIngestConfig({ REELTIME_ENV: "production" })).toThrow(
      /REELTIME_WRITE_KEYS and REELTIME_READ_TOKENS/,
    );
    expect(() => loadIngestConfig({ REELTIME_WRITE_KEYS: "shop:short" })).toThrow(/shorter than 16/);
    expect(() => loadIngestConfig({ PORT: "http" })).toThrow(/PORT="http" is invalid/);
    expect(() => loadIngestConfig({ REELTIME_CORS_ORIGINS: "shop=not-an-origin" })).toThrow(/not an origin/);
  });
});

describe("IP truncation", () => {
  it("keeps /24 of IPv4 and /48 of IPv6 by default", () => {
    expect(truncateIp("203.0.113.77", 24, 48)).toBe("203.0.113.0");
    expect(truncateIp("::ffff:203.0.113.77", 24, 48)).toBe("203.0.113.0");
    expect(truncateIp("2001:db8:abcd:1234:5678::1", 24, 48)).toBe("2001:db8:abcd::");
    expect(truncateIp("198.51.100.200", 16, 48)).toBe("198.51.0.0");
    expect(truncateIp("garbage", 24, 48)).toBeUndefined();
  });
});

describe("operations", () => {
  it("/healthz, /readyz and /metrics", async () => {
    h = await harness();
    expect((await h.app.inject("/healthz")).json()).toEqual({ status: "ok" });
    expect((await h.app.inject("/readyz")).statusCode).toBe(200);
    await h.app.inject({
      method: "POST",
      url: "/v1/events",
      headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
      payload: JSON.stringify([exampleEvent("click"), { ...exampleEvent("click"), seq: -1 }]),
    });
    const metrics = (await h.app.inject("/metrics")).body;
    expect(metrics).toMatch(/reeltime_ingest_events_accepted_total\{family="click"[^}]*\} 1/);
    expect(metrics).toMatch(/reeltime_ingest_events_rejected_total\{reason="range"[^}]*\} 1/);
    expect(metrics).toContain("reeltime_ingest_publish_duration_seconds_bucket");
  });

  it("logs carry no write key, read token or full client IP", async () => {
    h = await harness();
    let logs = "";
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs += String(chunk);
        cb();
      },
    });
    const app = await buildApp({
      config: loadIngestConfig(testEnv()),
      bus: h.bus,
      search: h.search,
      logger: createLogger("ingest-test", { level: "debug" }, sink),
    });
    await app.inject({
      method: "POST",
      url: `/v1/events?key=${WRITE_KEY}`,
      headers: { "content-type": "text/plain", authorization: "Bearer rt_secret_value_123456" },
      payload: JSON.stringify([exampleEvent("click")]),
      remoteAddress: "203.0.113.77",
    });
    await app.inject({
      method: "POST",
      url: "/v1/events",
      payload: "{",
      headers: { "content-type": "application/json" },
    });
    await app.close();
    expect(logs).toContain("request");
    expect(logs).not.toContain(WRITE_KEY);
    expect(logs).not.toContain("rt_secret_value_123456");
    expect(logs).not.toContain("203.0.113.77");
  });

  it("fuzzed bodies and headers never produce a 5xx other than 503", async () => {
    h = await harness({ REELTIME_RATE_LIMIT_PER_KEY: "1000000", REELTIME_RATE_LIMIT_PER_IP: "1000000" });
    const app = h.app;
    const event = fc.oneof(
      fc.constant(exampleEvent("click")),
      fc.record({ event_type: fc.string(), event_id: fc.string(), seq: fc.anything() }),
      fc.anything(),
    );
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.array(event, { maxLength: 5 }).map((e) => JSON.stringify(e)),
      fc.record({ events: fc.array(event, { maxLength: 5 }) }).map((e) => JSON.stringify(e)),
    );
    const headers = fc.record({
      "content-type": fc.constantFrom(
        "application/json",
        "text/plain",
        "application/xml",
        "",
        "application/json; charset=utf-8",
      ),
      "content-encoding": fc.constantFrom("identity", "gzip", "deflate", "zstd"),
      "x-reeltime-key": fc.constantFrom(WRITE_KEY, "", "wrong-key-0123456789"),
      origin: fc.constantFrom("https://shop.example", "https://evil.example", "null"),
    });
    await fc.assert(
      fc.asyncProperty(body, headers, async (payload, hdrs) => {
        const res = await app.inject({ method: "POST", url: "/v1/events", payload, headers: hdrs });
        return res.statusCode < 500 || res.statusCode === 503;
      }),
      { numRuns: 300 },
    );
  });
});
