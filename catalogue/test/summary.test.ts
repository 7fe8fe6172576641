// The live view's catalogue panel (GET /v1/catalogue/stats): videos by status and time from upload
// to ready, on PGlite, checked against figures computed here from the events the test made.
import { type Database, MEMORY_URL, openDatabase } from "@reeltime/database";
import { errorHandler } from "@reeltime/http";
import { ReeltimeError } from "@reeltime/runtime";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogueRoutes } from "../src/routes.ts";
import { reduceEvents } from "../src/state.ts";
import { upsertVideo } from "../src/store.ts";
import { migrateCatalogue } from "../src/updater.ts";
import { at, makeEvent, type Spec } from "./events.ts";

let db: Database;
let app: FastifyInstance;
const T0 = Date.parse(at(0));
/** The window of the default `minutes=60` ends here: minutes 60 to 120 after the events' T0. */
const NOW = new Date(T0 + 7200_000);

/** A video's life: upload completed at `up` (seconds after T0), then optionally processing, ready or failed at `end`. */
interface Life {
  video: string;
  app?: string;
  up: number;
  end?: { as: "processing" | "ready" | "failed"; at: number };
}

// Upload-to-ready times (seconds) of the videos that became ready inside the window, in no order.
const IN_WINDOW = [45, 7, 600, 31, 12, 90, 5, 61, 200, 7, 30, 60];
const LIVES: Life[] = [
  ...IN_WINDOW.map((s, i): Life => {
    const ready = (62 + i * 4) * 60; // minutes 62..106, inside [60, 120)
    return { video: `ready-${i}`, up: ready - s, end: { as: "ready", at: ready } };
  }),
  // Ready before the window: counted as ready, not timed.
  { video: "old-1", up: 600, end: { as: "ready", at: 660 } },
  { video: "old-2", up: 1200, end: { as: "ready", at: 3570 } },
  { video: "busy-1", up: 6000, end: { as: "processing", at: 6060 } },
  { video: "busy-2", up: 6600, end: { as: "processing", at: 6630 } },
  { video: "busy-3", up: 6660, end: { as: "processing", at: 6675 } },
  { video: "new-1", up: 6900 },
  { video: "new-2", up: 6960 },
  { video: "broken", up: 4200, end: { as: "failed", at: 4260 } },
  // Another app: never in app-a's figures.
  { video: "other", app: "app-b", up: 4800, end: { as: "ready", at: 4860 } },
];

/** Events at whole seconds after T0 (the specs' minutes are only an index here). */
function events() {
  const out: { spec: Spec; second: number }[] = [];
  let n = 0;
  for (const l of LIVES) {
    const base = { video: l.video, job: `job-${l.video}`, title: `Video ${l.video}`, ...(l.app ? { app: l.app } : {}) };
    const add = (type: Spec["type"], second: number) =>
      out.push({ spec: { ...base, type, n: ++n, minute: 0 }, second });
    add("upload.completed", l.up);
    if (!l.end) continue;
    add("job.created", l.end.as === "processing" ? l.end.at : l.up);
    if (l.end.as === "ready") add("job.completed", l.end.at);
    if (l.end.as === "failed") add("job.failed", l.end.at);
  }
  return out.map(({ spec, second }) => ({ ...makeEvent(spec), client_ts: new Date(T0 + second * 1000).toISOString() }));
}

/** Linear interpolation between closest ranks, written here: the reference the route is checked against. */
function reference(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return Math.round(s[lo]! + (pos - lo) * (s[hi]! - s[lo]!));
}

beforeAll(async () => {
  db = await openDatabase({ REELTIME_PG_URL: MEMORY_URL });
  await migrateCatalogue(db);
  for (const s of reduceEvents(events()).values()) await upsertVideo(db, s);
  // The ingest host's validation: an unknown query parameter is refused, not dropped.
  app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } } });
  app.setErrorHandler(errorHandler({ bodyLimitBytes: 1024 }));
  const appOf = (req: { headers: Record<string, unknown> }) => {
    const scope = req.headers["x-test-app"];
    if (typeof scope !== "string") throw new ReeltimeError("REELTIME_ERR_AUTH", "send a read token");
    return scope;
  };
  await app.register(catalogueRoutes, { prefix: "/v1", db, appOf, now: () => NOW });
}, 120_000);
afterAll(async () => {
  await app.close();
  await db.close();
});

