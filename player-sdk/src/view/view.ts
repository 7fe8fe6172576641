import type {
  LiveFigures,
  PayloadOf,
  PlaybackErrorInfo,
  PlaybackType,
  PlayerState,
  Rendition,
  RequestInfo,
  ViewEndReason,
  ViewStats,
} from "../contract.ts";
import { computeMetrics, emptyTotals, type ViewMetrics, type ViewTotals } from "./metrics.ts";

const MILESTONES = [10, 25, 50, 75] as const;

/** What a view reads from, and writes to, the world around it. */
export interface ViewHost {
  now(): number;
  /** Puts one event of this view on the wire (the view has already assigned its `seq`). */
  emit<T extends PlaybackType>(type: T, seq: number, payload: PayloadOf<T>): void;
  /** Playhead in ms; duration in ms when finite. */
  playhead(): number;
  /** The playhead unrounded, in ms; undefined while the element seeks (its currentTime is then the seek target). */
  mediaMs(): number | undefined;
  duration(): number | undefined;
  /** The element's playback rate. */
  rate(): number;
  /** A live stream's figures now (undefined for on demand). */
  live(): LiveFigures | undefined;
  /** Upscale of the rendition on screen (0 when unknown; undefined when there is no picture: audio). */
  upscale(rendition: Rendition | undefined): number | undefined;
  frames(): { dropped_frames: number; decoded_frames: number } | undefined;
  heartbeatMs: number;
  timeoutMs: number;
  setInterval(cb: () => void, ms: number): unknown;
  clearInterval(id: unknown): void;
  onEnd(view: View): void;
}

/**
 * One attempt to play one video. It runs the state machine
 * loading → startup → playing ⇄ paused / rebuffering / seeking → ended | error,
 * emits an event on every transition and keeps the running totals.
 */
export class View {
  readonly id: string;
  state: PlayerState = "loading";
  rendition: Rendition | undefined;
  readonly #host: ViewHost;
  readonly #t: ViewTotals = emptyTotals();
  #seq = 0;
  #lastAt: number;
  #stateSince: number;
  #requestedAt: number;
  #candidateAt: number | undefined;
  #candidatePos = 0;
  #startPos = 0;
  #rebufferAt = 0;
  #rebufferCause = "";
  #stallLabel: string | undefined;
  #stallPos = 0;
  #seekAt = 0;
  #seekFrom = 0;
  #seekTo = 0;
  #lastPos = 0;
  /** Playhead (ms) when playing time was last accounted: playing time follows the media actually played. */
  #mediaMark = 0;
  #candidateMedia = 0;
  /** Media played (ms of playhead progress) and clock time spent in "playing"; playing time is the lesser. */
  #playedMediaMs = 0;
  #playingClockMs = 0;
  #milestones = new Set<number>();
  /** Playback rate since the last `ratechange`; time played above 1 is catch-up (a live player closing on the edge). */
  #rate: number;
  #catchupMs = 0;
  #timer: unknown;

  constructor(id: string, host: ViewHost, rendition?: Rendition) {
    this.id = id;
    this.#host = host;
    this.rendition = rendition;
    this.#lastAt = this.#stateSince = this.#requestedAt = host.now();
    this.#rate = host.rate();
  }

  /** Playback was requested: the view begins. */
  start(): void {
    this.#startPos = this.#lastPos = this.#host.playhead();
    this.#set("startup");
    this.#emit("playback.view_start", {});
    if (this.rendition) this.#emit("playback.rendition_switch", { rendition: this.rendition, direction: "initial" });
    this.#timer = this.#host.setInterval(() => this.tick(), this.#host.heartbeatMs);
  }

  get live(): boolean {
    return this.state !== "ended" && this.state !== "error";
  }

