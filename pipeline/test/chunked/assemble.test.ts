// Assembly plans and piece cutting, pure: the concat list that joins encoded chunks, the
// packaging arguments, the order check, and the ffmpeg/ffprobe arguments of the split.
import { describe, expect, it } from "vitest";
import { assembleArgs, assemblyOrder, concatList } from "../../src/chunked/assemble.ts";
import { chunkArgs } from "../../src/chunked/encode.ts";
import { frameRate } from "../../src/chunked/plan.ts";
import { parseKeyframes, pieceArgs } from "../../src/chunked/split.ts";
import type { ChunkRequest } from "../../src/chunked/units.ts";

describe("concatList", () => {
  it("names each chunk with its exact duration in frames over the rate", () => {
    const list = concatList(
      [
        { path: "/w/0000.nut", frames: 600 },
        { path: "/w/0001.nut", frames: 599 },
      ],
      frameRate(29.97),
    );
    expect(list).toBe(
      "ffconcat version 1.0\nfile '/w/0000.nut'\nduration 20.020020\nfile '/w/0001.nut'\nduration 19.986653\n",
    );
  });

  it("refuses nothing to join and paths it cannot quote", () => {
    expect(() => concatList([], frameRate(30))).toThrow(/no encoded chunk/);
    expect(() => concatList([{ path: "/w/it's.nut", frames: 1 }], frameRate(30))).toThrow(/cannot be named/);
  });
});

describe("assembleArgs", () => {
  it("copies the joined chunks into the serial encode's CMAF track, with its MP4 timescale", () => {
    const args = assembleArgs("/w/list.ffconcat", "/w/720p", 4, frameRate(30));
    expect(args.slice(args.indexOf("-f"), args.indexOf("-f") + 6)).toEqual([
      "-f",
      "concat",
      "-safe",
      "0",
      "-i",
      "/w/list.ffconcat",
    ]);
    expect(args).toContain("copy");
    expect(args[args.indexOf("-hls_segment_options") + 1]).toBe(
      "movflags=+cmaf+negative_cts_offsets:use_editlist=0:video_track_timescale=15360",
    );
    expect(args.at(-1)).toBe("/w/720p/index.m3u8");
    expect(args).not.toContain("libx264");
  });
});

describe("assemblyOrder", () => {
  it("sorts by index and insists on every chunk", () => {
    expect(assemblyOrder([{ index: 1 }, { index: 0 }, { index: 2 }], 3, "720p").map((c) => c.index)).toEqual([0, 1, 2]);
    expect(() => assemblyOrder([{ index: 0 }, { index: 2 }], 3, "720p")).toThrow(/2 of 3 chunks.*missing 1/);
  });
});

describe("the split's and the chunks' ffmpeg arguments", () => {
  it("cuts a piece by copying the video from its keyframe, timestamps kept", () => {
    const args = pieceArgs(
      "/s.mp4",
      { index: 1, firstFrame: 600, forcedKeyframes: [], pieceFrom: 20, pieceTo: 42 },
      "/p.nut",
    );
    expect(args.join(" ")).toContain(
      "-copyts -ss 20.000100 -to 42.000000 -i /s.mp4 -map 0:v:0 -c copy -copypriorss 1 -f nut /p.nut",
    );
    // Further back on a second try; from the start of the file at last.
    expect(
      pieceArgs("/s.mp4", { index: 1, firstFrame: 600, forcedKeyframes: [], pieceFrom: 20 }, "/p.nut", 2),
    ).toContain("18.000100");
    expect(
      pieceArgs(
        "/s.mp4",
        { index: 1, firstFrame: 600, forcedKeyframes: [], pieceFrom: 20 },
        "/p.nut",
        Number.POSITIVE_INFINITY,
      ),
    ).not.toContain("-ss");
  });

  it("encodes a chunk with the rendition's settings, its slots trimmed after the fps filter and its keyframes listed", () => {
    const request = {
      chunk: { first_slot: 1200, end_slot: 1800, forced_keyframes: [120, 240], source_start: 1.4 },
      rendition: { name: "720p", width: 1280, height: 720, fps: 30, gop: 120, videoBps: 2_800_000, profile: "high" },
      settings: { preset: "veryfast", segment_seconds: 4 },
    } as unknown as ChunkRequest;
    const args = chunkArgs(request, 2, "/p.nut", "/o.nut");
    expect(args[args.indexOf("-vf") + 1]).toBe(
      "fps=30,trim=start_pts=1200:end_pts=1800,setpts=PTS-STARTPTS,scale=1280:720,setsar=1",
    );
    expect(args[args.indexOf("-force_key_frames") + 1]).toBe("4.000000,8.000000");
    expect(args.join(" ")).toContain("-copyts -itsoffset -1.4 -i /p.nut");
    for (const same of ["-g", "-keyint_min", "-b:v", "-maxrate", "-bufsize", "-profile:v", "-preset", "-x264-params"])
      expect(args, same).toContain(same);
    expect(args.slice(-3)).toEqual(["-f", "nut", "/o.nut"]);
    const last = { ...request, chunk: { ...request.chunk, end_slot: undefined, forced_keyframes: [] } };
    const lastArgs = chunkArgs(last as unknown as ChunkRequest, 2, "/p.nut", "/o.nut");
    expect(lastArgs[lastArgs.indexOf("-vf") + 1]).toContain("trim=start_pts=1200,");
    expect(lastArgs).not.toContain("-force_key_frames");
  });
});

describe("parseKeyframes", () => {
  it("takes the keyframes' times after the file's start, the video's start and its duration", () => {
    const k = parseKeyframes({
      packets: [
        { pts_time: "1.921333", flags: "K_" },
        { pts_time: "1.954667", flags: "__" },
        { pts_time: "2.421333", flags: "K_" },
        { pts_time: "N/A", dts_time: "2.454667", flags: "__" },
      ],
      streams: [{ start_time: "1.921333", duration: "4.5" }],
      format: { start_time: "1.400000", duration: "5.0" },
    });
    expect(k.keyframes.map((t) => Math.round(t * 1e6) / 1e6)).toEqual([0.521333, 1.021333]);
    expect(k.videoStartSeconds).toBeCloseTo(0.521333, 6);
    expect(k.formatStartSeconds).toBe(1.4);
    expect(k.durationSeconds).toBe(4.5);
  });

  it("refuses a stream without keyframes", () => {
    expect(() => parseKeyframes({ packets: [{ pts_time: "0", flags: "__" }] })).toThrow(/no video keyframe/);
  });
});
