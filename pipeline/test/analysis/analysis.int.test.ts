// Integration (needs ffmpeg only, no service): the analyses on a clip made by ffmpeg with known
// black, frozen and silent stretches and scene cuts, found within one frame (40 ms at 25 fps) or
// 50 ms (audio) of where they were put; the poster chosen from them; the loudness measured against
// a tone of known level, and the normaliser bringing it to a target.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Bus } from "@reeltime/connectors";
import type { JobEvent } from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalContentAnalysis } from "../../src/analysis/local.ts";
import { EBU_R128, loudnormFilter } from "../../src/analysis/loudness.ts";
import { startAnalyses } from "../../src/analysis/steps.ts";
import { probe } from "../../src/ffmpeg/probe.ts";
import { runTool } from "../../src/ffmpeg/run.ts";
import { Limiter } from "../../src/job/limit.ts";
import { JobReporter } from "../../src/job/reporter.ts";
import { StepRunner } from "../../src/job/steps.ts";

const exec = promisify(execFile);
const FRAME_MS = 40;
const AUDIO_MS = 50;

/**
 * 10 s at 25 fps, 320x180, and a mono 48 kHz AAC track:
 * - video: testsrc2 0-2 s | black 2-3 s | testsrc2 (negated) 3-5 s, its frame at 5.00 s held to
 *   7 s | testsrc2 7-10 s. Scene cuts at 2, 3 and 7 s; black 2-3 s; frozen 5-7 s (the black
 *   second is a still picture too: frozen 2-3 s).
 * - audio: a 997 Hz sine at amplitude 0.1 (-20 dBFS; BS.1770 puts such a tone at -23.0 LUFS),
 *   silent from 4.0 to 5.5 s.
 */
const FILTER = [
  "testsrc2=s=320x180:r=25:d=10,split=3[a][b][c]",
  "[a]trim=0:2,setpts=PTS-STARTPTS[s1]",
  "color=black:s=320x180:r=25:d=1[s2]",
  "[b]trim=start=3:end=5.04,setpts=PTS-STARTPTS,negate,tpad=stop_mode=clone:stop_duration=1.96[s3]",
  "[c]trim=start=7:end=10,setpts=PTS-STARTPTS[s4]",
  "[s1][s2][s3][s4]concat=n=4:v=1:a=0,format=yuv420p[v]",
  "aevalsrc='if(gte(t,4)*lt(t,5.5),0,0.1*sin(2*PI*997*t))':s=48000:d=10[a]",
].join(";");

