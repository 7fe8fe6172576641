import { describe, expect, it } from "vitest";
import { LIVE_LADDER, liveFfmpegArgs, liveLocalListSize } from "../../src/live/command.ts";

/** The value following `flag` (the first occurrence). */
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe("liveFfmpegArgs", () => {
  const test = liveFfmpegArgs({ input: { kind: "test" }, dir: "/w", listSize: 7 });

  it("paces ffmpeg's test source and a tone at real time", () => {
    expect(test.join(" ")).toContain("-re -f lavfi -i testsrc2=size=640x360:rate=30");
    expect(test.join(" ")).toContain("-re -f lavfi -i sine=frequency=440:sample_rate=48000");
  });

  it("cuts 2 s segments on a fixed GOP of fps x 2 with no scene-cut keyframes", () => {
    expect(after(test, "-hls_time")).toBe("2");
    expect(after(test, "-g")).toBe("60");
    expect(after(test, "-keyint_min")).toBe("60");
    expect(after(test, "-sc_threshold")).toBe("0");
    expect(after(test, "-force_key_frames")).toBe("expr:gte(t,n_forced*2)");
    const other = liveFfmpegArgs({ input: { kind: "test" }, dir: "/w", listSize: 7, segmentSeconds: 4, fps: 25 });
    expect(after(other, "-g")).toBe("100");
    expect(after(other, "-hls_time")).toBe("4");
  });

  it("writes a sliding window with a PROGRAM-DATE-TIME on every segment, never an ENDLIST", () => {
    expect(after(test, "-f")).toBe("lavfi");
    expect(test[test.lastIndexOf("-f") + 1]).toBe("hls");
    expect(after(test, "-hls_list_size")).toBe("7");
    expect(after(test, "-hls_flags")!.split("+")).toEqual(
      expect.arrayContaining([
        "program_date_time",
        "omit_endlist",
        "delete_segments",
        "temp_file",
        "independent_segments",
      ]),
    );
    expect(after(test, "-hls_start_number_source")).toBe("epoch");
    expect(after(test, "-hls_segment_filename")).toBe("/w/%v/seg_%d.ts");
    expect(test.at(-1)).toBe("/w/%v/index.m3u8");
    expect(after(test, "-master_pl_name")).toBe("master.m3u8");
  });

  it("makes one variant per rendition, each with its own scaled video and audio", () => {
    expect(LIVE_LADDER.map((r) => r.name)).toEqual(["360p", "240p"]);
    expect(after(test, "-var_stream_map")).toBe("v:0,a:0,name:360p v:1,a:1,name:240p");
    const filter = after(test, "-filter_complex")!;
    expect(filter).toContain("split=2[s0][s1]");
    expect(filter).toContain("[s0]scale=640:360");
    expect(filter).toContain("[s1]scale=426:240");
    expect(test.filter((a, i) => a === "-map" && test[i + 1] === "1:a:0")).toHaveLength(2);
    expect(after(test, "-b:v:0")).toBe("800k");
    expect(after(test, "-b:v:1")).toBe("300k");
    expect(after(test, "-tune")).toBe("zerolatency");
  });

  it("loops a file at its native rate, with silence when it has no audio", () => {
    const withAudio = liveFfmpegArgs({
      input: { kind: "file", path: "/v/a.mp4", hasAudio: true },
      dir: "/w",
      listSize: 5,
    });
    expect(withAudio.join(" ")).toContain("-re -stream_loop -1 -i /v/a.mp4");
    expect(withAudio).not.toContain("anullsrc=channel_layout=stereo:sample_rate=48000");
    expect(withAudio.filter((a, i) => a === "-map" && withAudio[i + 1] === "0:a:0")).toHaveLength(2);
    const silent = liveFfmpegArgs({
      input: { kind: "file", path: "/v/a.mp4", hasAudio: false },
      dir: "/w",
      listSize: 5,
    });
    expect(silent).toContain("anullsrc=channel_layout=stereo:sample_rate=48000");
    expect(silent.filter((a, i) => a === "-map" && silent[i + 1] === "1:a:0")).toHaveLength(2);
  });

  it("keeps enough segments on disk for a held-back upload", () => {
    expect(liveLocalListSize(5, 2, 0)).toBe(7);
    expect(liveLocalListSize(5, 2, 4000)).toBe(9);
    expect(liveLocalListSize(5, 2, 4001)).toBe(10);
  });
});
