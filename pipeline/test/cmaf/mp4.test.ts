// Hermetic: fragmented-MP4 files built box by box (test/helpers/fmp4.ts), read back by the
// parser the manifests are made from.
import { describe, expect, it } from "vitest";
import { readInit, readSegment } from "../../src/cmaf/mp4.ts";
import { durationsOf, endSeconds, segmentCount, timelineOf, totalTicks } from "../../src/cmaf/timeline.ts";
import { initSegment, mediaSegment } from "../helpers/fmp4.ts";

describe("readInit", () => {
  it("reads the track id, handler, timescale and the avc1 codec string from avcC", () => {
    const init = readInit(
      initSegment({
        kind: "video",
        timescale: 12_800,
        trackId: 1,
        avc: { profile: 0x4d, constraints: 0x40, level: 0x1e },
      }),
    );
    expect(init).toEqual({
      trackId: 1,
      handler: "vide",
      timescale: 12_800,
      defaultSampleDuration: 0,
      codecs: "avc1.4d401e",
    });
  });

  it("reads an audio track (no codec string: AAC has no avcC) and a 64-bit mdhd", () => {
    const init = readInit(initSegment({ kind: "audio", timescale: 48_000, mdhdV1: true, trexDuration: 1024 }));
    expect(init).toEqual({ trackId: 1, handler: "soun", timescale: 48_000, defaultSampleDuration: 1024 });
  });

  it("refuses a file that is not an init segment, or a box that runs past the end", () => {
    expect(() => readInit(mediaSegment({ decodeTime: 0, durations: [512] }))).toThrow(/no trak box/);
    const cut = initSegment({ kind: "video", timescale: 90_000 }).slice(0, 60);
    expect(() => readInit(cut, "720p init.mp4")).toThrow(/720p init.mp4 .*moov box runs past the end/);
  });
});

describe("readSegment", () => {
  const video = readInit(initSegment({ kind: "video", timescale: 12_800 }));

  it("sums per-sample durations; composition offsets give the earliest presentation time", () => {
    // 4 frames at 25 fps with B-frames signalled by negative offsets (CMAF): the first frame's
    // presentation time is its decode time.
    const seg = mediaSegment({ decodeTime: 25_600, durations: [512, 512, 512, 512], cts: [0, 1024, -512, 0] });
    expect(readSegment(seg, video)).toEqual({
      decodeTime: 25_600,
      duration: 2048,
      earliestPresentationTime: 25_600,
      samples: 4,
    });
  });

  it("takes tfhd's default duration, else trex's; a 64-bit tfdt; several fragments in one segment", () => {
    const audio = readInit(initSegment({ kind: "audio", timescale: 48_000, trexDuration: 1024 }));
    expect(readSegment(mediaSegment({ decodeTime: 96_256, defaultDuration: 1024, count: 94 }), audio)).toMatchObject({
      decodeTime: 96_256,
      duration: 96_256,
      samples: 94,
    });
    const twoFragments = mediaSegment(
      { decodeTime: 2 ** 33, count: 10, tfdtV1: true },
      { decodeTime: 2 ** 33 + 10 * 1024, count: 5, tfdtV1: true },
    );
    expect(readSegment(twoFragments, audio)).toEqual({
      decodeTime: 2 ** 33,
      duration: 15 * 1024,
      earliestPresentationTime: 2 ** 33,
      samples: 15,
    });
  });

  it("refuses a segment with no samples of the track, or samples without durations", () => {
    expect(() =>
      readSegment(mediaSegment({ decodeTime: 0, durations: [512], trackId: 2 }), video, "seg_00001.m4s"),
    ).toThrow(/seg_00001.m4s .*no samples of track 1/);
    expect(() => readSegment(mediaSegment({ decodeTime: 0, count: 3 }), video)).toThrow(/samples without durations/);
  });
});

describe("timelineOf", () => {
  const seg = (decodeTime: number, duration: number) => ({
    decodeTime,
    duration,
    earliestPresentationTime: decodeTime,
    samples: 1,
  });

  it("folds equal durations into runs, as a DASH SegmentTimeline says them", () => {
    const t = timelineOf(48_000, [seg(0, 96_256), seg(96_256, 96_256), seg(192_512, 96_256), seg(288_768, 1024)]);
    expect(t).toEqual({
      timescale: 48_000,
      start: 0,
      runs: [
        [96_256, 3],
        [1024, 1],
      ],
    });
    expect(durationsOf(t)).toEqual([96_256, 96_256, 96_256, 1024]);
    expect(segmentCount(t)).toBe(4);
    expect(totalTicks(t)).toBe(289_792);
    expect(endSeconds(t)).toBeCloseTo(6.037_333, 6);
  });

  it("refuses a gap or an overlap between segments, and an empty track", () => {
    expect(() => timelineOf(12_800, [seg(0, 25_600), seg(25_601, 25_600)], "360p video")).toThrow(
      /360p video: segment 1 starts at 25601\/12800 s, not where segment 0 ends \(25600\)/,
    );
    expect(() => timelineOf(12_800, [])).toThrow(/no segments/);
  });
});
