// A stand-in for ffmpeg and ffprobe that writes real fragmented-MP4 boxes (helpers/fmp4.ts) where
// ffmpeg's HLS muxer would: the hermetic CMAF pipeline tests run the real TranscodePipeline on it.
import { mkdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { RunResult, ToolRunner } from "../../src/ffmpeg/run.ts";
import { initSegment, mediaSegment } from "./fmp4.ts";

export const ok = (stdout = ""): RunResult => ({ stdout, stderrTail: "" });

/** Bytes the stand-in wrote per archive folder (`720p`, `720p/audio`), media segments apart. */
export interface Written {
  folders: Map<string, { files: number[]; media: number }>;
  encodes: string[][];
}

export const VIDEO_TIMESCALE = 15_360; // ffmpeg's for 30 fps
export const FRAME = 512;
/** 10 s at 30 fps in 4 s segments: 120, 120 and 60 frames. */
export const VIDEO_FRAMES = [120, 120, 60];
/** 10.048 s of AAC: 188, 188, 94 frames, then a last one, as ffmpeg's HLS muxer cuts it. */
export const AUDIO_FRAMES = [188, 188, 94, 1];

/**
 * A 1280x720, 10 s H.264 + AAC source (`audio: false`: the same without its audio stream). Each
 * encode writes, per output of the command (the video track; the audio track when the rendition
 * encodes one), an init segment, media segments whose sizes depend on the rendition's height,
 * and ffmpeg's own playlist.
 */
export function fakeTools(written: Written, source: { audio?: boolean } = {}): ToolRunner {
  return async (tool, args) => {
    const last = args.at(-1) ?? "";
    if (tool === "ffprobe" && args.includes("-show_format"))
      return ok(
        JSON.stringify({
          streams: [
            {
              codec_type: "video",
              codec_name: "h264",
              width: 1280,
              height: 720,
              avg_frame_rate: "30/1",
              nb_frames: "300",
            },
            ...(source.audio === false
              ? []
              : [{ codec_type: "audio", codec_name: "aac", channels: 2, sample_rate: "48000" }]),
          ],
          format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2", duration: "10.000", size: "4096", bit_rate: "3000000" },
        }),
      );
    if (args.includes("null")) return ok(); // the last-second decode check
    if (last.endsWith("index.m3u8")) {
      written.encodes.push(args);
      const height = Number(/scale=\d+:(\d+)/.exec(args.join(" "))?.[1]);
      for (let i = args.indexOf("-hls_segment_filename"); i >= 0; i = args.indexOf("-hls_segment_filename", i + 1)) {
        const dir = dirname(args[i + 1]!);
        const audio = basename(dir) === "audio";
        const folder = audio ? `${basename(dirname(dir))}/audio` : basename(dir);
        await mkdir(dir, { recursive: true });
        const frames = audio ? AUDIO_FRAMES : VIDEO_FRAMES;
        const files: number[] = [];
        let media = 0;
        await writeFile(
          join(dir, "init.mp4"),
          audio
            ? initSegment({ kind: "audio", timescale: 48_000 })
            : initSegment({
                kind: "video",
                timescale: VIDEO_TIMESCALE,
                avc: { profile: 0x64, constraints: 0, level: 0x1f },
              }),
        );
        files.push((await stat(join(dir, "init.mp4"))).size);
        let t = 0;
        const lines = ["#EXTM3U", "#EXT-X-VERSION:7", '#EXT-X-MAP:URI="init.mp4"'];
        for (const [k, n] of frames.entries()) {
          const name = `seg_${String(k).padStart(5, "0")}.m4s`;
          const d = audio ? 1024 : FRAME;
          const cts = audio
            ? undefined
            : Array.from({ length: n }, (_, j) => (j % 4 === 1 ? 1024 : j % 4 === 2 ? -512 : 0));
          await writeFile(
            join(dir, name),
            mediaSegment({
              decodeTime: t,
              durations: Array<number>(n).fill(d),
              sampleBytes: audio ? 40 : height,
              ...(cts ? { cts } : {}),
            }),
          );
          const size = (await stat(join(dir, name))).size;
          files.push(size);
          media += size;
          lines.push(`#EXTINF:${((n * d) / (audio ? 48_000 : VIDEO_TIMESCALE)).toFixed(6)},`, name);
          t += n * d;
        }
        await writeFile(join(dir, "index.m3u8"), [...lines, "#EXT-X-ENDLIST", ""].join("\n"));
        written.folders.set(folder, { files, media });
      }
      return ok();
    }
    if (last.endsWith(".jpg")) {
      await writeFile(last, new Uint8Array(last.endsWith("poster.jpg") ? 3000 : 7000).fill(0xff));
      return ok();
    }
    throw new Error(`the fake does not know: ${tool} ${args.join(" ")}`);
  };
}
