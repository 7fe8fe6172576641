import { type Database, MEMORY_URL, openDatabase } from "@reeltime/database";
import { errorHandler } from "@reeltime/http";
import { ReeltimeError } from "@reeltime/runtime";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogueRoutes } from "../src/routes.ts";
import { reduceEvents } from "../src/state.ts";
import { upsertVideo } from "../src/store.ts";
import { migrateCatalogue } from "../src/updater.ts";
import { makeEvent, type Spec } from "./events.ts";
import { switchable } from "./helpers.ts";

let raw: Database;
let db: ReturnType<typeof switchable>;
let app: FastifyInstance;

/** Videos of two apps: app-a has v0…v6 (updated one minute apart, two share a minute), app-b has one. */
const SPECS: Spec[] = [
  ...[0, 1, 2, 3, 4, 5, 6].map(
    (i): Spec => ({
      type: i % 3 === 0 ? "job.completed" : i % 3 === 1 ? "upload.completed" : "job.failed",
      n: i + 1,
      minute: i === 6 ? 5 : i,
      video: `v${i}`,
      title: `Video ${i}`,
      email: "owner@example.com",
    }),
  ),
  { type: "upload.completed", n: 20, minute: 2, video: "v0", app: "app-b", title: "Other app" },
];

beforeAll(async () => {
  raw = await openDatabase({ REELTIME_PG_URL: MEMORY_URL });
  await migrateCatalogue(raw);
  for (const s of reduceEvents(SPECS.map(makeEvent)).values()) await upsertVideo(raw, s);
  db = switchable(raw);
  app = Fastify();
  app.setErrorHandler(errorHandler({ bodyLimitBytes: 1024 }));
  // Stands in for the host's read guard: the token's app, "*" for every app.
  const appOf = (req: { headers: Record<string, unknown> }) => {
    const scope = req.headers["x-test-app"];
    if (typeof scope !== "string") throw new ReeltimeError("REELTIME_ERR_AUTH", "send a read token");
    return scope;
  };
  await app.register(catalogueRoutes, { prefix: "/v1", db, appOf });
}, 120_000);
afterAll(async () => {
  await app.close();
  await raw.close();
});

/** GET as a token of `scope` (null: no token). */
const get = async (url: string, scope: string | null = "app-a") => {
  const res = await app.inject({ method: "GET", url, headers: scope === null ? {} : { "x-test-app": scope } });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
};

describe("GET /v1/videos", () => {
  it("lists the token's app only, ordered by (updated_at, video_id), without the owner's email", async () => {
    const { status, body } = await get("/v1/videos");
    expect(status).toBe(200);
    expect(body.videos.map((v: { video_id: string }) => v.video_id)).toEqual([
      "v0",
      "v1",
      "v2",
      "v3",
      "v4",
      "v5",
      "v6",
    ]);
    expect(body.count).toBe(7);
    expect(body.next_cursor).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain("owner@example.com");
    expect(body.videos[0]).toMatchObject({ app_id: "app-a", status: "ready", title: "Video 0" });
  });

  it("pages with an opaque cursor through the same rows", async () => {
    const seen: string[] = [];
    let url = "/v1/videos?limit=2";
    for (let pages = 0; pages < 10; pages++) {
      const { status, body } = await get(url);
      expect(status).toBe(200);
      expect(body.count).toBeLessThanOrEqual(2);
      seen.push(...body.videos.map((v: { video_id: string }) => v.video_id));
      if (body.next_cursor === undefined) break;
      url = `/v1/videos?limit=2&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    expect(seen).toEqual(["v0", "v1", "v2", "v3", "v4", "v5", "v6"]);
  });

  it("filters by status and by updated_at (from inclusive, to exclusive)", async () => {
    const ids = async (q: string) =>
      (await get(`/v1/videos?${q}`)).body.videos.map((v: { video_id: string }) => v.video_id);
    expect(await ids("status=failed")).toEqual(["v2", "v5"]);
    expect(await ids("status=ready")).toEqual(["v0", "v3", "v6"]);
    expect(await ids("from=2026-12-01T10:02:00.000Z&to=2026-12-01T10:05:00.000Z")).toEqual(["v2", "v3", "v4"]);
    expect(await ids("status=uploaded&from=2026-12-01T10:02:00Z")).toEqual(["v4"]);
  });

  it("lets a token of every app read all apps or one", async () => {
    const all = await get("/v1/videos", "*");
    expect(all.body.count).toBe(8);
    const b = await get("/v1/videos?app=app-b", "*");
    expect(b.body.videos).toEqual([expect.objectContaining({ app_id: "app-b", title: "Other app" })]);
    const refused = await get("/v1/videos?app=app-b", "app-a");
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("REELTIME_ERR_FORBIDDEN");
  });

  it("refuses a limit over 100, a cursor not of its own and from after to, in the error shape", async () => {
    for (const url of [
      "/v1/videos?limit=101",
      "/v1/videos?limit=0",
      "/v1/videos?cursor=bm90LWEtY3Vyc29y",
      "/v1/videos?cursor=%27%3B%20DROP%20TABLE%20videos%3B--",
      "/v1/videos?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
      "/v1/videos?status=gone",
    ]) {
      const { status, body } = await get(url);
      expect([url, status]).toEqual([url, 400]);
      expect(body.error.code).toBe("REELTIME_ERR_QUERY");
    }
    expect((await get("/v1/videos")).body.count).toBe(7);
  });

  it("answers a request without a token through the host's guard", async () => {
    const { status, body } = await get("/v1/videos", null);
    expect(status).toBe(401);
    expect(body.error.code).toBe("REELTIME_ERR_AUTH");
  });

  it("answers 503 with Retry-After while PostgreSQL is down", async () => {
    db.down = true;
    try {
      const { status, body, headers } = await get("/v1/videos");
      expect(status).toBe(503);
      expect(body.error.code).toBe("REELTIME_ERR_DATABASE_UNAVAILABLE");
      expect(headers["retry-after"]).toBeDefined();
    } finally {
      db.down = false;
    }
  });
});

describe("GET /v1/videos/:id", () => {
  it("answers one video of the token's app, without the owner's email", async () => {
    const { status, body } = await get("/v1/videos/v2");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      video_id: "v2",
      app_id: "app-a",
      status: "failed",
      failure_code: "REELTIME_ERR_NOT_A_VIDEO",
      failure_message: "failed 3",
    });
    expect(body).not.toHaveProperty("owner_email");
  });

  it("answers 404 for another app's video or none, 400 for an id that is no id", async () => {
    expect((await get("/v1/videos/v0", "app-b")).body).toMatchObject({ title: "Other app" });
    const other = await get("/v1/videos/v9");
    expect([other.status, other.body.error.code]).toEqual([404, "REELTIME_ERR_NOT_FOUND"]);
    const bad = await get("/v1/videos/%27%20OR%201%3D1");
    expect([bad.status, bad.body.error.code]).toEqual([400, "REELTIME_ERR_QUERY"]);
  });
});
