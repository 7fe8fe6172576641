import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { readTrack } from "../cmaf/read-track.ts";
import { segmentCount, totalTicks } from "../cmaf/timeline.ts";
import { type CmafRendition, SEGMENT_PATTERN, TRACK_PLAYLIST } from "../cmaf/track.ts";
import type { StepContext } from "../context.ts";
import type { FfmpegProgress } from "../ffmpeg/progress.ts";
import { AAC_LC, avc1Codec, type VariantInfo } from "../hls/master.ts";
import { parseMediaPlaylist } from "../hls/media-playlist.ts";
import type { AudioPlan, RenditionPlan, SegmentFormat } from "../ladder.ts";
import { jsonBytes, uploadFiles } from "../publish.ts";

/** What one finished rendition is: stored as its completion marker and reported in its events. */
export interface RenditionResult extends VariantInfo {
  /** How its segments are written; absent in the markers of runs before CMAF (always `ts`). */
  format?: SegmentFormat;
  /** The CMAF tracks (format `cmaf`): what the manifests are rendered from. */
  cmaf?: CmafRendition;
  segments: number;
  segmentSeconds: number;
  /** Segments plus playlist (CMAF: init segment, media segments and playlist of its video and of the audio it encoded). */
  bytes: number;
  mediaDurationMs: number;
  /** Video plus audio bitrate asked for (CMAF: plus the audio only on the rendition that encodes it). */
  targetBps: number;
  /** Bits of its media segments over its duration (what it wrote: as `targetBps`). */
  achievedBps: number;
  encodeMs: number;
  /** Media duration ÷ encode wall time. */
  speed: number;
  /** The settings it was made with: a re-run skips the rendition only when they still match. */
  fingerprint: string;
}

/** The audio a CMAF rendition plays with, and whether it is the one that encodes it. */
export interface RenditionAudio extends AudioPlan {
  encode: boolean;
}

export function fingerprintOf(ctx: StepContext, plan: RenditionPlan, audio?: RenditionAudio): string {
  const cmaf =
    ctx.segmentFormat === "cmaf"
      ? { fmt: "cmaf", audio: audio ? { group: audio.group, bps: audio.bps, encode: audio.encode } : null }
      : {};
  return JSON.stringify({
    v: 1,
    ...cmaf,
    seg: ctx.segmentSeconds,
    w: plan.width,
    h: plan.height,
    fps: plan.fps,
    gop: plan.gop,
    vb: plan.videoBps,
    ab: ctx.info.audio ? plan.audioBps : 0,
    ...(ctx.audioFilter ? { af: ctx.audioFilter } : {}),
    profile: plan.profile,
    preset: ctx.preset,
    src: [ctx.info.sizeBytes, ctx.info.durationMs],
  });
}

/** The completion marker of an earlier run, when it was made with the same settings. */
export async function completedEarlier(
  ctx: StepContext,
  plan: RenditionPlan,
  audio?: RenditionAudio,
): Promise<RenditionResult | undefined> {
  const key = ctx.keys.marker(plan.name);
  if (!(await ctx.archive.exists(key))) return undefined;
  try {
    const marker = JSON.parse(new TextDecoder().decode(await ctx.archive.get(key))) as RenditionResult;
    return marker.fingerprint === fingerprintOf(ctx, plan, audio) ? marker : undefined;
  } catch {
    return undefined;
  }
}

const AUDIO_CHANNELS = 2;
const AUDIO_RATE = 48_000;

/** ffmpeg output options of an AAC track (also the segment-parallel encode's audio, made once over the whole source). */
export const audioArgs = (bps: number, filter?: string) => [
  ...["-map", "0:a:0", ...(filter ? ["-af", filter] : []), "-c:a", "aac", "-b:a", String(bps)],
  ...["-ac", String(AUDIO_CHANNELS), "-ar", String(AUDIO_RATE)],
];

