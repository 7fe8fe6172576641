// Hermetic: the real TranscodePipeline on the embedded bus and filesystem archive, with a stand-in
// for ffmpeg/ffprobe that writes the files ffmpeg would (segments, playlists, thumbnails). The test
// measures what it wrote itself (stat), so the sizes the job events report are checked against
// figures the pipeline never computed.
import { stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { JobEvent } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import type { RunResult, ToolRunner } from "../src/ffmpeg/run.ts";
import { TranscodePipeline } from "../src/pipeline.ts";
import { scratchPipeline } from "./helpers/setup.ts";

const ok = (stdout = ""): RunResult => ({ stdout, stderrTail: "" });

/** Sizes of the files the fake wrote, by rendition folder name: segments and playlist. */
interface Written {
  renditions: Map<string, number[]>;
  thumbnails: number[];
}

/**
 * A 1280x720, 10 s H.264 source without audio. Each encode writes 3 segments (4 + 4 + 2 s) whose
 * sizes depend on the rendition's height, then its playlist; each thumbnail command writes its image.
 */
function fakeTools(written: Written): ToolRunner {
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
          ],
          format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2", duration: "10.000", size: "4096", bit_rate: "3000000" },
        }),
      );
    if (tool === "ffprobe") return ok(JSON.stringify({ streams: [{ profile: "High", level: 31 }] }));
    if (args.includes("null")) return ok(); // the last-second decode check
    if (last.endsWith("index.m3u8")) {
      const dir = dirname(last);
      const height = Number(/scale=\d+:(\d+)/.exec(args.join(" "))?.[1]);
      const durations = [4, 4, 2];
      const sizes: number[] = [];
      for (const [i, d] of durations.entries()) {
        const path = join(dir, `seg_${String(i).padStart(5, "0")}.ts`);
        await writeFile(path, new Uint8Array(height * 100 * d + 188 * i).fill(0x47));
        sizes.push((await stat(path)).size);
      }
      const playlist = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        ...durations.flatMap((d, i) => [`#EXTINF:${d.toFixed(6)},`, `seg_${String(i).padStart(5, "0")}.ts`]),
        "#EXT-X-ENDLIST",
        "",
      ].join("\n");
      await writeFile(last, playlist);
      sizes.push((await stat(last)).size);
      written.renditions.set(basename(dir), sizes);
      return ok();
    }
    if (last.endsWith(".jpg")) {
      await writeFile(last, new Uint8Array(last.endsWith("poster.jpg") ? 3000 : 7000).fill(0xff));
      written.thumbnails.push((await stat(last)).size);
      return ok();
    }
    throw new Error(`the fake does not know: ${tool} ${args.join(" ")}`);
  };
}

describe("TranscodePipeline job events (fake ffmpeg)", () => {
  it("each rendition's job.step_completed carries its output size in bytes: its segments plus its playlist", async () => {
    const { dir, bus, archive, source } = await scratchPipeline("pipeline-unit");

    const written: Written = { renditions: new Map(), thumbnails: [] };
    const events: JobEvent[] = [];
    const pipeline = new TranscodePipeline(
      { bus, archive, run: fakeTools(written) },
      {
        concurrency: 1,
        threads: 1,
        workRoot: dir,
        ladder: ["720p", "480p", "360p"],
        segmentFormat: "ts",
        onEvent: (e) => events.push(e),
      },
    );
    const result = await pipeline.run({ source, videoId: "clip", jobId: "job-bytes", appId: "app-a" });
    expect(result.status).toBe("completed");

    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const expected = Object.fromEntries([...written.renditions].map(([name, sizes]) => [name, sum(sizes)]));
    // 3 segments (height·100·duration + 188·i bytes) and a playlist each: e.g. 720p = 288000 + 288188 + 144376 + playlist.
    expect(Object.keys(expected).sort()).toEqual(["360p", "480p", "720p"]);
    expect(expected["720p"]! - written.renditions.get("720p")!.at(-1)!).toBe(288_000 + 288_188 + 144_376);

    const reported = Object.fromEntries(
      events
        .filter((e) => e.event_type === "job.step_completed" && e.job.step === "rendition")
        .map((e) => [e.job.rendition, e.job.bytes]),
    );
    expect(reported).toEqual(expected);

    // And what the archive holds under each rendition's folder (without its completion marker) is that size.
    for (const [name, bytes] of Object.entries(expected)) {
      const objects = (await archive.list(`media/clip/${name}/`)).filter((o) => !o.key.endsWith("rendition.json"));
      const sizes = await Promise.all(objects.map(async (o) => (await archive.get(o.key)).byteLength));
      expect(sum(sizes), name).toBe(bytes);
    }

    // The job's total is every rendition plus the thumbnails (poster, sprite and the WebVTT track).
    const vtt = (await archive.get("media/clip/thumbnails/thumbnails.vtt")).byteLength;
    const completed = events.find((e) => e.event_type === "job.completed")!;
    expect(completed.job.renditions).toBe(3);
    expect(completed.job.bytes).toBe(sum(Object.values(expected)) + sum(written.thumbnails) + vtt);
  });
});
