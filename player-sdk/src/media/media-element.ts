import type { View } from "../view/view.ts";

/** The attachment's side of the media-element plugin. */
export interface MediaSink {
  /** The current view, if live. */
  view(): View | undefined;
  /** Playback was requested with no live view: a new view begins. */
  begin(): void;
  /** A source change ends the live view. */
  sourceChanged(): void;
  /** A fatal error of the element itself. */
  mediaError(code: string, message?: string): void;
  /** Whether a player library manages the source (its blob: URLs are not source changes). */
  managed: boolean;
}

const MEDIA_ERRORS = ["", "MEDIA_ERR_ABORTED", "MEDIA_ERR_NETWORK", "MEDIA_ERR_DECODE", "MEDIA_ERR_SRC_NOT_SUPPORTED"];
/** A stall that fires no `waiting` is caught when the playhead stops this long while starved. */
const STALL_CHECK_MS = 1000;

/**
 * Drives views from a plain media element (MP4, native HLS, or one fed by a player library):
 * play/playing/pause/waiting/seeking/seeked/timeupdate/ended/error and source changes.
 */
export function bindMediaElement(el: HTMLMediaElement, sink: MediaSink): () => void {
  let src = el.currentSrc;
  let lastPos = -1;
  const handlers: Record<string, () => void> = {
    play: () => {
      const v = sink.view();
      if (v) v.play();
      else sink.begin();
    },
    playing: () => sink.view()?.playing(),
    pause: () => {
      // At the end the element pauses first; `ended` closes the view.
      if (!el.ended) sink.view()?.pause();
    },
    waiting: () => sink.view()?.waiting(),
    seeking: () => sink.view()?.seeking(),
    seeked: () => sink.view()?.seeked(el.paused),
    timeupdate: () => sink.view()?.progress(),
    ratechange: () => sink.view()?.rate(),
    ended: () => sink.view()?.ended(),
    error: () => {
      const err = el.error;
      if (err) sink.mediaError(MEDIA_ERRORS[err.code] ?? `MEDIA_ERR_${err.code}`, err.message || undefined);
    },
    loadstart: () => {
      const next = el.currentSrc;
      if (!sink.managed && src && next !== src) sink.sourceChanged();
      src = next;
    },
  };
  for (const [type, fn] of Object.entries(handlers)) el.addEventListener(type, fn);
  const watchdog = setInterval(() => {
    const v = sink.view();
    const pos = el.currentTime;
    if (v?.state === "playing" && pos === lastPos && !el.paused && !el.seeking && el.readyState < 3)
      v.waiting("no_progress");
    lastPos = pos;
  }, STALL_CHECK_MS);
  return () => {
    clearInterval(watchdog);
    for (const [type, fn] of Object.entries(handlers)) el.removeEventListener(type, fn);
  };
}
