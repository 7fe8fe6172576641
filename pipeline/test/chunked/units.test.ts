// Chunk work units, pure: their ids, keys and the message that carries them on the bus.
import type { ConsumedMessage } from "@reeltime/connectors";
import { describe, expect, it } from "vitest";
import {
  CHUNKS_PREFIX,
  type ChunkRequest,
  chunkKeys,
  decodeChunkRequest,
  encodeChunkRequest,
  splitId,
  unitId,
} from "../../src/chunked/units.ts";
import type { RenditionPlan } from "../../src/ladder.ts";

const plan: RenditionPlan = {
  name: "720p",
  side: 720,
  videoBps: 2_800_000,
  audioBps: 128_000,
  profile: "high",
  width: 1280,
  height: 720,
  fps: 30,
  gop: 120,
};

const split = splitId("job-abc", { src: [1, 2], chunks: [[0], [600]] });
const request = (o: Partial<ChunkRequest["chunk"]> = {}): ChunkRequest => ({
  v: 1,
  unit_id: unitId(split, "720p", { plan }, 2),
  job: { id: "job-abc", source: "uploads/app/v/x.mp4", video: { id: "v" }, seq_base: 500_000, split },
  chunk: {
    index: 2,
    count: 6,
    piece_key: chunkKeys(split).piece(2),
    first_slot: 1200,
    end_slot: 1800,
    forced_keyframes: [120, 240, 360, 480],
    source_start: 0,
    ...o,
  },
  rendition: plan,
  settings: { preset: "veryfast", segment_seconds: 4 },
  output_key: chunkKeys(split).output("720p", 2),
});

const message = (value: unknown): ConsumedMessage => ({
  topic: "reeltime.transcode.chunks",
  partition: "3",
  offset: "17",
  key: "k",
  value: new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value)),
  headers: {},
  timestamp: Date.now(),
});

describe("chunk unit ids and keys", () => {
  it("a split id is the job id and a hash of what the pieces depend on: stable, and new when the plan changes", () => {
    expect(split).toMatch(/^job-abc-[0-9a-f]{12}$/);
    expect(splitId("job-abc", { src: [1, 2], chunks: [[0], [600]] })).toBe(split);
    expect(splitId("job-abc", { src: [1, 2], chunks: [[0], [720]] })).not.toBe(split);
    expect(splitId("job:a/b c", {})).toMatch(/^job-a-b-c-/);
  });

  it("a unit id names the split, the rendition with a hash of its settings, and the chunk's index", () => {
    const id = unitId(split, "720p", { plan }, 2);
    expect(id).toMatch(new RegExp(`^${split}/720p-[0-9a-f]{8}/0002$`));
    expect(unitId(split, "720p", { plan }, 2)).toBe(id);
    expect(unitId(split, "720p", { plan: { ...plan, videoBps: 3_000_000 } }, 2)).not.toBe(id);
    expect(unitId(split, "480p", { plan }, 2)).not.toBe(id);
  });

  it("keeps a split's pieces and outputs under one folder", () => {
    const keys = chunkKeys(split);
    expect(keys.piece(2)).toBe(`${CHUNKS_PREFIX}${split}/source/0002.nut`);
    expect(keys.output("720p", 11)).toBe(`${CHUNKS_PREFIX}${split}/720p/0011.nut`);
    expect(keys.plan).toBe(`${CHUNKS_PREFIX}${split}/split.json`);
  });
});

describe("chunk requests on the bus", () => {
  it("round-trips", () => {
    const r = request();
    expect(decodeChunkRequest({ ...message(null), value: encodeChunkRequest(r) })).toEqual(r);
    const last = request({ index: 5 });
    delete last.chunk.end_slot;
    expect(decodeChunkRequest(message(last)).chunk.end_slot).toBeUndefined();
  });

  it("refuses anything else with REELTIME_ERR_BAD_CHUNK_REQUEST, naming the message", () => {
    const bad = [
      "not json",
      {},
      { ...request(), v: 2 },
      { ...request(), unit_id: "../../etc/passwd" },
      { ...request(), output_key: "media/v/master.m3u8" },
      request({ piece_key: "uploads/other/file.mp4" }),
      request({ index: 6 }),
      request({ end_slot: 1200 }),
      request({ forced_keyframes: [0] }),
    ];
    for (const value of bad)
      expect(() => decodeChunkRequest(message(value)), JSON.stringify(value).slice(0, 80)).toThrowError(
        expect.objectContaining({ code: "REELTIME_ERR_BAD_CHUNK_REQUEST", message: expect.stringContaining("3/17") }),
      );
  });
});
