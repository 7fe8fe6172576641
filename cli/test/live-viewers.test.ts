// GET /v1/live/viewers as reeltime dev mounts it: the viewers processor's per-partition figures in
// the archive, added up, behind the read guard and scoped to the token's app.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, createBus, createSearchStore } from "@reeltime/connectors";
import { buildApp, loadIngestConfig } from "@reeltime/ingest-api";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import { LIVE_SNAPSHOT_PREFIX } from "@reeltime/stream-processors";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveViewersMount } from "../src/dev/live-viewers.ts";

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
    readMounts: [liveViewersMount(archive)],
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
});
