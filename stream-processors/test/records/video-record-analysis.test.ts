// The catalogue's video record with its content analysis, archived as Parquet: the analysis's
// figures are columns an analyst filters on (analysis_black_ms, analysis_loudness_ok…), the lists
// and findings JSON text; a record without analysis has NULLs there.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type Archive, createArchive } from "@reeltime/connectors";
import type { VideoRecord } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParquetWriter } from "../../src/archiver/parquet.ts";
import { createVideoRecordArchive } from "../../src/records/record-archivers.ts";

let dir: string;
let archive: Archive;
const writer = new ParquetWriter();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-video-analysis-"));
  archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, REELTIME_ARCHIVE: "fs" }));
  await archive.start();
});
afterAll(async () => {
  await writer.close();
  await archive.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const base: Omit<VideoRecord, "video_id"> = {
  app_id: "app-a",
  status: "ready",
  renditions: [],
  manifests: [],
  thumbnails: [],
  updated_at: "2026-11-20T10:00:00.000Z",
  revision: 1,
};
const analysed: VideoRecord = {
  ...base,
  video_id: "known",
  analysis: {
    poster_ms: 8500,
    scene_changes: 3,
    black_ms: 1000,
    freeze_ms: 3000,
    silence_ms: 1500,
    integrated_lufs: -23.2,
    target_lufs: -14,
    loudness_flags: ["too_quiet"],
    loudness_ok: false,
    labels: ["Dog"],
    findings: [
      { analysis: "black", name: "black", start_ms: 2000, end_ms: 3000 },
      { analysis: "labels", name: "Dog", parent: "Animal", confidence: 97.4, start_ms: 0, end_ms: 8008 },
    ],
  },
};
const plain: VideoRecord = { ...base, video_id: "plain" };

describe("video records with analysis in Parquet", () => {
  it("figures are typed columns, lists and findings JSON text, NULL without analysis", async () => {
    await createVideoRecordArchive({ archive, writer }).archiveVideos([analysed, plain]);
    const files = (await archive.list("records/videos/")).map((o) => `'${join(dir, "archive", o.key)}'`);
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      const rows = (
        await conn.runAndReadAll(
          `SELECT video_id, analysis_poster_ms::INTEGER AS poster, analysis_black_ms::INTEGER AS black,
             analysis_integrated_lufs AS lufs, analysis_loudness_ok AS ok, analysis_loudness_flags AS flags,
             analysis_labels AS labels, analysis_findings AS findings
           FROM read_parquet([${files.join(", ")}]) ORDER BY video_id`,
        )
      ).getRowObjectsJS();
      expect(rows).toEqual([
        {
          video_id: "known",
          poster: 8500,
          black: 1000,
          lufs: -23.2,
          ok: false,
          flags: '["too_quiet"]',
          labels: '["Dog"]',
          findings: JSON.stringify(analysed.analysis!.findings),
        },
        {
          video_id: "plain",
          poster: null,
          black: null,
          lufs: null,
          ok: null,
          flags: null,
          labels: null,
          findings: null,
        },
      ]);
      // An analyst's question: which videos have more than half a second of black, and where?
      const black = (
        await conn.runAndReadAll(
          `SELECT video_id, f.start_ms::INTEGER AS start_ms, f.end_ms::INTEGER AS end_ms
           FROM read_parquet([${files.join(", ")}]),
             UNNEST(from_json(analysis_findings, '[{"analysis":"VARCHAR","start_ms":"BIGINT","end_ms":"BIGINT"}]')) AS t(f)
           WHERE analysis_black_ms > 500 AND f.analysis = 'black'`,
        )
      ).getRowObjectsJS();
      expect(black).toEqual([{ video_id: "known", start_ms: 2000, end_ms: 3000 }]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
