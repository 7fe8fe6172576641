// The content analyses in the contract: an analysis step's job.step_completed carries what it
// found (job.analysis) and the video record keeps it (analysis); both are searchable by field.
import { describe, expect, it } from "vitest";
import {
  exampleEvent,
  familyColumns,
  indexTemplates,
  recordColumns,
  validateEvent,
  validateRecord,
} from "../src/index.ts";

const black = () => {
  const e = exampleEvent("job.step_completed");
  return {
    ...e,
    job: {
      id: e.job.id,
      status: "completed" as const,
      step: "black" as const,
      duration_ms: 410,
      analysis: {
        provider: "ffmpeg",
        findings: 1,
        total_ms: 1000,
        items: [{ name: "black", start_ms: 2000, end_ms: 3000 }],
      },
    },
  };
};

type Mapping = { properties: Record<string, Record<string, unknown>> };
const mappingOf = (name: string) =>
  (indexTemplates()[name] as { template: { mappings: Mapping } }).template.mappings.properties;

describe("job.analysis", () => {
  it("a black step's findings with their times validate", () => {
    expect(validateEvent(black()).ok).toBe(true);
  });

  it("loudness figures and flags, labels with confidence and parent validate; unknown steps, flags and fields do not", () => {
    const e = black();
    const loudness = {
      ...e,
      job: {
        ...e.job,
        step: "loudness",
        analysis: {
          integrated_lufs: -31.4,
          loudness_range_lu: 6.2,
          true_peak_dbtp: -9.8,
          target_lufs: -23,
          loudness_flags: ["too_quiet"],
          loudness_ok: false,
        },
      },
    };
    expect(validateEvent(loudness).ok).toBe(true);
    const labels = {
      ...e,
      job: {
        ...e.job,
        step: "moderation",
        analysis: {
          provider: "rekognition",
          findings: 1,
          labels: ["Violence"],
          items: [{ name: "Graphic Violence", parent: "Violence", confidence: 91.5, start_ms: 4000, end_ms: 6500 }],
          model_version: "7.0",
        },
      },
    };
    expect(validateEvent(labels).ok).toBe(true);
    expect(validateEvent({ ...e, job: { ...e.job, step: "transcript" } }).ok).toBe(false);
    expect(validateEvent({ ...loudness, job: { ...loudness.job, analysis: { loudness_flags: ["quiet"] } } }).ok).toBe(
      false,
    );
    expect(validateEvent({ ...e, job: { ...e.job, analysis: { findings: 1, where: "2 s" } } }).ok).toBe(false);
    const tooMany = Array.from({ length: 201 }, (_, i) => ({ name: "scene", start_ms: i, end_ms: i }));
    expect(validateEvent({ ...e, job: { ...e.job, analysis: { items: tooMany } } }).ok).toBe(false);
  });

  it("is searchable in the job events' index: figures as numbers, flags as keywords, labels as text, items flattened", () => {
    const analysis = (mappingOf("reeltime-events-job").job as Mapping).properties.analysis as Mapping;
    expect(analysis.properties.integrated_lufs).toEqual({ type: "double" });
    expect(analysis.properties.total_ms).toEqual({ type: "long" });
    expect(analysis.properties.loudness_flags).toEqual({ type: "keyword", ignore_above: 1024 });
    expect(analysis.properties.loudness_ok).toEqual({ type: "boolean" });
    expect(analysis.properties.labels).toMatchObject({ type: "text", fields: { keyword: { type: "keyword" } } });
    expect(analysis.properties.items).toEqual({ type: "flattened" });
    const columns = familyColumns("job").map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(["job_analysis_integrated_lufs", "job_analysis_items"]));
  });
});

describe("the video record's analysis", () => {
  const record = {
    video_id: "clip",
    app_id: "shop",
    status: "ready",
    renditions: [],
    manifests: [],
    thumbnails: [],
    updated_at: "2026-11-22T10:00:00.000Z",
    analysis: {
      poster_ms: 8500,
      scene_changes: 3,
      black_ms: 1000,
      integrated_lufs: -23.2,
      loudness_flags: [],
      loudness_ok: true,
      labels: ["Dog"],
      findings: [
        { analysis: "black", name: "black", start_ms: 2000, end_ms: 3000 },
        { analysis: "labels", name: "Dog", parent: "Animal", confidence: 97.2, start_ms: 0, end_ms: 1500 },
      ],
    },
  };

  it("validates, and refuses a finding without its analysis", () => {
    expect(validateRecord("videos", record)).toEqual([]);
    const without = {
      ...record,
      analysis: { ...record.analysis, findings: [{ name: "black", start_ms: 0, end_ms: 1 }] },
    };
    expect(validateRecord("videos", without)).not.toEqual([]);
  });

  it("is mapped in reeltime-videos and archived as columns", () => {
    const analysis = mappingOf("reeltime-videos").analysis as Mapping;
    expect(analysis.properties.black_ms).toEqual({ type: "long" });
    expect(analysis.properties.moderation).toMatchObject({ type: "text" });
    expect(analysis.properties.findings).toEqual({ type: "flattened" });
    const columns = recordColumns("videos").map((c) => c.name);
    expect(columns).toEqual(
      expect.arrayContaining(["analysis_poster_ms", "analysis_findings", "analysis_loudness_ok"]),
    );
  });
});
