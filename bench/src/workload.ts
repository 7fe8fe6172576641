import { exampleEvent, type ReeltimeEvent } from "@reeltime/events";

export interface WorkloadOptions {
  app: string;
  /** First event time (ms since epoch); views start 7 ms apart. */
  t0?: number;
  /** Stamp `received_at` and `client` as ingest would (for the bus and the store; not for HTTP bodies). */
  stamped?: boolean;
  /** Deterministic event ids `<tag>-0000-7000-8000-<index>` (reloadable data sets) instead of random UUIDv7. */
  idTag?: string;
  /** Distinguishes view ids between calls with the same app (chunks of a large data set). */
  viewTag?: string;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/**
 * `count` events of a realistic mix: per view a start, startup, heartbeats (with rendition and
 * display), a stall for one view in three, a pause for one in four, a milestone, an end; a
 * click for one view in five. The same shape as the processors' drill workload.
 */
export function workload(count: number, o: WorkloadOptions): ReeltimeEvent[] {
  const t0 = o.t0 ?? Date.now();
  const out: ReeltimeEvent[] = [];
  const push = (e: Record<string, unknown>, at: number) => {
    const i = out.length;
    if (o.idTag) e.event_id = `${o.idTag}-0000-7000-8000-${hex(i, 12)}`;
    e.app_id = o.app;
    if (o.stamped) {
      e.received_at = new Date(at + 50).toISOString();
      e.client = { ip: "203.0.113.0", country: "FR" };
    }
    out.push(e as unknown as ReeltimeEvent);
  };
  for (let v = 0; out.length < count; v++) {
    const viewId = `${o.app}-${o.viewTag ?? ""}view-${v}`;
    const base = t0 + v * 7;
    const rows: [number, string, Record<string, unknown>?][] = [
      [0, "view_start"],
      [500 + (v % 5) * 300, "startup_complete", { startup_ms: 500 + (v % 5) * 300 }],
      [10_000, "heartbeat"],
      [20_000, "heartbeat"],
    ];
    if (v % 3 === 0)
      rows.push([5000, "rebuffer_start"], [5000 + 400 * (1 + (v % 4)), "rebuffer_end", { duration_ms: 400 }]);
    if (v % 4 === 1) rows.push([9000, "pause"], [12_000, "play"], [12_000, "playing"]);
    rows.push([20_000, "milestone", { percent: 10 }], [30_000, "view_end"]);
    for (const [seq, [ms, short, fields]] of rows.entries()) {
      if (out.length >= count) break;
      const e = exampleEvent(`playback.${short}` as never, { now: new Date(base + ms), seq }) as Record<
        string,
        unknown
      >;
      push({ ...e, ...fields, view_id: viewId }, base + ms);
    }
    if (v % 5 === 0 && out.length < count) {
      const c = exampleEvent("click", { now: new Date(base + 1000), seq: 0 }) as Record<string, unknown>;
      push({ ...c, view_id: viewId }, base + 1000);
    }
  }
  return out;
}
