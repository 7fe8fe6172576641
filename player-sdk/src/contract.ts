// The wire contract as plain interfaces generated from the event contract, so the published
// types stand alone (player-sdk/test/wire-types.test.ts proves them equal to @reeltime/events).
import type { ClickEvent, EventOf, PlaybackEvent } from "./generated/wire.ts";

/** Every playback event type the SDK emits. */
export type PlaybackType = PlaybackEvent["event_type"];
/** Any event the SDK puts on the wire (types only: the bundle carries no schema code). */
export type WireEvent = PlaybackEvent | ClickEvent;
export type Rendition = EventOf<"playback.rendition_switch">["rendition"];
export type ViewStats = EventOf<"playback.heartbeat">["stats"];
export type PlayerState = EventOf<"playback.heartbeat">["state"];
export type PlaybackErrorInfo = EventOf<"playback.error">["error"];
export type RequestInfo = EventOf<"playback.request">["request"];
export type VideoInfo = EventOf<"playback.view_start">["video"];
/** What an attached element plays: `video` (a `<video>`) or `audio` (an `<audio>`), as `media_kind` on its events. */
export type MediaKind = NonNullable<EventOf<"playback.view_start">["media_kind"]>;
/** A live stream's figures on heartbeats and view_end (`video.stream_type: live`). */
export type LiveStats = NonNullable<EventOf<"playback.heartbeat">["live"]>;
/** What a player library reports of a live stream; the view adds the catch-up time it accounts. */
export type LiveFigures = Omit<LiveStats, "catchup_ms">;
export type ViewEndReason = EventOf<"playback.view_end">["reason"];
export type ClickInfo = ClickEvent["click"];
export type Attributes = NonNullable<ClickEvent["attributes"]>;

/** Fields the core fills in on every playback event; plugins give only the rest. */
type CoreKeys =
  | "event_id"
  | "event_type"
  | "schema_version"
  | "client_ts"
  | "received_at"
  | "seq"
  | "app_id"
  | "session_id"
  | "view_id"
  | "viewer_id"
  | "user_agent"
  | "client"
  | "page"
  | "sample_rate"
  | "attributes"
  | "video"
  | "playhead_ms"
  | "player"
  | "display"
  | "media_kind";

/** The type-specific part of a playback event, e.g. `{ from_ms, to_ms, latency_ms }` for `playback.seek_end`. */
export type PayloadOf<T extends PlaybackType> = Omit<EventOf<T>, CoreKeys>;

/** The contract version the SDK writes. */
export const SCHEMA_VERSION = "1.0";
