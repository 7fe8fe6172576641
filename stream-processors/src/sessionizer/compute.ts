import type { PlaybackEvent, ViewRecord } from "@reeltime/events";
import { orderBySeq } from "../runtime/order.ts";
import {
  playbackSuccessScore,
  qualityScore,
  rebufferFrequency,
  rebufferRatio,
  smoothnessScore,
  startupScore,
  upscale,
} from "./scores.ts";

/** A playback event as stored: the server's fields may be present. */
export type ViewEvent = PlaybackEvent & { received_at?: string };

type State = "startup" | "playing" | "paused" | "rebuffering" | "seeking" | "ended" | "error";

/** Waits shorter than this before leaving are not exits before video start. */
export const EBVS_MIN_WAIT_MS = 1000;

const HEARTBEAT_STATE: Record<string, State | undefined> = {
  playing: "playing",
  paused: "paused",
  rebuffering: "rebuffering",
  seeking: "seeking",
};

/** Events of one view in the order they happened: by seq, then device time, then id; duplicates dropped. */
export function orderEvents(events: ViewEvent[]): ViewEvent[] {
  const byId = new Map<string, ViewEvent>();
  for (const e of events) if (!byId.has(e.event_id)) byId.set(e.event_id, e);
  return [...byId.values()].sort(
    (a, b) =>
      a.seq - b.seq || Date.parse(a.client_ts) - Date.parse(b.client_ts) || a.event_id.localeCompare(b.event_id),
  );
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Rebuilds one view's QoE record from its events (QOE.md). Pure and deterministic: the same
 * events, in any order and with duplicates, give the same record, so a restarted sessionizer
 * reproduces exactly what it had. Durations come from the device timeline between events;
 * startup time is the SDK's own measurement (first advancing frame − play request).
 */
export function computeView(input: ViewEvent[], opts: { timedOut?: boolean } = {}): ViewRecord {
  const events = orderBySeq(input);
  if (events.length === 0) throw new Error("computeView needs at least one event");
  const first = events[0]!;
  const ts = (e: ViewEvent) => Date.parse(e.client_ts);
  const start = events.find((e) => e.event_type === "playback.view_start") ?? first;
  const t0 = ts(start);

  let state: State = "startup";
  let beforeSeek: State = "playing";
  let prev = t0;
  let firstFrame = false;
  let startupMs: number | undefined;
  let startupWait = 0;
  let playing = 0;
  let paused = 0;
  let rebuffering = 0;
  let seeking = 0;
  let rebuffers = 0;
  let seeks = 0;
  let seekLatency = 0;
  let switches = 0;
  let up = 0;
  let down = 0;
  let fatal = false;
  let startupFailure = false;
  let fatalCode: string | undefined;
  let nonFatal = 0;
  let business = 0;
  let maxMilestone = 0;
  let requests = 0;
  let requestFailures = 0;
  let ttfbSum = 0;
  let ttfbN = 0;
  let tputSum = 0;
  let tputN = 0;
  let droppedFrames = 0;
  let endReason: string | undefined;
  let endedAt: number | undefined;
  let rendition: { id?: string; bitrate_bps: number; width?: number; height?: number } | undefined;
  let display: { width: number; height: number; pixel_ratio: number } | undefined;
  let bitrateMs = 0;
  let bitrateWeighted = 0;
  let upscaleMs = 0;
  let upscaleWeighted = 0;
  let maxUpscale: number | undefined;

  const attribute = (ms: number) => {
    if (ms <= 0) return;
    switch (state) {
      case "startup":
        startupWait += ms;
        return;
      case "paused":
        paused += ms;
        return;
      case "rebuffering":
        rebuffering += ms;
        return;
      case "seeking":
        seeking += ms;
        return;
      case "playing":
        playing += ms;
        if (rendition) {
          bitrateMs += ms;
          bitrateWeighted += rendition.bitrate_bps * ms;
          const u = display ? upscale(rendition, display) : undefined;
          if (u !== undefined) {
            upscaleMs += ms;
            upscaleWeighted += u * ms;
            maxUpscale = Math.max(maxUpscale ?? 0, u);
          }
        }
        return;
      default:
        return;
    }
  };

  for (const e of events) {
    const t = ts(e);
    if (t > prev) {
      attribute(t - prev);
      prev = t;
    }
    if (e.display) display = e.display;
    const terminal = state === "ended" || state === "error";
    switch (e.event_type) {
      case "playback.startup_complete":
        if (!firstFrame) {
          firstFrame = true;
          startupMs = e.startup_ms;
        }
        if (!terminal) state = "playing";
        break;
      case "playback.playing":
        if (firstFrame && !terminal) state = "playing";
        break;
      case "playback.play":
        if (firstFrame && state === "paused") state = "playing";
        break;
      case "playback.pause":
        if (!terminal && firstFrame) state = "paused";
        break;
      case "playback.rebuffer_start":
        if (firstFrame && !terminal) {
          rebuffers++;
          state = "rebuffering";
        }
        break;
      case "playback.rebuffer_end":
        if (state === "rebuffering") state = "playing";
        break;
      case "playback.seek_start":
        seeks++;
        if (!terminal) {
          beforeSeek = state === "paused" ? "paused" : firstFrame ? "playing" : "startup";
          state = "seeking";
        }
        break;
      case "playback.seek_end":
        seekLatency += e.latency_ms;
        if (state === "seeking") state = beforeSeek;
        break;
      case "playback.heartbeat": {
        const synced = HEARTBEAT_STATE[e.state];
        if (synced && firstFrame && !terminal) state = synced;
        if (!rendition && e.rendition) rendition = e.rendition;
        droppedFrames = Math.max(droppedFrames, e.stats.dropped_frames ?? 0);
        break;
      }
      case "playback.rendition_switch":
        rendition = e.rendition;
        if (e.direction === "up") up++;
        if (e.direction === "down") down++;
        if (e.direction !== "initial") switches++;
        break;
      case "playback.error":
        if (e.error.severity === "fatal") {
          if (!fatal) fatalCode = e.error.code;
          fatal = true;
          if (!firstFrame) startupFailure = true;
          if (!terminal) {
            state = "error";
            endedAt ??= t;
            endReason ??= "error";
          }
        } else if (e.error.severity === "business") business++;
        else nonFatal++;
        break;
      case "playback.milestone":
        maxMilestone = Math.max(maxMilestone, e.percent);
        break;
      case "playback.request":
        requests++;
        if (e.request.failed) requestFailures++;
        if (e.request.ttfb_ms !== undefined) {
          ttfbSum += e.request.ttfb_ms;
          ttfbN++;
        }
        if (e.request.throughput_bps !== undefined) {
          tputSum += e.request.throughput_bps;
          tputN++;
        }
        break;
      case "playback.view_end":
        droppedFrames = Math.max(droppedFrames, e.stats.dropped_frames ?? 0);
        if (state !== "ended") {
          endReason = state === "error" ? (endReason ?? "error") : e.reason;
          endedAt = state === "error" ? (endedAt ?? t) : t;
          state = "ended";
        }
        break;
      default:
        break;
    }
  }

  const last = events.at(-1)!;
  const lastTs = ts(last);
  const ended = state === "ended" || state === "error" || opts.timedOut === true;
  if (opts.timedOut && endReason === undefined) {
    endReason = "timeout";
    endedAt = lastTs;
  }
  const ebvs = ended && !firstFrame && !fatal && business === 0 && lastTs - t0 >= EBVS_MIN_WAIT_MS;
  const ratio = rebufferRatio(rebuffering, playing);
  const avgUpscale = upscaleMs > 0 ? upscaleWeighted / upscaleMs : undefined;

  // Context comes from the newest event that carries it.
  const newest = <T>(pick: (e: ViewEvent) => T | undefined): T | undefined => {
    for (let i = events.length - 1; i >= 0; i--) {
      const v = pick(events[i]!);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const updated = events.reduce((m, e) => Math.max(m, Date.parse(e.received_at ?? e.client_ts)), 0);
  const rate = newest((e) => e.sample_rate);
  const sampleRate = rate !== undefined && rate > 0 && rate <= 1 ? rate : 1;
  const opt = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

  return {
    view_id: first.view_id,
    session_id: first.session_id,
    ...opt(
      "app_id",
      newest((e) => e.app_id),
    ),
    ...opt(
      "viewer_id",
      newest((e) => e.viewer_id),
    ),
    video_id: newest((e) => e.video.id) ?? first.video.id,
    ...opt(
      "video_title",
      newest((e) => e.video.title),
    ),
    ...opt(
      "video_duration_ms",
      newest((e) => e.video.duration_ms),
    ),
    ...opt(
      "player_name",
      newest((e) => e.player?.name),
    ),
    ...opt(
      "browser",
      newest((e) => e.user_agent?.name),
    ),
    ...opt(
      "os",
      newest((e) => e.user_agent?.os_name),
    ),
    ...opt(
      "device_type",
      newest((e) => e.user_agent?.device_type),
    ),
    ...opt(
      "country",
      newest((e) => e.client?.country),
    ),
    ...opt(
      "page_url",
      newest((e) => e.page?.url),
    ),
    // Sampled views stand for 1 / sample_rate views each: every count and sum weights by it.
    sample_rate: sampleRate,
    weight: 1 / sampleRate,
    status: ended ? "ended" : "active",
    ...opt("end_reason", endReason),
    started_at: new Date(t0).toISOString(),
    ...opt("ended_at", endedAt === undefined ? undefined : new Date(endedAt).toISOString()),
    last_event_at: new Date(lastTs).toISOString(),
    updated_at: new Date(updated).toISOString(),
    events: events.length,
    last_seq: last.seq,
    reached_first_frame: firstFrame,
    ...opt("startup_ms", firstFrame ? (startupMs ?? 0) : undefined),
    ebvs,
    startup_failure: startupFailure,
    playback_failure: fatal,
    ...opt("fatal_error_code", fatalCode),
    non_fatal_errors: nonFatal,
    business_errors: business,
    playing_ms: playing,
    watch_ms: startupWait + playing + rebuffering + seeking,
    paused_ms: paused,
    rebuffer_count: rebuffers,
    rebuffer_ms: rebuffering,
    rebuffer_ratio: round(ratio, 6),
    rebuffer_frequency: round(rebufferFrequency(rebuffers, playing), 6),
    seek_count: seeks,
    seek_latency_ms: seekLatency,
    ...opt("avg_bitrate_bps", bitrateMs > 0 ? round(bitrateWeighted / bitrateMs, 2) : undefined),
    rendition_switches: switches,
    switches_up: up,
    switches_down: down,
    ...opt("last_rendition", rendition?.id),
    ...opt("avg_upscale", avgUpscale === undefined ? undefined : round(avgUpscale, 6)),
    ...opt("max_upscale", maxUpscale === undefined ? undefined : round(maxUpscale, 6)),
    dropped_frames: droppedFrames,
    max_milestone: maxMilestone,
    requests,
    request_failures: requestFailures,
    ...opt("avg_ttfb_ms", ttfbN > 0 ? round(ttfbSum / ttfbN, 2) : undefined),
    ...opt("avg_throughput_bps", tputN > 0 ? round(tputSum / tputN, 2) : undefined),
    ...opt("startup_score", firstFrame ? round(startupScore(startupMs ?? 0), 4) : undefined),
    smoothness_score: round(smoothnessScore(rebuffers, ratio), 4),
    ...opt(
      "quality_score",
      avgUpscale === undefined ? undefined : round(qualityScore(avgUpscale, maxUpscale ?? avgUpscale), 4),
    ),
    playback_success_score: playbackSuccessScore(fatal, ebvs),
  } as ViewRecord;
}
