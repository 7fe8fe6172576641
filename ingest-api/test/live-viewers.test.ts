// GET /v1/live/viewers as ingest serves it (in production, and in reeltime dev): the viewers
// processor's per-partition figures in the archive, added up, behind the read guard and scoped to
// the token's app; one read of the archive per second answers every caller; an unreachable
// archive is a 503 in the error table's shape.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, createBus, createSearchStore } from "@reeltime/connectors";
import { LIVE_SNAPSHOT_PREFIX, type LiveViewersOptions } from "@reeltime/processing";
import { ConnectionEnv, createLogger, loadEnv, unavailable } from "@reeltime/runtime";
import { MemoryArchive } from "@reeltime/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { loadIngestConfig } from "../src/config.ts";

const READ = "rt_shop_0123456789abcdef";
const ADMIN = "rt_admin_0123456789abcdef";
let app: FastifyInstance;
let dir: string;

const figures = (app: string, stream: string, viewers: number, latencyMs: number[]) => ({
  app,
  stream,
  viewers,
  started: viewers,
  startupFailures: 1,
  rebufferMs: 100,
  playingMs: 900,
  latencyMs,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-live-viewers-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, REELTIME_ARCHIVE: "fs" });
  const bus = await createBus(env);
  const search = await createSearchStore(env);
  const archive = await createArchive(env);
  await Promise.all([bus.start(), search.start(), archive.start()]);
  const at = new Date().toISOString();
  const put = (partition: string, body: object) =>
    archive.put(
      `${LIVE_SNAPSHOT_PREFIX}reeltime.playback/${partition}.json`,
      new TextEncoder().encode(JSON.stringify(body)),
    );
  await put("0", { at, figures: [figures("shop", "news", 3, [4000, 6000]), figures("tv", "match", 9, [])] });
  await put("1", { at, figures: [figures("shop", "news", 2, [5000])] });
  app = await buildApp({
    config: loadIngestConfig({
      REELTIME_WRITE_KEYS: "shop:wk_shop_0123456789abcdef",
      REELTIME_READ_TOKENS: `shop:${READ},*:${ADMIN}`,
    }),
    bus,
    search,
    logger: createLogger("live-viewers-test", { level: "silent" }),
    liveViewers: { archive },
  });
  app.addHook("onClose", async () => {
    await Promise.all([bus.shutdown(), search.shutdown(), archive.shutdown()]);
  });
});

afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (token: string, query = "") =>
  app.inject({ method: "GET", url: `/v1/live/viewers${query}`, headers: { authorization: `Bearer ${token}` } });

describe("GET /v1/live/viewers", () => {
  it("adds up the partitions' figures of the token's app", async () => {
    const r = await get(READ);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ partitions: 2, stale_partitions: 0 });
    expect(r.json().streams).toEqual([
      {
        app: "shop",
        stream: "news",
        viewers: 5,
        started: 5,
        startup_failures: 2,
        rebuffer_ratio: 0.1,
        latency_p50_ms: 5000,
        latency_p95_ms: 5900,
      },
    ]);
  });

  it("shows every app to a token that reads them all, narrowed by ?app=; refuses no token", async () => {
    expect((await get(ADMIN)).json().streams.map((s: { stream: string }) => s.stream)).toEqual(["match", "news"]);
    expect((await get(ADMIN, "?app=tv")).json().streams.map((s: { stream: string }) => s.stream)).toEqual(["match"]);
    expect((await app.inject({ method: "GET", url: "/v1/live/viewers" })).statusCode).toBe(401);
  });

  it("refuses a token asking for another app's streams, and an unknown query parameter", async () => {
    const other = await get(READ, "?app=tv");
    expect(other.statusCode).toBe(403);
    expect(other.json().error.code).toBe("REELTIME_ERR_FORBIDDEN");
    const odd = await get(ADMIN, "?stream=news");
    expect(odd.statusCode).toBe(400);
    expect(odd.json().error.code).toBe("REELTIME_ERR_QUERY");
  });
});

/** An in-memory archive that counts its list calls and fails them while `down`. */
class CountingArchive extends MemoryArchive {
  lists = 0;
  down = false;
  override async list(prefix: string) {
    this.lists++;
    if (this.down) throw unavailable("archive", "connect ECONNREFUSED 10.0.0.9:443");
    return super.list(prefix);
  }
}

