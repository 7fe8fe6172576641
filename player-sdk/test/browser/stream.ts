// A short real HLS ladder made by Debian's ffmpeg: test pattern + tone, 2 s segments,
// keyframes aligned across renditions (fixed GOP, no scene-cut keyframes).
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const LADDER = [
  { name: "240p", width: 426, height: 240, kbps: 300 },
  { name: "360p", width: 640, height: 360, kbps: 700 },
  { name: "720p", width: 1280, height: 720, kbps: 1500 },
] as const;
export const SEGMENT_S = 2;

/** Writes `master.m3u8` and `v0..v2/index.m3u8` + segments into `dir`; returns the master path. */
export async function makeHlsStream(dir: string, seconds = 20): Promise<string> {
  const fps = 25;
  const split = LADDER.map((_, i) => `[s${i}]`).join("");
  const scales = LADDER.map((r, i) => `[s${i}]scale=${r.width}:${r.height}[v${i}]`).join(";");
  const args = ["-hide_banner", "-loglevel", "error", "-y"];
  args.push("-f", "lavfi", "-i", `testsrc2=size=1280x720:rate=${fps}:duration=${seconds}`);
  args.push("-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
  args.push("-filter_complex", `[0:v]split=${LADDER.length}${split};${scales}`);
  LADDER.forEach((r, i) => {
    args.push("-map", `[v${i}]`, "-map", "1:a");
    args.push(`-c:v:${i}`, "libx264", `-b:v:${i}`, `${r.kbps}k`, `-maxrate:v:${i}`, `${r.kbps}k`);
    args.push(`-bufsize:v:${i}`, `${r.kbps * 2}k`);
  });
  args.push("-preset", "ultrafast", "-profile:v", "main", "-pix_fmt", "yuv420p");
  args.push("-g", String(fps * SEGMENT_S), "-keyint_min", String(fps * SEGMENT_S), "-sc_threshold", "0");
  args.push("-c:a", "aac", "-b:a", "64k", "-ac", "2");
  args.push(
    "-f",
    "hls",
    "-hls_time",
    String(SEGMENT_S),
    "-hls_playlist_type",
    "vod",
    "-hls_flags",
    "independent_segments",
  );
  args.push(
    "-master_pl_name",
    "master.m3u8",
    "-var_stream_map",
    LADDER.map((r, i) => `v:${i},a:${i},name:${r.name}`).join(" "),
  );
  args.push("-hls_segment_filename", join(dir, "%v", "seg%03d.ts"), join(dir, "%v", "index.m3u8"));
  for (const r of LADDER) mkdirSync(join(dir, r.name), { recursive: true });
  await promisify(execFile)("ffmpeg", args, { timeout: 120_000 });
  return join(dir, "master.m3u8");
}