/** The x264 settings of a rendition; the segment-parallel encode uses them for every chunk (with its own `-vf` trim and keyframe list). */
export function videoArgs(
  ctx: Pick<StepContext, "segmentSeconds" | "preset" | "threads">,
  plan: RenditionPlan,
): string[] {
  const seg = ctx.segmentSeconds;
  return [
    ...["-vf", `fps=${plan.fps},scale=${plan.width}:${plan.height},setsar=1`, "-pix_fmt", "yuv420p"],
    ...["-c:v", "libx264", "-preset", ctx.preset, "-profile:v", plan.profile, "-threads", String(ctx.threads)],
    ...["-b:v", String(plan.videoBps), "-maxrate", String(Math.round(plan.videoBps * 1.1))],
    ...["-bufsize", String(plan.videoBps * 2)],
    // A fixed GOP of one segment, no scene-cut keyframes, keyframes forced on segment
    // boundaries: every rendition cuts at the same instants, so players switch cleanly.
    ...["-g", String(plan.gop), "-keyint_min", String(plan.gop), "-sc_threshold", "0"],
    ...["-force_key_frames", `expr:gte(t,n_forced*${seg})`, "-x264-params", "scenecut=0:open-gop=0"],
  ];
}

const hlsVod = (seg: number) => [
  ...["-f", "hls", "-hls_time", String(seg), "-hls_playlist_type", "vod", "-hls_list_size", "0"],
  ...["-hls_flags", "independent_segments"],
];

/**
 * One CMAF track from ffmpeg's HLS muxer: an init segment and .m4s media segments. The fragments
 * carry the CMAF brand, and B-frames are signalled with negative composition offsets instead of
 * an edit list, so each segment's decode time (tfdt) is its presentation time and separately
 * written audio and video tracks share one timeline.
 */
export const cmafTrack = (seg: number, dir: string) => [
  ...hlsVod(seg),
  ...["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"],
  ...["-hls_segment_options", "movflags=+cmaf+negative_cts_offsets:use_editlist=0"],
  ...["-hls_segment_filename", join(dir, SEGMENT_PATTERN), join(dir, TRACK_PLAYLIST)],
];

/**
 * ffmpeg's arguments for one rendition. `ts`: audio and video muxed into MPEG-TS segments.
 * `cmaf`: the video track into the rendition's folder and, when this rendition encodes an audio
 * bitrate, that audio track into `<rendition>/audio/`: two outputs of one ffmpeg process.
 */
export function encodeArgs(ctx: StepContext, plan: RenditionPlan, dir: string, audio?: RenditionAudio): string[] {
  const seg = ctx.segmentSeconds;
  const input = [
    ...["-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1"],
    ...["-threads", String(ctx.threads), "-i", ctx.sourcePath],
  ];
  if (ctx.segmentFormat === "cmaf") {
    const withAudio = ctx.info.audio && audio?.encode;
    return [
      ...input,
      ...["-map", "0:v:0", ...videoArgs(ctx, plan), ...cmafTrack(seg, dir)],
      ...(withAudio ? [...audioArgs(audio.bps, ctx.audioFilter), ...cmafTrack(seg, join(dir, "audio"))] : []),
    ];
  }
  return [
    ...input,
    ...["-map", "0:v:0", ...(ctx.info.audio ? audioArgs(plan.audioBps, ctx.audioFilter) : [])],
    ...videoArgs(ctx, plan),
    ...hlsVod(seg),
    ...["-hls_segment_type", "mpegts"],
    ...["-hls_segment_filename", join(dir, "seg_%05d.ts"), join(dir, "index.m3u8")],
  ];
}

/**
 * Encodes one rendition into the job's scratch directory, reads back what was produced
 * (segments, H.264 profile and level, sizes), uploads segments then playlists, and writes the
 * completion marker last.
 */
