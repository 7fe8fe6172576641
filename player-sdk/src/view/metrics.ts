/** Running totals of one view, in milliseconds unless named otherwise. */
export interface ViewTotals {
  startupMs?: number;
  playingMs: number;
  rebufferMs: number;
  rebufferCount: number;
  seekingMs: number;
  startupWaitMs: number;
  pausedMs: number;
  seekCount: number;
  seekLatencyMs: number;
  switchesUp: number;
  switchesDown: number;
  /** Σ bitrate × playing ms of the rendition on screen. */
  bitrateMsSum: number;
  bitrateMs: number;
  /** Σ upscale × playing ms, and the largest upscale seen while playing. */
  upscaleMsSum: number;
  upscaleMs: number;
  upscaleMax: number;
  fatalError: boolean;
  firstFrame: boolean;
  /** Time from the play request to the end of the view when it never reached a first frame. */
  endedBeforeStartMs?: number;
}

/** Metrics of one view, as defined in QOE.md. */
export interface ViewMetrics {
  startupMs?: number;
  startupScore?: number;
  playingMs: number;
  /** Playing + rebuffering + startup + seeking; pauses excluded. */
  watchMs: number;
  rebufferCount: number;
  rebufferMs: number;
  rebufferRatio: number;
  rebufferPerMinute: number;
  smoothnessScore: number;
  seekCount: number;
  seekLatencyMs: number;
  switchesUp: number;
  switchesDown: number;
  avgBitrateBps?: number;
  upscaleAvg?: number;
  upscaleMax?: number;
  qualityScore?: number;
  /** Exit before video start: play requested, no first frame, no fatal error, waited ≥ 1 s, left. */
  ebvs: boolean;
  /** 100 played fine, 50 EBVS, 0 failed. */
  playbackSuccess: number;
}

/** 100 × 8 / (8 + startup seconds): 0.4 s → 95, 2 s → 80, 8 s → 50. */
export const startupScore = (startupMs: number): number => (100 * 8) / (8 + startupMs / 1000);

/** Mean of 100 / √(1 + (count/2)²) and 100 × e^(−10 × ratio). */
export const smoothnessScore = (count: number, ratio: number): number =>
  (100 / Math.sqrt(1 + (count / 2) ** 2) + 100 * Math.exp(-10 * ratio)) / 2;

/** 100 × e^(−0.33 × (0.15 × max + 0.85 × avg)). */
export const qualityScore = (upscaleAvg: number, upscaleMax: number): number =>
  100 * Math.exp(-0.33 * (0.15 * upscaleMax + 0.85 * upscaleAvg));

/**
 * How much larger the displayed picture is than the rendition, as a fraction (720p in a 1080p box = 0.5).
 * The box is CSS size × devicePixelRatio; the picture is fitted inside it (object-fit: contain).
 */
export function upscale(boxW: number, boxH: number, pixelRatio: number, w: number, h: number): number {
  if (!(w > 0 && h > 0 && boxW > 0 && boxH > 0)) return 0;
  return Math.max(0, Math.min((boxW * pixelRatio) / w, (boxH * pixelRatio) / h) - 1);
}

export function computeMetrics(t: ViewTotals): ViewMetrics {
  const played = t.playingMs + t.rebufferMs;
  const ratio = played > 0 ? t.rebufferMs / played : 0;
  const ebvs = !t.firstFrame && !t.fatalError && (t.endedBeforeStartMs ?? 0) >= 1000;
  const m: ViewMetrics = {
    playingMs: t.playingMs,
    watchMs: t.playingMs + t.rebufferMs + t.startupWaitMs + t.seekingMs,
    rebufferCount: t.rebufferCount,
    rebufferMs: t.rebufferMs,
    rebufferRatio: ratio,
    rebufferPerMinute: t.playingMs > 0 ? t.rebufferCount / (t.playingMs / 60_000) : 0,
    smoothnessScore: smoothnessScore(t.rebufferCount, ratio),
    seekCount: t.seekCount,
    seekLatencyMs: t.seekLatencyMs,
    switchesUp: t.switchesUp,
    switchesDown: t.switchesDown,
    ebvs,
    playbackSuccess: t.fatalError ? 0 : ebvs ? 50 : 100,
  };
  if (t.startupMs !== undefined) {
    m.startupMs = t.startupMs;
    m.startupScore = startupScore(t.startupMs);
  }
  if (t.bitrateMs > 0) m.avgBitrateBps = t.bitrateMsSum / t.bitrateMs;
  if (t.upscaleMs > 0) {
    m.upscaleAvg = t.upscaleMsSum / t.upscaleMs;
    m.upscaleMax = t.upscaleMax;
    m.qualityScore = qualityScore(m.upscaleAvg, m.upscaleMax);
  }
  return m;
}

export function emptyTotals(): ViewTotals {
  return {
    playingMs: 0,
    rebufferMs: 0,
    rebufferCount: 0,
    seekingMs: 0,
    startupWaitMs: 0,
    pausedMs: 0,
    seekCount: 0,
    seekLatencyMs: 0,
    switchesUp: 0,
    switchesDown: 0,
    bitrateMsSum: 0,
    bitrateMs: 0,
    upscaleMsSum: 0,
    upscaleMs: 0,
    upscaleMax: 0,
    fatalError: false,
    firstFrame: false,
  };
}
