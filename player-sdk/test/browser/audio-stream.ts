// A short real audio-only HLS ladder made by Debian's ffmpeg, independent of the pipeline: a
// 440 Hz tone, AAC-LC stereo at two bitrates, fragmented MP4 segments of ~2 s (EXT-X-MAP init
// segments), a master playlist whose variants name only an audio codec.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const AUDIO_LADDER = [
  { name: "aac64", kbps: 64 },
  { name: "aac128", kbps: 128 },
] as const;
/** Six segments of ~2 s (1024-sample AAC frames at 48 kHz make them 2.005 s), ~11.9 s in all. */
export const AUDIO_SECONDS = 11.9;

/** Writes `master.m3u8` and `aac64/`, `aac128/` (index.m3u8, init, seg000..005.m4s) into `dir`. */
export async function makeAudioHlsStream(dir: string): Promise<string> {
  const args = ["-hide_banner", "-loglevel", "error", "-y"];
  args.push("-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${AUDIO_SECONDS}`);
  AUDIO_LADDER.forEach((r, i) => {
    args.push("-map", "0:a", `-b:a:${i}`, `${r.kbps}k`);
  });
  args.push("-c:a", "aac", "-ac", "2");
  args.push("-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod");
  args.push("-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4");
  args.push("-master_pl_name", "master.m3u8");
  args.push("-var_stream_map", AUDIO_LADDER.map((r, i) => `a:${i},name:${r.name}`).join(" "));
  args.push("-hls_segment_filename", join(dir, "%v", "seg%03d.m4s"), join(dir, "%v", "index.m3u8"));
  for (const r of AUDIO_LADDER) mkdirSync(join(dir, r.name), { recursive: true });
  await promisify(execFile)("ffmpeg", args, { timeout: 60_000 });
  return join(dir, "master.m3u8");
}

/** The variants of the master playlist as ffmpeg wrote them: BANDWIDTH and CODECS per playlist. */
export function masterVariants(master: string): { uri: string; bandwidth: number; codecs: string }[] {
  const lines = readFileSync(master, "utf8").split("\n");
  const out: { uri: string; bandwidth: number; codecs: string }[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith("#EXT-X-STREAM-INF:")) return;
    const bandwidth = Number(/BANDWIDTH=(\d+)/.exec(line)?.[1]);
    const codecs = /CODECS="([^"]+)"/.exec(line)?.[1] ?? "";
    out.push({ uri: lines[i + 1]!.trim(), bandwidth, codecs });
  });
  return out;
}
