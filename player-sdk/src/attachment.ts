import type { LiveFigures, MediaKind, PlaybackErrorInfo, PlaybackType, Rendition, RequestInfo } from "./contract.ts";
import { bindMediaElement } from "./media/media-element.ts";
import type { AttachContext, Attachment, AttachOptions, Plugin } from "./types.ts";
import { upscale } from "./view/metrics.ts";
import { View } from "./view/view.ts";

/** What an attachment needs from its tracker. */
export interface TrackerCore {
  now(): number;
  newId(): string;
  pixelRatio(): number;
  heartbeatMs: number;
  timeoutMs: number;
  plugins: Plugin[];
  emit(att: ElementAttachment, view: View, type: PlaybackType, seq: number, payload: object): void;
  log(message: string, data?: unknown): void;
  released(att: ElementAttachment): void;
}

/** Marks an element across tracker instances (and bundles), so a second attach never makes a second view. */
export const MARK = Symbol.for("reeltime.attachment");
type Marked = HTMLMediaElement & { [MARK]?: ElementAttachment };

/** One media element under observation: owns its views (one at a time) and its plugin bindings. */
export class ElementAttachment implements Attachment {
  readonly element: HTMLMediaElement;
  readonly mediaKind: MediaKind;
  options: AttachOptions;
  player: { name: string; version?: string };
  current: View | undefined;
  /** Set while the source is a live stream: its figures, as the player library reads them. */
  liveStream: (() => LiveFigures) | undefined;
  #last: View | undefined;
  #rendition: Rendition | undefined;
  #nextId: string | undefined;
  readonly #early: RequestInfo[] = [];
  readonly #core: TrackerCore;
  readonly #cleanups: (() => void)[] = [];

  constructor(core: TrackerCore, element: HTMLMediaElement, options: AttachOptions) {
    this.#core = core;
    this.element = element;
    this.options = options;
    this.mediaKind = options.mediaKind ?? (element.localName === "audio" ? "audio" : "video");
    this.player = { name: "html5" };
    (element as Marked)[MARK] = this;
    this.#cleanups.push(
      bindMediaElement(element, {
        view: () => (this.current?.live ? this.current : undefined),
        begin: () => this.#begin(),
        sourceChanged: () => this.#sourceChanged(),
        mediaError: (code, message) =>
          this.#error({ severity: "fatal", code, category: "media", ...(message ? { message } : {}) }),
        managed: options.hls !== undefined,
      }),
    );
    const ctx = this.#context();
    for (const p of core.plugins) {
      const off = p.attach?.(ctx);
      if (off) this.#cleanups.push(off);
    }
    // Autoplay may have started before the SDK loaded: that play attempt is a view too.
    if (!element.paused && !element.ended) this.#begin();
  }

  /** The attachment already on this element, if any. */
  static of(element: HTMLMediaElement): ElementAttachment | undefined {
    return (element as Marked)[MARK];
  }

  viewId(): string | undefined {
    return (this.current ?? this.#last)?.id;
  }

  metrics() {
    return (this.current ?? this.#last)?.metrics();
  }

  reportError(error: PlaybackErrorInfo): void {
    this.#error(error);
  }

  detach(reason: "destroy" | "source_change" = "destroy"): void {
    this.current?.end(reason);
    for (const off of this.#cleanups.splice(0)) off();
    const el = this.element as Marked;
    if (el[MARK] === this) delete el[MARK];
    this.#core.released(this);
  }

  /** Ends the live view (page hide, destroy). */
  endView(reason: "page_hide" | "destroy"): void {
    this.current?.end(reason);
  }

  #begin(): void {
    const core = this.#core;
    const el = this.element;
    const audio = this.mediaKind === "audio";
    const id = this.#nextId ?? core.newId();
    this.#nextId = undefined;
    const view: View = new View(
      id,
      {
        now: () => core.now(),
        emit: (type, seq, payload) => core.emit(this, view, type, seq, payload),
        playhead: () => Math.max(0, Math.round(el.currentTime * 1000)) || 0,
        rate: () => el.playbackRate,
        live: () => this.liveStream?.(),
        mediaMs: () => (el.seeking || !Number.isFinite(el.currentTime) ? undefined : el.currentTime * 1000),
        duration: () =>
          !this.liveStream && Number.isFinite(el.duration) && el.duration > 0
            ? Math.round(el.duration * 1000)
            : undefined,
        // Audio has no picture: no upscale, no frames (omitted, not zeros).
        upscale: (r) =>
          audio
            ? undefined
            : r?.width && r.height
              ? upscale(el.clientWidth, el.clientHeight, core.pixelRatio(), r.width, r.height)
              : 0,
        frames: () => {
          const q = audio ? undefined : (el as HTMLVideoElement).getVideoPlaybackQuality?.();
          return q ? { dropped_frames: q.droppedVideoFrames, decoded_frames: q.totalVideoFrames } : undefined;
        },
        heartbeatMs: core.heartbeatMs,
        timeoutMs: core.timeoutMs,
        setInterval: (cb, ms) => setInterval(cb, ms),
        clearInterval: (id) => clearInterval(id as ReturnType<typeof setInterval>),
        onEnd: (v) => {
          if (this.current === v) {
            this.#last = v;
            this.current = undefined;
          }
        },
      },
      this.#rendition,
    );
    this.current = view;
    view.start();
    // Requests made before play (manifest, first segments) belong to the view they start.
    for (const r of this.#early.splice(0)) view.request(r);
  }

  #sourceChanged(): void {
    if (this.current?.live) this.current.end("source_change");
    this.#rendition = this.liveStream = undefined;
  }

  #error(error: PlaybackErrorInfo): void {
    const v = this.current?.live ? this.current : undefined;
    if (v) v.error(error);
    else this.#core.log("error outside a view", error);
  }

  #context(): AttachContext {
    return {
      element: this.element,
      options: this.options,
      setPlayer: (name, version) => {
        this.player = { name, ...(version ? { version } : {}) };
      },
      renditionOnScreen: (rendition) => {
        // An audio view's rendition is its bitrate (and codecs): a picture size is none of its business.
        const { width: _w, height: _h, ...sound } = rendition;
        const r = this.mediaKind === "audio" ? sound : rendition;
        this.#rendition = r;
        if (this.current?.live) this.current.renditionOnScreen(r);
      },
      stallReported: (label) => this.current?.stallReported(label),
      error: (e) => this.#error(e),
      request: (request: RequestInfo) => {
        if (this.current?.live) this.current.request(request);
        else if (this.#early.length < 20) this.#early.push(request);
      },
      sourceChanged: () => this.#sourceChanged(),
      live: (figures) => {
        this.liveStream = figures;
      },
      nextViewId: (id) => {
        this.#nextId = id;
      },
    };
  }
}