async function appOn(liveViewers?: LiveViewersOptions): Promise<FastifyInstance> {
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  const bus = await createBus(env);
  const search = await createSearchStore(env);
  await Promise.all([bus.start(), search.start()]);
  const a = await buildApp({
    config: loadIngestConfig({
      REELTIME_WRITE_KEYS: "shop:wk_shop_0123456789abcdef",
      REELTIME_READ_TOKENS: `shop:${READ},*:${ADMIN}`,
    }),
    bus,
    search,
    logger: createLogger("live-viewers-test", { level: "silent" }),
    ...(liveViewers ? { liveViewers } : {}),
  });
  a.addHook("onClose", async () => {
    await Promise.all([bus.shutdown(), search.shutdown()]);
  });
  return a;
}

const snapshot = (at: number, ...figs: ReturnType<typeof figures>[]) =>
  new TextEncoder().encode(JSON.stringify({ at: new Date(at).toISOString(), figures: figs }));

describe("GET /v1/live/viewers's cache", () => {
  it("reads the archive once per cacheMs for every caller and app, then again", async () => {
    let now = Date.parse("2026-12-04T20:00:00.000Z");
    const archive = new CountingArchive();
    await archive.put(`${LIVE_SNAPSHOT_PREFIX}reeltime.playback/0.json`, snapshot(now, figures("shop", "news", 3, [])));
    const a = await appOn({ archive, cacheMs: 1000, now: () => now });
    try {
      const call = (token: string) =>
        a.inject({ method: "GET", url: "/v1/live/viewers", headers: { authorization: `Bearer ${token}` } });
      // Ten live pages of two apps at once: one read.
      const answers = await Promise.all([...Array(10)].map((_, i) => call(i % 2 ? READ : ADMIN)));
      expect(answers.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
      expect(archive.lists).toBe(1);
      expect(answers[1]!.json().streams.map((s: { viewers: number }) => s.viewers)).toEqual([3]);
      // A new figure within the second: still the cached one.
      await archive.put(
        `${LIVE_SNAPSHOT_PREFIX}reeltime.playback/1.json`,
        snapshot(now, figures("shop", "news", 2, [])),
      );
      now += 999;
      expect((await call(READ)).json().streams[0].viewers).toBe(3);
      expect(archive.lists).toBe(1);
      // A second later: read again, both partitions.
      now += 1;
      const later = (await call(READ)).json();
      expect(archive.lists).toBe(2);
      expect(later).toMatchObject({ generated_at: new Date(now).toISOString(), partitions: 2, stale_partitions: 0 });
      expect(later.streams[0].viewers).toBe(5);
    } finally {
      await a.close();
    }
  });

  it("answers 503 REELTIME_ERR_ARCHIVE_UNAVAILABLE while the archive is unreachable, and keeps no failure", async () => {
    let now = Date.parse("2026-12-04T20:00:00.000Z");
    const archive = new CountingArchive();
    await archive.put(`${LIVE_SNAPSHOT_PREFIX}reeltime.playback/0.json`, snapshot(now, figures("shop", "news", 3, [])));
    archive.down = true;
    const a = await appOn({ archive, cacheMs: 1000, now: () => now });
    try {
      const r = await a.inject({
        method: "GET",
        url: "/v1/live/viewers",
        headers: { authorization: `Bearer ${READ}` },
      });
      expect(r.statusCode).toBe(503);
      expect(r.headers["retry-after"]).toBe("5");
      expect(r.json()).toEqual({
        error: {
          code: "REELTIME_ERR_ARCHIVE_UNAVAILABLE",
          message: "the archive is unreachable or refusing for now; retry later",
        },
      });
      // Back within the same second: the next caller reads again instead of getting the failure.
      archive.down = false;
      now += 10;
      const ok = await a.inject({
        method: "GET",
        url: "/v1/live/viewers",
        headers: { authorization: `Bearer ${READ}` },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().streams[0].viewers).toBe(3);
      expect(archive.lists).toBe(2);
    } finally {
      await a.close();
    }
  });

  it("is not served without an archive: a 404 the live page takes as no live figures", async () => {
    const a = await appOn();
    try {
      const r = await a.inject({
        method: "GET",
        url: "/v1/live/viewers",
        headers: { authorization: `Bearer ${READ}` },
      });
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe("REELTIME_ERR_NOT_FOUND");
    } finally {
      await a.close();
    }
  });
});
