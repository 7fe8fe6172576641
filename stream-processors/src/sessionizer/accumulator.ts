import type { PlaybackEvent, ViewRecord } from "@reeltime/events";
import { isoTime } from "@reeltime/runtime";
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
/** An event the player (or ingest, for CMCD) made about the view: what the accumulator folds. */
export type ViewEvent = Exclude<PlaybackEvent, { event_type: "playback.delivery" }> & { received_at?: string };
/** The delivery processor's running CDN totals for the view (server-made; joins, never starts). */
export type DeliveryInput = Extract<PlaybackEvent, { event_type: "playback.delivery" }> & { received_at?: string };
/** Anything on the playback topic: the sessionizer's input. */
export type ViewInput = ViewEvent | DeliveryInput;

type PlayerState = "startup" | "playing" | "paused" | "rebuffering" | "seeking" | "ended" | "error";

/** Waits shorter than this before leaving are not exits before video start. */
export const EBVS_MIN_WAIT_MS = 1000;

const HEARTBEAT_STATE: Record<string, PlayerState | undefined> = {
  playing: "playing",
  paused: "paused",
  rebuffering: "rebuffering",
  seeking: "seeking",
};

type Rendition = { id?: string; bitrate_bps: number; width?: number; height?: number };
type Display = { width: number; height: number; pixel_ratio: number };

/**
 * Everything the QoE definitions (QOE.md) need from a view's events, folded one event at a
 * time in `seq` order: the player state machine, running durations, counters and sums, and the
 * newest context. A few hundred bytes whatever the view's length; a plain JSON value, so a
 * checkpoint stores it as it is.
 */
export interface ViewAcc {
  view_id: string;
  session_id: string;
  /** Newest context (the last event in order that carries each field). */
  ctx: {
    app_id?: string;
    viewer_id?: string;
    video_id: string;
    video_title?: string;
    video_duration_ms?: number;
    /** The kind of element the view plays on, once an event names it. */
    media_kind?: "video" | "audio";
    /** On demand or live, once an event's video names it. */
    stream_type?: "vod" | "live";
    player_name?: string;
    browser?: string;
    os?: string;
    device_type?: string;
    country?: string;
    page_url?: string;
    sample_rate?: number;
  };
  /** Play request time (the view_start's device time, else the first event's). */
  t0: number;
  startSeen: boolean;
  state: PlayerState;
  beforeSeek: PlayerState;
  prev: number;
  firstFrame: boolean;
  startupMs?: number;
  startupWait: number;
  playing: number;
  paused: number;
  rebuffering: number;
  seeking: number;
  rebuffers: number;
  seeks: number;
  seekLatency: number;
  switches: number;
  up: number;
  down: number;
  fatal: boolean;
  startupFailure: boolean;
  fatalCode?: string;
  nonFatal: number;
  business: number;
  maxMilestone: number;
  requests: number;
  requestFailures: number;
  ttfbSum: number;
  ttfbN: number;
  tputSum: number;
  tputN: number;
  droppedFrames: number;
  endReason?: string;
  endedAt?: number;
  rendition?: Rendition;
  display?: Display;
  bitrateMs: number;
  bitrateWeighted: number;
  upscaleMs: number;
  upscaleWeighted: number;
  maxUpscale?: number;
  /** Distinct events counted (SDK events and joined CMCD reports). */
  events: number;
  lastTs: number;
  lastSeq: number;
  /** Newest server receive time (device time when absent) of any event. */
  updated: number;
  /**
   * The SDK's running totals from the newest event in order that carries them (heartbeat,
   * view_end), with the timeline's totals at that event: playing and rebuffer time are the
   * SDK's (measured on the media element), plus what the timeline adds after its last report
   * (beacons lost at the end of the view).
   */
  sdk?: { seq: number; playing: number; rebuffering: number; atPlaying: number; atRebuffering: number };
  /** A live view's newest figures (heartbeat / view_end `live`, the highest seq): replaced whole, never mutated. */
  live?: { seq: number; latency?: number; p50?: number; edge?: number; maxBehind: number; catchup: number };
}

