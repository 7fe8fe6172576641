/** A fragment hls.js reports at the playhead (FRAG_CHANGED): its level and media range in seconds. */
export interface FragAtPlayhead {
  level: number;
  start?: number;
  end?: number;
}

/** A size in pixels; 0 when unknown. */
export interface Size {
  width?: number;
  height?: number;
}

const known = (s: Size | undefined): s is Required<Size> => !!(s?.width && s.height);
const distance = (a: Required<Size>, b: Required<Size>) => Math.abs(a.width - b.width) + Math.abs(a.height - b.height);

/**
 * Which hls.js level is on screen. FRAG_CHANGED names the fragment hls.js finds at the playhead,
 * or up to 0.1 s ahead of it when the playhead is not buffered: while a stall holds the playhead
 * at the end of one fragment, it flips between that fragment and the next one buffered (hls.js
 * fires LEVEL_SWITCHED with it), so switches counted on it include pictures never shown.
 *
 * A reported level is taken as on screen once the playhead stands inside its fragment and, when
 * its size differs from the level on screen, once the picture the element shows (videoWidth ×
 * videoHeight, which changes with `resize` when the first frame of the new size is presented)
 * is closer to its size than to the old one. The first level is taken at once.
 */
export class OnScreen {
  /** The level on screen, once known. */
  shown: number | undefined;
  #pending: FragAtPlayhead | undefined;
  readonly #sizeOf: (level: number) => Size | undefined;

  constructor(sizeOf: (level: number) => Size | undefined) {
    this.#sizeOf = sizeOf;
  }

  /** hls.js reported this fragment at the playhead. */
  report(frag: FragAtPlayhead): void {
    this.#pending = frag.level === this.shown ? undefined : frag;
  }

  /** Forgets everything (a new source). */
  reset(): void {
    this.shown = undefined;
    this.#pending = undefined;
  }

  /**
   * Checks the pending level against the playhead (seconds) and the picture on screen; returns
   * the level that just reached the screen, if one did.
   */
  check(playhead: number, picture: Size): number | undefined {
    const p = this.#pending;
    if (!p) return undefined;
    if (this.shown !== undefined) {
      if (p.start !== undefined && playhead < p.start) return undefined;
      if (p.end !== undefined && playhead >= p.end) return undefined;
      const next = this.#sizeOf(p.level);
      const prev = this.#sizeOf(this.shown);
      if (known(next) && known(prev) && known(picture) && distance(next, prev) > 0) {
        if (distance(picture, next) >= distance(picture, prev)) return undefined;
      }
    }
    this.#pending = undefined;
    this.shown = p.level;
    return p.level;
  }
}
