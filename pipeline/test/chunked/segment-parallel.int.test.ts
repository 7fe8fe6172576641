// Real ffmpeg, the embedded bus and the filesystem archive (no service): a source encoded
// serially and segment-parallel with the same settings gives the same package. Per rendition,
// the video track's packets (pts, dts, keyframe flags) are equal one by one, so the frame
// count, the duration and every segment boundary are; the playlists (every EXTINF, audio and
// video) and the MPD's segment timelines are equal; each assembled frame is the serial one's
// picture (PSNR), none shifted at a join; the audio decodes to the same samples, around the
// joins and everywhere else.
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { JobEvent } from "@reeltime/events";
import type { RecordingArchive, RecordingBus } from "@reeltime/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import { localDispatch } from "../../src/chunked/job.ts";
import { type JobResult, TranscodePipeline } from "../../src/pipeline.ts";
import { CLIP_DIR } from "../helpers/clips.ts";
import { exportTo, testDeps } from "../helpers/setup.ts";

const exec = promisify(execFile);
const run = async (tool: string, args: string[]) =>
  (await exec(tool, args, { maxBuffer: 256 * 1024 * 1024, encoding: "buffer" })).stdout;

/** A source with its own keyframe interval, frame rate and audio rate (made once per settings). */
async function source(o: { fps: string; gop: number; seconds: number; audioRate: number }): Promise<string> {
  const out = join(CLIP_DIR, `chunked-${o.fps.replace("/", "_")}-g${o.gop}-${o.seconds}s-${o.audioRate}.mp4`);
  await mkdir(CLIP_DIR, { recursive: true });
  await exec("ffmpeg", [
    ...["-v", "error", "-n", "-f", "lavfi", "-i", `testsrc2=size=640x360:rate=${o.fps}:duration=${o.seconds}`],
    // A sweep, so any sample moved or lost at a join shows.
    ...["-f", "lavfi", "-i", `aevalsrc=sin(2*PI*(200+50*t)*t):s=${o.audioRate}:d=${o.seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", String(o.gop), "-keyint_min", String(o.gop)],
    ...["-sc_threshold", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-threads", "1", "-shortest", out],
  ]).catch((err: { stderr?: string }) => {
    if (!String(err.stderr).includes("already exists")) throw err;
  });
  return out;
}

/** ffprobe's packets of a CMAF track (init segment + media segments joined): one line per frame. */
async function packets(dir: string): Promise<string[]> {
  const segs = (await readdir(dir)).filter((f) => f.endsWith(".m4s")).sort();
  const whole = join(dir, "whole.mp4");
  await writeFile(whole, Buffer.concat(await Promise.all(["init.mp4", ...segs].map((f) => readFile(join(dir, f))))));
  const out = await run("ffprobe", [
    ...["-v", "error", "-show_entries", "packet=pts,dts,duration,flags", "-of", "csv=p=0", whole],
  ]);
  return out.toString().trim().split("\n");
}

async function pcm(dir: string): Promise<Buffer> {
  return run("ffmpeg", ["-v", "error", "-i", join(dir, "whole.mp4"), "-f", "s16le", "-ac", "2", "-"]);
}

/** The lowest per-frame PSNR between two video tracks, frame by frame. */
async function minPsnr(a: string, b: string): Promise<{ frames: number; min: number }> {
  const stats = join(b, "..", `psnr-${Date.now()}.log`);
  await run("ffmpeg", [
    ...["-v", "error", "-i", join(a, "whole.mp4"), "-i", join(b, "whole.mp4")],
    ...["-lavfi", `[0:v][1:v]psnr=stats_file=${stats}`, "-f", "null", "-"],
  ]);
  const values = (await readFile(stats, "utf8"))
    .trim()
    .split("\n")
    .map((l) => Number(/psnr_avg:([0-9.inf]+)/.exec(l)?.[1]?.replace("inf", "100")));
  return { frames: values.length, min: Math.min(...values) };
}

const timelines = (mpd: string) => [...mpd.matchAll(/<SegmentTimeline>[\s\S]*?<\/SegmentTimeline>/g)].map((m) => m[0]);

interface Case {
  name: string;
  fps: string;
  gop: number;
  seconds: number;
  audioRate: number;
  chunkSeconds: number;
  ladder?: string[];
  expectChunks: number;
}

const CASES: Case[] = [
  // Source keyframes every 2 s on a 30 fps grid: every chunk boundary falls on one.
  {
    name: "30 fps, keyframes on the boundaries",
    fps: "30",
    gop: 60,
    seconds: 24,
    audioRate: 48_000,
    chunkSeconds: 6,
    expectChunks: 4,
  },
  // 29.97 fps with a keyframe every 2.5 s and 44.1 kHz audio: pieces start before their chunks.
  {
    name: "29.97 fps, keyframes off the boundaries, 44.1 kHz audio",
    fps: "30000/1001",
    gop: 75,
    seconds: 21,
    audioRate: 44_100,
    chunkSeconds: 6,
    ladder: ["240p"],
    // 6, 12 and 18 s; the 3 s tail is half a chunk, so it stays a chunk of its own.
    expectChunks: 4,
  },
];

describe.each(CASES)("segment-parallel against serial: $name", (c) => {
  let bus: RecordingBus;
  let archive: RecordingArchive;
  let out: string;
  let serial: JobResult;
  let chunked: JobResult;
  let events: JobEvent[];

  beforeAll(async () => {
    const deps = await testDeps();
    ({ bus, archive } = deps);
    out = deps.dir;
    const file = await source(c);
    const settings = {
      segmentSeconds: 2,
      analysis: false as const,
      concurrency: 2,
      threads: 1,
      ...(c.ladder ? { ladder: c.ladder } : {}),
    };
    serial = await new TranscodePipeline({ bus, archive }, settings).run({
      source: file,
      videoId: "serial",
      jobId: "job-serial",
    });
    events = [];
    const local: { dispatch?: ReturnType<typeof localDispatch> } = {};
    const pipeline = new TranscodePipeline(
      { bus, archive },
      {
        ...settings,
        onEvent: (e) => events.push(e),
        chunking: {
          thresholdSeconds: 10,
          chunkSeconds: c.chunkSeconds,
          pollMs: 100,
          dispatch: { submit: (units) => local.dispatch!.submit(units) },
        },
      },
    );
    local.dispatch = localDispatch(pipeline.chunkRunner({ workerId: "local", claimTtlMs: 60_000 }));
    chunked = await pipeline.run({ source: file, videoId: "chunked", jobId: "job-chunked" });
    await exportTo(archive, "media/serial/", join(out, "serial"));
    await exportTo(archive, "media/chunked/", join(out, "chunked"));
  }, 600_000);

  it("both complete; the chunked job split, encoded each chunk of each rendition and assembled each rendition", () => {
    expect(serial.error).toBeUndefined();
    expect(chunked.error).toBeUndefined();
    expect(chunked.renditions.map((r) => r.name)).toEqual(serial.renditions.map((r) => r.name));
    const done = events.filter((e) => e.event_type === "job.step_completed");
    const split = done.filter((e) => e.job.step === "split");
    expect(split.map((e) => e.job.chunk)).toEqual([{ count: c.expectChunks }]);
    for (const r of serial.renditions) {
      const chunks = done.filter((e) => e.job.step === "chunk" && e.job.rendition === r.name);
      expect(chunks.map((e) => e.job.chunk?.index).sort()).toEqual([...Array(c.expectChunks).keys()]);
      expect(done.filter((e) => e.job.step === "assemble" && e.job.rendition === r.name)).toHaveLength(1);
    }
    // The audio is one chunk of its own per bitrate, encoded once over the whole source.
    const audio = done.filter((e) => e.job.step === "chunk" && e.job.rendition?.startsWith("audio-"));
    expect(audio.map((e) => e.job.chunk)).toEqual(audio.map(() => ({ index: 0, count: 1 })));
    expect(audio.length).toBeGreaterThan(0);
  });

  it("every video track has the serial one's packets: frame count, pts, dts, durations and keyframes", async () => {
    for (const r of serial.renditions) {
      const a = await packets(join(out, "serial", r.name));
      const b = await packets(join(out, "chunked", r.name));
      expect(b.length).toBe(a.length);
      expect(b).toEqual(a);
      expect(a.length).toBeGreaterThan(c.seconds * 25);
    }
  });

  it("the playlists and the MPD's segment timelines are the same: same segment boundaries, audio and video", async () => {
    const names = async (root: string) =>
      (await readdir(root, { recursive: true })).filter((f) => f.endsWith("index.m3u8")).sort();
    const lists = await names(join(out, "serial"));
    expect(await names(join(out, "chunked"))).toEqual(lists);
    expect(lists.length).toBeGreaterThan(1);
    for (const f of lists)
      expect(await readFile(join(out, "chunked", f), "utf8"), f).toBe(await readFile(join(out, "serial", f), "utf8"));
    const mpd = (id: string) => readFile(join(out, id, "manifest.mpd"), "utf8");
    expect(timelines(await mpd("chunked"))).toEqual(timelines(await mpd("serial")));
  });

  it("each assembled frame is the serial encode's picture (no frame shifted at a join)", async () => {
    for (const r of serial.renditions) {
      const { frames, min } = await minPsnr(join(out, "serial", r.name), join(out, "chunked", r.name));
      expect(frames).toBeGreaterThan(c.seconds * 25);
      // A frame from a neighbouring instant of testsrc2 (moving) scores far lower.
      expect(min).toBeGreaterThan(30);
    }
  });

  it("the audio decodes to the serial samples, sample for sample, around every join and everywhere else", async () => {
    const tracks = (await readdir(join(out, "serial"), { recursive: true }))
      .filter((f) => f.endsWith("audio/index.m3u8"))
      .map((f) => f.replace(/\/index\.m3u8$/, ""));
    expect(tracks.length).toBeGreaterThan(0);
    const joins = events
      .filter(
        (e) =>
          e.event_type === "job.step_completed" && e.job.step === "chunk" && !e.job.rendition?.startsWith("audio-"),
      )
      .map((e) => e.job.media_duration_ms ?? 0);
    expect(joins.length).toBeGreaterThan(0);
    for (const t of tracks) {
      await packets(join(out, "serial", t));
      await packets(join(out, "chunked", t));
      const a = await pcm(join(out, "serial", t));
      const b = await pcm(join(out, "chunked", t));
      expect(b.length).toBe(a.length);
      // 48 kHz stereo s16: 192 bytes per ms. The first join is one chunk in.
      const first = Math.round((c.chunkSeconds * 1000 - 20) * 192);
      expect(b.subarray(first, first + 40 * 192).equals(a.subarray(first, first + 40 * 192))).toBe(true);
      expect(b.equals(a)).toBe(true);
    }
  });
});