const ts = (e: ViewEvent) => Date.parse(e.client_ts);

/** A view's accumulator before its first event is folded. */
export function newAcc(first: ViewEvent): ViewAcc {
  const t = ts(first);
  return {
    view_id: first.view_id,
    session_id: first.session_id,
    // The shared copy (see intern): context() leaves a value the view has already as it is.
    ctx: { video_id: intern(first.video.id) },
    t0: t,
    startSeen: false,
    state: "startup",
    beforeSeek: "playing",
    prev: t,
    firstFrame: false,
    startupWait: 0,
    playing: 0,
    paused: 0,
    rebuffering: 0,
    seeking: 0,
    rebuffers: 0,
    seeks: 0,
    seekLatency: 0,
    switches: 0,
    up: 0,
    down: 0,
    fatal: false,
    startupFailure: false,
    nonFatal: 0,
    business: 0,
    maxMilestone: 0,
    requests: 0,
    requestFailures: 0,
    ttfbSum: 0,
    ttfbN: 0,
    tputSum: 0,
    tputN: 0,
    droppedFrames: 0,
    bitrateMs: 0,
    bitrateWeighted: 0,
    upscaleMs: 0,
    upscaleWeighted: 0,
    events: 0,
    lastTs: t,
    lastSeq: first.seq,
    updated: 0,
  };
}

/** A copy to fold tentative events into (events held back by the reorder window). */
export function cloneAcc(a: ViewAcc): ViewAcc {
  return {
    ...a,
    ctx: { ...a.ctx },
    ...(a.rendition ? { rendition: { ...a.rendition } } : {}),
    ...(a.display ? { display: { ...a.display } } : {}),
  };
}

function attribute(a: ViewAcc, ms: number): void {
  if (ms <= 0) return;
  switch (a.state) {
    case "startup":
      a.startupWait += ms;
      return;
    case "paused":
      a.paused += ms;
      return;
    case "rebuffering":
      a.rebuffering += ms;
      return;
    case "seeking":
      a.seeking += ms;
      return;
    case "playing":
      a.playing += ms;
      if (a.rendition) {
        a.bitrateMs += ms;
        a.bitrateWeighted += a.rendition.bitrate_bps * ms;
        const u = a.display ? upscale(a.rendition, a.display) : undefined;
        if (u !== undefined) {
          a.upscaleMs += ms;
          a.upscaleWeighted += u * ms;
          a.maxUpscale = Math.max(a.maxUpscale ?? 0, u);
        }
      }
      return;
    default:
      return;
  }
}

/**
 * One copy of each context value many views share (app, video, browser...): every parsed event
 * brings its own copy of the same text, and open views would keep one each. Bounded.
 */
const shared = new Map<string, string>();
function intern(s: string): string {
  const known = shared.get(s);
  if (known !== undefined) return known;
  if (shared.size < 100_000 && s.length <= 512) shared.set(s, s);
  return s;
}

/**
 * A context read back from a checkpoint with the shared copies of its texts (context() keeps a
 * value the view has already, so a restored view would otherwise keep its own copies for good).
 */
export function internContext(c: ViewAcc["ctx"]): void {
  if (c.app_id !== undefined) c.app_id = intern(c.app_id);
  c.video_id = intern(c.video_id);
  if (c.video_title !== undefined) c.video_title = intern(c.video_title);
  if (c.player_name !== undefined) c.player_name = intern(c.player_name);
  if (c.browser !== undefined) c.browser = intern(c.browser);
  if (c.os !== undefined) c.os = intern(c.os);
  if (c.device_type !== undefined) c.device_type = intern(c.device_type);
  if (c.country !== undefined) c.country = intern(c.country);
  if (c.page_url !== undefined) c.page_url = intern(c.page_url);
}

