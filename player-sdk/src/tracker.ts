import { ElementAttachment, type TrackerCore } from "./attachment.ts";
import { type PlaybackType, SCHEMA_VERSION, type WireEvent } from "./contract.ts";
import { Delivery, MAX_BODY_BYTES } from "./delivery/delivery.ts";
import { memoryStore } from "./delivery/store.ts";
import { tabStore } from "./delivery/tab-store.ts";
import { browserPlatform, type KeyValueStore } from "./platform/platform.ts";
import { isSampled } from "./sampling.ts";
import type { Attachment, AttachOptions, Tracker, TrackerConfig } from "./types.ts";
import { uuidv7 } from "./uuid.ts";
import type { View } from "./view/view.ts";

/** Replaced with the package version at build time. */
declare const __SDK_VERSION__: string | undefined;
const SDK_VERSION = typeof __SDK_VERSION__ === "string" ? __SDK_VERSION__ : "0.0.0-dev";
/** Sent at once: the end of a view and fatal errors (the page may be about to go). */
const isUrgent = (e: WireEvent) =>
  e.event_type === "playback.view_end" || (e.event_type === "playback.error" && e.error.severity === "fatal");

function storedId(kv: KeyValueStore | undefined, key: string, make: () => string): string {
  const existing = kv?.getItem(key);
  if (existing) return existing;
  const id = make();
  try {
    kv?.setItem(key, id);
  } catch {
    // Storage refused: the id lives for this page only.
  }
  return id;
}

const clampInt = (n: number) => Math.max(0, Math.round(n) || 0);

