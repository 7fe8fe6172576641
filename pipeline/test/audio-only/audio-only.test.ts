// Hermetic: the audio-only ladder's plan, its ffmpeg arguments, and its two manifests rendered
// from a fixture (no ffmpeg): the MPD validates against the committed DASH schema, the HLS master
// parses with audio-only variants, and each variant's playlist agrees with its Representation.
import { Parser } from "m3u8-parser";
import { describe, expect, it } from "vitest";
import { AUDIO_ONLY_LADDER, isAudioOnly, planAudioOnly } from "../../src/audio-only/ladder.ts";
import { audioOnlyManifests } from "../../src/audio-only/manifests.ts";
import { audioOnlyArgs } from "../../src/audio-only/package.ts";
import type { CmafAudioTrack } from "../../src/cmaf/track.ts";
import type { MediaInfo } from "../../src/ffmpeg/probe.ts";
import { subtitleTrack } from "../../src/subtitles/manifests.ts";
import { validateMpd } from "../helpers/dash-schema.ts";

const podcast: MediaInfo = {
  formatName: "mp3",
  durationMs: 10_048,
  sizeBytes: 160_000,
  bitrateBps: 128_000,
  audio: { codec: "mp3", channels: 2, sampleRate: 44_100 },
};
const film: MediaInfo = {
  ...podcast,
  video: {
    codec: "h264",
    width: 640,
    height: 360,
    displayWidth: 640,
    fps: 25,
    stillImage: false,
    frames: 251,
  },
};

const track = (bps: number): CmafAudioTrack => ({
  dir: `audio-${bps / 1000}k`,
  // 10.048 s of AAC at 48 kHz in 4 s segments: 188 frames, 188, 94, then one (471 × 1024 samples).
  timeline: {
    timescale: 48_000,
    start: 0,
    runs: [
      [192_512, 2],
      [96_256, 1],
      [1024, 1],
    ],
  },
  codecs: "mp4a.40.2",
  bandwidth: bps + 3000,
  averageBandwidth: bps + 1000,
  bytes: 1,
  group: `audio-${bps / 1000}k`,
  bps,
  sampleRate: 48_000,
  channels: 2,
});

describe("audio-only ladder", () => {
  it("has three AAC bitrates, highest first, stereo 48 kHz", () => {
    expect(AUDIO_ONLY_LADDER.map((r) => [r.name, r.bps])).toEqual([
      ["audio-128k", 128_000],
      ["audio-96k", 96_000],
      ["audio-64k", 64_000],
    ]);
    expect(planAudioOnly(podcast)).toEqual([
      { name: "audio-128k", bps: 128_000, channels: 2, sampleRate: 48_000 },
      { name: "audio-96k", bps: 96_000, channels: 2, sampleRate: 48_000 },
      { name: "audio-64k", bps: 64_000, channels: 2, sampleRate: 48_000 },
    ]);
  });

  it("picks rungs by name, sorted, and refuses unknown names and sources without audio", () => {
    expect(planAudioOnly(podcast, ["audio-64k", "audio-128k", "audio-64k"]).map((p) => p.name)).toEqual([
      "audio-128k",
      "audio-64k",
    ]);
    expect(() => planAudioOnly(podcast, ["audio-320k"])).toThrow(/unknown audio rendition "audio-320k"/);
    const { audio: _, ...silent } = podcast;
    expect(() => planAudioOnly(silent)).toThrow(/needs a source with an audio stream/);
  });

  it("is audio only for a source without video, or when asked on a source with audio", () => {
    expect(isAudioOnly(podcast)).toBe(true);
    expect(isAudioOnly(film)).toBe(false);
    expect(isAudioOnly(film, true)).toBe(true);
    const { audio: _, ...silent } = film;
    expect(isAudioOnly(silent, true)).toBe(false);
  });

  it("encodes each bitrate as a CMAF track of its own folder, audio only", () => {
    const [top, , low] = planAudioOnly(podcast);
    for (const [plan, bps] of [
      [top!, "128000"],
      [low!, "64000"],
    ] as const) {
      const args = audioOnlyArgs("/in/pod.mp3", "/out", plan, 4);
      expect(args.filter((a) => a === "-i")).toHaveLength(1);
      expect(args.filter((_a, i) => args[i - 1] === "-b:a")).toEqual([bps]);
      expect(args.filter((_a, i) => args[i - 1] === "-map")).toEqual(["0:a:0"]);
      expect(args.filter((_a, i) => args[i - 1] === "-ar")).toEqual(["48000"]);
      expect(args.filter((_a, i) => args[i - 1] === "-hls_segment_type")).toEqual(["fmp4"]);
      expect(args.at(-1)).toBe(`/out/${plan.name}/index.m3u8`);
    }
  });
});

