import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Archive } from "@reeltime/connectors";
import { liveKeys } from "./name.ts";
import { type LiveSegment, parseLivePlaylist, renderLivePlaylist } from "./playlist.ts";

const M3U8 = "application/vnd.apple.mpegurl";
/** Playlists change every segment: an edge or browser may keep one for a second at most. */
export const PLAYLIST_CACHE_CONTROL = "public, max-age=1";
/** Segment names are never reused (sequence numbers start at the Unix time of the start). */
export const SEGMENT_CACHE_CONTROL = "public, max-age=86400, immutable";

export interface LiveUploaderOptions {
  archive: Archive;
  name: string;
  /** ffmpeg's output folder: `<dir>/<rendition>/index.m3u8` and its segments, `<dir>/master.m3u8`. */
  dir: string;
  renditions: readonly string[];
  /** Segments in each published media playlist. */
  window: number;
  segmentSeconds: number;
  /**
   * An extra encoder delay: a segment is published this long after ffmpeg listed it (default 0).
   * Players' live latency grows by as much, which tests use as a known delay.
   */
  delayMs?: number;
  /**
   * Segments kept in storage after they left the published window, for players that loaded an
   * older playlist (RFC 8216 6.2.2: a segment stays available for its duration plus the
   * playlist's). Default window + 1; older ones are deleted.
   */
  retainSegments?: number;
  now?: () => number;
}

/** What the uploader has done so far. */
export interface LiveUploadStats {
  /** Segments published, over all renditions. */
  published: number;
  /** Segments deleted from storage after they left the window. */
  deleted: number;
  /** The media sequence of the newest published segment. */
  lastSequence?: number;
  /**
   * Wall clock at publication minus the end of the newest segment's PROGRAM-DATE-TIME: how far
   * the published edge is behind real time (the hold, plus ffmpeg falling behind).
   */
  edgeLagMs?: number;
  /** Whether the master playlist is out (after every rendition's first media playlist). */
  masterPublished: boolean;
}

interface Pending extends LiveSegment {
  seenAt: number;
}

interface RenditionState {
  /** Listed by ffmpeg, not yet published, by sequence. */
  pending: Map<number, Pending>;
  /** Published and still in storage, in sequence order; the last `window` are the playlist. */
  published: LiveSegment[];
  lastSeq: number;
}

/**
 * Publishes ffmpeg's live HLS output into the archive (the media bucket): for each rendition,
 * new segments first, then a media playlist naming only published segments (the last `window`
 * of them, each with its PROGRAM-DATE-TIME), then, once every rendition has one, the master
 * playlist. Segments that left the window (beyond `retainSegments`) are deleted. The published
 * playlist is the uploader's own: it can hold segments back (`delayMs`) without ever naming one
 * that is not there yet.
 */
export class LiveUploader {
  readonly #o: Required<Omit<LiveUploaderOptions, "now">> & { now: () => number };
  readonly #keys: ReturnType<typeof liveKeys>;
  readonly #state = new Map<string, RenditionState>();
  readonly #stats: LiveUploadStats = { published: 0, deleted: 0, masterPublished: false };

