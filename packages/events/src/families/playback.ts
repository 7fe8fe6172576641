import { Type } from "@sinclair/typebox";
import { Bps, Bytes, Count, Id, Keyword, LongText, Ms, Obj, ShortText } from "../common.ts";
import { defineEvent, Video } from "../envelope.ts";
import { Cmcd, CmcdCustom, CmcdTypes } from "./cmcd.ts";
import { deliveryEvent } from "./delivery.ts";

export const Rendition = Obj({
  id: Type.Optional(Type.String({ maxLength: 64 })),
  bitrate_bps: Bps("the rendition's advertised bandwidth"),
  width: Type.Optional(Count()),
  height: Type.Optional(Count()),
  codecs: Type.Optional(ShortText()),
});

export const Player = Obj({
  name: ShortText({ description: "e.g. hls.js or html5" }),
  version: Type.Optional(Type.String({ maxLength: 32 })),
  sdk_version: Type.Optional(Type.String({ maxLength: 32 })),
  autoplay: Type.Optional(Type.Boolean()),
  muted: Type.Optional(Type.Boolean()),
});

/** The displayed box of the video element, for upscale: CSS size × devicePixelRatio. */
export const Display = Obj({
  width: Count("CSS pixels"),
  height: Count("CSS pixels"),
  pixel_ratio: Type.Number({ minimum: 0, maximum: 16 }),
});

/** Client-side running totals for the view, carried by heartbeats and view_end so a lost beacon costs little. */
export const ViewStats = Obj({
  startup_ms: Type.Optional(Ms()),
  playing_ms: Ms(),
  rebuffer_ms: Ms(),
  rebuffer_count: Count(),
  seek_count: Type.Optional(Count()),
  dropped_frames: Type.Optional(Count()),
  decoded_frames: Type.Optional(Count()),
});

/** Milliseconds that may be negative: a latency read on a client clock behind the encoder's. */
const SignedMs = (description: string) => Type.Integer({ minimum: -86_400_000, maximum: 2_147_483_647, description });

/**
 * Live-stream figures of a view whose `video.stream_type` is `live`, carried by heartbeats and
 * view_end: the values now, and running figures over the view so far.
 */
export const LiveStats = Obj({
  latency_ms: Type.Optional(
    SignedMs("wall clock minus the program date time at the playhead (EXT-X-PROGRAM-DATE-TIME), now"),
  ),
  latency_p50_ms: Type.Optional(SignedMs("median of the latency sampled at most once a second while playing")),
  edge_distance_ms: Type.Optional(Ms("from the playhead to the live edge (hls.js latency), now")),
  target_latency_ms: Type.Optional(Ms("the latency the player aims for (hls.js targetLatency)")),
  behind_live_ms: Type.Optional(Ms("edge distance beyond the target latency, now (0 at or ahead of the target)")),
  max_behind_live_ms: Ms("the largest behind_live_ms sampled while playing"),
  catchup_ms: Ms("time playing at a playback rate above 1: the player catching up with the live edge"),
  catchup_count: Count("times playback went above rate 1 while playing"),
});

export const PlaybackError = Obj({
  severity: Keyword(["fatal", "non_fatal", "business"] as const, "fatal ends the view; business is e.g. geo-block"),
  code: ShortText({ description: "e.g. MEDIA_ERR_DECODE or hls.js details" }),
  message: Type.Optional(LongText({ search: true })),
  category: Type.Optional(ShortText({ description: "network, media, mux, drm, other" })),
});

export const Request = Obj({
  kind: Keyword(["manifest", "level", "fragment", "key", "other"] as const),
  url: Type.Optional(LongText()),
  status: Type.Optional(Type.Integer({ minimum: 0, maximum: 999 })),
  ttfb_ms: Type.Optional(Ms("time to first byte")),
  download_ms: Type.Optional(Ms()),
  bytes: Type.Optional(Bytes()),
  throughput_bps: Type.Optional(Bps()),
  retries: Type.Optional(Count()),
  failed: Type.Boolean(),
  rendition_id: Type.Optional(Type.String({ maxLength: 64 })),
});

/** What the view plays on: a `<video>` element or an `<audio>` one (audio-only streams: podcasts, music). */
export const MEDIA_KINDS = ["video", "audio"] as const;

export const PLAYER_STATES = [
  "loading",
  "startup",
  "playing",
  "paused",
  "rebuffering",
  "seeking",
  "ended",
  "error",
] as const;

/** Fields every playback event carries. */
const playbackFields = {
  session_id: Id,
  view_id: Id,
  video: Video,
  playhead_ms: Ms("position of the playhead when the event fired"),
  player: Type.Optional(Player),
  display: Type.Optional(Display),
  rendition: Type.Optional(Rendition),
  // Optional: events sent before audio views were tracked have none, and mean video.
  media_kind: Type.Optional(
    Keyword(MEDIA_KINDS, "the element the view plays on: video (<video>) or audio (<audio>); absent means video"),
  ),
};

