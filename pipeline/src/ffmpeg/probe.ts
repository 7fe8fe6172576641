import type { ToolRunner } from "./run.ts";

/** What the pipeline needs to know about a source, read from ffprobe's JSON. */
export interface MediaInfo {
  formatName: string;
  durationMs: number | undefined;
  sizeBytes: number;
  bitrateBps: number | undefined;
  video?: {
    codec: string;
    width: number;
    height: number;
    /** Display width once the sample aspect ratio is applied. */
    displayWidth: number;
    fps: number | undefined;
    /** A still image (cover art) rather than a moving picture. */
    stillImage: boolean;
    frames: number | undefined;
  };
  audio?: { codec: string; channels: number; sampleRate: number };
}

interface RawStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
}

interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; size?: string; bit_rate?: string };
}

function ratio(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const [n, d] = value.split(/[/:]/).map(Number);
  if (n === undefined || !Number.isFinite(n)) return undefined;
  const r = d === undefined ? n : d === 0 ? Number.NaN : n / d;
  return Number.isFinite(r) && r > 0 ? r : undefined;
}

const int = (v: string | undefined) => (v === undefined || Number.isNaN(Number(v)) ? undefined : Number(v));

/** Runs ffprobe on a local file. Rejects with an FfmpegError when ffprobe cannot read it. */
export async function probe(run: ToolRunner, path: string, ffprobe = "ffprobe"): Promise<MediaInfo> {
  const { stdout } = await run(ffprobe, [
    "-v",
    "error",
    "-print_format",
    "json",
    "-show_format",
    "-show_streams",
    path,
  ]);
  return parseProbe(JSON.parse(stdout) as RawProbe);
}

export function parseProbe(raw: RawProbe): MediaInfo {
  const streams = raw.streams ?? [];
  const v = streams.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic) ?? undefined;
  const a = streams.find((s) => s.codec_type === "audio");
  const duration = Number(raw.format?.duration);
  const info: MediaInfo = {
    formatName: raw.format?.format_name ?? "unknown",
    durationMs: Number.isFinite(duration) && duration > 0 ? Math.round(duration * 1000) : undefined,
    sizeBytes: int(raw.format?.size) ?? 0,
    bitrateBps: int(raw.format?.bit_rate),
  };
  if (v?.width && v.height) {
    const sar = ratio(v.sample_aspect_ratio) ?? 1;
    const fps = ratio(v.avg_frame_rate) ?? ratio(v.r_frame_rate);
    const frames = int(v.nb_frames);
    info.video = {
      codec: v.codec_name ?? "unknown",
      width: v.width,
      height: v.height,
      displayWidth: Math.round(v.width * sar),
      fps,
      frames,
      stillImage: /_pipe$|^image2$/.test(info.formatName) || frames === 1,
    };
  }
  if (a)
    info.audio = {
      codec: a.codec_name ?? "unknown",
      channels: a.channels ?? 2,
      sampleRate: int(a.sample_rate) ?? 48000,
    };
  return info;
}
