// Hermetic: the analyses as job steps, with a stand-in for ffmpeg that prints the stderr captured
// from the real one (fixtures/) for each command: the events each step sends, what they carry,
// the poster chosen from them, a failed analysis that does not stop the job, and the commands.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Bus } from "@reeltime/connectors";
import type { JobEvent } from "@reeltime/events";
import type { ContentAnalysis } from "@reeltime/ports";
import { describe, expect, it } from "vitest";
import { analysisArgs, DEFAULT_DETECT } from "../../src/analysis/ffmpeg.ts";
import { createLocalContentAnalysis } from "../../src/analysis/local.ts";
import { EBU_R128 } from "../../src/analysis/loudness.ts";
import { type AnalysisConfig, jobAnalysisOf, startAnalyses } from "../../src/analysis/steps.ts";
import { FfmpegError } from "../../src/errors.ts";
import type { MediaInfo } from "../../src/ffmpeg/probe.ts";
import type { ToolRunner } from "../../src/ffmpeg/run.ts";
import { Limiter } from "../../src/job/limit.ts";
import { JobReporter } from "../../src/job/reporter.ts";
import { StepRunner } from "../../src/job/steps.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", `${name}.stderr.txt`), "utf8");

/** The proof clip as ffprobe describes it: 10 s, 320x180 at 25 fps, mono AAC. */
const INFO: MediaInfo = {
  formatName: "mov,mp4,m4a,3gp,3g2,mj2",
  durationMs: 10_000,
  sizeBytes: 704_000,
  bitrateBps: 563_000,
  video: { codec: "h264", width: 320, height: 180, displayWidth: 320, fps: 25, stillImage: false, frames: 250 },
  audio: { codec: "aac", channels: 1, sampleRate: 48_000 },
};

/** ffmpeg as seen by the analyses: each filter's captured stderr, streamed in small chunks. */
function fakeFfmpeg(fail: string[] = []): { run: ToolRunner; commands: string[][] } {
  const commands: string[][] = [];
  const run: ToolRunner = async (_tool, args, options = {}) => {
    commands.push(args);
    const filter = args[args.indexOf(args.includes("-vf") ? "-vf" : "-af") + 1] ?? "";
    const name = filter.startsWith("select")
      ? "scenes"
      : filter.startsWith("blackdetect")
        ? "black"
        : filter.startsWith("freezedetect")
          ? "freeze"
          : filter.startsWith("silencedetect")
            ? "silence"
            : "loudness";
    if (fail.includes(name)) throw new FfmpegError("ffmpeg", 1, null, "Invalid data found when processing input");
    // "no-summary": ffmpeg succeeds but prints no ebur128 summary (the loudness cannot be read).
    const text = fixture(name === "loudness" && fail.includes("no-summary") ? "black" : name);
    for (let i = 0; i < text.length; i += 97) options.onStderr?.(text.slice(i, i + 97));
    return { stdout: "", stderrTail: text.slice(-4000) };
  };
  return { run, commands };
}

function setup(o: { fail?: string[]; info?: MediaInfo; config?: Partial<AnalysisConfig>; attempts?: number } = {}) {
  const events: JobEvent[] = [];
  const bus = { publish: async () => undefined } as unknown as Bus;
  const reporter = new JobReporter(
    bus,
    { jobId: "job-analysis", source: "uploads/shop/clip/source.mp4", video: { id: "clip" }, appId: "shop" },
    { progressIntervalMs: 1000, onEvent: (e) => events.push(e) },
  );
  const abort = new AbortController();
  const steps = new StepRunner(reporter, { attempts: o.attempts ?? 1, baseDelayMs: 1, maxDelayMs: 1 }, abort);
  const ffmpeg = fakeFfmpeg(o.fail);
  const local = createLocalContentAnalysis({ run: ffmpeg.run, ffmpeg: "ffmpeg", threads: 1, limiter: new Limiter(2) });
  const config: AnalysisConfig = {
    analyses: ["scenes", "black", "freeze", "silence", "loudness"],
    local,
    loudness: EBU_R128,
    minConfidence: 80,
    ...o.config,
  };
  const run = startAnalyses(
    { sourcePath: "/work/clip.mp4", info: o.info ?? INFO, signal: abort.signal },
    steps,
    config,
    { id: "job-analysis" },
  );
  return { run, events, abort, steps, commands: ffmpeg.commands };
}

const completed = (events: JobEvent[], step: string) =>
  events.find((e) => e.event_type === "job.step_completed" && e.job.step === step)?.job;