  /** The media element asked to play again (after a pause). */
  play(): void {
    if (this.state !== "paused") return;
    this.#emit("playback.play", {});
    if (!this.#t.firstFrame) this.#set("startup");
  }

  /** The media element fired `playing`. */
  playing(): void {
    const now = this.#host.now();
    if (this.state === "startup") {
      this.#candidateAt = now;
      this.#candidatePos = this.#host.playhead();
      this.#candidateMedia = this.#mediaNow();
    } else if (this.state === "paused" || this.state === "rebuffering") {
      this.#resume();
    }
  }

  /** The playhead moved (`timeupdate`): confirms the first frame, resolves stalls, passes milestones. */
  progress(): void {
    const pos = this.#host.playhead();
    const moved = pos !== this.#lastPos;
    this.#lastPos = pos;
    if (
      this.state === "startup" &&
      (this.#candidateAt !== undefined ? pos > this.#candidatePos : pos > this.#startPos)
    ) {
      this.#firstFrame(this.#candidateAt ?? this.#host.now());
    } else if (this.state === "rebuffering" && moved && pos > this.#stallPos) {
      this.#resume();
    }
    if (this.state === "playing") this.#checkMilestones(pos);
  }

  pause(): void {
    if (this.state === "rebuffering") this.#endRebuffer();
    if (this.state !== "startup" && this.state !== "playing" && this.state !== "rebuffering") return;
    this.#candidateAt = undefined;
    this.#set("paused");
    this.#emit("playback.pause", {});
  }

  /** The media element is waiting for data; after the first frame and outside seeks that is a rebuffer. */
  waiting(cause = "waiting"): void {
    if (this.state === "playing") {
      this.#t.rebufferCount++;
      this.#rebufferAt = this.#host.now();
      this.#rebufferCause = cause;
      this.#stallLabel = undefined;
      this.#stallPos = this.#lastPos;
      this.#set("rebuffering", this.#rebufferAt);
      this.#emit("playback.rebuffer_start", { cause });
    } else if (this.state === "startup" || this.state === "seeking") {
      this.#candidateAt = undefined;
      this.#emit("playback.waiting", {});
    }
  }

  /** A player library's stall report: only labels the cause of the current (or next) rebuffer. */
  stallReported(label: string): void {
    this.#stallLabel = label;
  }

  seeking(): void {
    const to = this.#host.playhead();
    if (this.state === "seeking") {
      this.#seekTo = to;
      return;
    }
    // Before the first frame a seek is the player's (e.g. hls.js jumping to the first buffered frame): startup goes on,
    // and playing begins where it landed (the jump is not played).
    if (this.state === "startup") this.#candidateMedia = to;
    if (!this.live || this.state === "loading" || this.state === "startup") return;
    if (this.state === "rebuffering") this.#endRebuffer();
    this.#seekAt = this.#host.now();
    this.#seekFrom = this.#lastPos;
    this.#seekTo = to;
    this.#set("seeking");
    this.#emit("playback.seek_start", { from_ms: this.#seekFrom, to_ms: to });
  }

  seeked(paused: boolean): void {
    if (this.state !== "seeking") return;
    const latency = this.#host.now() - this.#seekAt;
    this.#t.seekCount++;
    this.#t.seekLatencyMs += latency;
    this.#lastPos = this.#host.playhead();
    this.#emit("playback.seek_end", { from_ms: this.#seekFrom, to_ms: this.#seekTo, latency_ms: Math.round(latency) });
    if (paused) this.#set("paused");
    else if (!this.#t.firstFrame) {
      this.#startPos = this.#lastPos;
      this.#set("startup");
    } else this.#resume();
  }

  /** The rendition on screen changed (not merely loading). */
  renditionOnScreen(next: Rendition): void {
    const prev = this.rendition;
    if (prev && prev.id === next.id && prev.bitrate_bps === next.bitrate_bps) return;
    this.#advance(this.#host.now());
    this.rendition = next;
    if (!this.live || this.state === "loading") return;
    const direction = !prev ? "initial" : next.bitrate_bps >= prev.bitrate_bps ? "up" : "down";
    if (direction === "up") this.#t.switchesUp++;
    if (direction === "down") this.#t.switchesDown++;
    this.#emit("playback.rendition_switch", {
      rendition: next,
      direction,
      ...(prev ? { from_rendition: prev } : {}),
    });
  }

  /** One media request's timing (from the player library's load stats). */
  request(request: RequestInfo): void {
    if (this.live) this.#emit("playback.request", { request });
  }

  error(error: PlaybackErrorInfo): void {
    if (!this.live) return;
    this.#emit("playback.error", { error });
    if (error.severity === "fatal") {
      this.#t.fatalError = true;
      this.end("error");
    }
  }

