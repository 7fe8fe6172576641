import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Archive } from "@reeltime/connectors";
import { isErrorCode, ReeltimeError } from "@reeltime/runtime";
import { analysisFromEnv } from "../analysis/job.ts";
import { mediaKeys } from "../job/keys.ts";
import type { SegmentFormat } from "../ladder.ts";
import { type JobResult, TranscodePipeline } from "../pipeline.ts";
import { parseSubtitleOptions } from "../subtitles/sources.ts";
import { connect } from "./connect.ts";
import { ProgressView } from "./progress-view.ts";

export interface TranscodeCommandOptions {
  videoId?: string;
  title?: string;
  segmentSeconds?: number;
  ladder?: string[];
  /** `cmaf` (default: HLS and DASH over fragmented MP4) or `ts` (MPEG-TS, HLS only). */
  segmentFormat?: SegmentFormat;
  /** Also copy the finished package to `<out>/<video_id>/`. */
  out?: string;
  /** The app the video belongs to. */
  appId?: string;
  /** Package the audio-only ladder (AAC only, no picture) whatever the source holds; a source without audio is refused. */
  audioOnly?: boolean;
  /** `--subtitles` values: `LANG=FILE`, comma-separated or repeated (see parseSubtitleOptions). */
  subtitles?: string[];
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Copies every object under `media/<video_id>/` to `<dir>/<video_id>/`. */
export async function exportPackage(archive: Archive, videoId: string, dir: string): Promise<string> {
  const { root } = mediaKeys(videoId);
  const target = join(dir, videoId);
  for (const o of await archive.list(`${root}/`)) {
    const path = join(target, o.key.slice(root.length + 1));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await archive.get(o.key));
  }
  return target;
}

/** `reeltime transcode FILE`: one job on the configured bus and archive, with a progress bar. */
export async function transcodeCommand(file: string, o: TranscodeCommandOptions): Promise<JobResult> {
  const out = o.stdout ?? process.stdout;
  // Refused before anything connects: a malformed --subtitles value is the command's mistake.
  const subtitles = parseSubtitleOptions(o.subtitles ?? []);
  if (subtitles.length > 0 && o.segmentFormat === "ts")
    throw new ReeltimeError("REELTIME_ERR_USAGE", "--subtitles needs --segments cmaf (HLS and DASH over CMAF)");
  if (o.audioOnly && o.segmentFormat === "ts")
    throw new ReeltimeError("REELTIME_ERR_USAGE", "--audio-only needs --segments cmaf (the audio-only ladder is CMAF)");
  const { bus, archive } = await connect();
  const view = new ProgressView(out);
  const subtitleFailures = new Map<string, string>();
  try {
    const pipeline = new TranscodePipeline(
      { bus, archive },
      {
        ...(o.segmentSeconds === undefined ? {} : { segmentSeconds: o.segmentSeconds }),
        ...(o.ladder ? { ladder: o.ladder } : {}),
        ...(o.segmentFormat ? { segmentFormat: o.segmentFormat } : {}),
        progressIntervalMs: 250,
        ...(o.appId ? { appId: o.appId } : {}),
        onEvent: (e) => {
          view.onEvent(e);
          if (e.event_type === "job.step_failed" && e.job.step === "subtitles" && e.job.rendition)
            subtitleFailures.set(e.job.rendition, e.job.error?.message ?? "failed");
        },
        ...(o.audioOnly ? { audioOnly: "always" as const } : {}),
        analysis: await analysisFromEnv(),
      },
    );
    const result = await pipeline.run({
      source: file,
      ...(o.videoId ? { videoId: o.videoId } : {}),
      ...(o.title ? { title: o.title } : {}),
      ...(subtitles.length > 0 ? { subtitles } : {}),
    });
    view.end();
    if (result.status === "failed") {
      const e = result.error!;
      throw new ReeltimeError(
        isErrorCode(e.code) ? e.code : "REELTIME_ERR_PIPELINE",
        `transcode failed at ${e.rendition ?? e.step}: ${e.message}`,
      );
    }
    for (const r of result.renditions)
      out.write(
        `  ${r.name.padEnd(6)} ${`${r.width}x${r.height}`.padEnd(10)} ${String(r.segments).padStart(4)} segments  ` +
          `${Math.round(r.achievedBps / 1000)} kb/s (target ${Math.round(r.targetBps / 1000)})  ` +
          `${r.skipped ? "skipped: already complete" : `${r.speed.toFixed(2)}x`}\n`,
      );
    for (const t of result.subtitles ?? []) out.write(`  subtitles ${t.language.padEnd(6)} ${t.name}: ${t.vtt}\n`);
    for (const [rendition, why] of subtitleFailures) out.write(`  ${rendition}: left out, ${why}\n`);
    out.write(`master playlist: ${archive.driver}:${result.masterKey}\n`);
    if (result.mpdKey) out.write(`DASH manifest:   ${archive.driver}:${result.mpdKey}\n`);
    if (o.out) out.write(`copied to ${await exportPackage(archive, result.videoId, o.out)}\n`);
    return result;
  } finally {
    view.end();
    await bus.shutdown();
    await archive.shutdown();
  }
}