describe("analyses as job steps", () => {
  it("each analysis is a step: started, then completed with what it found and where", async () => {
    const { run, events } = setup();
    const reports = await run.done;
    expect([...reports.keys()].sort()).toEqual(["black", "freeze", "loudness", "scenes", "silence"]);
    for (const step of ["scenes", "black", "freeze", "silence", "loudness"]) {
      const started = events.findIndex((e) => e.event_type === "job.step_started" && e.job.step === step);
      const done = events.findIndex((e) => e.event_type === "job.step_completed" && e.job.step === step);
      expect(started, step).toBeGreaterThanOrEqual(0);
      expect(done, step).toBeGreaterThan(started);
    }
    expect(completed(events, "black")?.analysis).toEqual({
      provider: "ffmpeg",
      findings: 1,
      total_ms: 1000,
      items: [{ name: "black", start_ms: 2000, end_ms: 3000 }],
    });
    expect(completed(events, "freeze")?.analysis).toMatchObject({
      findings: 2,
      total_ms: 3000,
      items: [
        { name: "freeze", start_ms: 2000, end_ms: 3000 },
        { name: "freeze", start_ms: 5000, end_ms: 7000 },
      ],
    });
    expect(completed(events, "silence")?.analysis).toMatchObject({
      total_ms: 1500,
      items: [{ name: "silence", start_ms: 4000, end_ms: 5500 }],
    });
    expect(completed(events, "scenes")?.analysis).toMatchObject({
      findings: 3,
      items: [
        { name: "scene", start_ms: 2000, end_ms: 2000, score: 1 },
        { name: "scene", start_ms: 3000, end_ms: 3000, score: 1 },
        { name: "scene", start_ms: 7000, end_ms: 7000, score: 0.9454 },
      ],
    });
    expect(completed(events, "loudness")?.analysis).toEqual({
      provider: "ffmpeg",
      findings: 0,
      integrated_lufs: -23.2,
      loudness_range_lu: 3,
      true_peak_dbtp: -18.7,
      target_lufs: -23,
      loudness_flags: [],
      loudness_ok: true,
    });
    expect(await run.loudness).toMatchObject({ integrated_lufs: -23.2, threshold_lufs: -33.2 });
  });

  it("the poster is chosen from scenes, black and freeze: the middle of the clean 7-10 s shot", async () => {
    const { run } = setup();
    expect(await run.poster).toEqual({
      at_ms: 8500,
      stretch: { start_ms: 7000, end_ms: 10_000 },
      reason: "clean_shot",
    });
  });

  it("a failed analysis sends step_failed and is left out; the job is not aborted and the rest go on", async () => {
    const { run, events, abort, steps } = setup({ fail: ["freeze"] });
    const reports = await run.done;
    expect(reports.has("freeze")).toBe(false);
    expect(reports.has("black")).toBe(true);
    const failed = events.find((e) => e.event_type === "job.step_failed" && e.job.step === "freeze");
    expect(failed?.job.error).toMatchObject({ code: "REELTIME_ERR_FFMPEG", exit_code: 1 });
    expect(abort.signal.aborted).toBe(false);
    expect(steps.firstFailure).toBeUndefined();
    // Without the freeze the held picture 5-7 s counts as clean: shot 3-7 s (4 s) is now the longest.
    expect(await run.poster).toMatchObject({ at_ms: 5000, stretch: { start_ms: 3000, end_ms: 7000 } });
  });

  it("ffmpeg failing is tried again (3 attempts); an output that cannot be read (REELTIME_ERR_ANALYSIS) is not", async () => {
    const { run, events } = setup({ fail: ["freeze", "no-summary"], attempts: 3 });
    await run.done;
    const attempts = (step: string) =>
      events.filter((e) => e.event_type === "job.step_started" && e.job.step === step).length;
    expect(attempts("freeze")).toBe(3);
    expect(attempts("loudness")).toBe(1);
    expect(attempts("black")).toBe(1);
    const failed = events.filter((e) => e.event_type === "job.step_failed" && e.job.step === "loudness");
    expect(failed.map((e) => [e.job.error?.code, e.attributes?.will_retry])).toEqual([
      ["REELTIME_ERR_ANALYSIS", false],
    ]);
  });

  it("a source without audio runs no audio analysis; a loudness target of -14 flags the clip too quiet", async () => {
    const { audio: _none, ...silentInfo } = INFO;
    const mute = setup({ info: silentInfo });
    expect([...(await mute.run.done).keys()].sort()).toEqual(["black", "freeze", "scenes"]);
    expect(mute.commands.every((c) => !c.includes("-af"))).toBe(true);
    const loud = setup({
      config: { analyses: ["loudness"], loudness: { integrated_lufs: -14, tolerance_lu: 1, max_true_peak_dbtp: -1 } },
    });
    await loud.run.done;
    expect(completed(loud.events, "loudness")?.analysis).toMatchObject({
      target_lufs: -14,
      loudness_flags: ["too_quiet"],
      loudness_ok: false,
    });
    expect(await loud.run.poster).toBeUndefined();
  });

  it("moderation, labels and faces go to the provider with the job id as tag and the minimum confidence", async () => {
    const calls: unknown[] = [];
    const provider: ContentAnalysis = {
      driver: "test",
      features: ["moderation", "labels", "faces"],
      start: async () => undefined,
      health: async () => ({ ok: true, driver: "test" }),
      shutdown: async () => undefined,
      analyze: async (feature, source, options) => {
        calls.push({ feature, source, tag: options?.tag, minConfidence: options?.minConfidence });
        return {
          feature,
          provider: "test",
          modelVersion: "7.0",
          findings: [
            { name: "Dog", parent: "Animal", confidence: 97.4, start_ms: 0, end_ms: 8008 },
            { name: "Dog", confidence: 91, start_ms: 9000, end_ms: 9500 },
            { name: "Beach", confidence: 90, start_ms: 4004, end_ms: 30_030 },
          ],
        };
      },
    };
    const { run, events } = setup({ config: { analyses: ["labels"], provider } });
    await run.done;
    expect(calls).toEqual([
      {
        feature: "labels",
        source: { path: "/work/clip.mp4", durationMs: 10_000, fps: 25 },
        tag: "job-analysis",
        minConfidence: 80,
      },
    ]);
    expect(completed(events, "labels")?.analysis).toEqual({
      provider: "test",
      findings: 3,
      labels: ["Beach", "Dog"],
      model_version: "7.0",
      items: [
        { name: "Dog", parent: "Animal", confidence: 97.4, start_ms: 0, end_ms: 8008 },
        { name: "Dog", confidence: 91, start_ms: 9000, end_ms: 9500 },
        { name: "Beach", confidence: 90, start_ms: 4004, end_ms: 30_030 },
      ],
    });
  });

  it("an event holds the first 200 findings; the count says how many there were", () => {
    const findings = Array.from({ length: 250 }, (_, i) => ({ name: "scene", start_ms: i * 40, end_ms: i * 40 }));
    const a = jobAnalysisOf({ feature: "scenes", provider: "ffmpeg", findings }, EBU_R128);
    expect(a.findings).toBe(250);
    expect(a.items).toHaveLength(200);
    expect(a.items?.at(-1)).toEqual({ name: "scene", start_ms: 7960, end_ms: 7960 });
  });

  it("the local adapter refuses what needs a model", async () => {
    const local = createLocalContentAnalysis({ run: fakeFfmpeg().run, ffmpeg: "ffmpeg", threads: 1 });
    await expect(local.analyze("moderation", { path: "/work/clip.mp4" })).rejects.toMatchObject({
      code: "REELTIME_ERR_CONFIG",
      message: expect.stringContaining("REELTIME_CONTENT_ANALYSIS=rekognition"),
    });
  });
});

