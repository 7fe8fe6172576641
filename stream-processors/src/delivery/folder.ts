import { DDSketch } from "@datadog/sketches-js";
import type { Archive } from "@reeltime/connectors";
import { type EventOf, MAX_VIEW_POPS, SCHEMA_VERSION } from "@reeltime/events";
import { evictedObjectKey, type Folder } from "@reeltime/processing";
import { isoTime, stableEventId } from "@reeltime/runtime";

/** Relative accuracy of the medians (DDSketch): a reported median is within 1 % of the true one. */
export const MEDIAN_ACCURACY = 0.01;
/** Event ids remembered per view to drop redelivered requests (a Kinesis/Kafka replay window). */
export const RECENT_IDS = 1024;
/** The key of a request that names no view (no CMCD session id): skipped, never a key's state. */
export const NO_VIEW = "";

export type DeliveryEvent = EventOf<"playback.delivery">;
export type CdnEvent = EventOf<"cdn.request">;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export interface DeliveryState {
  view: string;
  app?: string;
  requests: number;
  hits: number;
  errors: number;
  bytes: number;
  ttfb: DDSketch;
  throughput: DDSketch;
  pops: Map<string, number>;
  first: number;
  last: number;
  /** FNV-1a hashes of the last RECENT_IDS event ids, oldest first. */
  recent: number[];
  recentSet: Set<number>;
}

/** A CDN request's view: its CMCD session id. */
export const viewOfRequest = (e: CdnEvent): string => e.cdn?.sid ?? NO_VIEW;
/**
 * The fold's key: the app the line was stamped with and the view, so lines of two apps naming
 * the same session id make two totals (the sessionizer joins the one of the view's app).
 */
export const keyOfRequest = (e: CdnEvent): string => {
  const view = viewOfRequest(e);
  return view === NO_VIEW ? NO_VIEW : `${e.app_id ?? ""}\u0000${view}`;
};

const HIT_RESULTS = new Set(["Hit", "RefreshHit", "OriginShieldHit"]);

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const sketch = () => new DDSketch({ relativeAccuracy: MEDIAN_ACCURACY });

function newState(e: CdnEvent): DeliveryState {
  return {
    view: viewOfRequest(e),
    ...(e.app_id !== undefined ? { app: e.app_id } : {}),
    requests: 0,
    hits: 0,
    errors: 0,
    bytes: 0,
    ttfb: sketch(),
    throughput: sketch(),
    pops: new Map(),
    first: Number.POSITIVE_INFINITY,
    last: 0,
    recent: [],
    recentSet: new Set(),
  };
}

/** Folds one request in; false for a request already counted or one of another tenant. */
export function addRequest(s: DeliveryState, e: CdnEvent): boolean {
  // A view belongs to one app: a line naming another app's view (a mistyped --app, a forged
  // sid) must not write into it. The sessionizer checks the app again when it joins.
  if (s.app !== undefined && e.app_id !== undefined && e.app_id !== s.app) return false;
  const h = fnv1a(e.event_id);
  if (s.recentSet.has(h)) return false;
  s.recentSet.add(h);
  s.recent.push(h);
  if (s.recent.length > RECENT_IDS) s.recentSet.delete(s.recent.shift() as number);
  const c = e.cdn;
  // A sampled real-time log (sampling rate below 100 %) keeps one line in 1 / rate: each stands
  // for that many requests in the totals and the medians.
  const w = e.sample_rate !== undefined && e.sample_rate > 0 ? 1 / e.sample_rate : 1;
  s.requests += w;
  if (c.cache_result !== undefined && HIT_RESULTS.has(c.cache_result)) s.hits += w;
  if (c.status >= 400 || c.cache_result === "Error") s.errors += w;
  const bytes = c.bytes ?? 0;
  s.bytes += bytes * w;
  if (c.ttfb_ms !== undefined) s.ttfb.accept(c.ttfb_ms, w);
  if (c.total_ms !== undefined && c.total_ms > 0 && bytes > 0 && c.status < 400)
    s.throughput.accept((bytes * 8 * 1000) / c.total_ms, w);
  if (c.pop) s.pops.set(c.pop, (s.pops.get(c.pop) ?? 0) + w);
  const at = Date.parse(e.client_ts);
  if (at < s.first) s.first = at;
  if (at > s.last) s.last = at;
  return true;
}

