// Integration (real ffmpeg and ffprobe, headless Chromium; no services: the embedded bus and the
// filesystem archive): the default CMAF package of an 854x480 clip with audio. One encode per
// rendition; the DASH MPD validates against the schema; HLS and DASH name the same files with the
// same segment times, which are the times ffprobe reads from those files; every rendition plays
// to the end in hls.js (HLS), dash.js and Shaka Player (DASH), forced with ABR off, and each
// manifest plays with ABR on.
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RecordingArchive, RecordingBus } from "@reeltime/testkit";
import { Parser } from "m3u8-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JobResult, TranscodePipeline } from "../src/pipeline.ts";
import { makeClip } from "./helpers/clips.ts";
import { validateMpd } from "./helpers/dash-schema.ts";
import { expectPlayed as expectPlayedTo, openPlayers, type Players, type PlayResult } from "./helpers/players.ts";
import { expectValidSequence, exportTo, testDeps } from "./helpers/setup.ts";

const exec = promisify(execFile);
const VIDEO = "cmaf-int";

interface Track {
  id: string;
  timescale: number;
  init: string;
  media: string;
  startNumber: number;
  /** [t, d] per segment, in ticks. */
  segments: [number, number][];
}

/** Runs in the page: the MPD's Representations and their SegmentTimelines, by Chromium's DOMParser. */
const READ_MPD = `(xml) => {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  if (doc.getElementsByTagName("parsererror").length) throw new Error("the MPD is not XML");
  return [...doc.getElementsByTagName("Representation")].map((r) => {
    const st = r.getElementsByTagName("SegmentTemplate")[0];
    const segments = [];
    let t = 0;
    for (const s of st.getElementsByTagName("S")) {
      if (s.hasAttribute("t")) t = Number(s.getAttribute("t"));
      const d = Number(s.getAttribute("d"));
      for (let i = 0; i <= Number(s.getAttribute("r") || 0); i++) {
        segments.push([t, d]);
        t += d;
      }
    }
    return {
      id: r.getAttribute("id"),
      timescale: Number(st.getAttribute("timescale")),
      init: st.getAttribute("initialization"),
      media: st.getAttribute("media"),
      startNumber: Number(st.getAttribute("startNumber") || 1),
      segments,
    };
  });
}`;

