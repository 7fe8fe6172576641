import type { ReeltimeEvent } from "@reeltime/events";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindParams, namedQuery } from "../src/queries/catalog.ts";
import { runQuery } from "../src/run.ts";
import { cdnRequest as cdn, knownViews } from "./fixtures.ts";
import { archiveWithProcessors, type Harness } from "./harness.ts";

// The named query `qoe_by_pop` on DuckDB over Parquet the real archivers wrote: the seven views
// of fixtures.ts (figures documented there) and CDN requests made here that name them by CMCD
// session id. The expected rows are worked out by hand below from those documented figures and
// the requests, not by the query.

const dup = uuidv7();
const requests: ReeltimeEvent[] = [
  // AMS1 serves V1 (4 requests, 3 hits), V2 (3, 1 hit) and V4 (1 miss: the view that never started).
  cdn("v1", "AMS1", "Hit", 10),
  cdn("v1", "AMS1", "Hit", 20),
  cdn("v1", "AMS1", "RefreshHit", 30),
  cdn("v1", "AMS1", "Miss", 400, { id: dup }),
  cdn("v1", "AMS1", "Miss", 400, { id: dup }), // the same log line imported twice
  cdn("v2", "AMS1", "Hit", 15),
  cdn("v2", "AMS1", "Miss", 250),
  cdn("v2", "AMS1", "Miss", 300),
  cdn("v4", "AMS1", "Miss", 500),
  // FRA2 serves V2 (2 hits) and V3 (2 misses).
  cdn("v2", "FRA2", "Hit", 12),
  cdn("v2", "FRA2", "Hit", 14),
  cdn("v3", "FRA2", "Miss", 200),
  cdn("v3", "FRA2", "Miss", 220),
  // Left out: another app naming V1, no session id, a session no view of the days has.
  cdn("v1", "AMS1", "Hit", 1, { app: "app-2" }),
  cdn(undefined, "AMS1", "Hit", 1),
  cdn("v-unknown", "FRA2", "Hit", 1),
];

let h: Harness;
beforeAll(async () => {
  h = await archiveWithProcessors([...knownViews(), ...requests], {
    "events/event_type=playback/": 29,
    "events/event_type=cdn/": requests.length - 1,
    "records/views/": 7,
  });
}, 120_000);
afterAll(async () => h?.close());

describe("qoe_by_pop: CDN requests joined to views", () => {
  it("per POP: views served, requests counted once, hit ratio, median TTFB, and those views' QoE", async () => {
    const q = await namedQuery("qoe_by_pop");
    const res = await runQuery(h.engine, {
      sql: q.sql,
      params: bindParams(q, { from_dt: "2026-11-20", to_dt: "2026-11-20" }),
    });
    const rows = res.rows.map((r) => ({ ...r, views: Number(r.views), requests: Number(r.requests) }));
    expect(rows).toEqual([
      {
        app_id: "app-1",
        pop: "AMS1",
        // V1, V2, V4.
        views: 3,
        requests: 8,
        // Hit, Hit, RefreshHit of V1 and V2's Hit: 4 of 8.
        cache_hit_ratio: 0.5,
        // TTFBs sorted: 10 15 20 30 250 300 400 500; nearest rank ceil(0.5 x 8) = 4th.
        ttfb_p50_ms: 30,
        // Startups of V1 (1000) and V2 (2000); V4 has none: nearest rank 1 of 2.
        startup_p50_ms: 1000,
        // Rebuffering 2 s (V2) over playing 60 s (V1) + 58 s (V2) + 0 (V4) + 2 s.
        rebuffer_ratio: Math.round((2000 / 120_000) * 10_000) / 10_000,
        // V4 left before its first frame.
        ebvs_pct: 33.33,
      },
      {
        app_id: "app-1",
        pop: "FRA2",
        views: 2,
        requests: 4,
        cache_hit_ratio: 0.5,
        // 12 14 200 220: the 2nd.
        ttfb_p50_ms: 14,
        // V2 2000, V3 4000.
        startup_p50_ms: 2000,
        // 2 s over 58 s + 30 s + 2 s.
        rebuffer_ratio: Math.round((2000 / 90_000) * 10_000) / 10_000,
        ebvs_pct: 0,
      },
    ]);
  });

  it("the day range is honoured", async () => {
    const q = await namedQuery("qoe_by_pop");
    const res = await runQuery(h.engine, {
      sql: q.sql,
      params: bindParams(q, { from_dt: "2026-11-21", to_dt: "2026-11-21" }),
    });
    expect(res.rows).toEqual([]);
  });
});
