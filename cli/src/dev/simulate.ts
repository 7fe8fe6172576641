import { randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";

/** A small seeded PRNG (mulberry32), so a simulation can be replayed exactly. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
];
const LADDER = [
  { id: "240p", bitrate_bps: 400_000, width: 426, height: 240 },
  { id: "360p", bitrate_bps: 800_000, width: 640, height: 360 },
  { id: "480p", bitrate_bps: 1_400_000, width: 854, height: 480 },
  { id: "720p", bitrate_bps: 2_800_000, width: 1280, height: 720 },
];

export interface SimVideo {
  id: string;
  title: string;
  duration_ms: number;
}

type Row = [number, string, Record<string, unknown>];

/**
 * One synthetic viewer's view, as the SDK would report it: slow and fast startups, stalls,
 * seeks, pauses, early exits, startup failures, business errors, rendition switches, requests,
 * milestones and clicks. Times are device times ending around `endAt`.
 */
export function simulateView(seed: number, videos: SimVideo[], endAt: number): { events: object[]; userAgent: string } {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const video = pick(videos);
  const viewId = `sim-${uuidv7()}`;
  const sessionId = `sess-${randomUUID().slice(0, 12)}`;
  const viewerId = `viewer-${Math.floor(r() * 5000)}`;
  const display = pick([
    { width: 1280, height: 720, pixel_ratio: 1 },
    { width: 960, height: 540, pixel_ratio: 2 },
    { width: 390, height: 219, pixel_ratio: 3 },
  ]);
  const rows: Row[] = [[0, "view_start", {}]];
  const fate = r();
  let t = 0;
  if (fate < 0.04)
    rows.push([1500 + r() * 6000, "view_end", { reason: "page_hide" }]); // exit before start
  else if (fate < 0.06)
    rows.push([
      800 + r() * 3000,
      "error",
      { error: { severity: "fatal", code: "MANIFEST_LOAD_ERROR", message: "manifest 404", category: "network" } },
    ]);
  else if (fate < 0.07)
    rows.push([
      400,
      "error",
      { error: { severity: "business", code: "GEO_BLOCKED", message: "not available in your region" } },
    ]);
  else {
    const startup = Math.round(300 + (r() < 0.15 ? 3000 + r() * 6000 : r() * 1500));
    t = startup;
    let level = r() < 0.5 ? 1 : 2;
    rows.push([t, "startup_complete", { startup_ms: startup }]);
    rows.push([t, "rendition_switch", { rendition: LADDER[level], direction: "initial", display }]);
    const watch = Math.round(Math.min(video.duration_ms, 20_000 + r() * 240_000));
    let next = 10_000;
    const milestones = [10, 25, 50, 75, 100];
    while (t < watch) {
      t += Math.round(2000 + r() * 8000);
      if (t >= next) {
        rows.push([
          t,
          "heartbeat",
          { state: "playing", stats: { playing_ms: t - startup, rebuffer_ms: 0, rebuffer_count: 0 } },
        ]);
        next += 10_000;
      }
      const x = r();
      if (x < 0.07) {
        const d = Math.round(300 + r() * 4000);
        rows.push([t, "rebuffer_start", { cause: "buffer_empty" }], [t + d, "rebuffer_end", { duration_ms: d }]);
        t += d;
        if (level > 0 && r() < 0.6) {
          rows.push([
            t,
            "rendition_switch",
            { rendition: LADDER[level - 1], from_rendition: LADDER[level], direction: "down" },
          ]);
          level--;
        }
      } else if (x < 0.12 && level < LADDER.length - 1) {
        rows.push([
          t,
          "rendition_switch",
          { rendition: LADDER[level + 1], from_rendition: LADDER[level], direction: "up" },
        ]);
        level++;
      } else if (x < 0.15) {
        const lat = Math.round(100 + r() * 900);
        rows.push([t, "seek_start", { from_ms: Math.round(t), to_ms: Math.round(t + 30_000) }]);
        rows.push([t + lat, "seek_end", { from_ms: Math.round(t), to_ms: Math.round(t + 30_000), latency_ms: lat }]);
        t += lat;
      } else if (x < 0.18) {
        const p = Math.round(2000 + r() * 20_000);
        rows.push([t, "pause", {}], [t + p, "play", {}], [t + p, "playing", {}]);
        t += p;
      } else if (x < 0.3) {
        const ttfb = Math.round(20 + r() * 200);
        const dl = Math.round(50 + r() * 800);
        const bytes = Math.round(LADDER[level]!.bitrate_bps * 0.5);
        rows.push([
          t,
          "request",
          {
            request: {
              kind: "fragment",
              ttfb_ms: ttfb,
              download_ms: dl,
              bytes,
              throughput_bps: Math.round((bytes * 8000) / dl),
              retries: 0,
              failed: r() < 0.02,
              rendition_id: LADDER[level]!.id,
            },
          },
        ]);
      }
      while (milestones.length > 0 && t >= (video.duration_ms * milestones[0]!) / 100)
        rows.push([t, "milestone", { percent: milestones.shift()! }]);
    }
    rows.push([t + 500, "view_end", { reason: t >= video.duration_ms ? "ended" : pick(["page_hide", "destroy"]) }]);
  }
  const last = rows.at(-1)![0];
  const t0 = endAt - last - Math.floor(r() * 60_000);
  const events = rows.map(([ms, short, fields], seq) => {
    const base = {
      event_id: uuidv7(),
      event_type: `playback.${short}`,
      schema_version: "1.0",
      client_ts: new Date(t0 + ms).toISOString(),
      seq,
      session_id: sessionId,
      view_id: viewId,
      viewer_id: viewerId,
      video,
      playhead_ms: Math.max(0, Math.round(ms - 500)),
      player: { name: "hls.js", version: "1.7.4", sdk_version: "0.1.0" },
      page: { url: `https://video.example.com/watch/${video.id}` },
    };
    const extra = short === "view_end" ? { stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 } } : {};
    return { ...base, ...extra, ...fields };
  });
  if (r() < 0.1 && rows.length > 2)
    events.push({
      event_id: uuidv7(),
      event_type: "click",
      schema_version: "1.0",
      client_ts: new Date(t0 + rows[1]![0] + 1000).toISOString(),
      seq: rows.length,
      session_id: sessionId,
      view_id: viewId,
      page: { url: `https://video.example.com/watch/${video.id}` },
      video: { id: video.id },
      click: {
        element_path: "main > div.actions > button#share",
        target: { tag: "button", id: "share", label: "Share" },
        x: 640,
        y: 720,
      },
    } as never);
  return { events, userAgent: pick(AGENTS) };
}

/** Drives `viewers` simulated views into a running ingest API, with a progress readout. */
export async function simulate(o: {
  endpoint: string;
  writeKey: string;
  viewers: number;
  videos: SimVideo[];
  seed?: number;
  onProgress?: (done: number, accepted: number, rejected: number) => void;
}): Promise<{ accepted: number; rejected: number }> {
  let accepted = 0;
  let rejected = 0;
  const now = Date.now();
  for (let i = 0; i < o.viewers; i++) {
    const { events, userAgent } = simulateView((o.seed ?? 1) * 100_003 + i, o.videos, now);
    for (let j = 0; j < events.length; j += 100) {
      const res = await fetch(`${o.endpoint}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-reeltime-key": o.writeKey, "user-agent": userAgent },
        body: JSON.stringify({ events: events.slice(j, j + 100) }),
      });
      const body = (await res.json()) as { accepted?: number; rejected?: number };
      accepted += body.accepted ?? 0;
      rejected += body.rejected ?? 0;
    }
    o.onProgress?.(i + 1, accepted, rejected);
  }
  return { accepted, rejected };
}
