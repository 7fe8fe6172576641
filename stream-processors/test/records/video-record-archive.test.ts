import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type Archive, createArchive } from "@reeltime/connectors";
import { recordColumns, type VideoRecord } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParquetWriter } from "../../src/archiver/parquet.ts";
import { createVideoRecordArchive, videoDay } from "../../src/records/record-archivers.ts";

let dir: string;
let archive: Archive;
const writer = new ParquetWriter();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-video-records-"));
  archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, REELTIME_ARCHIVE: "fs" }));
  await archive.start();
});
afterAll(async () => {
  await writer.close();
  await archive.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const video = (id: string, revision: number, fields: Partial<VideoRecord>): VideoRecord => ({
  video_id: id,
  app_id: "app-a",
  status: "processing",
  renditions: [],
  manifests: [],
  thumbnails: [],
  updated_at: "2026-11-20T10:00:00.000Z",
  revision,
  ...fields,
});

// v1 was uploaded just before midnight and became ready the next day; v2 has job events only.
const v1r1 = video("v1", 1, {
  uploaded_at: "2026-11-19T23:59:00.000Z",
  processing_at: "2026-11-20T00:01:00.000Z",
  updated_at: "2026-11-20T00:01:00.000Z",
});
const v1r2 = video("v1", 2, {
  ...v1r1,
  title: "Sintel",
  status: "ready",
  ready_at: "2026-11-20T00:09:00.000Z",
  updated_at: "2026-11-20T00:09:00.000Z",
  renditions: [{ id: "720p", height: 720, bytes: 3_100_000, playlist: "media/v1/720p/index.m3u8" }],
  revision: 2,
});
// A later revision whose updated_at did not move (an older event arrived late and added a fact).
const v1r3 = video("v1", 3, { ...v1r2, owner_id: "owner-1", revision: 3 });
const v2r1 = video("v2", 1, { processing_at: "2026-11-20T10:00:00.000Z" });
const v4r1 = video("v4", 1, { processing_at: "2026-11-20T11:00:00.000Z", updated_at: "2026-11-20T11:00:00.000Z" });

async function keys(): Promise<string[]> {
  return (await archive.list("records/videos/")).map((o) => o.key).sort();
}

async function rows(sql: (files: string) => string): Promise<Record<string, unknown>[]> {
  const files = (await keys()).map((k) => `'${join(dir, "archive", k)}'`);
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    return (
      await conn.runAndReadAll(sql(`read_parquet([${files.join(", ")}], hive_partitioning = false, filename = true)`))
    ).getRowObjectsJS();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe("createVideoRecordArchive", () => {
  it("files a video under the day the catalogue first knew of it", () => {
    expect(videoDay(v1r2)).toBe("2026-11-19");
    expect(videoDay(v2r1)).toBe("2026-11-20");
    // Only updated_at: that day.
    expect(videoDay(video("v3", 1, { updated_at: "2026-11-21T08:00:00.000+02:00" }))).toBe("2026-11-21");
  });

  it("writes the records as Parquet under records/videos/dt=…; a retried batch replaces its file, a replay's copies collapse to the newest revision", async () => {
    const a = createVideoRecordArchive({ archive, writer });
    await a.archiveVideos([v1r1, v2r1]);
    const first = await keys();
    expect(first).toHaveLength(2);
    for (const k of first) expect(k).toMatch(/^records\/videos\/dt=2026-11-(19|20)\/videos-[0-9a-f]{24}\.parquet$/);
    // The same batch again (a retry): the same objects.
    await a.archiveVideos([v1r1, v2r1]);
    expect(await keys()).toEqual(first);
    await a.archiveVideos([v1r2]);
    expect(await keys()).toHaveLength(3);
    // One file per day: {v1r3} on the 19th, {v2r1, v4r1} on the 20th (a second copy of v2r1).
    await a.archiveVideos([v1r3, v2r1, v4r1]);
    expect(await keys()).toHaveLength(5);
    // The same records in another order: the same files.
    await a.archiveVideos([v4r1, v1r3, v2r1]);
    expect(await keys()).toHaveLength(5);
    // A replay that regroups: v4r1 alone is a file of its own, a second copy of v4r1.
    await a.archiveVideos([v4r1]);
    expect(await keys()).toHaveLength(6);
    const stored = [v1r1, v2r1, v1r2, v1r3, v2r1, v4r1, v4r1];
    expect(await rows((f) => `SELECT count(*)::INTEGER AS n FROM ${f}`)).toEqual([{ n: stored.length }]);

    // The newest per video, chosen here from what was given: latest updated_at, then highest revision.
    const newest = new Map<string, VideoRecord>();
    for (const r of stored) {
      const had = newest.get(r.video_id);
      if (!had || r.updated_at > had.updated_at || (r.updated_at === had.updated_at && r.revision! > had.revision!))
        newest.set(r.video_id, r);
    }
    const latest = await rows(
      (f) => `SELECT video_id, revision::INTEGER AS revision, title, status, owner_id, renditions, dt FROM (
        SELECT *, regexp_extract(filename, 'dt=([0-9-]+)/', 1) AS dt,
          ROW_NUMBER() OVER (PARTITION BY app_id, video_id ORDER BY updated_at DESC, revision DESC) AS k
        FROM ${f}) WHERE k = 1 ORDER BY video_id`,
    );
    expect(latest).toEqual(
      [...newest.values()].map((r) => ({
        video_id: r.video_id,
        revision: r.revision,
        title: r.title ?? null,
        status: r.status,
        owner_id: r.owner_id ?? null,
        renditions: JSON.stringify(r.renditions),
        dt: videoDay(r),
      })),
    );
    expect(latest.map((r) => [r.video_id, r.revision])).toEqual([
      ["v1", 3],
      ["v2", 1],
      ["v4", 1],
    ]);
    // Every column of the contract's record, and nothing else.
    const described = await rows((f) => `DESCRIBE SELECT * EXCLUDE (filename) FROM ${f}`);
    expect(described.map((c) => c.column_name)).toEqual(recordColumns("videos").map((c) => c.name));
  });
});
