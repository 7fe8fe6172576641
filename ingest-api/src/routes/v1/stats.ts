import type { JobRecord, ViewRecord } from "@reeltime/events";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyPluginAsync } from "fastify";
import type { AppContext, RoutesOptions } from "../../context.ts";
import { readScopeOf } from "./read-guard.ts";

const StatsQuery = Type.Object(
  {
    app: Type.Optional(Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" })),
    minutes: Type.Integer({ minimum: 5, maximum: 1440, default: 60 }),
  },
  { additionalProperties: false },
);
type StatsQuery = Static<typeof StatsQuery>;

const JOB_EVENTS = [
  "job.created",
  "job.step_started",
  "job.step_completed",
  "job.step_failed",
  "job.completed",
  "job.failed",
];
const MAX_VIEWS = 500;
const MAX_JOBS = 100;
const LIVE_MS = 60_000;

/** Linear interpolation between closest ranks (what Elasticsearch returns for small sets). */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1);
  const i = Math.floor(pos);
  return s[i]! + (pos - i) * ((s[i + 1] ?? s[i]!) - s[i]!);
}
/** Views a record stands for: 1 / sample_rate (1 for records written before sampling was weighted). */
const w = (v: ViewRecord) => v.weight ?? 1;
const total = (views: ViewRecord[]) => views.reduce((s, v) => s + w(v), 0);
/** Weighted mean of `value` over the views that have one. */
function mean(views: ViewRecord[], value: (v: ViewRecord) => number | undefined): number | null {
  let sum = 0;
  let weights = 0;
  for (const v of views) {
    const x = value(v);
    if (x === undefined) continue;
    sum += x * w(v);
    weights += w(v);
  }
  return weights === 0 ? null : sum / weights;
}
const share = (views: ViewRecord[], f: (v: ViewRecord) => boolean) =>
  views.length === 0 ? null : total(views.filter(f)) / total(views);
/** A percentile where a sampled view counts as the (rounded) number of views it stands for. */
function weightedPercentile(views: ViewRecord[], value: (v: ViewRecord) => number | undefined, q: number) {
  const values: number[] = [];
  for (const v of views) {
    const x = value(v);
    if (x !== undefined) for (let i = 0; i < Math.max(1, Math.round(w(v))); i++) values.push(x);
  }
  return percentile(values, q);
}
/** Counts are rounded to whole views (a 30 % sample makes a record stand for 3.33 views). */
const count = (views: ViewRecord[]) => Math.round(total(views));

/**
 * QoE tiles of a set of views (the definitions of the Grafana QoE dashboard). Sampled views
 * are weighted: each counts `weight` (1 / sample_rate) times in every figure.
 */
function tiles(views: ViewRecord[], now: number) {
  const started = views.filter((v) => v.reached_first_frame);
  return {
    views: count(views),
    startup_p50_ms: weightedPercentile(views, (v) => v.startup_ms, 50),
    startup_p95_ms: weightedPercentile(views, (v) => v.startup_ms, 95),
    rebuffer_ratio: mean(started, (v) => v.rebuffer_ratio),
    playback_failure_rate: share(views, (v) => v.playback_failure),
    ebvs_rate: share(views, (v) => v.ebvs),
    avg_bitrate_bps: mean(views, (v) => v.avg_bitrate_bps),
    concurrent_viewers: count(
      views.filter((v) => v.status === "active" && now - Date.parse(v.last_event_at) <= LIVE_MS),
    ),
  };
}