describe("the ffmpeg commands", () => {
  it("decode the one stream each analysis needs, with its filter, into the null muxer", () => {
    const base = ["-hide_banner", "-nostdin", "-nostats", "-v", "info", "-threads", "2", "-i", "/work/clip.mp4"];
    const o = DEFAULT_DETECT;
    expect(analysisArgs("scenes", "/work/clip.mp4", o, 2)).toEqual([
      ...base,
      ...["-map", "0:v:0", "-vf", "select='gt(scene,0.3)',metadata=print", "-an", "-f", "null", "-"],
    ]);
    expect(analysisArgs("black", "/work/clip.mp4", o, 2)).toEqual([
      ...base,
      ...["-map", "0:v:0", "-vf", "blackdetect=d=0.500:pic_th=0.98:pix_th=0.1", "-an", "-f", "null", "-"],
    ]);
    expect(analysisArgs("freeze", "/work/clip.mp4", o, 2)).toEqual([
      ...base,
      ...["-map", "0:v:0", "-vf", "freezedetect=n=-50dB:d=0.500", "-an", "-f", "null", "-"],
    ]);
    expect(analysisArgs("silence", "/work/clip.mp4", o, 2)).toEqual([
      ...base,
      ...["-map", "0:a:0", "-af", "silencedetect=n=-50dB:d=0.500", "-vn", "-f", "null", "-"],
    ]);
    expect(analysisArgs("loudness", "/work/clip.mp4", o, 2)).toEqual([
      ...base,
      ...["-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-vn", "-f", "null", "-"],
    ]);
  });
});
