import { describe, expect, it } from "vitest";
import { type FfmpegProgress, ProgressParser } from "../../src/ffmpeg/progress.ts";

describe("ProgressParser", () => {
  it("turns -progress blocks split across chunks into progress reports", () => {
    const seen: FfmpegProgress[] = [];
    const p = new ProgressParser((b) => seen.push(b));
    p.push("frame=50\nfps=25.0\nout_time_us=2000000\ntotal_size=1000\nspe");
    p.push("ed=2.5x\nprogress=continue\nframe=150\nout_time_us=N/A\nspeed=N/A\nprogress=end\n");
    expect(seen).toEqual([
      { frame: 50, fps: 25, outTimeMs: 2000, totalSize: 1000, speed: 2.5, done: false },
      { frame: 150, fps: undefined, outTimeMs: undefined, totalSize: undefined, speed: undefined, done: true },
    ]);
  });
});
