import type { ErrorData, Events, FragChangedData, FragLoadedData, LevelLoadedData, ManifestLoadedData } from "hls.js";
import type { AttachContext, Plugin } from "../types.ts";
import { uuidv7 } from "../uuid.ts";
import { type LiveHls, LiveMeter } from "./live.ts";
import { OnScreen } from "./on-screen.ts";
import { type LevelLike, renditionOf } from "./rendition.ts";
import { requestOf, type StatsLike } from "./requests.ts";

/** The hls.js surface the plugin uses: typed against hls.js, without importing it at runtime. */
interface HlsLike extends LiveHls {
  levels: LevelLike[];
  /** hls.js's own id, its CMCD session id when the config names none. */
  sessionId?: string;
  config?: { cmcd?: { sessionId?: string } };
  on(event: string, listener: (event: string, data: never) => void): void;
  off(event: string, listener: (event: string, data: never) => void): void;
}

/** hls.js event names; the values of its `Events` enum (a runtime import would bundle hls.js). */
const E = {
  MANIFEST_LOADING: "hlsManifestLoading",
  MANIFEST_LOADED: "hlsManifestLoaded",
  LEVEL_LOADED: "hlsLevelLoaded",
  FRAG_LOADED: "hlsFragLoaded",
  FRAG_CHANGED: "hlsFragChanged",
  ERROR: "hlsError",
} as const satisfies Record<string, `${Events}`>;

/** Payload of each hls.js event the plugin handles: one typed map, as in hls.js's own `HlsListeners`. */
interface Payloads {
  [E.MANIFEST_LOADING]: { url: string };
  [E.MANIFEST_LOADED]: ManifestLoadedData;
  [E.LEVEL_LOADED]: LevelLoadedData;
  [E.FRAG_LOADED]: FragLoadedData;
  [E.FRAG_CHANGED]: FragChangedData;
  [E.ERROR]: ErrorData;
}
type Handlers = { [K in keyof Payloads]: (data: Payloads[K]) => void };

const CATEGORY: Record<string, string> = {
  networkError: "network",
  mediaError: "media",
  muxError: "mux",
  keySystemError: "drm",
};
/** Non-fatal errors reported per view, at most (a flaky CDN must not flood the queue). */
const MAX_WARNINGS = 50;

export interface HlsPluginOptions {
  /** Emit `playback.request` per manifest, playlist and fragment load (default true). */
  requests?: boolean;
  /** hls.js version, for the `player` field (pass `Hls.version`). */
  version?: string;
}

/**
 * Levels are read from `hls.levels` when needed. LEVEL_SWITCHED is deliberately not used, and
 * FRAG_CHANGED alone is not trusted: during a stall both flip between fragments not yet shown. A
 * switch counts when the new rendition reaches the screen: the playhead inside its fragment and
 * the element's picture size (`resize`) showing it (see `OnScreen`).
 * A stall (non-fatal BUFFER_STALLED_ERROR) only labels the rebuffer the media element reports.
 *
 * Listens to an hls.js instance given as `attach(video, { hls })`: levels, what is on screen
 * (FRAG_CHANGED confirmed by the element → rendition switches), request timing, errors, and stall
 * reports as rebuffer causes.
 */