function breakdown(views: ViewRecord[], key: (v: ViewRecord) => string | undefined) {
  const groups = new Map<string, ViewRecord[]>();
  for (const v of views) {
    const k = key(v);
    if (k !== undefined) groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  return [...groups]
    .map(([k, vs]) => ({ key: k, ...tiles(vs, 0) }))
    .sort((a, b) => b.views - a.views || a.key.localeCompare(b.key))
    .slice(0, 5);
}

/**
 * QoE by CDN edge location: the views whose delivery fields name each POP (a view served by two
 * POPs counts in both), with their mean cache hit ratio; the five POPs with the most views.
 */
function byPop(views: ViewRecord[]) {
  const groups = new Map<string, ViewRecord[]>();
  for (const v of views) for (const pop of v.cdn_pops ?? []) groups.set(pop, [...(groups.get(pop) ?? []), v]);
  return [...groups]
    .map(([k, vs]) => ({ key: k, ...tiles(vs, 0), cache_hit_ratio: mean(vs, (v) => v.cdn_cache_hit_ratio) }))
    .sort((a, b) => b.views - a.views || a.key.localeCompare(b.key))
    .slice(0, 5);
}

/**
 * Cache hit ratio vs rebuffering: the views with delivery fields by quarter of their cache hit
 * ratio (0, 0.25, 0.5, 0.75: each quarter holds ratios from its bound up to the next), each with
 * its views and the mean rebuffer ratio of those that reached a first frame.
 */
function hitRatioVsRebuffer(views: ViewRecord[]) {
  return [0, 0.25, 0.5, 0.75].map((from) => {
    const vs = views.filter(
      (v) =>
        v.cdn_cache_hit_ratio !== undefined &&
        v.cdn_cache_hit_ratio >= from &&
        (from === 0.75 ? v.cdn_cache_hit_ratio <= 1 : v.cdn_cache_hit_ratio < from + 0.25),
    );
    return {
      from,
      views: count(vs),
      rebuffer_ratio: mean(
        vs.filter((v) => v.reached_first_frame),
        (v) => v.rebuffer_ratio,
      ),
    };
  });
}

/** Views started and concurrent views per minute over the window (weighted like the tiles). */
function series(views: ViewRecord[], from: number, now: number) {
  const minutes: number[] = [];
  for (let t = Math.floor(from / 60_000) * 60_000; t <= now; t += 60_000) minutes.push(t);
  const span = views.map((v) => [Date.parse(v.started_at), Date.parse(v.ended_at ?? v.last_event_at), w(v)] as const);
  const sum = (xs: (readonly [number, number, number])[]) => Math.round(xs.reduce((s, [, , x]) => s + x, 0));
  return {
    minutes,
    started: minutes.map((t) => sum(span.filter(([s]) => s >= t && s < t + 60_000))),
    concurrent: minutes.map((t) => sum(span.filter(([s, e]) => s < t + 60_000 && e >= t))),
  };
}

async function inBatches<T, R>(items: T[], size: number, work: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
}

async function stats(ctx: AppContext, q: StatsQuery, scope: string) {
  const now = Date.now();
  const from = now - q.minutes * 60_000;
  const app = scope === "*" ? q.app : scope;
  const base = { ...(app ? { app_id: app } : {}), from: new Date(from) };
  const starts = await ctx.search.lastN({ ...base, event_types: ["playback.view_start"] }, MAX_VIEWS);
  const viewIds = [...new Set(starts.flatMap((e) => (e.view_id ? [e.view_id] : [])))];
  const views = (await inBatches(viewIds, 16, (id) => ctx.search.getView(id))).filter((v): v is ViewRecord => !!v);
  const jobEvents = await ctx.search.lastN({ ...base, event_types: JOB_EVENTS }, 1000);
  const jobIds = [...new Set(jobEvents.flatMap((e) => ("job" in e && e.job ? [(e.job as { id: string }).id] : [])))];
  const jobs = (await inBatches(jobIds.slice(0, MAX_JOBS), 16, (id) => ctx.search.getJob(id))).filter(
    (j): j is JobRecord => !!j,
  );
  const counts: Record<string, number> = {};
  for (const j of jobs) counts[j.status] = (counts[j.status] ?? 0) + 1;
  return {
    generated_at: new Date(now).toISOString(),
    window_minutes: q.minutes,
    app: app ?? null,
    tiles: tiles(views, now),
    series: series(views, from, now),
    breakdowns: {
      video: breakdown(views, (v) => v.video_id),
      browser: breakdown(views, (v) => v.browser),
      rendition: breakdown(views, (v) => v.last_rendition),
      pop: byPop(views),
    },
    delivery: { hit_ratio_vs_rebuffer: hitRatioVsRebuffer(views) },
    jobs: {
      counts,
      recent: jobs
        .sort((a, b) => b.created_at.localeCompare(a.created_at))
        .slice(0, 20)
        .map((j) => ({
          job_id: j.job_id,
          video_id: j.video_id ?? null,
          status: j.status,
          created_at: j.created_at,
          duration_ms: j.duration_ms ?? null,
          speed: j.speed ?? null,
          failed_step: j.failed_step ?? null,
          error_code: j.error_code ?? null,
          chunks: chunkProgress(j),
        })),
    },
  };
}

/**
 * A segment-parallel job's chunks, all renditions together (null for a serial job): how many
 * chunk encodes there are, how many completed, run and failed, and each rendition's state letters.
 */
function chunkProgress(j: JobRecord) {
  if (!j.chunks?.length) return null;
  const sum = (k: "count" | "completed" | "running" | "failed") => j.chunks!.reduce((n, c) => n + c[k], 0);
  return {
    count: sum("count"),
    completed: sum("completed"),
    running: sum("running"),
    failed: sum("failed"),
    renditions: Object.fromEntries(j.chunks.map((c) => [c.rendition, c.states])),
  };
}

/** GET /v1/stats: the live page's figures (QoE tiles, series, jobs); behind the read guard of the read routes. */
export const statsRoute: FastifyPluginAsync<RoutesOptions> = async (app, { ctx }) => {
  // A store failure is thrown to the error handler: an outage is a 503, anything else is not.
  app.get<{ Querystring: StatsQuery }>("/stats", { schema: { querystring: StatsQuery } }, async (req) =>
    stats(ctx, req.query, readScopeOf(req)),
  );
};
