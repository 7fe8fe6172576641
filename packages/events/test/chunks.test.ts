// Segment-parallel encoding in the contract: the split, chunk and assemble steps, which chunk a
// step is about (job.chunk), and the jobs record's per-rendition chunk progress (chunks).
import { describe, expect, it } from "vitest";
import { exampleEvent, indexTemplates, recordColumns, validateEvent, validateRecord } from "../src/index.ts";

const chunkStep = (chunk: Record<string, unknown>, step = "chunk") => {
  const e = exampleEvent("job.step_completed");
  return {
    ...e,
    job: { id: e.job.id, status: "completed" as const, step, rendition: "720p", duration_ms: 5200, chunk },
  };
};

const record = (chunks: unknown) => ({
  job_id: "job-1",
  status: "running",
  created_at: "2026-12-04T08:00:00.000Z",
  updated_at: "2026-12-04T08:01:00.000Z",
  renditions_completed: 0,
  retries: 1,
  total_bytes: 0,
  last_seq: 12,
  steps: [{ step: "split", status: "completed", attempts: 1 }],
  chunks,
});

type Mapping = { properties: Record<string, Record<string, unknown>> };
const mappingOf = (name: string) =>
  (indexTemplates()[name] as { template: { mappings: Mapping } }).template.mappings.properties;

describe("job.chunk", () => {
  it("a chunk step names its index and count; the split step the count alone", () => {
    expect(validateEvent(chunkStep({ index: 3, count: 12 })).ok).toBe(true);
    expect(validateEvent(chunkStep({ count: 12 }, "split")).ok).toBe(true);
    expect(validateEvent(chunkStep({ count: 12 }, "assemble")).ok).toBe(true);
  });

  it("refuses a chunk without count, a negative index, unknown fields and unknown steps", () => {
    expect(validateEvent(chunkStep({ index: 3 })).ok).toBe(false);
    expect(validateEvent(chunkStep({ index: -1, count: 12 })).ok).toBe(false);
    expect(validateEvent(chunkStep({ index: 1, count: 12, of: "720p" })).ok).toBe(false);
    expect(validateEvent(chunkStep({ index: 1, count: 12 }, "merge")).ok).toBe(false);
  });

  it("events without it still validate", () => {
    const e = exampleEvent("job.step_completed");
    expect(validateEvent({ ...e, job: { id: e.job.id, status: "completed", step: "rendition" } }).ok).toBe(true);
  });

  it("is mapped as two integers and has its Parquet columns", () => {
    const job = mappingOf("reeltime-events-job").job as Mapping;
    expect(job.properties.chunk).toEqual({ properties: { index: { type: "long" }, count: { type: "long" } } });
  });
});

describe("the jobs record's chunks", () => {
  it("a record with per-rendition chunk states validates, as does one without", () => {
    const chunks = [
      { rendition: "720p", count: 5, completed: 2, running: 2, failed: 0, retries: 1, states: "ccrrp" },
      { rendition: "360p", count: 5, completed: 5, running: 0, failed: 0, retries: 0, states: "ccccc" },
    ];
    expect(validateRecord("jobs", record(chunks))).toEqual([]);
    const { chunks: _, ...without } = record([]);
    expect(validateRecord("jobs", without)).toEqual([]);
  });

  it("refuses states other than p, r, c, f", () => {
    const bad = [{ rendition: "720p", count: 2, completed: 1, running: 0, failed: 0, retries: 0, states: "cx" }];
    expect(validateRecord("jobs", record(bad))).not.toEqual([]);
  });

  it("is one JSON column in Parquet and flattened in Elasticsearch", () => {
    expect(recordColumns("jobs").find((c) => c.name === "chunks")).toMatchObject({ type: "string", json: true });
    expect(mappingOf("reeltime-jobs").chunks).toEqual({ type: "flattened" });
  });
});
