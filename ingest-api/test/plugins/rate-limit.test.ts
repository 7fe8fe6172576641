import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadIngestConfig } from "../../src/config.ts";
import { ingestMetrics } from "../../src/metrics.ts";
import { RateLimits, redisTarget } from "../../src/plugins/rate-limit.ts";

/** A port nothing listens on: bound once by this process, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function spyLogger() {
  const warn: unknown[][] = [];
  const info: unknown[][] = [];
  return {
    warn,
    info,
    logger: { warn: (...a: unknown[]) => void warn.push(a), info: (...a: unknown[]) => void info.push(a) },
  };
}

async function metricValue(metrics: ReturnType<typeof ingestMetrics>, name: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  const got = await metric?.get();
  return got?.values[0]?.value ?? Number.NaN;
}

let open: RateLimits | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe("rate limits with the shared store down", () => {
  it("falls back to per-process limits, warns once and counts the switch", async () => {
    const port = await closedPort();
    const spy = spyLogger();
    const metrics = ingestMetrics();
    const started = Date.now();
    open = await RateLimits.create({
      perKeyPerMinute: 3,
      perIpPerMinute: 100,
      redisUrl: `redis://:s3cret@127.0.0.1:${port}/0`,
      logger: spy.logger,
      metrics,
      connectWaitMs: 300,
    });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await open.take("key-a", "198.51.100.0"));
    // Never fails closed, never waits on the dead store: three allowed, then the local limit.
    expect(answers.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(answers[3]).toMatchObject({ limit: "key" });
    expect(answers[3]!.retryAfter).toBeGreaterThan(0);
    expect(answers[3]!.retryAfter).toBeLessThanOrEqual(60);
    expect(answers[4]).toMatchObject({ limit: "key" });
    expect(Date.now() - started).toBeLessThan(3000);
    // Another key has its own local budget.
    expect(await open.take("key-b", "198.51.100.0")).toBeUndefined();

    expect(open.store).toBe("local");
    expect(spy.warn).toHaveLength(1);
    expect(JSON.stringify(spy.warn[0])).toContain(`127.0.0.1:${port}`);
    expect(JSON.stringify(spy.warn[0])).not.toContain("s3cret");
    expect(await metricValue(metrics, "reeltime_ingest_rate_limit_fallbacks_total")).toBe(1);
    expect(await metricValue(metrics, "reeltime_ingest_rate_limit_store_up")).toBe(0);
  });

  it("limits per IP locally too", async () => {
    const port = await closedPort();
    open = await RateLimits.create({
      perKeyPerMinute: 100,
      perIpPerMinute: 2,
      redisUrl: `redis://127.0.0.1:${port}`,
      connectWaitMs: 100,
    });
    expect(await open.take("k1", "203.0.113.0")).toBeUndefined();
    expect(await open.take("k2", "203.0.113.0")).toBeUndefined();
    expect(await open.take("k3", "203.0.113.0")).toMatchObject({ limit: "ip" });
    expect(await open.take("k3", "203.0.114.0")).toBeUndefined();
  });

  it("without a store URL keeps per-process counters and says so in the gauge", async () => {
    const metrics = ingestMetrics();
    open = await RateLimits.create({ perKeyPerMinute: 1, perIpPerMinute: 10, metrics });
    expect(await open.take("k", "ip")).toBeUndefined();
    expect(await open.take("k", "ip")).toMatchObject({ limit: "key" });
    expect(open.store).toBe("local");
    expect(await metricValue(metrics, "reeltime_ingest_rate_limit_store_up")).toBe(0);
    expect(await metricValue(metrics, "reeltime_ingest_rate_limit_fallbacks_total")).toBe(0);
  });

  it("REELTIME_REDIS_URL must be a redis:// or rediss:// URL, and a bad one is not echoed", () => {
    expect(() => loadIngestConfig({ REELTIME_REDIS_URL: "http://user:hunter2@cache:6379" })).toThrow(
      /REELTIME_REDIS_URL=\(hidden\) is invalid/,
    );
    expect(() => loadIngestConfig({ REELTIME_REDIS_URL: "http://user:hunter2@cache:6379" })).not.toThrow(/hunter2/);
    expect(loadIngestConfig({ REELTIME_REDIS_URL: "rediss://cache:6380" }).env.REELTIME_REDIS_URL).toBe(
      "rediss://cache:6380",
    );
  });

  it("names the store in logs without its credentials", () => {
    expect(redisTarget("rediss://user:pw@cache.example:6380/2")).toBe("cache.example:6380");
    expect(redisTarget("redis://localhost")).toBe("localhost:6379");
  });
});
