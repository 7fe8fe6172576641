import { execFile } from "node:child_process";
import { mkdir, rename, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
export const CLIP_DIR = join(tmpdir(), "reeltime-pipeline-test-clips");

export interface ClipSpec {
  width?: number;
  height?: number;
  seconds?: number;
  fps?: number;
  audio?: boolean;
  /** Video codec arguments (default: fast H.264). */
  codec?: string[];
  ext?: string;
}

/**
 * A short generated clip (test pattern + tone), made once and cached by its settings. Small
 * and fast to make: ultrafast H.264, low resolution.
 */
export async function makeClip(spec: ClipSpec = {}): Promise<string> {
  const { width = 640, height = 360, seconds = 6, fps = 25, audio = true, ext = "mp4" } = spec;
  const codec = spec.codec ?? ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"];
  const name = `clip-${width}x${height}-${seconds}s-${fps}-${audio ? "a" : "n"}-${codec.join("_").replace(/[^a-z0-9_]/gi, "")}.${ext}`;
  const out = join(CLIP_DIR, name);
  if (
    await stat(out).then(
      (s) => s.size > 0,
      () => false,
    )
  )
    return out;
  await mkdir(CLIP_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp.${ext}`;
  await exec("ffmpeg", [
    ...["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`],
    ...(audio ? ["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`] : []),
    ...codec,
    ...(audio ? ["-c:a", "aac", "-b:a", "64k"] : []),
    ...["-threads", "1", "-shortest", tmp],
  ]);
  await rename(tmp, out);
  return out;
}

/** An audio-only file (AAC in MP4). */
export async function makeAudioOnly(): Promise<string> {
  const out = join(CLIP_DIR, "audio-only.m4a");
  if (
    await stat(out).then(
      (s) => s.size > 0,
      () => false,
    )
  )
    return out;
  await mkdir(CLIP_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp.m4a`;
  await exec("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", tmp]);
  await rename(tmp, out);
  return out;
}

/** Runs ffprobe and returns its JSON. */
export async function ffprobeJson(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await exec("ffprobe", ["-v", "error", "-of", "json", ...args], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as Record<string, unknown>;
}