function context(a: ViewAcc, e: ViewEvent): void {
  // A value the view has already is left as it is (most events repeat the view's context): a
  // comparison costs less than looking the text up in the shared map, and the view keeps its
  // copy instead of the event's new one.
  const c = a.ctx;
  if (e.app_id !== undefined && e.app_id !== c.app_id) c.app_id = intern(e.app_id);
  if (e.viewer_id !== undefined && e.viewer_id !== c.viewer_id) c.viewer_id = e.viewer_id;
  if (e.video.id !== c.video_id) c.video_id = intern(e.video.id);
  if (e.video.title !== undefined && e.video.title !== c.video_title) c.video_title = intern(e.video.title);
  if (e.video.duration_ms !== undefined) c.video_duration_ms = e.video.duration_ms;
  if (e.media_kind !== undefined && e.media_kind !== c.media_kind) c.media_kind = e.media_kind;
  if (e.video.stream_type !== undefined && e.video.stream_type !== c.stream_type) c.stream_type = e.video.stream_type;
  if (e.player?.name !== undefined && e.player.name !== c.player_name) c.player_name = intern(e.player.name);
  if (e.user_agent?.name !== undefined && e.user_agent.name !== c.browser) c.browser = intern(e.user_agent.name);
  if (e.user_agent?.os_name !== undefined && e.user_agent.os_name !== c.os) c.os = intern(e.user_agent.os_name);
  if (e.user_agent?.device_type !== undefined && e.user_agent.device_type !== c.device_type)
    c.device_type = intern(e.user_agent.device_type);
  if (e.client?.country !== undefined && e.client.country !== c.country) c.country = intern(e.client.country);
  if (e.page?.url !== undefined && e.page.url !== c.page_url) c.page_url = intern(e.page.url);
  if (e.sample_rate !== undefined) c.sample_rate = e.sample_rate;
}

/** Counts an event's receive time (any event, CMCD reports and late ones too). */
export function touch(a: ViewAcc, e: ViewEvent): void {
  a.events++;
  a.updated = Math.max(a.updated, Date.parse(e.received_at ?? e.client_ts));
}

/**
 * Folds the next event in `seq` order: advances the device timeline (time since the previous
 * event goes to the state the view was in), then applies the event to the state machine.
 */
export function foldEvent(a: ViewAcc, e: ViewEvent): void {
  const t = ts(e);
  touch(a, e);
  context(a, e);
  a.lastTs = t;
  a.lastSeq = e.seq;
  if (e.event_type === "playback.view_start" && !a.startSeen) {
    a.startSeen = true;
    a.t0 = t;
    if (a.events === 1) a.prev = t;
  }
  if (t > a.prev) {
    attribute(a, t - a.prev);
    a.prev = t;
  }
  if (e.display) a.display = { width: e.display.width, height: e.display.height, pixel_ratio: e.display.pixel_ratio };
  const terminal = a.state === "ended" || a.state === "error";
  switch (e.event_type) {
    case "playback.startup_complete":
      if (!a.firstFrame) {
        a.firstFrame = true;
        a.startupMs = e.startup_ms;
      }
      if (!terminal) a.state = "playing";
      break;
    case "playback.playing":
      if (a.firstFrame && !terminal) a.state = "playing";
      break;
    case "playback.play":
      if (a.firstFrame && a.state === "paused") a.state = "playing";
      break;
    case "playback.pause":
      if (!terminal && a.firstFrame) a.state = "paused";
      break;
    case "playback.rebuffer_start":
      if (a.firstFrame && !terminal) {
        a.rebuffers++;
        a.state = "rebuffering";
      }
      break;
    case "playback.rebuffer_end":
      if (a.state === "rebuffering") a.state = "playing";
      break;
    case "playback.seek_start":
      a.seeks++;
      if (!terminal) {
        a.beforeSeek = a.state === "paused" ? "paused" : a.firstFrame ? "playing" : "startup";
        a.state = "seeking";
      }
      break;
    case "playback.seek_end":
      a.seekLatency += e.latency_ms;
      if (a.state === "seeking") a.state = a.beforeSeek;
      break;
    case "playback.heartbeat": {
      const synced = HEARTBEAT_STATE[e.state];
      if (synced && a.firstFrame && !terminal) a.state = synced;
      if (!a.rendition && e.rendition) a.rendition = rendition(e.rendition);
      a.droppedFrames = Math.max(a.droppedFrames, e.stats.dropped_frames ?? 0);
      sdkTotals(a, e);
      liveFigures(a, e);
      break;
    }
    case "playback.rendition_switch":
      a.rendition = rendition(e.rendition);
      countSwitch(a, e.direction);
      break;
    case "playback.error":
      countError(a, e.error);
      if (e.error.severity === "fatal" && !terminal) {
        a.state = "error";
        a.endedAt ??= t;
        a.endReason ??= "error";
      }
      break;
    case "playback.view_end":
      a.droppedFrames = Math.max(a.droppedFrames, e.stats.dropped_frames ?? 0);
      sdkTotals(a, e);
      liveFigures(a, e);
      if (a.state !== "ended") {
        a.endReason = a.state === "error" ? (a.endReason ?? "error") : e.reason;
        a.endedAt = a.state === "error" ? (a.endedAt ?? t) : t;
        a.state = "ended";
      }
      break;
    default:
      countOther(a, e);
      break;
  }
}

