import { describe, expect, it } from "vitest";
import { runTool, type ToolRunner } from "../src/ffmpeg/run.ts";
import { TranscodePipeline } from "../src/pipeline.ts";
import { makeClip } from "./helpers/clips.ts";
import { expectValidSequence, testDeps } from "./helpers/setup.ts";

const isEncode = (args: string[]) => args.includes("hls");
/** Makes an encode fail with a real ffmpeg exit status and stderr (an input that does not exist). */
const failingEncode: ToolRunner = (tool, _args, options) =>
  runTool(tool, ["-v", "error", "-i", "/nonexistent/reeltime-missing-input.mp4", "-f", "null", "-"], options);

const fast = { segmentSeconds: 2, ladder: ["240p"], retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 } };

describe("retries, re-runs and failed jobs", { timeout: 60_000 }, () => {
  it("retries a failing step with backoff and reports each failed attempt", async () => {
    const { bus, archive } = await testDeps();
    let calls = 0;
    const run: ToolRunner = (tool, args, options) =>
      isEncode(args) && ++calls === 1 ? failingEncode(tool, args, options) : runTool(tool, args, options);
    const source = await makeClip({ width: 320, height: 240, seconds: 4 });
    const result = await new TranscodePipeline({ bus, archive, run }, fast).run({ source, jobId: "job-retry" });
    expect(result.status).toBe("completed");
    const steps = expectValidSequence(bus, "job-retry").filter((e) => e.job.step === "rendition");
    expect(steps.map((e) => `${e.event_type}#${e.job.attempt}`).filter((t) => !t.includes("progress"))).toEqual([
      "job.step_started#1",
      "job.step_failed#1",
      "job.step_started#2",
      "job.step_completed#2",
    ]);
    const failed = steps.find((e) => e.event_type === "job.step_failed")!;
    expect(failed.job.error).toMatchObject({ code: "REELTIME_ERR_FFMPEG", exit_code: 1 });
    expect(failed.job.error?.stderr_tail).toContain("No such file or directory");
    expect(failed.attributes).toEqual({ will_retry: true });
  });

  it("skips renditions already complete when a job runs again", async () => {
    const { bus, archive } = await testDeps();
    const encodes: string[] = [];
    const run: ToolRunner = (tool, args, options) => {
      if (isEncode(args)) encodes.push(args.at(-1)!);
      return runTool(tool, args, options);
    };
    const source = await makeClip({ width: 320, height: 240, seconds: 4 });
    const pipeline = new TranscodePipeline({ bus, archive, run }, fast);
    const first = await pipeline.run({ source, videoId: "rerun", jobId: "job-rerun-1" });
    expect(first.status).toBe("completed");
    expect(encodes).toHaveLength(1);
    await archive.delete(["media/rerun/master.m3u8"]);

    const second = await pipeline.run({ source, videoId: "rerun", jobId: "job-rerun-2" });
    expect(second.status).toBe("completed");
    expect(encodes).toHaveLength(1);
    expect(second.renditions.map((r) => [r.name, r.skipped])).toEqual([["240p", true]]);
    expect(await archive.text("media/rerun/master.m3u8")).toContain("240p/index.m3u8");
    const skipped = expectValidSequence(bus, "job-rerun-2").filter((e) => e.job.step === "rendition");
    expect(skipped.map((e) => e.event_type)).toEqual(["job.step_completed"]);
    expect(skipped[0]!.attributes).toEqual({ skipped: true });

    // Other settings (here the segment length) make the marker stale: the rendition is made again.
    await new TranscodePipeline({ bus, archive, run }, { ...fast, segmentSeconds: 1 }).run({
      source,
      videoId: "rerun",
      jobId: "job-rerun-3",
    });
    expect(encodes).toHaveLength(2);
  });

  it("leaves no master playlist when a step keeps failing, and says why in job.failed", async () => {
    const { bus, archive } = await testDeps();
    const run: ToolRunner = (tool, args, options) =>
      isEncode(args) ? failingEncode(tool, args, options) : runTool(tool, args, options);
    const source = await makeClip({ width: 320, height: 240, seconds: 4 });
    const pipeline = new TranscodePipeline({ bus, archive, run }, { ...fast, retry: { ...fast.retry, attempts: 2 } });
    const result = await pipeline.run({ source, videoId: "doomed", jobId: "job-doomed" });
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "REELTIME_ERR_FFMPEG", step: "rendition", rendition: "240p" });
    expect(await archive.exists("media/doomed/master.m3u8")).toBe(false);
    expect(await archive.exists("media/doomed/metadata.json")).toBe(false);
    const events = expectValidSequence(bus, "job-doomed");
    expect(events.filter((e) => e.event_type === "job.step_failed" && e.job.step === "rendition")).toHaveLength(2);
    const last = events.at(-1)!;
    expect(last.event_type).toBe("job.failed");
    expect(last.job).toMatchObject({ status: "failed", step: "rendition", rendition: "240p" });
    expect(last.job.error).toMatchObject({ code: "REELTIME_ERR_FFMPEG", exit_code: 1 });
    expect(last.job.error?.stderr_tail).toContain("/nonexistent/reeltime-missing-input.mp4");
    expect(events.some((e) => e.event_type === "job.completed")).toBe(false);
  });
});
