import type {
  Attributes,
  ClickInfo,
  LiveFigures,
  MediaKind,
  PlaybackErrorInfo,
  Rendition,
  RequestInfo,
  VideoInfo,
} from "./contract.ts";
import type { EventStore } from "./delivery/store.ts";
import type { Platform } from "./platform/platform.ts";
import type { ViewMetrics } from "./view/metrics.ts";

export interface TrackerConfig {
  /** Base URL of the ingest API (serve it from your own domain); events go to `{endpoint}/v1/events`. */
  endpoint: string;
  writeKey: string;
  /** Lowercase letters, digits, '_' or '-'. */
  appId: string;
  plugins?: Plugin[];
  /** Share of views kept, 0 < rate ≤ 1, decided by view id; stamped on each event as `sample_rate`. */
  sampleRate?: number;
  /** Heartbeat spacing while a view lives; at most 30 000 (the default is 10 000). */
  heartbeatMs?: number;
  /** A view ends this long after playback stopped (default one hour). */
  viewTimeoutMs?: number;
  flushIntervalMs?: number;
  maxBatchEvents?: number;
  /** Body size of one request, at most 64 000 bytes. */
  maxBatchBytes?: number;
  /** Hard cap of the offline queue (default 1000): the oldest events are dropped first, and counted. */
  maxQueue?: number;
  /** Logs every event and delivery outcome to the console (or to the function given). */
  debug?: boolean | ((message: string, data?: unknown) => void);
  /** Custom dimensions added to every event. */
  attributes?: Attributes;
  viewerId?: string;
  sessionId?: string;
  /** Injected host (tests, non-browser embeddings); defaults to the page's globals. */
  platform?: Platform;
  /** Where the offline queue lives; defaults to localStorage. */
  store?: EventStore;
}

export interface AttachOptions {
  video: VideoInfo;
  /** An hls.js instance driving the element; needs `hlsPlugin()` in the tracker's plugins. */
  hls?: unknown;
  attributes?: Attributes;
  /**
   * What the element plays, stamped as `media_kind` on its events. By default `audio` for an
   * `<audio>` element and `video` for anything else; set it to override (e.g. an audio-only
   * stream played in a `<video>`). An audio view sends no display box, picture size or frame counts.
   */
  mediaKind?: MediaKind;
}

/** What a plugin sees of one attached element. */
export interface AttachContext {
  readonly element: HTMLMediaElement;
  readonly options: AttachOptions;
  /** Names the player on every event of this element (e.g. hls.js 1.7.4). */
  setPlayer(name: string, version?: string): void;
  /** The rendition now on screen. */
  renditionOnScreen(rendition: Rendition): void;
  /** A stall report from the player library: labels the cause of the current rebuffer, nothing else. */
  stallReported(label: string): void;
  error(error: PlaybackErrorInfo): void;
  request(request: RequestInfo): void;
  /** The player loads another source: the current view ends. */
  sourceChanged(): void;
  /**
   * The source is a live stream: its events say `video.stream_type: live` until the source changes,
   * and heartbeats and view_end carry `live` with these figures (read at each).
   */
  live(figures: () => LiveFigures): void;
  /** The next view takes this id instead of a new one (hls.js's CMCD session id: its reports join that view). */
  nextViewId(id: string): void;
}

/** Optional hooks; a plugin implements only what it needs (Snowplow style). */
export interface Plugin {
  name: string;
  setup?(tracker: Tracker): void;
  /** Called per attached element; returns its cleanup. */
  attach?(ctx: AttachContext): (() => void) | undefined;
  destroy?(): void;
}

/** The handle of one attached media element. */
export interface Attachment {
  readonly element: HTMLMediaElement;
  /** What the element plays (`media_kind` on its events). */
  readonly mediaKind: MediaKind;
  /** Id of the current view (or of the last one, once ended). */
  viewId(): string | undefined;
  /** QoE metrics of the current (or last) view. */
  metrics(): ViewMetrics | undefined;
  /** Reports an error the player cannot see, e.g. a business error (geo-block, entitlement). */
  reportError(error: PlaybackErrorInfo): void;
  detach(): void;
}

export interface Tracker {
  readonly sessionId: string;
  readonly writeKey: string;
  readonly endpoint: string;
  attach(element: HTMLMediaElement, options: AttachOptions): Attachment;
  /**
   * Sends a non-playback event: the tracker fills in the envelope (ids, seq, page, sampling) and the
   * current view (`view_id`, `video`, `playhead_ms`), if one is live. Used by the click plugin.
   */
  send(type: "click", fields: { click: ClickInfo; attributes?: Attributes }): void;
  /** The attachment whose view is currently live and most recently active. */
  currentAttachment(): Attachment | undefined;
  flush(): Promise<void>;
  /** Ends every view (reason `destroy`), removes every listener and flushes. */
  destroy(): Promise<void>;
  /** Delivery counters: queued, sent, beaconed, rejected, dropped, retries. */
  deliveryStats(): import("./delivery/delivery.ts").DeliveryStats;
}
