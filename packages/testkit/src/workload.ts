import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type Archive, type Bus, encodeEventRecords, type RecordFormat } from "@reeltime/connectors";
import { exampleEvent, type ReeltimeEvent, routeOf } from "@reeltime/events";

/**
 * A deterministic mix of views (start, first frame, a stall for some, pause/seek for some, end
 * or silence), jobs and clicks, `perView` events each, stamped with server fields as ingest would.
 */
export function syntheticEvents(
  count: number,
  opts: { app?: string; t0?: number; unit?: "views" | "events" } = {},
): ReeltimeEvent[] {
  const t0 = opts.t0 ?? Date.parse("2026-11-22T09:58:00.000Z");
  const app = opts.app ?? "drill";
  const out: ReeltimeEvent[] = [];
  const enough = (v: number) => (opts.unit === "events" ? out.length >= count : v >= count);
  for (let v = 0; !enough(v); v++) {
    const viewId = `${app}-view-${v}`;
    const base = t0 + v * 7;
    const rows: [number, string, Record<string, unknown>?][] = [[0, "view_start"]];
    if (v % 10 !== 9) {
      // The SDK's running totals in heartbeat and view_end agree with the schedule (known by construction).
      const startup = 500 + (v % 5) * 300;
      const stall = v % 3 === 0 ? 400 * (1 + (v % 4)) : 0;
      const paused = v % 4 === 1 ? 3000 : 0;
      rows.push([startup, "startup_complete", { startup_ms: startup }]);
      rows.push([
        2000,
        "heartbeat",
        { state: "playing", stats: { playing_ms: 2000 - startup, rebuffer_ms: 0, rebuffer_count: 0 } },
      ]);
      if (stall > 0) rows.push([5000, "rebuffer_start"], [5000 + stall, "rebuffer_end", { duration_ms: stall }]);
      if (paused > 0) rows.push([9000, "pause"], [12_000, "play"], [12_000, "playing"]);
      rows.push([20_000, "milestone", { percent: 10 }]);
      if (v % 7 !== 3)
        rows.push([
          30_000,
          "view_end",
          {
            reason: "ended",
            stats: {
              // Media played: a little under the clock time when frames came late, as a real SDK reports.
              playing_ms: 30_000 - startup - stall - paused - (v % 37),
              rebuffer_ms: stall,
              rebuffer_count: stall > 0 ? 1 : 0,
            },
          },
        ]);
    } else
      rows.push([
        2500,
        "view_end",
        { reason: "page_hide", stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } },
      ]);
    rows.forEach(([ms, short, fields], seq) => {
      const e = exampleEvent(`playback.${short}` as never, { now: new Date(base + ms), seq }) as Record<
        string,
        unknown
      >;
      delete e.rendition;
      delete e.display;
      out.push({
        ...e,
        ...fields,
        view_id: viewId,
        app_id: app,
        received_at: new Date(base + ms + 50).toISOString(),
      } as never);
    });
    if (v % 5 === 0) {
      const c = exampleEvent("click", { now: new Date(base + 1000), seq: 0 });
      out.push({ ...c, view_id: viewId, app_id: app, received_at: new Date(base + 1050).toISOString() });
    }
  }
  return out;
}

/**
 * Publishes events the way ingest does: `batch` events per request, per topic, keyed, as
 * batch-v1 records (one per key per request; ingest's default) or one record per event.
 */
export async function publishEvents(
  bus: Bus,
  events: ReeltimeEvent[],
  batch = 500,
  format: RecordFormat = "batch-v1",
): Promise<void> {
  for (let i = 0; i < events.length; i += batch) {
    const byTopic = new Map<string, Map<string, string[]>>();
    for (const e of events.slice(i, i + batch)) {
      const { topic, key } = routeOf(e);
      let byKey = byTopic.get(topic);
      if (!byKey) {
        byKey = new Map();
        byTopic.set(topic, byKey);
      }
      byKey.set(key, [...(byKey.get(key) ?? []), JSON.stringify(e)]);
    }
    await Promise.all(
      [...byTopic].map(([t, byKey]) => bus.publish(t, encodeEventRecords(byKey, format, {}, bus.maxMessageBytes))),
    );
  }
}

/** The event_id of every archived row under these prefixes (optionally of one app), read back with DuckDB. */
export async function archivedEventIds(archive: Archive, prefixes: string | string[], app?: string): Promise<string[]> {
  const objects = [];
  for (const p of Array.isArray(prefixes) ? prefixes : [prefixes])
    for (const o of await archive.list(p)) if (o.key.endsWith(".parquet")) objects.push(o);
  if (objects.length === 0) return [];
  const local = await mkdtemp(join(tmpdir(), "reeltime-read-"));
  try {
    const files: string[] = [];
    for (const [i, o] of objects.entries()) {
      const f = join(local, `${i}.parquet`);
      await writeFile(f, await archive.get(o.key));
      files.push(f);
    }
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    const list = files.map((f) => `'${f}'`).join(", ");
    const where = app ? ` WHERE app_id = '${app.replaceAll("'", "''")}'` : "";
    const rows = (
      await conn.runAndReadAll(`SELECT event_id FROM read_parquet([${list}], union_by_name = true)${where}`)
    ).getRowObjectsJS();
    conn.closeSync();
    return rows.map((r) => String(r.event_id));
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}