const stateChange = <T extends string>(type: T, description: string) =>
  defineEvent(type, description, { ...playbackFields });

export const PlaybackEvents = {
  /** Fires when playback is requested (play pressed or autoplay): a new view begins. */
  "playback.view_start": defineEvent("playback.view_start", "playback was requested: a view begins", {
    ...playbackFields,
    preload: Type.Optional(Keyword(["none", "metadata", "auto"] as const)),
  }),
  /** Fires once when the view ends: ended, source change, page hidden/unloaded, timeout or destroy. */
  "playback.view_end": defineEvent("playback.view_end", "the view ended", {
    ...playbackFields,
    reason: Keyword(["ended", "source_change", "page_hide", "timeout", "destroy", "error"] as const),
    stats: ViewStats,
    live: Type.Optional(LiveStats),
  }),
  /** Fires when play is requested on a view that already started (after a pause). */
  "playback.play": stateChange("playback.play", "the viewer asked to play"),
  /** Fires when playback pauses. */
  "playback.pause": stateChange("playback.pause", "playback paused"),
  /** Fires when frames advance again after loading, a pause, a stall or a seek. */
  "playback.playing": stateChange("playback.playing", "frames are advancing"),
  /** Fires when the media element waits for data. */
  "playback.waiting": stateChange("playback.waiting", "the media element is waiting for data"),
  /** Fires at the first frame with the playhead advancing. */
  "playback.startup_complete": defineEvent("playback.startup_complete", "the first frame played", {
    ...playbackFields,
    startup_ms: Ms("first advancing frame minus play request"),
  }),
  /** Fires at least every 30 s while the view lives. */
  "playback.heartbeat": defineEvent("playback.heartbeat", "periodic running totals", {
    ...playbackFields,
    state: Keyword(PLAYER_STATES),
    stats: ViewStats,
    live: Type.Optional(LiveStats),
  }),
  /** Fires when a stall starts after the first frame, not paused and not seeking. */
  "playback.rebuffer_start": defineEvent("playback.rebuffer_start", "a stall after the first frame", {
    ...playbackFields,
    cause: Type.Optional(ShortText()),
  }),
  /** Fires when the stall resolves (or the view ends during it). */
  "playback.rebuffer_end": defineEvent("playback.rebuffer_end", "the stall resolved", {
    ...playbackFields,
    duration_ms: Ms(),
    cause: Type.Optional(ShortText()),
  }),
  /** Fires when the viewer starts seeking. */
  "playback.seek_start": defineEvent("playback.seek_start", "the viewer started seeking", {
    ...playbackFields,
    from_ms: Ms(),
    to_ms: Type.Optional(Ms()),
  }),
  /** Fires when the seek completed and playback can resume. */
  "playback.seek_end": defineEvent("playback.seek_end", "the seek completed", {
    ...playbackFields,
    from_ms: Ms(),
    to_ms: Ms(),
    latency_ms: Ms(),
  }),
  /** Fires when a different rendition is on screen (hls.js FRAG_CHANGED), not merely loading. */
  "playback.rendition_switch": defineEvent("playback.rendition_switch", "the rendition on screen changed", {
    ...playbackFields,
    rendition: Rendition,
    from_rendition: Type.Optional(Rendition),
    direction: Keyword(["up", "down", "initial"] as const),
  }),
  /** Fires on every player error, classified fatal, non-fatal or business. */
  "playback.error": defineEvent("playback.error", "a fatal, non-fatal or business error", {
    ...playbackFields,
    error: PlaybackError,
  }),
  /** Fires once per view when the playhead passes 10/25/50/75/100 % of the video. */
  "playback.milestone": defineEvent("playback.milestone", "a completion milestone was passed", {
    ...playbackFields,
    percent: Keyword([10, 25, 50, 75, 100] as const),
  }),
  /** Fires per media request with its timing (hls.js load stats). */
  "playback.request": defineEvent("playback.request", "one media request's timing", {
    ...playbackFields,
    request: Request,
  }),
  /**
   * Fires per CMCD v2 event-mode report posted to /v1/cmcd (decoded and validated with
   * @svta/cml-cmcd); `view_id` and `session_id` are the report's `sid`. It joins a view, never starts one.
   */
  "playback.cmcd": defineEvent("playback.cmcd", "a CMCD v2 report", {
    ...playbackFields,
    cmcd: Cmcd,
    cmcd_custom: Type.Optional(CmcdCustom),
    cmcd_types: Type.Optional(CmcdTypes),
  }),
  /** Made by the delivery processor from CDN logs (server-only): the CDN's running totals for the view. */
  "playback.delivery": deliveryEvent,
} as const;