  constructor(o: LiveUploaderOptions) {
    this.#keys = liveKeys(o.name);
    this.#o = {
      delayMs: 0,
      retainSegments: o.window + 1,
      now: Date.now,
      ...o,
    };
    for (const r of o.renditions) this.#state.set(r, { pending: new Map(), published: [], lastSeq: -1 });
  }

  get stats(): LiveUploadStats {
    return { ...this.#stats };
  }

  /** One pass over ffmpeg's folder. `flush` publishes what is held back too (the stream is stopping). */
  async sync(flush = false): Promise<LiveUploadStats> {
    for (const rendition of this.#o.renditions) await this.#syncRendition(rendition, flush);
    if (!this.#stats.masterPublished && [...this.#state.values()].every((s) => s.published.length > 0))
      await this.#publishMaster();
    return this.stats;
  }

  /** Publishes what is left, then every media playlist once more with EXT-X-ENDLIST. */
  async finish(): Promise<LiveUploadStats> {
    await this.sync(true);
    for (const [rendition, s] of this.#state) if (s.published.length > 0) await this.#putPlaylist(rendition, s, true);
    return this.stats;
  }

  async #syncRendition(rendition: string, flush: boolean): Promise<void> {
    const s = this.#state.get(rendition)!;
    const now = this.#o.now();
    const text = await readText(join(this.#o.dir, rendition, "index.m3u8"));
    if (text !== undefined)
      for (const seg of parseLivePlaylist(text))
        if (seg.seq > s.lastSeq && !s.pending.has(seg.seq)) s.pending.set(seg.seq, { ...seg, seenAt: now });
    let added = 0;
    for (const seg of [...s.pending.values()].sort((a, b) => a.seq - b.seq)) {
      if (!flush && now - seg.seenAt < this.#o.delayMs) break;
      s.pending.delete(seg.seq);
      s.lastSeq = seg.seq;
      const body = await readBytes(join(this.#o.dir, rendition, seg.uri));
      if (!body) {
        // ffmpeg removed it already: the playlist cannot skip a sequence number, so it starts over.
        await this.#delete(s.published.splice(0), rendition);
        continue;
      }
      await this.#o.archive.put(this.#keys.segment(rendition, seg.uri), body, {
        contentType: "video/mp2t",
        cacheControl: SEGMENT_CACHE_CONTROL,
      });
      s.published.push({ seq: seg.seq, uri: seg.uri, duration: seg.duration, pdtMs: seg.pdtMs });
      this.#stats.published++;
      added++;
    }
    if (added === 0) return;
    await this.#putPlaylist(rendition, s, false);
    const last = s.published.at(-1)!;
    this.#stats.lastSequence = Math.max(this.#stats.lastSequence ?? last.seq, last.seq);
    this.#stats.edgeLagMs = this.#o.now() - (last.pdtMs + last.duration * 1000);
    const expired = Math.max(0, s.published.length - this.#o.window - this.#o.retainSegments);
    await this.#delete(s.published.splice(0, expired), rendition);
  }

  async #putPlaylist(rendition: string, s: RenditionState, ended: boolean): Promise<void> {
    const text = renderLivePlaylist(s.published.slice(-this.#o.window), this.#o.segmentSeconds, ended);
    await this.#o.archive.put(this.#keys.playlist(rendition), new TextEncoder().encode(text), {
      contentType: M3U8,
      cacheControl: PLAYLIST_CACHE_CONTROL,
    });
  }

  async #delete(segments: LiveSegment[], rendition: string): Promise<void> {
    if (segments.length === 0) return;
    await this.#o.archive.delete(segments.map((seg) => this.#keys.segment(rendition, seg.uri)));
    this.#stats.deleted += segments.length;
  }

  /** ffmpeg's master playlist (bandwidths, resolutions, codecs), whose variant URIs are ours. */
  async #publishMaster(): Promise<void> {
    const text = await readText(join(this.#o.dir, "master.m3u8"));
    // Written whole (ffmpeg renames a temporary file), but check it names every rendition.
    if ((text?.match(/#EXT-X-STREAM-INF/g) ?? []).length !== this.#o.renditions.length) return;
    await this.#o.archive.put(this.#keys.master, new TextEncoder().encode(text), {
      contentType: M3U8,
      cacheControl: PLAYLIST_CACHE_CONTROL,
    });
    this.#stats.masterPublished = true;
  }
}

async function readBytes(path: string): Promise<Uint8Array | undefined> {
  return readFile(path).then(
    (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    },
  );
}

async function readText(path: string): Promise<string | undefined> {
  const b = await readBytes(path);
  return b === undefined ? undefined : new TextDecoder().decode(b);
}
