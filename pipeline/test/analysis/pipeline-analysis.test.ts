// Hermetic: the analyses inside the real TranscodePipeline (embedded bus, filesystem archive),
// with a stand-in for ffmpeg that answers each analysis with the stderr captured from the real
// one on the proof clip (fixtures/) and writes the files an encode would. Checks the DAG: each
// analysis a step of the job, the poster taken where they chose, loudnorm on the audio renditions
// when asked, and a failed analysis leaving the job completed.

import { readFileSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { JobEvent } from "@reeltime/events";
import { validateEvent } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import type { PipelineAnalysis } from "../../src/analysis/job.ts";
import { FfmpegError } from "../../src/errors.ts";
import type { RunResult, ToolRunner } from "../../src/ffmpeg/run.ts";
import { TranscodePipeline } from "../../src/pipeline.ts";
import { scratchPipeline } from "../helpers/setup.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", `${name}.stderr.txt`), "utf8");
const ok = (stdout = ""): RunResult => ({ stdout, stderrTail: "" });
const ANALYSIS_FILTERS: [string, string][] = [
  ["select=", "scenes"],
  ["blackdetect", "black"],
  ["freezedetect", "freeze"],
  ["silencedetect", "silence"],
  ["ebur128", "loudness"],
];

/** The proof clip as ffprobe sees it (10 s, 320x180 at 25 fps, AAC); commands recorded. */
function fakeTools(commands: string[][], fail: string[] = []): ToolRunner {
  return async (tool, args, options = {}) => {
    commands.push(args);
    const last = args.at(-1) ?? "";
    if (tool === "ffprobe" && args.includes("-show_format"))
      return ok(
        JSON.stringify({
          streams: [
            {
              codec_type: "video",
              codec_name: "h264",
              width: 320,
              height: 180,
              avg_frame_rate: "25/1",
              nb_frames: "250",
            },
            { codec_type: "audio", codec_name: "aac", channels: 1, sample_rate: "48000" },
          ],
          format: { format_name: "mov,mp4,m4a,3gp,3g2,mj2", duration: "10.000", size: "704000", bit_rate: "563000" },
        }),
      );
    if (tool === "ffprobe") return ok(JSON.stringify({ streams: [{ profile: "High", level: 31 }] }));
    const filter = args[args.indexOf(args.includes("-vf") ? "-vf" : "-af") + 1] ?? "";
    const analysis = args.includes("-nostats")
      ? ANALYSIS_FILTERS.find(([f]) => filter.replaceAll("'", "").startsWith(f))?.[1]
      : undefined;
    if (analysis) {
      if (fail.includes(analysis)) throw new FfmpegError("ffmpeg", 1, null, "Conversion failed!");
      options.onStderr?.(fixture(analysis));
      return ok();
    }
    if (args.includes("null")) return ok(); // the last-second decode check
    if (last.endsWith("index.m3u8")) {
      const dir = dirname(last);
      for (const i of [0, 1, 2])
        await writeFile(join(dir, `seg_${String(i).padStart(5, "0")}.ts`), new Uint8Array(1880));
      const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD"];
      [4, 4, 2].forEach((d, i) => {
        lines.push(`#EXTINF:${d.toFixed(6)},`, `seg_${String(i).padStart(5, "0")}.ts`);
      });
      await writeFile(last, [...lines, "#EXT-X-ENDLIST", ""].join("\n"));
      return ok();
    }
    if (last.endsWith(".jpg")) {
      await writeFile(last, new Uint8Array(1000).fill(0xff));
      return ok();
    }
    throw new Error(`the fake does not know: ${tool} ${args.join(" ")}`);
  };
}

async function transcode(analysis: PipelineAnalysis | false, fail: string[] = []) {
  const { dir, bus, archive, source } = await scratchPipeline("pipeline-analysis", "known.mp4");
  expect((await stat(source)).size).toBe(4096);
  const commands: string[][] = [];
  const events: JobEvent[] = [];
  const pipeline = new TranscodePipeline(
    { bus, archive, run: fakeTools(commands, fail) },
    {
      concurrency: 2,
      threads: 1,
      workRoot: dir,
      ladder: ["240p"],
      segmentFormat: "ts",
      retry: { attempts: 1 },
      onEvent: (e) => events.push(e),
      analysis,
    },
  );
  const result = await pipeline.run({ source, videoId: "known", jobId: "job-known", appId: "shop" });
  return { result, events, commands };
}