export function hlsPlugin(options: HlsPluginOptions = {}): Plugin {
  return {
    name: "hls",
    attach(ctx: AttachContext) {
      const hls = ctx.options.hls as HlsLike | undefined;
      if (!hls || typeof hls.on !== "function") return undefined;
      ctx.setPlayer("hls.js", options.version);
      let warnings = 0;
      // hls.js makes a CMCD reporter per manifest load, with the session id its config holds then
      // (its MANIFEST_LOADING listener runs before ours). That id becomes the id of the view the
      // source plays, so CMCD reports join it; the config gets a fresh id for the next source.
      const cmcd = hls.config?.cmcd;
      const adoptCmcdSession = () => {
        if (!cmcd) return;
        const sid = cmcd.sessionId || hls.sessionId;
        if (sid) ctx.nextViewId(sid);
        cmcd.sessionId = uuidv7(Date.now(), crypto.getRandomValues(new Uint8Array(10)));
      };
      adoptCmcdSession();
      const level = (i: number) => {
        const l = hls.levels[i];
        return l ? renditionOf(l, i) : undefined;
      };
      const el = ctx.element as HTMLMediaElement & { videoWidth?: number; videoHeight?: number };
      const screen = new OnScreen((i) => hls.levels[i]);
      // A live source (a level playlist without #EXT-X-ENDLIST): latency sampled while the playhead
      // moves, catch-ups counted on `ratechange`.
      let meter: LiveMeter | undefined;
      const onTime = () => {
        if (meter && !el.paused && !el.seeking) meter.sample(Date.now());
      };
      const onRate = () => meter?.rate(el.playbackRate);
      const confirm = () => {
        const shown = screen.check(el.currentTime, { width: el.videoWidth ?? 0, height: el.videoHeight ?? 0 });
        const r = shown === undefined ? undefined : level(shown);
        if (r) ctx.renditionOnScreen(r);
      };
      const request = (kind: "manifest" | "level" | "fragment", stats: StatsLike, url?: string, rendition?: string) => {
        if (options.requests !== false)
          ctx.request(
            requestOf(kind, stats, { ...(url ? { url } : {}), ...(rendition ? { rendition_id: rendition } : {}) }),
          );
      };
      const handlers: Handlers = {
        [E.MANIFEST_LOADING]: () => {
          ctx.sourceChanged();
          screen.reset();
          meter = undefined;
          adoptCmcdSession();
        },
        [E.MANIFEST_LOADED]: (d) => request("manifest", d.stats, d.url),
        [E.LEVEL_LOADED]: (d) => {
          request("level", d.stats, d.details?.url, level(d.level)?.id);
          if (d.details?.live && !meter) {
            const m = new LiveMeter(hls);
            meter = m;
            m.rate(el.playbackRate);
            ctx.live(() => m.figures(Date.now()));
          }
        },
        [E.FRAG_LOADED]: (d) => {
          if (d.frag.type === "main") request("fragment", d.frag.stats, d.frag.url, level(d.frag.level)?.id);
        },
        [E.FRAG_CHANGED]: (d) => {
          if (d.frag.type !== "main") return;
          screen.report({ level: d.frag.level, start: d.frag.start, end: d.frag.end });
          confirm();
        },
        [E.ERROR]: (d) => {
          if (d.details === "bufferStalledError" && !d.fatal) return ctx.stallReported("hls.buffer_stalled");
          if (!d.fatal && warnings++ >= MAX_WARNINGS) return;
          const message = d.error?.message || d.reason;
          ctx.error({
            severity: d.fatal ? "fatal" : "non_fatal",
            code: String(d.details).slice(0, 256),
            category: CATEGORY[d.type] ?? "other",
            ...(message ? { message: String(message).slice(0, 2048) } : {}),
          });
          const stats = d.frag?.stats ?? d.stats;
          if (d.type === "networkError" && stats && options.requests !== false)
            ctx.request(
              requestOf(d.frag ? "fragment" : "other", stats, {
                failed: true,
                ...(d.frag?.url ? { url: d.frag.url } : {}),
                ...(d.response?.code ? { status: d.response.code } : {}),
              }),
            );
        },
      };
      const entries = Object.entries(handlers) as [string, (data: never) => void][];
      const bound = entries.map(([name, fn]) => [name, (_: string, data: never) => fn(data)] as const);
      for (const [name, fn] of bound) hls.on(name, fn);
      // The picture's size changes when the first frame of a new size is presented.
      const shownBy = ["resize", "timeupdate"];
      for (const t of shownBy) el.addEventListener(t, confirm);
      el.addEventListener("timeupdate", onTime);
      el.addEventListener("ratechange", onRate);
      return () => {
        for (const [name, fn] of bound) hls.off(name, fn);
        for (const t of shownBy) el.removeEventListener(t, confirm);
        el.removeEventListener("timeupdate", onTime);
        el.removeEventListener("ratechange", onRate);
      };
    },
  };
}
