// Hermetic: the two manifests of a CMAF package, rendered from a fixture (no ffmpeg), checked
// against the DASH MPD XML schema of ISO/IEC 23009-1 (committed under pipeline/schemas/dash,
// validated by libxml2 compiled to WebAssembly) and read back by an HLS parser.
import { Parser } from "m3u8-parser";
import { describe, expect, it } from "vitest";
import { cmafManifests, type PackagedRendition } from "../../src/cmaf/package.ts";
import { durationsOf, type Timeline } from "../../src/cmaf/timeline.ts";
import { type CmafAudioTrack, type CmafTrack, segmentName } from "../../src/cmaf/track.ts";
import { dashFrameRate, isoDuration } from "../../src/dash/mpd.ts";
import { renderMediaPlaylist } from "../../src/hls/media-playlist.ts";
import { subtitleTrack } from "../../src/subtitles/manifests.ts";
import { validateMpd } from "../helpers/dash-schema.ts";

const video = (dir: string, bandwidth: number, codecs: string): CmafTrack => ({
  dir,
  // 10.04 s at 25 fps in 4 s segments: 100 + 100 + 51 frames.
  timeline: {
    timescale: 12_800,
    start: 0,
    runs: [
      [51_200, 2],
      [26_112, 1],
    ],
  },
  codecs,
  bandwidth,
  averageBandwidth: Math.round(bandwidth * 0.9),
  bytes: 1,
});

const audio = (dir: string, bps: number): CmafAudioTrack => ({
  dir,
  // 10.048 s of AAC at 48 kHz: 188 frames, 188, 94, then one (471 × 1024 samples).
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
  bandwidth: bps + 2000,
  averageBandwidth: bps + 1000,
  bytes: 1,
  group: `audio-${bps / 1000}k`,
  bps,
  sampleRate: 48_000,
  channels: 2,
});

const rendition = (
  name: string,
  width: number,
  height: number,
  v: CmafTrack,
  audioGroup: string,
  a?: CmafAudioTrack,
): PackagedRendition => ({
  name,
  uri: `${name}/index.m3u8`,
  bandwidth: 0,
  averageBandwidth: 0,
  width,
  height,
  fps: 25,
  codecs: `${v.codecs},mp4a.40.2`,
  cmaf: { video: v, audioGroup, ...(a ? { audio: a } : {}) },
});

/** 480p and 360p play the 96 kb/s audio the 480p encoded; 240p its own 64 kb/s. */
const RENDITIONS = [
  rendition("480p", 854, 480, video("480p", 1_500_000, "avc1.4d401e"), "audio-96k", audio("480p/audio", 96_000)),
  rendition("360p", 640, 360, video("360p", 880_000, "avc1.4d401e"), "audio-96k"),
  rendition("240p", 426, 240, video("240p", 440_000, "avc1.4d4015"), "audio-64k", audio("240p/audio", 64_000)),
];

function parseM3u8(text: string) {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

/** The segment durations each Representation's SegmentTimeline gives, in seconds, by id. */
function mpdTimelines(mpd: string): Record<string, { start: number; seconds: number[]; media: string }> {
  const out: Record<string, { start: number; seconds: number[]; media: string }> = {};
  for (const [, id, body] of mpd.matchAll(/<Representation id="([^"]+)"[^>]*>([\s\S]*?)<\/Representation>/g)) {
    const template = /<SegmentTemplate timescale="(\d+)"[^>]* media="([^"]+)"/.exec(body!)!;
    const timescale = Number(template[1]);
    const seconds: number[] = [];
    let start = -1;
    for (const [, attrs] of body!.matchAll(/<S ([^>]*)\/>/g)) {
      const a = Object.fromEntries([...attrs!.matchAll(/(\w+)="(\d+)"/g)].map(([, k, v]) => [k, Number(v)]));
      if (start < 0) start = (a.t ?? 0) / timescale;
      for (let i = 0; i <= (a.r ?? 0); i++) seconds.push(a.d! / timescale);
    }
    out[id!] = { start, seconds, media: template[2]! };
  }
  return out;
}