const stepsOf = (events: JobEvent[], type: string) =>
  events.filter((e) => e.event_type === type).map((e) => e.job.step);

describe("TranscodePipeline with content analysis (fake ffmpeg)", () => {
  it("runs the five analyses as steps before the job completes; the poster is taken at their choice", async () => {
    const { result, events, commands } = await transcode({});
    expect(result.status).toBe("completed");
    for (const e of events) expect(validateEvent(e).ok, e.event_type).toBe(true);
    expect(stepsOf(events, "job.step_completed")).toEqual(
      expect.arrayContaining(["scenes", "black", "freeze", "silence", "loudness", "thumbnails"]),
    );
    const completedAt = events.findIndex((e) => e.event_type === "job.completed");
    const lastAnalysis = Math.max(
      ...["scenes", "black", "freeze", "silence", "loudness"].map((s) =>
        events.findIndex((e) => e.event_type === "job.step_completed" && e.job.step === s),
      ),
    );
    expect(lastAnalysis).toBeLessThan(completedAt);
    const thumbs = events.find((e) => e.event_type === "job.step_completed" && e.job.step === "thumbnails")!;
    expect(thumbs.job.analysis).toEqual({ poster_ms: 8500 });
    expect(result.thumbnails?.posterMs).toBe(8500);
    const poster = commands.find((c) => c.at(-1)?.endsWith("poster.jpg"))!;
    expect(poster[poster.indexOf("-ss") + 1]).toBe("8.500");
    // Without loudnorm the audio is encoded as it is.
    const encode = commands.find((c) => c.at(-1)?.endsWith("index.m3u8"))!;
    expect(encode).not.toContain("-af");
  });

  it("with loudnorm, the audio renditions are normalised from the loudness step's measurement, which comes first", async () => {
    const target = { integrated_lufs: -16, tolerance_lu: 1, max_true_peak_dbtp: -1.5 };
    const { result, events, commands } = await transcode({ loudnorm: true, loudness: target });
    expect(result.status).toBe("completed");
    const encode = commands.find((c) => c.at(-1)?.endsWith("index.m3u8"))!;
    expect(encode[encode.indexOf("-af") + 1]).toBe(
      "loudnorm=I=-16:TP=-1.5:LRA=11:measured_I=-23.2:measured_LRA=3:measured_TP=-18.7:measured_thresh=-33.2:linear=true:print_format=none",
    );
    const loudness = events.findIndex((e) => e.event_type === "job.step_completed" && e.job.step === "loudness");
    const rendition = events.findIndex((e) => e.event_type === "job.step_started" && e.job.step === "rendition");
    expect(loudness).toBeLessThan(rendition);
    expect(events[loudness]!.job.analysis).toMatchObject({ target_lufs: -16, loudness_flags: ["too_quiet"] });
  });

  it("a failed analysis is reported and the job completes; the poster falls back to what is known", async () => {
    const { result, events } = await transcode({}, ["scenes", "freeze"]);
    expect(result.status).toBe("completed");
    expect(stepsOf(events, "job.step_failed").sort()).toEqual(["freeze", "scenes"]);
    expect(events.some((e) => e.event_type === "job.failed")).toBe(false);
    // Only black is known: 0-2 and 3-10 s are clean, the poster is the middle of 3-10 s.
    expect(result.thumbnails?.posterMs).toBe(6500);
  });

  it("analysis: false runs none, and the poster is 10 % in as before", async () => {
    const { result, events, commands } = await transcode(false);
    expect(result.status).toBe("completed");
    expect(commands.some((c) => c.includes("-nostats") && c.includes("info"))).toBe(false);
    expect(stepsOf(events, "job.step_started")).not.toContain("black");
    expect(result.thumbnails?.posterMs).toBe(1000);
  });
});
