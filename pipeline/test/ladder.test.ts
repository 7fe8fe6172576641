import { describe, expect, it } from "vitest";
import type { MediaInfo } from "../src/ffmpeg/probe.ts";
import { planAudio, planRenditions, selectRungs } from "../src/ladder.ts";

const source = (width: number, height: number, fps = 30): MediaInfo => ({
  formatName: "mov",
  durationMs: 10_000,
  sizeBytes: 1,
  bitrateBps: undefined,
  video: { codec: "h264", width, height, displayWidth: width, fps, stillImage: false, frames: undefined },
});
const sizes = (info: MediaInfo, names?: string[]) =>
  planRenditions(info, selectRungs(names), 4).map((p) => `${p.name}=${p.width}x${p.height}@${p.gop}`);

describe("ladder", () => {
  it("caps the ladder at the source and never upscales", () => {
    expect(sizes(source(1920, 1080))).toEqual([
      "1080p=1920x1080@120",
      "720p=1280x720@120",
      "480p=854x480@120",
      "360p=640x360@120",
      "240p=426x240@120",
    ]);
    expect(sizes(source(1280, 720, 25), ["720p", "1080p", "360p"])).toEqual(["720p=1280x720@100", "360p=640x360@100"]);
  });
  it("keeps upright videos upright and gives tiny sources one rendition at their own size", () => {
    expect(sizes(source(720, 1280))).toEqual([
      "720p=720x1280@120",
      "480p=480x854@120",
      "360p=360x640@120",
      "240p=240x426@120",
    ]);
    expect(sizes(source(176, 144))).toEqual(["144p=176x144@120"]);
  });
  it("refuses unknown rung names with the ones it knows", () => {
    expect(() => selectRungs(["4k"])).toThrow(/unknown rendition "4k"; choose from 1080p, 720p/);
  });

  it("gives a CMAF package one audio track per distinct audio bitrate, encoded by the highest rendition using it", () => {
    const plans = planRenditions(source(1920, 1080), selectRungs(undefined), 4);
    expect(planAudio(plans)).toEqual([
      { group: "audio-128k", bps: 128_000, owner: "1080p" },
      { group: "audio-96k", bps: 96_000, owner: "480p" },
      { group: "audio-64k", bps: 64_000, owner: "240p" },
    ]);
    expect(planAudio(planRenditions(source(1280, 720), selectRungs(["360p", "720p"]), 4))).toEqual([
      { group: "audio-128k", bps: 128_000, owner: "720p" },
      { group: "audio-96k", bps: 96_000, owner: "360p" },
    ]);
  });
});