const get = async (url: string, scope: string | null = "app-a") => {
  const res = await app.inject({ method: "GET", url, headers: scope === null ? {} : { "x-test-app": scope } });
  return { status: res.statusCode, body: res.json() };
};

describe("GET /v1/catalogue/stats", () => {
  it("counts the token's videos by status and times upload → ready over the window, as computed here", async () => {
    const { status, body } = await get("/v1/catalogue/stats");
    expect(status, JSON.stringify(body)).toBe(200);
    const mine = LIVES.filter((l) => !l.app);
    const count = (as: string) => mine.filter((l) => (l.end?.as ?? "uploaded") === as).length;
    expect(body.counts).toEqual({
      uploaded: count("uploaded"),
      processing: count("processing"),
      ready: count("ready"),
      failed: count("failed"),
    });
    expect(body.counts).toEqual({ uploaded: 2, processing: 3, ready: 14, failed: 1 });
    const ms = IN_WINDOW.map((s) => s * 1000);
    expect(body.upload_to_ready).toEqual({
      videos: IN_WINDOW.length,
      median_ms: reference(ms, 0.5),
      p95_ms: reference(ms, 0.95),
      max_ms: Math.max(...ms),
    });
    // Worked by hand: sorted 5 7 7 12 30 31 45 60 61 90 200 600 s; median between 31 and 45,
    // p95 at rank 10.45 between 200 and 600.
    expect(body.upload_to_ready.median_ms).toBe(38_000);
    expect(body.upload_to_ready.p95_ms).toBe(380_000);
    expect(body).toMatchObject({ generated_at: NOW.toISOString(), minutes: 60 });
  });

  it("a wider window takes the videos that became ready earlier too", async () => {
    const { body } = await get("/v1/catalogue/stats?minutes=120");
    const ms = [...IN_WINDOW.map((s) => s * 1000), 60_000, (3570 - 1200) * 1000];
    expect(body.upload_to_ready).toEqual({
      videos: ms.length,
      median_ms: reference(ms, 0.5),
      p95_ms: reference(ms, 0.95),
      max_ms: Math.max(...ms),
    });
  });

  it("lists the ten most recently updated videos, newest first", async () => {
    const { body } = await get("/v1/catalogue/stats");
    expect(body.recent).toHaveLength(10);
    const times = body.recent.map((v: { updated_at: string }) => Date.parse(v.updated_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(body.recent[0]).toMatchObject({ video_id: "new-2", status: "uploaded", app_id: "app-a" });
    const ready = body.recent.find((v: { video_id: string }) => v.video_id === "ready-11");
    expect(ready).toMatchObject({ status: "ready", upload_to_ready_ms: 60_000, title: "Video ready-11" });
    expect(JSON.stringify(body.recent)).not.toContain("app-b");
  });

  it("an empty window has no times; another app's token sees its own video only", async () => {
    const b = await get("/v1/catalogue/stats", "app-b");
    expect(b.body.counts).toEqual({ uploaded: 0, processing: 0, ready: 1, failed: 0 });
    expect(b.body.upload_to_ready).toEqual({ videos: 1, median_ms: 60_000, p95_ms: 60_000, max_ms: 60_000 });
    const none = await get("/v1/catalogue/stats?minutes=1", "app-b");
    expect(none.body.upload_to_ready).toEqual({ videos: 0, median_ms: null, p95_ms: null, max_ms: null });
  });

  it("a token of every app sees all, or one app; a token of one app may not ask for another", async () => {
    const all = await get("/v1/catalogue/stats", "*");
    expect(all.body.counts.ready).toBe(15);
    const one = await get("/v1/catalogue/stats?app=app-b", "*");
    expect(one.body.counts.ready).toBe(1);
    const refused = await get("/v1/catalogue/stats?app=app-b", "app-a");
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("REELTIME_ERR_FORBIDDEN");
    for (const bad of ["minutes=0", "minutes=20000", "minutes=x", "since=1"]) {
      const res = await get(`/v1/catalogue/stats?${bad}`);
      expect(res.status, bad).toBe(400);
    }
    expect((await get("/v1/catalogue/stats", null)).status).toBe(401);
  });
});
