// The labels a content analysis found are searchable: a job.step_completed carrying job.analysis
// is accepted by the strict mapping (as Elasticsearch's generated template) and found by a
// typo-tolerant search of one of its labels; the catalogue's video record with its analysis too.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleEvent, type VideoRecord } from "@reeltime/events";
import type { StoredEvent } from "@reeltime/ports";
import { afterAll, describe, expect, it } from "vitest";
import { SEARCH_FIELDS } from "../../src/search/common.ts";
import { createEmbeddedSearchStore } from "../../src/search/embedded/index.ts";

const root = await mkdtemp(join(tmpdir(), "reeltime-search-labels-"));
afterAll(() => rm(root, { recursive: true, force: true }));

describe("content analysis in search", () => {
  it("finds a labels step by a label, with a typo; the same words elsewhere in an analysis are not searched", async () => {
    expect(SEARCH_FIELDS["job.analysis.labels"]).toBe(2);
    const store = createEmbeddedSearchStore({ REELTIME_DATA_DIR: join(root, "events") });
    const base = exampleEvent("job.step_completed");
    const labels = {
      ...base,
      received_at: new Date().toISOString(),
      job: {
        id: base.job.id,
        status: "completed",
        step: "labels",
        analysis: {
          provider: "rekognition",
          findings: 2,
          labels: ["Beach", "Golden Retriever"],
          items: [
            { name: "Golden Retriever", parent: "Dog", confidence: 97.4, start_ms: 0, end_ms: 8008 },
            { name: "Beach", confidence: 90, start_ms: 4004, end_ms: 9000 },
          ],
        },
      },
    } as StoredEvent;
    const black = {
      ...exampleEvent("job.step_completed"),
      received_at: new Date().toISOString(),
      job: {
        id: base.job.id,
        status: "completed",
        step: "black",
        analysis: {
          provider: "ffmpeg",
          findings: 1,
          total_ms: 1000,
          items: [{ name: "Beach", start_ms: 0, end_ms: 1 }],
        },
      },
    } as StoredEvent;
    expect(await store.index([labels, black])).toMatchObject({ indexed: 2, rejected: [] });
    const hits = await store.search("retreiver", {}, 10);
    expect(hits.map((h) => h.event.event_id)).toEqual([labels.event_id]);
    expect((await store.search("beach", {}, 10)).map((h) => h.event.event_id)).toEqual([labels.event_id]);
    await store.shutdown();
  });

  it("keeps the catalogue's record with its analysis (the strict mapping of reeltime-videos)", async () => {
    const store = createEmbeddedSearchStore({ REELTIME_DATA_DIR: join(root, "videos") });
    const record: VideoRecord = {
      video_id: "clip",
      app_id: "shop",
      status: "ready",
      renditions: [],
      manifests: [],
      thumbnails: [],
      updated_at: "2026-11-22T10:00:00.000Z",
      analysis: {
        poster_ms: 8500,
        black_ms: 1000,
        loudness_flags: [],
        loudness_ok: true,
        labels: ["Dog"],
        findings: [{ analysis: "black", name: "black", start_ms: 2000, end_ms: 3000 }],
      },
    };
    await store.upsertVideos([record]);
    expect(await store.getVideo("shop", "clip")).toEqual(record);
    await expect(
      store.upsertVideos([{ ...record, analysis: { ...record.analysis!, where: "here" } } as VideoRecord]),
    ).rejects.toMatchObject({ code: "REELTIME_ERR_SEARCH_REJECTED" });
    await store.shutdown();
  });
});
