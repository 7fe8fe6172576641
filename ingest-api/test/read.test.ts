import type { StoredEvent } from "@reeltime/connectors";
import { exampleEvent } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, type Harness, harness, READ_TOKEN, WRITE_KEY } from "./helpers.ts";

let h: Harness;
const t0 = Date.parse("2026-11-22T10:00:00.000Z");
const at = (i: number) => new Date(t0 + i * 1000).toISOString();

function stored(i: number, patch: Record<string, unknown> = {}): StoredEvent {
  const base = exampleEvent("playback.heartbeat", { now: new Date(t0), seq: i });
  return { ...base, app_id: "shop", received_at: at(i), view_id: `view-${i % 3}`, ...patch } as StoredEvent;
}

beforeAll(async () => {
  h = await harness();
  const events = Array.from({ length: 30 }, (_, i) => stored(i));
  events.push(
    stored(40, {
      event_type: "playback.error",
      error: { severity: "fatal", code: "MEDIA_ERR_DECODE", message: "decoder exploded on fragment 12" },
      state: undefined,
      stats: undefined,
    }),
  );
  events.push(stored(41, { app_id: "tv", view_id: "view-tv" }));
  await h.search.index(events);
  await h.search.refresh();
});
afterAll(() => h.close());

const get = (url: string, token = READ_TOKEN) =>
  h.app.inject({ method: "GET", url, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("GET /v1/events/last", () => {
  it("returns the newest N of the token's app, newest first", async () => {
    const res = await get("/v1/events/last?n=5");
    expect(res.statusCode, res.body).toBe(200);
    const events = res.json().events as StoredEvent[];
    expect(events.map((e) => e.received_at)).toEqual([at(40), at(29), at(28), at(27), at(26)]);
    expect(events.every((e) => e.app_id === "shop")).toBe(true);
  });

  it("filters by view, event type and time range", async () => {
    const byView = (await get("/v1/events/last?view_id=view-1&n=1000")).json().events as StoredEvent[];
    expect(byView.length).toBe(11); // ten heartbeats (i % 3 === 1) and the error (i = 40)
    expect(new Set(byView.map((e) => e.view_id))).toEqual(new Set(["view-1"]));
    const errors = (await get("/v1/events/last?event_type=playback.error")).json().events as StoredEvent[];
    expect(errors.map((e) => e.event_type)).toEqual(["playback.error"]);
    const ranged = (await get(`/v1/events/last?from=${at(10)}&to=${at(13)}`)).json().events as StoredEvent[];
    expect(ranged.map((e) => e.received_at)).toEqual([at(12), at(11), at(10)]);
  });

  it("an operator token reads every app or one app", async () => {
    const all = (await get("/v1/events/last?n=1000", ADMIN_TOKEN)).json().events as StoredEvent[];
    expect(all.length).toBe(32);
    const tv = (await get("/v1/events/last?app=tv", ADMIN_TOKEN)).json().events as StoredEvent[];
    expect(tv.map((e) => e.view_id)).toEqual(["view-tv"]);
  });

  it("refuses bad tokens, other apps, write keys and bad parameters", async () => {
    expect((await get("/v1/events/last", "")).statusCode).toBe(401);
    expect((await get("/v1/events/last", WRITE_KEY)).statusCode).toBe(401);
    expect((await get("/v1/events/last?app=tv")).statusCode).toBe(403);
    for (const q of [
      "n=0",
      "n=1001",
      "n=abc",
      "view_id=a%20b",
      "from=yesterday",
      "query=%7B%22match_all%22%3A%7B%7D%7D",
    ]) {
      const res = await get(`/v1/events/last?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe("REELTIME_ERR_QUERY");
    }
  });
});

describe("GET /v1/search", () => {
  it("is typo-tolerant over error messages and keeps the filters", async () => {
    const res = await get("/v1/search?q=decodr%20explodd");
    expect(res.statusCode, res.body).toBe(200);
    const hits = res.json().hits as { event: StoredEvent }[];
    expect(hits[0]?.event.event_type).toBe("playback.error");
    const other = (await get("/v1/search?q=decodr&app=tv", ADMIN_TOKEN)).json().hits as unknown[];
    expect(other).toEqual([]);
  });

  it("needs q", async () => {
    expect((await get("/v1/search")).statusCode).toBe(400);
  });
});