  ended(): void {
    if (!this.live) return;
    if (this.state === "rebuffering") this.#endRebuffer();
    if (this.state === "startup" && this.#candidateAt !== undefined) this.#firstFrame(this.#candidateAt);
    this.#checkMilestones(Number.POSITIVE_INFINITY);
    if (this.#t.firstFrame && !this.#milestones.has(100)) {
      this.#milestones.add(100);
      this.#emit("playback.milestone", { percent: 100 });
    }
    this.end("ended");
  }

  /** Ends the view once; every later call is a no-op. */
  end(reason: ViewEndReason): void {
    if (!this.live) return;
    if (this.state === "rebuffering") this.#endRebuffer();
    const now = this.#host.now();
    if (!this.#t.firstFrame) this.#t.endedBeforeStartMs = now - this.#requestedAt;
    this.#set(reason === "error" ? "error" : "ended", now);
    this.#emit("playback.view_end", { reason, stats: this.stats(), ...this.#liveStats() });
    this.#host.clearInterval(this.#timer);
    this.#host.onEnd(this);
  }

  /** The playback rate changed (`ratechange`). */
  rate(): void {
    this.#advance(this.#host.now());
    this.#rate = this.#host.rate();
  }

  /** Heartbeat, and the one-hour timeout after playback stopped. */
  tick(): void {
    if (!this.live) return;
    const now = this.#host.now();
    if (this.state !== "playing" && now - this.#stateSince >= this.#host.timeoutMs) this.end("timeout");
    else this.#emit("playback.heartbeat", { state: this.state, stats: this.stats(), ...this.#liveStats() });
  }

  /** Client-side totals as they go on the wire. */
  stats(): ViewStats {
    this.#advance(this.#host.now());
    const t = this.#t;
    return {
      ...(t.startupMs !== undefined ? { startup_ms: Math.round(t.startupMs) } : {}),
      playing_ms: Math.round(t.playingMs),
      rebuffer_ms: Math.round(t.rebufferMs),
      rebuffer_count: t.rebufferCount,
      seek_count: t.seekCount,
      ...this.#host.frames(),
    };
  }

  /** A live stream's figures with the catch-up time played so far (after `stats()`, which accounts it). */
  #liveStats() {
    const l = this.#host.live();
    return l ? { live: { ...l, catchup_ms: Math.round(this.#catchupMs) } } : {};
  }

  /** Every QoE metric of the view so far. */
  metrics(): ViewMetrics {
    this.#advance(this.#host.now());
    return computeMetrics(this.#t);
  }

  #firstFrame(at: number): void {
    // Totals read since `playing` (a heartbeat, metrics(), a rendition shown) credited that time
    // to startup: it was playing. Startup ran without a break since `at`, so the clock goes back.
    if (this.#lastAt > at) {
      this.#t.startupWaitMs -= this.#lastAt - at;
      this.#lastAt = at;
    }
    this.#set("playing", at, this.#candidateMedia);
    this.#t.firstFrame = true;
    this.#t.startupMs = this.#t.startupWaitMs;
    this.#candidateAt = undefined;
    this.#emit("playback.startup_complete", { startup_ms: Math.round(this.#t.startupMs) });
    this.#emit("playback.playing", {});
    this.#checkMilestones(this.#host.playhead());
  }

  #resume(): void {
    if (this.state === "rebuffering") this.#endRebuffer();
    this.#set("playing");
    this.#emit("playback.playing", {});
  }

  /**
   * Closes the stall at one instant: the state leaves "rebuffering" at the same time the
   * reported duration ends, so the stats' rebuffer time and the rebuffer_end durations agree.
   */
  #endRebuffer(): void {
    const at = this.#host.now();
    this.#set("playing", at);
    const duration = Math.round(at - this.#rebufferAt);
    this.#emit("playback.rebuffer_end", { duration_ms: duration, cause: this.#stallLabel ?? this.#rebufferCause });
    this.#stallLabel = undefined;
  }

  #checkMilestones(pos: number): void {
    const duration = this.#host.duration();
    if (!duration || !this.#t.firstFrame) return;
    for (const p of MILESTONES) {
      if (!this.#milestones.has(p) && pos >= (duration * p) / 100) {
        this.#milestones.add(p);
        this.#emit("playback.milestone", { percent: p });
      }
    }
  }

  #set(state: PlayerState, at = this.#host.now(), media?: number): void {
    this.#advance(at);
    if (state === "playing" && this.state !== "playing") this.#mediaMark = media ?? this.#mediaNow();
    if (state !== this.state) this.#stateSince = at;
    this.state = state;
  }

  /** The playhead now (ms), or where it was last seen moving while the element seeks. */
  #mediaNow(): number {
    return this.#host.mediaMs() ?? this.#lastPos;
  }

  /**
   * Accounts the time since the last call to the current state. Playing time is the media played
   * while playing, never more than the clock's time in that state (QOE.md): a playhead that stands
   * still (a stall not yet reported, the last frame before `ended`) adds nothing, a seek's jump is
   * not played, and a faster playback rate does not make more of it than the clock saw.
   */
  #advance(to: number): void {
    const dt = Math.max(0, to - this.#lastAt);
    this.#lastAt = Math.max(this.#lastAt, to);
    const t = this.#t;
    switch (this.state) {
      case "playing": {
        const pos = this.#mediaNow();
        this.#playedMediaMs += Math.max(0, pos - this.#mediaMark);
        this.#mediaMark = pos;
        this.#playingClockMs += dt;
        t.playingMs = Math.min(this.#playingClockMs, this.#playedMediaMs);
        if (this.#rate > 1) this.#catchupMs += dt;
        const r = this.rendition;
        if (r) {
          t.bitrateMsSum += dt * r.bitrate_bps;
          t.bitrateMs += dt;
          const u = this.#host.upscale(r);
          if (u !== undefined) {
            t.upscaleMsSum += dt * u;
            t.upscaleMs += dt;
            if (dt > 0) t.upscaleMax = Math.max(t.upscaleMax, u);
          }
        }
        break;
      }
      case "rebuffering":
        t.rebufferMs += dt;
        break;
      case "startup":
        t.startupWaitMs += dt;
        break;
      case "seeking":
        t.seekingMs += dt;
        break;
      case "paused":
        t.pausedMs += dt;
        break;
    }
  }

  #emit<T extends PlaybackType>(type: T, payload: PayloadOf<T>): void {
    this.#host.emit(type, this.#seq++, payload);
  }
}
