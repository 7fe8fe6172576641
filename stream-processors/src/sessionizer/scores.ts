/** The QoE formulas of QOE.md, kept apart so each is pinned by hand-computed tests. */

/** Startup score = 100 × 8 / (8 + startup seconds): 0.4 s → 95, 2 s → 80, 8 s → 50. */
export const startupScore = (startupMs: number): number => (100 * 8) / (8 + startupMs / 1000);

/** Smoothness = mean of 100 / √(1 + (count/2)²) and 100 × e^(−10 × ratio). */
export const smoothnessScore = (rebufferCount: number, rebufferRatio: number): number =>
  (100 / Math.sqrt(1 + (rebufferCount / 2) ** 2) + 100 * Math.exp(-10 * rebufferRatio)) / 2;

/** Quality = 100 × e^(−0.33 × (0.15 × max upscale + 0.85 × average upscale)). */
export const qualityScore = (avgUpscale: number, maxUpscale: number): number =>
  100 * Math.exp(-0.33 * (0.15 * maxUpscale + 0.85 * avgUpscale));

/** Rebuffer ratio = rebuffer time ÷ (playing time + rebuffer time). */
export const rebufferRatio = (rebufferMs: number, playingMs: number): number =>
  rebufferMs + playingMs === 0 ? 0 : rebufferMs / (playingMs + rebufferMs);

/** Rebuffers per minute of playing time. */
export const rebufferFrequency = (count: number, playingMs: number): number =>
  playingMs === 0 ? 0 : count / (playingMs / 60_000);

/**
 * How much larger the displayed box (CSS size × devicePixelRatio) is than the rendition,
 * as a fraction: 720p in a 1080p box = 0.5. The video is fitted into the box (letterboxed),
 * so the smaller of the two scale factors applies. Never negative (downscaling is free).
 */
export function upscale(
  rendition: { width?: number; height?: number },
  display: { width: number; height: number; pixel_ratio: number },
): number | undefined {
  const scales: number[] = [];
  if (rendition.height && display.height) scales.push((display.height * display.pixel_ratio) / rendition.height);
  if (rendition.width && display.width) scales.push((display.width * display.pixel_ratio) / rendition.width);
  if (scales.length === 0) return undefined;
  return Math.max(0, Math.min(...scales) - 1);
}

/** Playback success per view: 100 played fine, 50 exit before video start, 0 failed. */
export const playbackSuccessScore = (failed: boolean, ebvs: boolean): number => (failed ? 0 : ebvs ? 50 : 100);