describe("the DASH MPD of a CMAF package", () => {
  const { mpd, master } = cmafManifests(RENDITIONS);

  it("validates against the DASH MPD schema (ISO/IEC 23009-1, DASH-MPD.xsd with xlink.xsd)", async () => {
    const r = await validateMpd(mpd);
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it("is static, one Period, one video AdaptationSet with a Representation per rendition, one audio AdaptationSet", () => {
    expect(mpd).toMatch(/<MPD [^>]*type="static"[^>]*mediaPresentationDuration="PT10.048S"/);
    expect(mpd.match(/<Period /g)).toHaveLength(1);
    expect(mpd.match(/<AdaptationSet /g)).toHaveLength(2);
    expect(mpd).toMatch(/<AdaptationSet id="0" contentType="video" mimeType="video\/mp4" par="427:240" maxWidth="854"/);
    expect(mpd).toMatch(/<AdaptationSet id="1" contentType="audio" mimeType="audio\/mp4"/);
    expect(
      [...mpd.matchAll(/<Representation id="([^"]+)" bandwidth="(\d+)" codecs="([^"]+)"/g)].map((m) => m.slice(1)),
    ).toEqual([
      ["480p", "1500000", "avc1.4d401e"],
      ["360p", "880000", "avc1.4d401e"],
      ["240p", "440000", "avc1.4d4015"],
      ["audio-96k", "98000", "mp4a.40.2"],
      ["audio-64k", "66000", "mp4a.40.2"],
    ]);
    expect(mpd).toContain(
      '<SegmentTemplate timescale="12800" initialization="480p/init.mp4" media="480p/seg_$Number%05d$.m4s" startNumber="0">',
    );
    expect(mpd).toContain('<S t="0" d="51200" r="1"/>\n            <S d="26112"/>');
    expect(mpd).toContain('initialization="240p/audio/init.mp4" media="240p/audio/seg_$Number%05d$.m4s"');
  });

  it("says the same segment durations as the HLS media playlists, over the same files", () => {
    const timelines = mpdTimelines(mpd);
    const tracks: [string, CmafTrack][] = [
      ...RENDITIONS.map((r) => [r.name, r.cmaf!.video] as [string, CmafTrack]),
      ["audio-96k", RENDITIONS[0]!.cmaf!.audio!],
      ["audio-64k", RENDITIONS[2]!.cmaf!.audio!],
    ];
    for (const [id, track] of tracks) {
      const hls = parseM3u8(renderMediaPlaylist(track.timeline, { init: "init.mp4", segment: segmentName }));
      const dash = timelines[id]!;
      expect(dash.start).toBe(0);
      expect(dash.seconds.map((s) => s.toFixed(6))).toEqual(hls.segments.map((s) => s.duration.toFixed(6)));
      expect(hls.segments.map((s) => s.uri)).toEqual(
        dash.seconds.map((_, i) => dash.media.replace("$Number%05d$", String(i).padStart(5, "0")).split("/").at(-1)),
      );
      expect(hls.segments.every((s) => s.map?.uri === "init.mp4")).toBe(true);
    }
  });

  it("a broken MPD does not validate: the schema names what is wrong", async () => {
    const broken = {
      "a Representation without its bandwidth": mpd.replace(' bandwidth="440000"', ""),
      "an S without its duration": mpd.replace('<S d="26112"/>', '<S t="102400"/>'),
      "a frame rate that is not a ratio": mpd.replace('frameRate="25"', 'frameRate="29.97"'),
      "a SegmentTemplate before the audio channel configuration": mpd.replace(
        /(<AudioChannelConfiguration [^>]*\/>)(\s*)(<SegmentTemplate[\s\S]*?<\/SegmentTemplate>)/,
        "$3$2$1",
      ),
      "an element DASH does not have": mpd.replace("<Period ", "<Chapter/><Period "),
    };
    for (const [what, xml] of Object.entries(broken)) {
      expect(xml, what).not.toBe(mpd);
      const r = await validateMpd(xml);
      expect(r.valid, what).toBe(false);
      expect(r.errors.length, what).toBeGreaterThan(0);
    }
    expect((await validateMpd(broken["a Representation without its bandwidth"])).errors.join("\n")).toMatch(
      /Representation.*'bandwidth' is required/,
    );
  });

  it("writes DASH durations and frame rates as the schema types them", () => {
    expect(isoDuration(6)).toBe("PT6S");
    expect(isoDuration(6.037_333)).toBe("PT6.038S");
    expect(isoDuration(2.0001)).toBe("PT2.001S");
    expect(isoDuration(0.5)).toBe("PT0.5S");
    expect(dashFrameRate(25)).toBe("25");
    expect(dashFrameRate(29.97)).toBe("30000/1001");
    expect(dashFrameRate(23.976)).toBe("24000/1001");
    expect(dashFrameRate(12.5)).toBe("12500/1000");
  });

  it("the HLS master names every variant with its audio group; BANDWIDTH includes the audio", () => {
    const m = parseM3u8(master);
    expect(master.split("\n").slice(0, 3)).toEqual(["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]);
    expect(
      m.playlists!.map((p) => [
        p.uri,
        p.attributes.AUDIO,
        p.attributes.BANDWIDTH,
        p.attributes.CODECS,
        p.attributes.RESOLUTION,
      ]),
    ).toEqual([
      ["480p/index.m3u8", "audio-96k", 1_598_000, "avc1.4d401e,mp4a.40.2", { width: 854, height: 480 }],
      ["360p/index.m3u8", "audio-96k", 978_000, "avc1.4d401e,mp4a.40.2", { width: 640, height: 360 }],
      ["240p/index.m3u8", "audio-64k", 506_000, "avc1.4d4015,mp4a.40.2", { width: 426, height: 240 }],
    ]);
    const groups = m.mediaGroups!.AUDIO as Record<string, Record<string, { uri: string; default: boolean }>>;
    expect(Object.keys(groups)).toEqual(["audio-96k", "audio-64k"]);
    expect(Object.values(groups["audio-96k"]!)[0]).toMatchObject({ uri: "480p/audio/index.m3u8", default: true });
    expect(Object.values(groups["audio-64k"]!)[0]).toMatchObject({ uri: "240p/audio/index.m3u8", default: true });
  });

  it("refuses a rendition without CMAF tracks, or one whose audio no rendition encoded", () => {
    const { cmaf: _, ...ts } = RENDITIONS[1]!;
    expect(() => cmafManifests([RENDITIONS[0]!, ts])).toThrow(/360p has no CMAF tracks/);
    expect(() => cmafManifests([RENDITIONS[1]!])).toThrow(/360p plays audio audio-96k, which no rendition encoded/);
  });
});

describe("a CMAF package with subtitle renditions", () => {
  const subtitles = [
    subtitleTrack("en", "English", 1256, 10_048),
    subtitleTrack("pt-BR", "Brazilian Portuguese", 640, 10_048),
  ];
  const { mpd, master } = cmafManifests(RENDITIONS, subtitles);

  it("the MPD still validates, with one text AdaptationSet per language naming its WebVTT file", async () => {
    const r = await validateMpd(mpd);
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
    expect(mpd.match(/<AdaptationSet /g)).toHaveLength(4);
    expect(mpd).toContain(
      [
        '    <AdaptationSet id="2" contentType="text" mimeType="text/vtt" lang="en">',
        "      <Label>English</Label>",
        '      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>',
        `      <Representation id="subtitles-en" bandwidth="${Math.ceil((1256 * 8) / 10.048)}">`,
        "        <BaseURL>subtitles/en.vtt</BaseURL>",
        "      </Representation>",
        "    </AdaptationSet>",
        '    <AdaptationSet id="3" contentType="text" mimeType="text/vtt" lang="pt-BR">',
        "      <Label>Brazilian Portuguese</Label>",
      ].join("\n"),
    );
    // The video and audio sets are those of the package without subtitles.
    expect(mpd.split('    <AdaptationSet id="2"')[0]).toBe(cmafManifests(RENDITIONS).mpd.split("  </Period>")[0]);
  });

  it("a text set without its Representation's bandwidth, or a Label after its Role, does not validate", async () => {
    for (const broken of [
      mpd.replace(/(id="subtitles-en") bandwidth="\d+"/, "$1"),
      mpd.replace(/(<Label>English<\/Label>)(\s*)(<Role [^>]*\/>)/, "$3$2$1"),
    ]) {
      expect(broken).not.toBe(mpd);
      expect((await validateMpd(broken)).valid).toBe(false);
    }
  });

  it("the HLS master has a SUBTITLES group (one EXT-X-MEDIA per language) that every variant names", () => {
    expect(master.split("\n").filter((l) => l.startsWith("#EXT-X-MEDIA:TYPE=SUBTITLES"))).toEqual([
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="en",NAME="English",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/en.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="pt-BR",NAME="Brazilian Portuguese",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/pt-BR.m3u8"',
    ]);
    const m = parseM3u8(master);
    expect(m.playlists!.map((p) => [p.uri, p.attributes.AUDIO, p.attributes.SUBTITLES])).toEqual([
      ["480p/index.m3u8", "audio-96k", "subs"],
      ["360p/index.m3u8", "audio-96k", "subs"],
      ["240p/index.m3u8", "audio-64k", "subs"],
    ]);
    const subs = m.mediaGroups!.SUBTITLES as Record<
      string,
      Record<string, { uri: string; language: string; default: boolean }>
    >;
    expect(Object.entries(subs.subs!).map(([name, t]) => [name, t.language, t.uri, t.default])).toEqual([
      ["English", "en", "subtitles/en.m3u8", false],
      ["Brazilian Portuguese", "pt-BR", "subtitles/pt-BR.m3u8", false],
    ]);
    // Without subtitles, no group and no SUBTITLES attribute.
    expect(cmafManifests(RENDITIONS, []).master).not.toContain("SUBTITLES");
  });
});

describe("a media playlist from a timeline", () => {
  it("is version 7 with EXT-X-MAP, EXTINF to the microsecond, and a target duration each rounds under", () => {
    const t: Timeline = {
      timescale: 48_000,
      start: 0,
      runs: [
        [96_256, 3],
        [1024, 1],
      ],
    };
    const text = renderMediaPlaylist(t, { init: "init.mp4", segment: segmentName });
    expect(text).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="init.mp4"',
        "#EXTINF:2.005333,",
        "seg_00000.m4s",
        "#EXTINF:2.005333,",
        "seg_00001.m4s",
        "#EXTINF:2.005333,",
        "seg_00002.m4s",
        "#EXTINF:0.021333,",
        "seg_00003.m4s",
        "#EXT-X-ENDLIST",
        "",
      ].join("\n"),
    );
    expect(durationsOf(t)).toHaveLength(4);
  });
});
