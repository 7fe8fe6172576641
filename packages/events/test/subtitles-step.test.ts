// Subtitles in the contract: one `subtitles` step per language (its rendition `subtitles-<lang>`),
// completed or failed alone, and the jobs record's step list holding it like any other step.
import { describe, expect, it } from "vitest";
import { exampleEvent, validateEvent, validateRecord } from "../src/index.ts";

const subtitleStep = (type: "job.step_completed" | "job.step_failed", extra: Record<string, unknown> = {}) => {
  const e = exampleEvent(type);
  return {
    ...e,
    job: { id: e.job.id, status: type === "job.step_failed" ? "failed" : "completed", step: "subtitles", ...extra },
  };
};

describe("the subtitles step", () => {
  it("validates completed with its rendition and bytes, and failed with the reason", () => {
    expect(validateEvent(subtitleStep("job.step_completed", { rendition: "subtitles-en", bytes: 512 })).ok).toBe(true);
    const failed = subtitleStep("job.step_failed", {
      rendition: "subtitles-fr",
      error: { code: "REELTIME_ERR_BAD_SUBTITLES", message: "fr.vtt line 1: No valid signature" },
    });
    const r = validateEvent(failed);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it("is a step of the jobs record", () => {
    const record = {
      job_id: "job-1",
      status: "completed",
      created_at: "2026-12-04T08:00:00.000Z",
      updated_at: "2026-12-04T08:01:00.000Z",
      renditions_completed: 3,
      retries: 0,
      total_bytes: 1000,
      last_seq: 30,
      steps: [{ step: "subtitles", rendition: "subtitles-en", status: "failed", attempts: 1 }],
    };
    expect(validateRecord("jobs", record)).toEqual([]);
    expect(
      validateRecord("jobs", { ...record, steps: [{ step: "captions", status: "failed", attempts: 1 }] }),
    ).not.toEqual([]);
  });
});