const median = (sk: DDSketch): number | undefined =>
  sk.count > 0 ? Math.round(sk.getValueAtQuantile(0.5)) : undefined;

/**
 * The view's running totals as a `playback.delivery` event, the same id for the same totals.
 * Its time is when the totals were made (`now`): the view record they join counts as updated
 * then, so readers that keep a view's newest record keep the one with these totals.
 */
export function deliveryEvent(s: DeliveryState, now = Date.now()): DeliveryEvent {
  const pops = [...s.pops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_VIEW_POPS);
  const last = new Date(s.last);
  const ttfb = median(s.ttfb);
  // Weighted (sampled) counts are estimates: whole requests and bytes.
  const requests = Math.round(s.requests);
  const bytes = Math.round(s.bytes);
  const throughput = median(s.throughput);
  return {
    event_id: stableEventId(`delivery\u0000${s.app ?? ""}\u0000${s.view}\u0000${requests}\u0000${bytes}`, last),
    schema_version: SCHEMA_VERSION,
    event_type: "playback.delivery",
    client_ts: isoTime(Math.max(now, s.last)),
    seq: 0,
    ...(s.app !== undefined ? { app_id: s.app } : {}),
    session_id: s.view,
    view_id: s.view,
    delivery: {
      requests,
      cache_hits: Math.round(s.hits),
      errors: Math.round(s.errors),
      bytes,
      ...(ttfb !== undefined ? { ttfb_p50_ms: ttfb } : {}),
      ...(throughput !== undefined ? { throughput_p50_bps: Math.min(throughput, 10_000_000_000) } : {}),
      pops: pops.map(([p]) => p),
      first_request_at: isoTime(s.first),
      last_request_at: isoTime(s.last),
    },
  };
}

interface SavedDelivery {
  v: string;
  a?: string;
  n: [number, number, number, number];
  t: string;
  p: string;
  pops: [string, number][];
  f: number;
  l: number;
  r: number[];
}

const toB64 = (sk: DDSketch) => Buffer.from(sk.toProto()).toString("base64");
const fromB64 = (b64: string) => DDSketch.fromProto(Buffer.from(b64, "base64"));

/**
 * Per view: counters, two DDSketches (a few hundred bytes each whatever the number of requests),
 * the edge locations, and the recent event ids. A request arriving after the view's state left
 * memory (the fold's timeout) is folded into the state saved at eviction, so the totals keep
 * growing instead of starting again.
 */
export function deliveryFolder(deps: {
  archive: Archive;
  group: string;
}): Folder<CdnEvent, DeliveryState, DeliveryEvent & { final?: boolean }> {
  const save = (s: DeliveryState): SavedDelivery => ({
    v: s.view,
    ...(s.app !== undefined ? { a: s.app } : {}),
    n: [s.requests, s.hits, s.errors, s.bytes],
    t: toB64(s.ttfb),
    p: toB64(s.throughput),
    pops: [...s.pops],
    f: s.first,
    l: s.last,
    r: s.recent,
  });
  const load = (raw: unknown): DeliveryState => {
    const x = raw as SavedDelivery;
    return {
      view: x.v,
      ...(x.a !== undefined ? { app: x.a } : {}),
      requests: x.n[0],
      hits: x.n[1],
      errors: x.n[2],
      bytes: x.n[3],
      ttfb: fromB64(x.t),
      throughput: fromB64(x.p),
      pops: new Map(x.pops),
      first: x.f,
      last: x.l,
      recent: [...x.r],
      recentSet: new Set(x.r),
    };
  };
  return {
    start: (e) => (viewOfRequest(e) === NO_VIEW ? undefined : newState(e)),
    add: (s, e) => addRequest(s, e),
    result: (s, opts) => ({ ...deliveryEvent(s), ...(opts.timedOut ? { final: true } : {}) }),
    async recall(keys, where) {
      const out = new Map<string, DeliveryState>();
      await Promise.all(
        keys.map(async (k) => {
          const object = evictedObjectKey(deps.group, where, k);
          if (!(await deps.archive.exists(object))) return;
          out.set(k, load(JSON.parse(decoder.decode(await deps.archive.get(object)))));
        }),
      );
      return out;
    },
    async evict(key, s, where) {
      await deps.archive.put(evictedObjectKey(deps.group, where, key), encoder.encode(JSON.stringify(save(s))), {
        contentType: "application/json",
      });
    },
    save,
    load,
  };
}