/** Keeps the SDK's running totals of an event folded in order, with the timeline's at that point. */
function sdkTotals(a: ViewAcc, e: Extract<ViewEvent, { stats: unknown }>): void {
  if (a.sdk && a.sdk.seq > e.seq) return;
  a.sdk = {
    seq: e.seq,
    playing: e.stats.playing_ms,
    rebuffering: e.stats.rebuffer_ms,
    atPlaying: a.playing,
    atRebuffering: a.rebuffering,
  };
}

/** Keeps a live view's figures from the newest event in order that carries them (running figures: the newest is the view's). */
function liveFigures(a: ViewAcc, e: Extract<ViewEvent, { stats: unknown }>): void {
  const l = e.live;
  if (!l || (a.live && a.live.seq > e.seq)) return;
  a.live = {
    seq: e.seq,
    ...(l.latency_ms !== undefined ? { latency: l.latency_ms } : {}),
    ...(l.latency_p50_ms !== undefined ? { p50: l.latency_p50_ms } : {}),
    ...(l.edge_distance_ms !== undefined ? { edge: l.edge_distance_ms } : {}),
    maxBehind: l.max_behind_live_ms,
    catchup: l.catchup_ms,
  };
}

/** Playing and rebuffer time: the SDK's newest totals plus the timeline's time after them. */
export function playTimes(a: ViewAcc): { playing: number; rebuffering: number } {
  if (!a.sdk) return { playing: a.playing, rebuffering: a.rebuffering };
  return {
    playing: a.sdk.playing + Math.max(0, a.playing - a.sdk.atPlaying),
    rebuffering: a.sdk.rebuffering + Math.max(0, a.rebuffering - a.sdk.atRebuffering),
  };
}

/** What the figures need of a rendition (not its codecs or other fields the event carries). */
const rendition = (r: Rendition): Rendition => ({
  ...(r.id !== undefined ? { id: intern(r.id) } : {}),
  bitrate_bps: r.bitrate_bps,
  ...(r.width !== undefined ? { width: r.width } : {}),
  ...(r.height !== undefined ? { height: r.height } : {}),
});

function countSwitch(a: ViewAcc, direction: "up" | "down" | "initial"): void {
  if (direction === "up") a.up++;
  if (direction === "down") a.down++;
  if (direction !== "initial") a.switches++;
}

function countError(a: ViewAcc, error: { severity: string; code: string }): void {
  if (error.severity === "fatal") {
    if (!a.fatal) a.fatalCode = error.code;
    a.fatal = true;
    if (!a.firstFrame) a.startupFailure = true;
  } else if (error.severity === "business") a.business++;
  else a.nonFatal++;
}

