import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { StepContext } from "../context.ts";
import type { FfmpegProgress } from "../ffmpeg/progress.ts";
import { AAC_LC, avc1Codec, type VariantInfo } from "../hls/master.ts";
import { parseMediaPlaylist } from "../hls/media-playlist.ts";
import type { RenditionPlan } from "../ladder.ts";
import { jsonBytes, uploadFiles } from "../publish.ts";

/** What one finished rendition is: stored as its completion marker and reported in its events. */
export interface RenditionResult extends VariantInfo {
  segments: number;
  segmentSeconds: number;
  /** Segments plus playlist. */
  bytes: number;
  mediaDurationMs: number;
  targetBps: number;
  achievedBps: number;
  encodeMs: number;
  /** Media duration ÷ encode wall time. */
  speed: number;
  /** The settings it was made with: a re-run skips the rendition only when they still match. */
  fingerprint: string;
}

export function fingerprintOf(ctx: StepContext, plan: RenditionPlan): string {
  return JSON.stringify({
    v: 1,
    seg: ctx.segmentSeconds,
    w: plan.width,
    h: plan.height,
    fps: plan.fps,
    gop: plan.gop,
    vb: plan.videoBps,
    ab: ctx.info.audio ? plan.audioBps : 0,
    profile: plan.profile,
    preset: ctx.preset,
    src: [ctx.info.sizeBytes, ctx.info.durationMs],
  });
}

/** The completion marker of an earlier run, when it was made with the same settings. */
export async function completedEarlier(ctx: StepContext, plan: RenditionPlan): Promise<RenditionResult | undefined> {
  const key = ctx.keys.marker(plan.name);
  if (!(await ctx.archive.exists(key))) return undefined;
  try {
    const marker = JSON.parse(new TextDecoder().decode(await ctx.archive.get(key))) as RenditionResult;
    return marker.fingerprint === fingerprintOf(ctx, plan) ? marker : undefined;
  } catch {
    return undefined;
  }
}

export function encodeArgs(ctx: StepContext, plan: RenditionPlan, dir: string): string[] {
  const seg = ctx.segmentSeconds;
  const t = String(ctx.threads);
  const audio = ctx.info.audio
    ? ["-map", "0:a:0", "-c:a", "aac", "-b:a", String(plan.audioBps), "-ac", "2", "-ar", "48000"]
    : [];
  return [
    ...["-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1"],
    ...["-threads", t, "-i", ctx.sourcePath, "-map", "0:v:0", ...audio],
    ...["-vf", `fps=${plan.fps},scale=${plan.width}:${plan.height},setsar=1`, "-pix_fmt", "yuv420p"],
    ...["-c:v", "libx264", "-preset", ctx.preset, "-profile:v", plan.profile, "-threads", t],
    ...["-b:v", String(plan.videoBps), "-maxrate", String(Math.round(plan.videoBps * 1.1))],
    ...["-bufsize", String(plan.videoBps * 2)],
    // A fixed GOP of one segment, no scene-cut keyframes, keyframes forced on segment
    // boundaries: every rendition cuts at the same instants, so players switch cleanly.
    ...["-g", String(plan.gop), "-keyint_min", String(plan.gop), "-sc_threshold", "0"],
    ...["-force_key_frames", `expr:gte(t,n_forced*${seg})`, "-x264-params", "scenecut=0:open-gop=0"],
    ...["-f", "hls", "-hls_time", String(seg), "-hls_playlist_type", "vod", "-hls_list_size", "0"],
    ...["-hls_flags", "independent_segments", "-hls_segment_type", "mpegts"],
    ...["-hls_segment_filename", join(dir, "seg_%05d.ts"), join(dir, "index.m3u8")],
  ];
}

/**
 * Encodes one rendition into the job's scratch directory, reads back what was produced
 * (segments, H.264 profile and level, sizes), uploads segments then playlist, and writes the
 * completion marker last.
 */
export async function encodeRendition(
  ctx: StepContext,
  plan: RenditionPlan,
  onProgress: (p: FfmpegProgress) => void,
): Promise<RenditionResult> {
  const dir = join(ctx.workDir, plan.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // Timed inside the limiter: speed is encode time only, not time spent waiting for a core.
  const encodeMs = await ctx.limiter.run(async () => {
    const started = performance.now();
    await ctx.run(ctx.tools.ffmpeg, encodeArgs(ctx, plan, dir), { onProgress, signal: ctx.signal });
    return Math.max(1, Math.round(performance.now() - started));
  });

  const playlist = await readFile(join(dir, "index.m3u8"), "utf8");
  const segments = parseMediaPlaylist(playlist);
  const sizes = await Promise.all(segments.map((s) => stat(join(dir, s.uri)).then((st) => st.size)));
  const mediaSeconds = segments.reduce((sum, s) => sum + s.duration, 0);
  const segmentBytes = sizes.reduce((a, b) => a + b, 0);
  const peak = Math.max(...segments.map((s, i) => (sizes[i]! * 8) / Math.max(s.duration, 0.001)));
  const codecs = [await h264Codec(ctx, join(dir, segments[0]!.uri)), ...(ctx.info.audio ? [AAC_LC] : [])].join(",");

  const uploaded = await uploadFiles(
    ctx.archive,
    dir,
    segments.map((s) => s.uri),
    ctx.keys.renditionDir(plan.name),
  );
  const playlistBytes = await uploadFiles(ctx.archive, dir, ["index.m3u8"], ctx.keys.renditionDir(plan.name));
  const mediaDurationMs = Math.round(mediaSeconds * 1000);
  const result: RenditionResult = {
    name: plan.name,
    uri: `${plan.name}/index.m3u8`,
    bandwidth: Math.round(peak),
    averageBandwidth: Math.round((segmentBytes * 8) / Math.max(mediaSeconds, 0.001)),
    width: plan.width,
    height: plan.height,
    fps: plan.fps,
    codecs,
    segments: segments.length,
    segmentSeconds: ctx.segmentSeconds,
    bytes: uploaded + playlistBytes,
    mediaDurationMs,
    targetBps: plan.videoBps + (ctx.info.audio ? plan.audioBps : 0),
    achievedBps: Math.round((segmentBytes * 8) / Math.max(mediaSeconds, 0.001)),
    encodeMs,
    speed: Math.round((mediaDurationMs / encodeMs) * 100) / 100,
    fingerprint: fingerprintOf(ctx, plan),
  };
  await ctx.archive.put(ctx.keys.marker(plan.name), jsonBytes(result), { contentType: "application/json" });
  await rm(dir, { recursive: true, force: true });
  return result;
}

/** Reads the H.264 profile and level back from a produced segment, for the CODECS attribute. */
async function h264Codec(ctx: StepContext, segment: string): Promise<string> {
  const { stdout } = await ctx.run(ctx.tools.ffprobe, [
    ...["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile,level", "-of", "json", segment],
  ]);
  const s = (JSON.parse(stdout) as { streams?: { profile?: string; level?: number }[] }).streams?.[0];
  return avc1Codec(s?.profile ?? "High", s?.level ?? 40);
}