function parseM3u8(text: string) {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

describe("one CMAF encode, two manifests: HLS and DASH over the same segments", () => {
  let bus: RecordingBus;
  let archive: RecordingArchive;
  let result: JobResult;
  let out: string;
  let players: Players;
  let ffmpegRuns = 0;

  beforeAll(async () => {
    const deps = await testDeps();
    ({ bus, archive } = deps);
    out = deps.dir;
    const source = await makeClip({ width: 854, height: 480, seconds: 6 });
    const { runTool } = await import("../src/ffmpeg/run.ts");
    result = await new TranscodePipeline(
      {
        bus,
        archive,
        run: (tool, args, o) => {
          if (tool === "ffmpeg" && args.at(-1)?.endsWith("index.m3u8")) ffmpegRuns++;
          return runTool(tool, args, o);
        },
      },
      { segmentSeconds: 2, concurrency: 1 },
    ).run({ source, videoId: VIDEO, jobId: "job-cmaf-int" });
    expect(result.error).toBeUndefined();
    await exportTo(archive, `media/${VIDEO}/`, out);
    players = await openPlayers(archive);
  }, 180_000);

  afterAll(async () => {
    await players?.close();
  });

  const text = async (key: string) => new TextDecoder().decode(await archive.get(key));

  /** The MPD's Representations, read by Chromium's DOMParser (not the code that wrote it). */
  async function mpdTracks(): Promise<Track[]> {
    const page = await players.context.newPage();
    try {
      await page.goto(`${players.url}/`);
      const xml = await text(`media/${VIDEO}/manifest.mpd`);
      return (await page.evaluate(`(${READ_MPD})(${JSON.stringify(xml)})`)) as Track[];
    } finally {
      await page.close();
    }
  }

  const segmentFile = (track: Track, i: number) =>
    track.media.replace("$Number%05d$", String(track.startNumber + i).padStart(5, "0"));

  it("encodes each rendition once (480p, 360p, 240p) and publishes master.m3u8 and manifest.mpd", () => {
    expect(result.status).toBe("completed");
    expect(result.renditions.map((r) => [r.name, r.width, r.height, r.format])).toEqual([
      ["480p", 854, 480, "cmaf"],
      ["360p", 640, 360, "cmaf"],
      ["240p", 428, 240, "cmaf"],
    ]);
    expect(ffmpegRuns).toBe(3);
    expect(result.manifestKeys).toEqual([`media/${VIDEO}/master.m3u8`, `media/${VIDEO}/manifest.mpd`]);
    expect(archive.writes.at(-1)).toBe(`media/${VIDEO}/master.m3u8`);
    const events = expectValidSequence(bus, "job-cmaf-int");
    expect(events.at(-1)!.job.manifests).toEqual(result.manifestKeys);
  });

  it("the MPD validates against the DASH MPD schema", async () => {
    expect(await validateMpd(await text(`media/${VIDEO}/manifest.mpd`))).toEqual({ valid: true, errors: [] });
  });

  it("HLS and DASH name the same files with the same segment durations, and ffprobe reads those times from the files", async () => {
    const master = parseM3u8(await text(`media/${VIDEO}/master.m3u8`));
    const tracks = await mpdTracks();
    expect(tracks.map((t) => t.id)).toEqual(["480p", "360p", "240p", "audio-96k", "audio-64k"]);
    // Each HLS media playlist (video variants and audio groups) against its DASH Representation.
    const hlsTracks: Record<string, string> = {
      ...Object.fromEntries(master.playlists!.map((p) => [p.uri.split("/")[0]!, p.uri])),
      ...Object.fromEntries(
        Object.entries(master.mediaGroups!.AUDIO as Record<string, Record<string, { uri: string }>>).map(([g, m]) => [
          g,
          Object.values(m)[0]!.uri,
        ]),
      ),
    };
    const report: string[] = [];
    for (const track of tracks) {
      const uri = hlsTracks[track.id]!;
      const dir = uri.slice(0, uri.lastIndexOf("/"));
      const media = parseM3u8(await text(`media/${VIDEO}/${uri}`));
      expect(media.endList).toBe(true);
      expect(`${dir}/${media.segments[0]!.map!.uri}`).toBe(track.init);
      expect(media.segments.map((s) => `${dir}/${s.uri}`)).toEqual(track.segments.map((_, i) => segmentFile(track, i)));
      expect(media.segments.map((s) => s.duration.toFixed(6))).toEqual(
        track.segments.map(([, d]) => (d / track.timescale).toFixed(6)),
      );
      // ffprobe on the track as one file (init + every segment): each segment's packets (by byte
      // position) start at the MPD's t, and the next segment's start, or the last packet's end,
      // is t + d.
      const files = [track.init, ...track.segments.map((_, i) => segmentFile(track, i))];
      const bodies = await Promise.all(files.map((f) => readFile(join(out, f))));
      const joined = join(out, `probe-${track.id}.mp4`);
      await writeFile(joined, Buffer.concat(bodies));
      const { stdout } = await exec(
        "ffprobe",
        [
          ...["-v", "error", "-of", "json", "-show_entries", "packet=pos,dts,duration,flags"],
          ...["-show_entries", "stream=time_base", joined],
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      const probe = JSON.parse(stdout) as {
        packets: { pos: string; dts: number; duration?: number; flags: string }[];
        streams: { time_base: string }[];
      };
      expect(probe.streams[0]!.time_base).toBe(`1/${track.timescale}`);
      const offsets = bodies.map((_, i) => bodies.slice(0, i + 1).reduce((n, b) => n + b.byteLength, 0));
      const groups = track.segments.map((_, i) =>
        probe.packets.filter((p) => Number(p.pos) >= offsets[i]! && Number(p.pos) < offsets[i + 1]!),
      );
      const last = probe.packets.at(-1)!;
      const end = last.dts + last.duration!;
      for (const [i, [t, d]] of track.segments.entries()) {
        const g = groups[i]!;
        expect(g.length, `${track.id} segment ${i}`).toBeGreaterThan(0);
        expect(g[0]!.dts, `${track.id} segment ${i} start`).toBe(t);
        expect((groups[i + 1]?.[0]?.dts ?? end) - t, `${track.id} segment ${i} duration`).toBe(d);
        if (!track.id.startsWith("audio")) {
          // Keyframe-aligned: each video segment opens on its one keyframe.
          expect(g[0]!.flags).toContain("K");
          expect(g.filter((p) => p.flags.includes("K"))).toHaveLength(1);
        }
      }
      report.push(
        `${track.id}: ${track.segments.length} segments, ${track.segments.map(([, d]) => (d / track.timescale).toFixed(6)).join(" + ")} s`,
      );
    }
    // Every video Representation cuts at the same instants.
    const video = tracks.filter((t) => !t.id.startsWith("audio"));
    const seconds = (t: Track) => t.segments.map(([s]) => (s / t.timescale).toFixed(6));
    for (const t of video) expect(seconds(t)).toEqual(seconds(video[0]!));
    expect(video[0]!.segments).toHaveLength(3);
    console.log(`segments (HLS = DASH = ffprobe):\n  ${report.join("\n  ")}`);
  });

  const play = (fn: "playHlsLevel" | "playDash" | "playShaka", args: unknown[]): Promise<PlayResult> =>
    players.play(fn, args);

  /** Played to the end without an error, time advancing all along. */
  const expectPlayed = (r: PlayResult, what: string) => expectPlayedTo(r, what, 5.5);

  const AUDIO_OF: Record<string, string> = { "480p": "audio-96k", "360p": "audio-96k", "240p": "audio-64k" };
  const played: string[] = [];

  it("every rendition plays in hls.js from the HLS master, the level forced (ABR off)", async () => {
    for (const r of result.renditions) {
      const p = await play("playHlsLevel", [`${players.url}/media/${VIDEO}/master.m3u8`, r.height, 2]);
      expectPlayed(p, `hls.js ${r.name}`);
      expect(p.rendered.video, `hls.js ${r.name}`).toBe(r.height);
      expect(p.rendered.audio, `hls.js ${r.name}`).toBe(AUDIO_OF[r.name]);
      expect([p.width, p.height], `hls.js ${r.name}`).toEqual([r.width, r.height]);
      played.push(`hls.js ${r.name}`);
    }
  }, 120_000);

  it("every rendition plays in dash.js from the MPD, the Representations forced (ABR off)", async () => {
    for (const r of result.renditions) {
      const p = await play("playDash", [`${players.url}/media/${VIDEO}/manifest.mpd`, r.name, AUDIO_OF[r.name], 2]);
      expectPlayed(p, `dash.js ${r.name}`);
      expect(p.rendered, `dash.js ${r.name}`).toEqual({ video: r.name, audio: AUDIO_OF[r.name] });
      expect([p.width, p.height], `dash.js ${r.name}`).toEqual([r.width, r.height]);
      played.push(`dash.js ${r.name}`);
    }
  }, 120_000);

  it("every rendition plays in Shaka Player from the MPD, the variant forced (ABR off)", async () => {
    for (const r of result.renditions) {
      const p = await play("playShaka", [`${players.url}/media/${VIDEO}/manifest.mpd`, r.name, AUDIO_OF[r.name], 2]);
      expectPlayed(p, `shaka ${r.name}`);
      expect(p.rendered, `shaka ${r.name}`).toEqual({ video: r.name, audio: AUDIO_OF[r.name] });
      expect([p.width, p.height], `shaka ${r.name}`).toEqual([r.width, r.height]);
      played.push(`shaka ${r.name}`);
    }
  }, 120_000);

  it("each manifest plays to the end with ABR on: hls.js, dash.js, Shaka Player", async () => {
    expectPlayed(await play("playHlsLevel", [`${players.url}/media/${VIDEO}/master.m3u8`, -1, 2]), "hls.js auto");
    expectPlayed(await play("playDash", [`${players.url}/media/${VIDEO}/manifest.mpd`, null, null, 2]), "dash.js auto");
    expectPlayed(await play("playShaka", [`${players.url}/media/${VIDEO}/manifest.mpd`, null, null, 2]), "shaka auto");
    played.push("hls.js auto", "dash.js auto", "shaka auto");
    console.log(`played to the end: ${played.join(", ")}`);
  }, 120_000);
});