export async function encodeRendition(
  ctx: StepContext,
  plan: RenditionPlan,
  onProgress: (p: FfmpegProgress) => void,
  audio?: RenditionAudio,
): Promise<RenditionResult> {
  const dir = join(ctx.workDir, plan.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  if (ctx.segmentFormat === "cmaf" && ctx.info.audio && audio?.encode) await mkdir(join(dir, "audio"));
  // Timed inside the limiter: speed is encode time only, not time spent waiting for a core.
  const encodeMs = await ctx.limiter.run(async () => {
    const started = performance.now();
    await ctx.run(ctx.tools.ffmpeg, encodeArgs(ctx, plan, dir, audio), { onProgress, signal: ctx.signal });
    return Math.max(1, Math.round(performance.now() - started));
  });
  const result =
    ctx.segmentFormat === "cmaf"
      ? await cmafResult(ctx, plan, dir, encodeMs, audio)
      : await tsResult(ctx, plan, dir, encodeMs);
  await ctx.archive.put(ctx.keys.marker(plan.name), jsonBytes(result), { contentType: "application/json" });
  await rm(dir, { recursive: true, force: true });
  return result;
}

async function tsResult(ctx: StepContext, plan: RenditionPlan, dir: string, encodeMs: number) {
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
    format: "ts",
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
  return result;
}

/**
 * Reads the CMAF tracks back from their boxes (timelines, codec from avcC, sizes), rewrites their
 * playlists from those timelines, and uploads every init and media segment before the playlists.
 */
export async function cmafResult(
  ctx: StepContext,
  plan: RenditionPlan,
  dir: string,
  encodeMs: number,
  audio: RenditionAudio | undefined,
): Promise<RenditionResult> {
  const video = await readTrack(dir, `${plan.name} video`);
  if (!video.init.codecs)
    throw new ReeltimeError("REELTIME_ERR_PIPELINE", `${plan.name}: the video init segment has no H.264 avcC box`);
  const encoded = ctx.info.audio && audio?.encode ? audio : undefined;
  const sound = encoded ? await readTrack(join(dir, "audio"), `${plan.name} audio ${encoded.group}`) : undefined;
  const audioDir = ctx.keys.audioDir(plan.name);
  const media = (files: string[]) => files.filter((f) => f !== TRACK_PLAYLIST);
  const sent = [
    await uploadFiles(ctx.archive, dir, media(video.files), ctx.keys.renditionDir(plan.name)),
    sound ? await uploadFiles(ctx.archive, join(dir, "audio"), media(sound.files), audioDir) : 0,
    sound ? await uploadFiles(ctx.archive, join(dir, "audio"), [TRACK_PLAYLIST], audioDir) : 0,
    await uploadFiles(ctx.archive, dir, [TRACK_PLAYLIST], ctx.keys.renditionDir(plan.name)),
  ];
  const videoSeconds = totalTicks(video.timeline) / video.timeline.timescale;
  const mediaDurationMs = Math.round(videoSeconds * 1000);
  const group = ctx.info.audio && audio ? audio.group : undefined;
  const cmaf: CmafRendition = {
    video: {
      dir: plan.name,
      timeline: video.timeline,
      codecs: video.init.codecs,
      bandwidth: video.bandwidth,
      averageBandwidth: video.averageBandwidth,
      bytes: sent[0]! + sent[3]!,
    },
    ...(group ? { audioGroup: group } : {}),
    ...(sound && encoded
      ? {
          audio: {
            dir: `${plan.name}/audio`,
            timeline: sound.timeline,
            codecs: AAC_LC,
            bandwidth: sound.bandwidth,
            averageBandwidth: sound.averageBandwidth,
            bytes: sent[1]! + sent[2]!,
            group: encoded.group,
            bps: encoded.bps,
            sampleRate: AUDIO_RATE,
            channels: AUDIO_CHANNELS,
          },
        }
      : {}),
  };
  return {
    name: plan.name,
    uri: `${plan.name}/${TRACK_PLAYLIST}`,
    // The variant's figures once its audio is known: the pipeline adds the audio group's.
    bandwidth: video.bandwidth + (sound?.bandwidth ?? 0),
    averageBandwidth: video.averageBandwidth + (sound?.averageBandwidth ?? 0),
    width: plan.width,
    height: plan.height,
    fps: plan.fps,
    codecs: [video.init.codecs, ...(group ? [AAC_LC] : [])].join(","),
    format: "cmaf",
    cmaf,
    segments: segmentCount(video.timeline),
    segmentSeconds: ctx.segmentSeconds,
    bytes: sent.reduce((a, b) => a + b, 0),
    mediaDurationMs,
    targetBps: plan.videoBps + (encoded ? encoded.bps : 0),
    achievedBps: Math.round(((video.mediaBytes + (sound?.mediaBytes ?? 0)) * 8) / Math.max(videoSeconds, 0.001)),
    encodeMs,
    speed: Math.round((mediaDurationMs / encodeMs) * 100) / 100,
    fingerprint: fingerprintOf(ctx, plan, audio),
  };
}

/** Reads the H.264 profile and level back from a produced segment, for the CODECS attribute. */
async function h264Codec(ctx: StepContext, segment: string): Promise<string> {
  const { stdout } = await ctx.run(ctx.tools.ffprobe, [
    ...["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile,level", "-of", "json", segment],
  ]);
  const s = (JSON.parse(stdout) as { streams?: { profile?: string; level?: number }[] }).streams?.[0];
  return avc1Codec(s?.profile ?? "High", s?.level ?? 40);
}
