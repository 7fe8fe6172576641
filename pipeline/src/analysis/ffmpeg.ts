import type { AnalysisReport, TimedFinding } from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";
import type { ToolRunner } from "../ffmpeg/run.ts";
import type { Limiter } from "../job/limit.ts";
import { parseBlackdetect, parseEbur128, parseFreezedetect, parseSceneScores, parseSilencedetect } from "./parse.ts";

/** The analyses ffmpeg runs on the media itself. */
export const FFMPEG_ANALYSES = ["scenes", "black", "freeze", "silence", "loudness"] as const;
export type FfmpegAnalysis = (typeof FFMPEG_ANALYSES)[number];
export const AUDIO_ANALYSES: readonly FfmpegAnalysis[] = ["silence", "loudness"];

/** How sensitive each detector is. */
export interface DetectOptions {
  /** `select`'s scene score (0-1) above which a frame starts a new shot. */
  sceneThreshold: number;
  /** Shortest black, frozen or silent stretch reported. */
  minBlackMs: number;
  minFreezeMs: number;
  minSilenceMs: number;
  /** blackdetect: a pixel darker than this share of the luma range is black; a picture with this share of black pixels is black. */
  blackPixelThreshold: number;
  blackPictureRatio: number;
  /**
   * freezedetect's noise tolerance, dB. -50 rather than ffmpeg's -60: an encoder refines a still
   * picture over a few frames, and at -60 the first of them count as changes (a 2 s freeze in
   * an x264 file was found 0.2 s late).
   */
  freezeNoiseDb: number;
  /** silencedetect's threshold, dB: quieter is silence (lossy codecs leave noise well below it). */
  silenceNoiseDb: number;
}

export const DEFAULT_DETECT: DetectOptions = {
  sceneThreshold: 0.3,
  minBlackMs: 500,
  minFreezeMs: 500,
  minSilenceMs: 500,
  blackPixelThreshold: 0.1,
  blackPictureRatio: 0.98,
  freezeNoiseDb: -50,
  silenceNoiseDb: -50,
};

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** The ffmpeg command of one analysis: decode the one stream it needs, run its filter, write nothing (`-f null`). */
export function analysisArgs(kind: FfmpegAnalysis, source: string, o: DetectOptions, threads = 1): string[] {
  const base = ["-hide_banner", "-nostdin", "-nostats", "-v", "info", "-threads", String(threads), "-i", source];
  const video = (filter: string) => [...base, "-map", "0:v:0", "-vf", filter, "-an", "-f", "null", "-"];
  const audio = (filter: string) => [...base, "-map", "0:a:0", "-af", filter, "-vn", "-f", "null", "-"];
  switch (kind) {
    case "scenes":
      return video(`select='gt(scene,${o.sceneThreshold})',metadata=print`);
    case "black":
      return video(
        `blackdetect=d=${seconds(o.minBlackMs)}:pic_th=${o.blackPictureRatio}:pix_th=${o.blackPixelThreshold}`,
      );
    case "freeze":
      return video(`freezedetect=n=${o.freezeNoiseDb}dB:d=${seconds(o.minFreezeMs)}`);
    case "silence":
      return audio(`silencedetect=n=${o.silenceNoiseDb}dB:d=${seconds(o.minSilenceMs)}`);
    case "loudness":
      // Per-frame lines at verbose (not printed at -v info): only the summary comes out.
      return audio("ebur128=peak=true:framelog=verbose");
  }
}

/** What the parsers read: the analysis filters' lines and ebur128's summary; everything else of stderr is dropped. */
const RELEVANT = /black_start|freezedetect\.freeze_|silence_(?:start|end)|pts_time:|scene_score=/;
const MAX_LINES = 200_000;

export class StderrLines {
  #partial = "";
  #lines: string[] = [];
  #summary = 0;

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split(/\r?\n|\r/);
    this.#partial = parts.pop() ?? "";
    for (const line of parts) this.#keep(line);
  }

  #keep(line: string): void {
    if (line.includes("Summary:")) this.#summary = 30;
    if ((this.#summary > 0 || RELEVANT.test(line)) && this.#lines.length < MAX_LINES) this.#lines.push(line);
    if (this.#summary > 0) this.#summary--;
  }

  text(): string {
    if (this.#partial) {
      this.#keep(this.#partial);
      this.#partial = "";
    }
    return this.#lines.join("\n");
  }
}

export interface FfmpegAnalysisEnv {
  run: ToolRunner;
  ffmpeg: string;
  threads: number;
  /** Bounds ffmpeg processes with the pipeline's other steps. */
  limiter?: Limiter;
  signal?: AbortSignal;
  detect?: Partial<DetectOptions>;
}

export interface MediaFacts {
  durationMs?: number | undefined;
  fps?: number | undefined;
}

/** The findings of one analysis read from its stderr (pure: tested on captured output). */
export function reportOf(kind: FfmpegAnalysis, stderr: string, media: MediaFacts): AnalysisReport {
  const frameMs = media.fps ? 1000 / media.fps : 0;
  const o = { durationMs: media.durationMs, frameMs };
  const stretches = (name: string, list: { start_ms: number; end_ms: number }[]): TimedFinding[] =>
    list.map((s) => ({ name, start_ms: s.start_ms, end_ms: s.end_ms }));
  const report = (findings: TimedFinding[]): AnalysisReport => ({ feature: kind, provider: "ffmpeg", findings });
  switch (kind) {
    case "scenes":
      return report(
        parseSceneScores(stderr).map((s) => ({ name: "scene", start_ms: s.at_ms, end_ms: s.at_ms, score: s.score })),
      );
    case "black":
      return report(stretches("black", parseBlackdetect(stderr, o)));
    case "freeze":
      return report(stretches("freeze", parseFreezedetect(stderr, o)));
    case "silence":
      return report(stretches("silence", parseSilencedetect(stderr, { durationMs: media.durationMs })));
    case "loudness": {
      const loudness = parseEbur128(stderr);
      if (!loudness)
        throw new ReeltimeError(
          "REELTIME_ERR_ANALYSIS",
          "ffmpeg's ebur128 printed no summary: the audio stream could not be measured",
        );
      return { ...report([]), loudness };
    }
  }
}

/**
 * Runs one analysis with ffmpeg on a local file and reads its findings from stderr (all of it, as
 * it comes; a runner that does not stream stderr leaves its tail to read).
 */
export async function runFfmpegAnalysis(
  kind: FfmpegAnalysis,
  path: string,
  media: MediaFacts,
  env: FfmpegAnalysisEnv,
): Promise<AnalysisReport> {
  const detect = { ...DEFAULT_DETECT, ...env.detect };
  const lines = new StderrLines();
  const go = () =>
    env.run(env.ffmpeg, analysisArgs(kind, path, detect, env.threads), {
      onStderr: (chunk) => lines.push(chunk),
      ...(env.signal ? { signal: env.signal } : {}),
    });
  const result = await (env.limiter ? env.limiter.run(go) : go());
  const text = lines.text();
  return reportOf(kind, text || result.stderrTail, media);
}
