/**
 * Parsers of what ffmpeg's analysis filters print on stderr (`-v info`): blackdetect,
 * freezedetect, silencedetect, ebur128's summary and the scene scores `select` + `metadata=print`
 * give. Pure functions over the text, so they are tested on captured output without ffmpeg.
 * Times come out in whole milliseconds from the start of the media.
 */

/** A stretch of the media, [start_ms, end_ms). */
export interface Stretch {
  start_ms: number;
  end_ms: number;
}

/** A scene change: the first frame of the new shot and ffmpeg's scene score (0-1). */
export interface SceneChange {
  at_ms: number;
  score: number;
}

/** EBU R128 figures of ebur128's summary. A figure ffmpeg gives as -inf (silence) is null. */
export interface Loudness {
  /** Integrated loudness, LUFS. */
  integrated_lufs: number | null;
  /** The relative gate of the integrated loudness, LUFS (loudnorm's `measured_thresh`). */
  threshold_lufs: number | null;
  /** Loudness range, LU. */
  lra_lu: number | null;
  lra_low_lufs: number | null;
  lra_high_lufs: number | null;
  /** Maximum true peak, dBTP (ffmpeg prints it as dBFS of the oversampled signal). */
  true_peak_dbtp: number | null;
}

const ms = (seconds: string): number => Math.max(0, Math.round(Number(seconds) * 1000));
const NUM = "(-?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?)";

/**
 * Closes a stretch that the media's end left open, and one whose end is the start of the last
 * frame (blackdetect reports a stretch that lasts to the end with the last frame's time): within
 * one frame of the end, it ends at the end.
 */
function closeAtEnd(stretches: Stretch[], open: number | undefined, endMs: number | undefined, frameMs: number) {
  if (open !== undefined && endMs !== undefined && endMs > open) stretches.push({ start_ms: open, end_ms: endMs });
  if (endMs === undefined) return stretches;
  return stretches.map((s) =>
    s.end_ms < endMs && endMs - s.end_ms <= frameMs + 1
      ? { ...s, end_ms: endMs }
      : { ...s, end_ms: Math.min(s.end_ms, endMs) },
  );
}

export interface StretchOptions {
  /** The media's duration: closes a stretch still open at the end. */
  durationMs?: number | undefined;
  /** One frame's duration (video analyses), to close a stretch reported up to the last frame. */
  frameMs?: number | undefined;
}

/** blackdetect: `black_start:2 black_end:3 black_duration:1`, one line per black stretch. */
export function parseBlackdetect(stderr: string, o: StretchOptions = {}): Stretch[] {
  const out: Stretch[] = [];
  const re = new RegExp(`black_start:\\s*${NUM}\\s+black_end:\\s*${NUM}`, "g");
  for (const m of stderr.matchAll(re)) out.push({ start_ms: ms(m[1]!), end_ms: ms(m[2]!) });
  return closeAtEnd(out, undefined, o.durationMs, o.frameMs ?? 0);
}

/**
 * freezedetect: `lavfi.freezedetect.freeze_start: 5`, then `freeze_duration` and `freeze_end`
 * (the first frame that differs). A freeze that lasts to the end has no end line.
 */
export function parseFreezedetect(stderr: string, o: StretchOptions = {}): Stretch[] {
  const out: Stretch[] = [];
  let open: number | undefined;
  const re = new RegExp(`freezedetect\\.freeze_(start|end):\\s*${NUM}`, "g");
  for (const m of stderr.matchAll(re)) {
    if (m[1] === "start") open = ms(m[2]!);
    else if (open !== undefined) {
      out.push({ start_ms: open, end_ms: ms(m[2]!) });
      open = undefined;
    }
  }
  return closeAtEnd(out, open, o.durationMs, o.frameMs ?? 0);
}

/** silencedetect: `silence_start: 4`, then `silence_end: 5.5 | silence_duration: 1.5`. */
export function parseSilencedetect(stderr: string, o: StretchOptions = {}): Stretch[] {
  const out: Stretch[] = [];
  let open: number | undefined;
  const re = new RegExp(`silence_(start|end):\\s*${NUM}`, "g");
  for (const m of stderr.matchAll(re)) {
    if (m[1] === "start") open = ms(m[2]!);
    else if (open !== undefined) {
      out.push({ start_ms: open, end_ms: ms(m[2]!) });
      open = undefined;
    }
  }
  return closeAtEnd(out, open, o.durationMs, 0);
}

/**
 * Scene changes from `select='gt(scene,T)',metadata=print`: for each selected frame a
 * `frame:N pts:P pts_time:T` line, then `lavfi.scene_score=S`.
 */
export function parseSceneScores(stderr: string): SceneChange[] {
  const out: SceneChange[] = [];
  let at: number | undefined;
  const re = new RegExp(`pts_time:\\s*${NUM}|lavfi\\.scene_score=${NUM}`, "g");
  for (const m of stderr.matchAll(re)) {
    if (m[1] !== undefined) at = ms(m[1]);
    else if (at !== undefined) {
      out.push({ at_ms: at, score: Math.round(Number(m[2]) * 1e4) / 1e4 });
      at = undefined;
    }
  }
  return out;
}

/** A figure of ebur128's summary: a number, or null for `-inf`/`nan`. */
function figure(block: string, label: string): number | null | undefined {
  const m = new RegExp(`${label}:\\s*(${NUM.slice(1, -1)}|-?inf|nan)\\s`, "i").exec(block);
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : null;
}

/**
 * ebur128's `Summary:` block (printed when the filter closes): integrated loudness and its
 * threshold, loudness range with its threshold and low/high, and the true peak (`peak=true`).
 * Undefined when there is no summary (no audio decoded).
 */
export function parseEbur128(stderr: string): Loudness | undefined {
  const at = stderr.lastIndexOf("Summary:");
  if (at < 0) return undefined;
  const block = `${stderr.slice(at)}\n`;
  const integrated = /Integrated loudness:([\s\S]*?)(?:Loudness range:|$)/.exec(block)?.[1] ?? "";
  const range = /Loudness range:([\s\S]*?)(?:True peak:|Sample peak:|$)/.exec(block)?.[1] ?? "";
  const peak = /True peak:([\s\S]*)$/.exec(block)?.[1] ?? "";
  const i = figure(integrated, "I");
  if (i === undefined) return undefined;
  return {
    integrated_lufs: i,
    threshold_lufs: figure(integrated, "Threshold") ?? null,
    lra_lu: figure(range, "LRA") ?? null,
    lra_low_lufs: figure(range, "LRA low") ?? null,
    lra_high_lufs: figure(range, "LRA high") ?? null,
    true_peak_dbtp: figure(peak, "Peak") ?? null,
  };
}