/** Counters that do not depend on the player state (milestones, requests). */
function countOther(a: ViewAcc, e: ViewEvent): void {
  if (e.event_type === "playback.milestone") a.maxMilestone = Math.max(a.maxMilestone, e.percent);
  else if (e.event_type === "playback.request") {
    a.requests++;
    if (e.request.failed) a.requestFailures++;
    if (e.request.ttfb_ms !== undefined) {
      a.ttfbSum += e.request.ttfb_ms;
      a.ttfbN++;
    }
    if (e.request.throughput_bps !== undefined) {
      a.tputSum += e.request.throughput_bps;
      a.tputN++;
    }
  }
}

/**
 * An event that arrived after later ones were already folded past it (beyond the reorder
 * window): it can no longer be placed on the timeline, so only what does not depend on its
 * place counts: the event itself, counters, maxima, errors. Durations and the state stay.
 */
export function foldLate(a: ViewAcc, e: ViewEvent): void {
  touch(a, e);
  switch (e.event_type) {
    case "playback.startup_complete":
      if (!a.firstFrame) {
        a.firstFrame = true;
        a.startupMs = e.startup_ms;
      }
      break;
    case "playback.rebuffer_start":
      if (a.firstFrame) a.rebuffers++;
      break;
    case "playback.seek_start":
      a.seeks++;
      break;
    case "playback.seek_end":
      a.seekLatency += e.latency_ms;
      break;
    case "playback.heartbeat":
    case "playback.view_end":
      a.droppedFrames = Math.max(a.droppedFrames, e.stats.dropped_frames ?? 0);
      break;
    case "playback.rendition_switch":
      countSwitch(a, e.direction);
      break;
    case "playback.error":
      countError(a, e.error);
      break;
    default:
      countOther(a, e);
      break;
  }
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The views record of an accumulator, as a constructor (see finishView): V8 sizes the objects a
 * constructor makes for the `this.` fields its body assigns, so the record's ~60 fields are laid
 * out once. Added one by one to an object literal of two, its property store was copied to a
 * larger one again and again (about 1 us per record and its garbage, against 0.2).
 */
function ViewRecordObject(this: Record<string, unknown>, a: ViewAcc, opts: { timedOut?: boolean }): void {
  const ended = a.state === "ended" || a.state === "error" || opts.timedOut === true;
  let endReason = a.endReason;
  let endedAt = a.endedAt;
  if (opts.timedOut && endReason === undefined) {
    endReason = "timeout";
    endedAt = a.lastTs;
  }
  const ebvs = ended && !a.firstFrame && !a.fatal && a.business === 0 && a.lastTs - a.t0 >= EBVS_MIN_WAIT_MS;
  const { playing, rebuffering } = playTimes(a);
  const ratio = rebufferRatio(rebuffering, playing);
  const avgUpscale = a.upscaleMs > 0 ? a.upscaleWeighted / a.upscaleMs : undefined;
  const c = a.ctx;
  // Sampled views stand for 1 / sample_rate views each: every count and sum weights by it.
  const rate = c.sample_rate;
  const sampleRate = rate !== undefined && rate > 0 && rate <= 1 ? rate : 1;
  // Built field by field in the record's order, optional fields only when set: one record per
  // changed view per checkpoint is the sessionizer's hottest path, and spreading a small object
  // per optional field cost about a third of its time.
  this.view_id = a.view_id;
  this.session_id = a.session_id;
  if (c.app_id !== undefined) this.app_id = c.app_id;
  if (c.viewer_id !== undefined) this.viewer_id = c.viewer_id;
  this.video_id = c.video_id;
  if (c.video_title !== undefined) this.video_title = c.video_title;
  if (c.video_duration_ms !== undefined) this.video_duration_ms = c.video_duration_ms;
  // Events sent before audio views were tracked name no kind: those views played video.
  this.media_kind = c.media_kind ?? "video";
  if (c.player_name !== undefined) this.player_name = c.player_name;
  if (c.browser !== undefined) this.browser = c.browser;
  if (c.os !== undefined) this.os = c.os;
  if (c.device_type !== undefined) this.device_type = c.device_type;
  if (c.country !== undefined) this.country = c.country;
  if (c.page_url !== undefined) this.page_url = c.page_url;
  this.sample_rate = sampleRate;
  this.weight = 1 / sampleRate;
  this.status = ended ? "ended" : "active";
  if (endReason !== undefined) this.end_reason = endReason;
  this.started_at = isoTime(a.t0);
  if (endedAt !== undefined) this.ended_at = isoTime(endedAt);
  this.last_event_at = isoTime(a.lastTs);
  this.updated_at = isoTime(a.updated);
  this.events = a.events;
  this.last_seq = a.lastSeq;
  this.reached_first_frame = a.firstFrame;
  if (a.firstFrame) this.startup_ms = a.startupMs ?? 0;
  this.ebvs = ebvs;
  this.startup_failure = a.startupFailure;
  this.playback_failure = a.fatal;
  if (a.fatalCode !== undefined) this.fatal_error_code = a.fatalCode;
  this.non_fatal_errors = a.nonFatal;
  this.business_errors = a.business;
  this.playing_ms = playing;
  this.watch_ms = a.startupWait + playing + rebuffering + a.seeking;
  this.paused_ms = a.paused;
  this.rebuffer_count = a.rebuffers;
  this.rebuffer_ms = rebuffering;
  this.rebuffer_ratio = round(ratio, 6);
  this.rebuffer_frequency = round(rebufferFrequency(a.rebuffers, playing), 6);
  this.seek_count = a.seeks;
  this.seek_latency_ms = a.seekLatency;
  if (a.bitrateMs > 0) this.avg_bitrate_bps = round(a.bitrateWeighted / a.bitrateMs, 2);
  this.rendition_switches = a.switches;
  this.switches_up = a.up;
  this.switches_down = a.down;
  if (a.rendition?.id !== undefined) this.last_rendition = a.rendition.id;
  if (avgUpscale !== undefined) this.avg_upscale = round(avgUpscale, 6);
  if (a.maxUpscale !== undefined) this.max_upscale = round(a.maxUpscale, 6);
  this.dropped_frames = a.droppedFrames;
  this.max_milestone = a.maxMilestone;
  this.requests = a.requests;
  this.request_failures = a.requestFailures;
  if (a.ttfbN > 0) this.avg_ttfb_ms = round(a.ttfbSum / a.ttfbN, 2);
  if (a.tputN > 0) this.avg_throughput_bps = round(a.tputSum / a.tputN, 2);
  if (a.firstFrame) this.startup_score = round(startupScore(a.startupMs ?? 0), 4);
  this.smoothness_score = round(smoothnessScore(a.rebuffers, ratio), 4);
  if (avgUpscale !== undefined) this.quality_score = round(qualityScore(avgUpscale, a.maxUpscale ?? avgUpscale), 4);
  this.playback_success_score = playbackSuccessScore(a.fatal, ebvs);
  // Live streams, one block: events that name no stream type are on demand.
  this.stream_type = c.stream_type ?? "vod";
  const l = a.live;
  if (l) {
    if (l.latency !== undefined) this.live_latency_ms = l.latency;
    if (l.p50 !== undefined) this.live_latency_p50_ms = l.p50;
    if (l.edge !== undefined) this.live_edge_distance_ms = l.edge;
    this.live_max_behind_ms = l.maxBehind;
    this.live_catchup_ms = l.catchup;
  }
}
// Plain objects, like a literal: the same prototype, the same `constructor`.
ViewRecordObject.prototype = Object.prototype;

/** The views record of an accumulator; `timedOut` ends a view that went silent. */
export function finishView(a: ViewAcc, opts: { timedOut?: boolean } = {}): ViewRecord {
  return new (ViewRecordObject as unknown as new (a: ViewAcc, opts: { timedOut?: boolean }) => ViewRecord)(a, opts);
}