describe("audio-only manifests", () => {
  const tracks = [track(64_000), track(128_000), track(96_000)];
  const m = audioOnlyManifests(tracks);

  it("the HLS master has one audio-only variant per bitrate: CODECS mp4a.40.2, BANDWIDTH, no RESOLUTION", () => {
    expect(m.master).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-STREAM-INF:BANDWIDTH=131000,AVERAGE-BANDWIDTH=129000,CODECS="mp4a.40.2"',
        "audio-128k/index.m3u8",
        '#EXT-X-STREAM-INF:BANDWIDTH=99000,AVERAGE-BANDWIDTH=97000,CODECS="mp4a.40.2"',
        "audio-96k/index.m3u8",
        '#EXT-X-STREAM-INF:BANDWIDTH=67000,AVERAGE-BANDWIDTH=65000,CODECS="mp4a.40.2"',
        "audio-64k/index.m3u8",
        "",
      ].join("\n"),
    );
    const parser = new Parser();
    parser.push(m.master);
    parser.end();
    const playlists = parser.manifest.playlists!;
    expect(playlists.map((p) => [p.uri, p.attributes.BANDWIDTH, p.attributes.CODECS])).toEqual([
      ["audio-128k/index.m3u8", 131_000, "mp4a.40.2"],
      ["audio-96k/index.m3u8", 99_000, "mp4a.40.2"],
      ["audio-64k/index.m3u8", 67_000, "mp4a.40.2"],
    ]);
    expect(playlists.every((p) => p.attributes.RESOLUTION === undefined)).toBe(true);
  });

  it("the MPD validates, with one audio AdaptationSet, a Representation per bitrate, and no video", async () => {
    const r = await validateMpd(m.mpd);
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
    expect(m.mpd.match(/<AdaptationSet /g)).toHaveLength(1);
    expect(m.mpd).toContain('contentType="audio" mimeType="audio/mp4"');
    expect(m.mpd).not.toContain("video");
    expect(
      [...m.mpd.matchAll(/<Representation id="([^"]+)" bandwidth="(\d+)" codecs="([^"]+)"/g)].map((x) => x.slice(1)),
    ).toEqual([
      ["audio-128k", "131000", "mp4a.40.2"],
      ["audio-96k", "99000", "mp4a.40.2"],
      ["audio-64k", "67000", "mp4a.40.2"],
    ]);
    expect(m.mpd).toContain('mediaPresentationDuration="PT10.048S"');
    expect(m.mpd).toContain('initialization="audio-96k/init.mp4" media="audio-96k/seg_$Number%05d$.m4s"');
    // Each Representation's timeline: 192512 ×2, 96256, 1024 ticks at 48 kHz.
    const timeline = '<S t="0" d="192512" r="1"/>\n            <S d="96256"/>\n            <S d="1024"/>';
    expect(m.mpd.split(timeline)).toHaveLength(4);
  });
});

describe("audio-only manifests with subtitle renditions", () => {
  const m = audioOnlyManifests([track(128_000), track(64_000)], [subtitleTrack("de", "German", 800, 10_048)]);

  it("every audio-only variant names the SUBTITLES group; the MPD has a text set beside the audio one and validates", async () => {
    expect(m.master.split("\n").slice(3, 6)).toEqual([
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="de",NAME="German",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/de.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=131000,AVERAGE-BANDWIDTH=129000,CODECS="mp4a.40.2",SUBTITLES="subs"',
      "audio-128k/index.m3u8",
    ]);
    const parser = new Parser();
    parser.push(m.master);
    parser.end();
    expect(parser.manifest.playlists!.map((p) => p.attributes.SUBTITLES)).toEqual(["subs", "subs"]);
    const r = await validateMpd(m.mpd);
    expect(r.errors).toEqual([]);
    expect(m.mpd.match(/<AdaptationSet /g)).toHaveLength(2);
    expect(m.mpd).toContain('<AdaptationSet id="2" contentType="text" mimeType="text/vtt" lang="de">');
    expect(m.mpd).toContain("<BaseURL>subtitles/de.vtt</BaseURL>");
  });
});