/** Creates the tracker: one per page. Attach media elements to it; plugins add players and clicks. */
export function createTracker(config: TrackerConfig): Tracker {
  const platform = config.platform ?? browserPlatform();
  const plugins = config.plugins ?? [];
  const rate = config.sampleRate ?? 1;
  if (!(rate > 0 && rate <= 1)) throw new Error("reeltime: sampleRate must be > 0 and ≤ 1");
  const debug = config.debug;
  const log =
    typeof debug === "function"
      ? debug
      : debug
        ? (m: string, d?: unknown) => console.debug(`[reeltime] ${m}`, d ?? "")
        : () => {};
  const newId = () => uuidv7(platform.wallNow(), platform.randomBytes(10));
  const sessionId = config.sessionId ?? storedId(platform.sessionStorage, "reeltime.session", newId);
  const viewerId = config.viewerId ?? storedId(platform.localStorage, "reeltime.viewer", newId);
  // One queue key per tab (`reeltime.queue.<app>:<tab>`): tabs never write over each other's queue.
  const store =
    config.store ??
    (platform.localStorage
      ? tabStore({
          kv: platform.localStorage,
          prefix: `reeltime.queue.${config.appId}`,
          tabId: newId(),
          ...(platform.locks ? { locks: platform.locks } : {}),
          wallNow: () => platform.wallNow(),
        })
      : memoryStore());
  const delivery = new Delivery({
    endpoint: config.endpoint,
    writeKey: config.writeKey,
    platform,
    store,
    maxQueue: config.maxQueue ?? 1000,
    maxBatchEvents: Math.min(config.maxBatchEvents ?? 20, 500),
    maxBatchBytes: Math.min(config.maxBatchBytes ?? 60_000, MAX_BODY_BYTES),
    flushIntervalMs: config.flushIntervalMs ?? 5000,
    log,
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  });
  const attachments = new Set<ElementAttachment>();
  let active: ElementAttachment | undefined;
  let clickSeq = 0;
  let unloading = false;

  const envelope = (type: string, seq: number) => {
    const wall = platform.wallNow();
    const referrer = platform.referrer();
    return {
      event_id: uuidv7(wall, platform.randomBytes(10)),
      event_type: type,
      schema_version: SCHEMA_VERSION,
      client_ts: new Date(wall).toISOString(),
      seq,
      app_id: config.appId,
      session_id: sessionId,
      viewer_id: viewerId,
      page: { url: platform.pageUrl().slice(0, 2048), ...(referrer ? { referrer: referrer.slice(0, 2048) } : {}) },
      sample_rate: rate,
      ...(config.attributes ? { attributes: config.attributes } : {}),
    };
  };

  const send = (event: WireEvent) => {
    log(event.event_type, event);
    delivery.enqueue(event, isUrgent(event) && !unloading);
  };

  const videoOf = (att: ElementAttachment) => {
    const el = att.element;
    const v = { ...att.options.video };
    if (v.duration_ms === undefined && !att.liveStream && Number.isFinite(el.duration) && el.duration > 0)
      v.duration_ms = Math.round(el.duration * 1000);
    if (v.stream_type === undefined && (att.liveStream || el.duration === Number.POSITIVE_INFINITY))
      v.stream_type = "live";
    if (v.title) v.title = v.title.slice(0, 256);
    return v;
  };

  const core: TrackerCore = {
    now: () => platform.now(),
    newId,
    pixelRatio: () => platform.pixelRatio(),
    heartbeatMs: Math.min(config.heartbeatMs ?? 10_000, 30_000),
    timeoutMs: config.viewTimeoutMs ?? 3_600_000,
    plugins,
    log,
    emit(att: ElementAttachment, view: View, type: PlaybackType, seq: number, payload: object) {
      if (view.live) active = att;
      if (!isSampled(view.id, rate)) return;
      const el = att.element;
      const withDisplay =
        type === "playback.view_start" || type === "playback.heartbeat" || type === "playback.view_end";
      const attributes = att.options.attributes
        ? { attributes: { ...config.attributes, ...att.options.attributes } }
        : {};
      send({
        ...envelope(type, seq),
        ...attributes,
        view_id: view.id,
        video: videoOf(att),
        playhead_ms: clampInt(el.currentTime * 1000),
        player: { ...att.player, sdk_version: SDK_VERSION, autoplay: el.autoplay, muted: el.muted },
        media_kind: att.mediaKind,
        // The displayed box is for upscale: an audio element's box shows no picture.
        ...(withDisplay && att.mediaKind === "video" && el.clientWidth > 0
          ? {
              display: {
                width: clampInt(el.clientWidth),
                height: clampInt(el.clientHeight),
                pixel_ratio: platform.pixelRatio(),
              },
            }
          : {}),
        ...(view.rendition ? { rendition: view.rendition } : {}),
        ...payload,
      } as WireEvent);
    },
    released(att) {
      attachments.delete(att);
      if (active === att) active = undefined;
    },
  };

  const offs = [
    platform.onHidden(() => delivery.beacon()),
    platform.onPageHide(() => {
      // The page is going: everything, view ends included, leaves by beacon, not by fetch.
      unloading = true;
      for (const a of attachments) a.endView("page_hide");
      unloading = false;
      delivery.beacon();
    }),
    platform.onOnline(() => delivery.wake()),
  ];

  const tracker: Tracker = {
    sessionId,
    writeKey: config.writeKey,
    endpoint: config.endpoint,
    attach(element: HTMLMediaElement, options: AttachOptions): Attachment {
      const existing = ElementAttachment.of(element);
      if (existing && existing.options.video.id === options.video.id) {
        // Same element, same source: the same play attempt, never a second view.
        log("already attached: keeping the current view", options.video.id);
        if (options.hls !== undefined && existing.options.hls === undefined)
          log("hls given on a second attach is ignored; pass it on the first", options.video.id);
        return existing;
      }
      existing?.detach("source_change");
      const att = new ElementAttachment(core, element, options);
      attachments.add(att);
      return att;
    },
    send(type: "click", fields: object) {
      const cur = active?.current?.live ? active : undefined;
      const view = cur?.current;
      if (!isSampled(view?.id ?? sessionId, rate)) return;
      const base = envelope(type, clickSeq++);
      const attributes = { ...base.attributes, ...(fields as { attributes?: object }).attributes };
      send({
        ...base,
        ...(cur && view
          ? { view_id: view.id, video: videoOf(cur), playhead_ms: clampInt(cur.element.currentTime * 1000) }
          : {}),
        ...fields,
        ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
      } as WireEvent);
    },
    currentAttachment: () => (active?.current?.live ? active : undefined),
    flush: () => delivery.flush(),
    async destroy() {
      for (const a of [...attachments]) a.detach();
      for (const off of offs) off();
      for (const p of plugins) p.destroy?.();
      await delivery.shutdown();
    },
    deliveryStats: () => ({ ...delivery.counters }),
  };
  for (const p of plugins) p.setup?.(tracker);
  return tracker;
}