let dir: string;
let clip: string;
let tone: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-analysis-int-"));
  clip = join(dir, "known.mp4");
  tone = join(dir, "tone.m4a");
  await exec("ffmpeg", [
    ...["-hide_banner", "-v", "error", "-y", "-filter_complex", FILTER, "-map", "[v]", "-map", "[a]"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-threads", "1", "-c:a", "aac", "-b:a", "128k", clip],
  ]);
  // A steady tone, no silence: integrated -23.0 LUFS in theory, true peak -20 dBTP.
  await exec("ffmpeg", [
    ...["-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", "aevalsrc=0.1*sin(2*PI*997*t):s=48000:d=8"],
    ...["-c:a", "aac", "-b:a", "128k", tone],
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const local = () => createLocalContentAnalysis({ run: runTool, ffmpeg: "ffmpeg", threads: 1, limiter: new Limiter(2) });

/** Each found stretch against its truth: the largest error of its start and end, ms. */
function errors(found: { start_ms: number; end_ms: number }[], truth: [number, number][]) {
  expect(found.length).toBe(truth.length);
  return found.map((f, i) => Math.max(Math.abs(f.start_ms - truth[i]![0]), Math.abs(f.end_ms - truth[i]![1])));
}

describe("content analysis on a clip with known stretches (real ffmpeg)", () => {
  it("black, frozen and silent stretches and scene cuts within one frame / 50 ms of the truth", async () => {
    const info = await probe(runTool, clip);
    const source = { path: clip, durationMs: info.durationMs!, fps: info.video!.fps! };
    expect(source).toMatchObject({ durationMs: 10_000, fps: 25 });
    const a = local();
    const [scenes, black, freeze, silence] = await Promise.all(
      (["scenes", "black", "freeze", "silence"] as const).map((f) => a.analyze(f, source)),
    );
    const report = {
      scenes: scenes!.findings.map((f) => f.start_ms),
      black: black!.findings,
      freeze: freeze!.findings,
      silence: silence!.findings,
    };
    console.log(`analysis of the known clip: ${JSON.stringify(report)}`);
    const sceneErr = report.scenes.map((t, i) => Math.abs(t - [2000, 3000, 7000][i]!));
    expect(report.scenes).toHaveLength(3);
    for (const e of sceneErr) expect(e).toBeLessThanOrEqual(FRAME_MS);
    for (const e of errors(report.black, [[2000, 3000]])) expect(e).toBeLessThanOrEqual(FRAME_MS);
    for (const e of errors(report.freeze, [
      [2000, 3000],
      [5000, 7000],
    ]))
      expect(e).toBeLessThanOrEqual(FRAME_MS);
    for (const e of errors(report.silence, [[4000, 5500]])) expect(e).toBeLessThanOrEqual(AUDIO_MS);
  });

  it("as job steps: the events carry the findings, and the poster is the middle of the clean 7-10 s shot", async () => {
    const info = await probe(runTool, clip);
    const events: JobEvent[] = [];
    const bus = { publish: async () => undefined } as unknown as Bus;
    const reporter = new JobReporter(
      bus,
      { jobId: "job-known", source: clip, video: { id: "known" } },
      { progressIntervalMs: 1000, onEvent: (e) => events.push(e) },
    );
    const abort = new AbortController();
    const steps = new StepRunner(reporter, { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, abort);
    const run = startAnalyses(
      { sourcePath: clip, info, signal: abort.signal },
      steps,
      {
        analyses: ["scenes", "black", "freeze", "silence", "loudness"],
        local: local(),
        loudness: EBU_R128,
        minConfidence: 80,
      },
      { id: "job-known" },
    );
    const poster = await run.poster;
    await run.done;
    expect(poster?.reason).toBe("clean_shot");
    expect(Math.abs(poster!.at_ms - 8500)).toBeLessThanOrEqual(FRAME_MS);
    const done = events.filter((e) => e.event_type === "job.step_completed").map((e) => e.job.step);
    expect(done.sort()).toEqual(["black", "freeze", "loudness", "scenes", "silence"]);
    expect(events.filter((e) => e.event_type === "job.step_failed")).toEqual([]);
    const loudness = events.find((e) => e.event_type === "job.step_completed" && e.job.step === "loudness")!;
    console.log(`loudness of the known clip: ${JSON.stringify(loudness.job.analysis)}`);
    // The tone is -23.0 LUFS; the silent 1.5 s and its edges pull the gated integral a little.
    expect(loudness.job.analysis?.integrated_lufs).toBeGreaterThanOrEqual(-23.5);
    expect(loudness.job.analysis?.integrated_lufs).toBeLessThanOrEqual(-22.5);
    expect(loudness.job.analysis).toMatchObject({ loudness_ok: true, target_lufs: -23 });
  });

  it("loudness of a steady -20 dBFS 997 Hz tone: -23.0 LUFS ± 0.3, range under 1 LU, true peak -20 dBTP (+2 for AAC)", async () => {
    const r = await local().analyze("loudness", { path: tone, durationMs: 8000 });
    console.log(`loudness of the tone: ${JSON.stringify(r.loudness)}`);
    expect(Math.abs(r.loudness!.integrated_lufs! - -23)).toBeLessThanOrEqual(0.3);
    expect(r.loudness!.lra_lu).toBeLessThan(1);
    // The tone starts at full level at t = 0: AAC overshoots on that onset, so the peak is above -20, by under 2 dB.
    expect(r.loudness!.true_peak_dbtp!).toBeGreaterThanOrEqual(-20.3);
    expect(r.loudness!.true_peak_dbtp!).toBeLessThanOrEqual(-18);
  });

  it("the normaliser: loudnorm from the measurement brings the tone to -16 LUFS (and to -23), ± 0.5 LU", async () => {
    const a = local();
    const measured = (await a.analyze("loudness", { path: tone })).loudness!;
    for (const target of [
      { integrated_lufs: -16, tolerance_lu: 1, max_true_peak_dbtp: -1 },
      { integrated_lufs: -23, tolerance_lu: 1, max_true_peak_dbtp: -1 },
    ]) {
      const out = join(dir, `normalised${target.integrated_lufs}.m4a`);
      const filter = loudnormFilter(measured, target)!;
      await exec("ffmpeg", [
        ...["-hide_banner", "-v", "error", "-y", "-i", tone, "-af", filter],
        ...["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000", out],
      ]);
      const after = (await a.analyze("loudness", { path: out })).loudness!;
      console.log(`normalised to ${target.integrated_lufs}: ${JSON.stringify(after)}`);
      expect(Math.abs(after.integrated_lufs! - target.integrated_lufs)).toBeLessThanOrEqual(0.5);
      expect(after.true_peak_dbtp!).toBeLessThanOrEqual(target.max_true_peak_dbtp + 0.5);
    }
  });
});
