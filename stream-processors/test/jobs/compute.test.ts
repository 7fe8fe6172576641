import { exampleEvent, type JobEvent, validateRecord } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { computeJob } from "../../src/jobs/compute.ts";

const T0 = Date.parse("2026-11-22T10:00:00.000Z");
function job(rows: [number, JobEvent["event_type"], Record<string, unknown>][]): JobEvent[] {
  return rows.map(([ms, type, fields], i) => {
    const base = exampleEvent(type, { now: new Date(T0 + ms), seq: i }) as JobEvent;
    return { ...base, job: { id: "job-1", ...fields } } as JobEvent;
  });
}

describe("computeJob", () => {
  const events = job([
    [0, "job.created", { status: "created", queue_wait_ms: 1200, source: "uploads/a.mp4" }],
    [10, "job.step_started", { status: "running", step: "probe" }],
    [200, "job.step_completed", { status: "completed", step: "probe", duration_ms: 190, media_duration_ms: 6000 }],
    [210, "job.step_started", { status: "running", step: "rendition", rendition: "360p" }],
    [220, "job.step_started", { status: "running", step: "rendition", rendition: "240p" }],
    [900, "job.step_failed", { status: "failed", step: "rendition", rendition: "360p", duration_ms: 690 }],
    [1000, "job.step_started", { status: "running", step: "rendition", rendition: "360p", attempt: 2 }],
    [
      2000,
      "job.step_completed",
      { status: "completed", step: "rendition", rendition: "240p", duration_ms: 1780, bytes: 300_000 },
    ],
    [
      3000,
      "job.step_completed",
      { status: "completed", step: "rendition", rendition: "360p", duration_ms: 2000, bytes: 500_000 },
    ],
    [3100, "job.completed", { status: "completed", duration_ms: 3100 }],
  ]);

  it("folds steps, attempts, bytes and speed", () => {
    const r = computeJob(events);
    expect(validateRecord("jobs", r)).toEqual([]);
    expect(r).toMatchObject({
      job_id: "job-1",
      status: "completed",
      renditions_completed: 2,
      retries: 1,
      total_bytes: 800_000,
    });
    expect(r.queue_wait_ms).toBe(1200);
    // two renditions of 6 s media in 3780 ms of encoding = 3.175× real time
    expect(r.speed).toBeCloseTo(3.175, 3);
    expect(r.steps.find((s) => s.rendition === "360p")).toMatchObject({ attempts: 2, status: "completed" });
    expect(computeJob([...events].reverse())).toEqual(r);
  });

  it("names the failed step and ffmpeg's exit status", () => {
    const failed = job([
      [0, "job.created", { status: "created" }],
      [10, "job.step_started", { status: "running", step: "probe" }],
      [
        50,
        "job.failed",
        {
          status: "failed",
          step: "probe",
          error: { code: "REELTIME_ERR_NOT_A_VIDEO", message: "no video stream", exit_code: 1 },
        },
      ],
    ]);
    expect(computeJob(failed)).toMatchObject({
      status: "failed",
      failed_step: "probe",
      error_code: "REELTIME_ERR_NOT_A_VIDEO",
      exit_code: 1,
    });
  });
});

describe("computeJob on a segment-parallel job", () => {
  const chunk = (index: number) => ({ step: "chunk", rendition: "360p", chunk: { index, count: 3 } });
  const events = job([
    [0, "job.created", { status: "created" }],
    [10, "job.step_started", { status: "running", step: "split" }],
    [90, "job.step_completed", { status: "completed", step: "split", bytes: 9_000_000, chunk: { count: 3 } }],
    [100, "job.step_started", { status: "running", ...chunk(0), attempt: 1 }],
    [110, "job.step_started", { status: "running", ...chunk(1), attempt: 1 }],
    [
      120,
      "job.step_started",
      { status: "running", step: "chunk", rendition: "audio-96k", chunk: { index: 0, count: 1 } },
    ],
    [
      130,
      "job.step_completed",
      { status: "completed", step: "chunk", rendition: "audio-96k", chunk: { index: 0, count: 1 } },
    ],
    [500, "job.step_failed", { status: "failed", ...chunk(1), attempt: 1 }],
    [600, "job.step_started", { status: "running", ...chunk(1), attempt: 2 }],
    [700, "job.step_completed", { status: "completed", ...chunk(0), bytes: 100_000 }],
  ]);

  it("tallies each rendition's chunks (one state letter per chunk), counts their retries, and keeps them out of steps", () => {
    const r = computeJob(events);
    expect(validateRecord("jobs", r)).toEqual([]);
    expect(r.status).toBe("running");
    expect(r.chunks).toEqual([
      { rendition: "360p", count: 3, completed: 1, running: 1, failed: 0, retries: 1, states: "crp" },
      { rendition: "audio-96k", count: 1, completed: 1, running: 0, failed: 0, retries: 0, states: "c" },
    ]);
    expect(r.retries).toBe(1);
    expect(r.steps.map((s) => s.step)).toEqual(["split"]);
    // Pieces of source are not output: the split's bytes stay out of the job's total.
    expect(r.total_bytes).toBe(0);
    expect(computeJob([...events].reverse())).toEqual(r);
  });

  it("a chunk that failed for good shows f; a job without chunks has no chunks field", () => {
    const failed = job([
      [0, "job.created", { status: "created" }],
      [10, "job.step_started", { status: "running", ...chunk(2) }],
      [20, "job.step_failed", { status: "failed", ...chunk(2) }],
    ]);
    expect(computeJob(failed).chunks).toEqual([
      { rendition: "360p", count: 3, completed: 0, running: 0, failed: 1, retries: 0, states: "ppf" },
    ]);
    expect(computeJob(job([[0, "job.created", { status: "created" }]]))).not.toHaveProperty("chunks");
  });
});
