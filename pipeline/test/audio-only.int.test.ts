// Integration (real ffmpeg and ffprobe; no services): an audio-only source made by ffmpeg (a
// 10.5 s sine sweep in MP3, no video stream) packaged as the audio-only CMAF ladder. The MPD
// validates against the committed schema; the HLS master's variants are audio only; every track's
// HLS EXTINFs equal its MPD S@d, and both equal the packet times ffprobe reads from the files.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Parser } from "m3u8-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAudioOnly, planAudioOnly } from "../src/audio-only/ladder.ts";
import { type AudioOnlyPackage, packageAudioOnly } from "../src/audio-only/package.ts";
import { probe } from "../src/ffmpeg/probe.ts";
import { runTool } from "../src/ffmpeg/run.ts";
import { TranscodePipeline } from "../src/pipeline.ts";
import { validateMpd } from "./helpers/dash-schema.ts";
import { expectValidSequence, testDeps } from "./helpers/setup.ts";

const exec = promisify(execFile);

function parseM3u8(text: string) {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

describe("audio-only CMAF ladder (real ffmpeg)", () => {
  let dir: string;
  let pkg: AudioOnlyPackage;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reeltime-audio-only-"));
    const source = join(dir, "podcast.mp3");
    await exec("ffmpeg", [
      ...["-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=10.5"],
      ...["-ac", "2", "-c:a", "libmp3lame", "-b:a", "192k", source],
    ]);
    const info = await probe(runTool, source, "ffprobe");
    expect(info.video).toBeUndefined();
    expect(isAudioOnly(info)).toBe(true);
    pkg = await packageAudioOnly({
      run: runTool,
      ffmpeg: "ffmpeg",
      source,
      dir: join(dir, "out"),
      plans: planAudioOnly(info),
      segmentSeconds: 4,
    });
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the MPD validates against the DASH schema: one audio AdaptationSet, three Representations", async () => {
    const mpd = await readFile(join(dir, "out", "manifest.mpd"), "utf8");
    expect(mpd).toBe(pkg.mpd);
    const r = await validateMpd(mpd);
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
    expect(mpd.match(/<AdaptationSet /g)).toHaveLength(1);
    expect([...mpd.matchAll(/<Representation id="([^"]+)"/g)].map((x) => x[1])).toEqual([
      "audio-128k",
      "audio-96k",
      "audio-64k",
    ]);
  });

  it("the HLS master lists three audio-only variants, and the measured bitrates follow the ladder", async () => {
    const master = parseM3u8(await readFile(join(dir, "out", "master.m3u8"), "utf8"));
    const variants = master.playlists!;
    expect(variants.map((p) => p.uri)).toEqual([
      "audio-128k/index.m3u8",
      "audio-96k/index.m3u8",
      "audio-64k/index.m3u8",
    ]);
    for (const v of variants) {
      expect(v.attributes.CODECS).toBe("mp4a.40.2");
      expect(v.attributes.RESOLUTION).toBeUndefined();
    }
    const bw = variants.map((v) => v.attributes.BANDWIDTH as number);
    expect(bw[0]!).toBeGreaterThan(bw[1]!);
    expect(bw[1]!).toBeGreaterThan(bw[2]!);
    for (const t of pkg.tracks) {
      // Mean bitrate within 25% of the target (AAC's rate control on a sine, plus fMP4 overhead).
      expect(t.averageBandwidth / t.bps, t.group).toBeGreaterThan(0.75);
      expect(t.averageBandwidth / t.bps, t.group).toBeLessThan(1.25);
    }
  });

  it("HLS EXTINF = DASH S@d = ffprobe's packet times, segment by segment, on every track", async () => {
    const report: string[] = [];
    const reference = pkg.tracks[0]!;
    for (const t of pkg.tracks) {
      const media = parseM3u8(await readFile(join(dir, "out", t.dir, "index.m3u8"), "utf8"));
      expect(media.endList).toBe(true);
      expect(media.segments[0]!.map!.uri).toBe("init.mp4");
      // The MPD's timeline for this Representation, expanded.
      const rep = pkg.mpd.split(`<Representation id="${t.group}"`)[1]!.split("</Representation>")[0]!;
      const timescale = Number(rep.match(/timescale="(\d+)"/)![1]);
      const segments: [number, number][] = [];
      let at = 0;
      for (const s of rep.matchAll(/<S( t="(\d+)")? d="(\d+)"( r="(\d+)")?\/>/g)) {
        if (s[2] !== undefined) at = Number(s[2]);
        for (let i = 0; i <= Number(s[5] ?? 0); i++) {
          segments.push([at, Number(s[3])]);
          at += Number(s[3]);
        }
      }
      expect(media.segments.map((s) => s.duration.toFixed(6))).toEqual(
        segments.map(([, d]) => (d / timescale).toFixed(6)),
      );
      // ffprobe on init + every segment as one file: each segment's first packet starts at t, and
      // the next one's start (or the stream's end, start_pts + duration_ts) is t + d. The stream's
      // end, not the last packet's: AAC's last frame is cut to the source's end in its trun (its
      // sample duration is the samples left, 192 here), while ffprobe gives every packet 1024.
      const files = ["init.mp4", ...media.segments.map((s) => s.uri)];
      const bodies = await Promise.all(files.map((f) => readFile(join(dir, "out", t.dir, f))));
      const joined = join(dir, `probe-${t.group}.mp4`);
      await writeFile(joined, Buffer.concat(bodies));
      const { stdout } = await exec(
        "ffprobe",
        [
          "-v",
          "error",
          "-of",
          "json",
          "-show_entries",
          "packet=pos,dts,duration",
          "-show_entries",
          "stream=time_base,start_pts,duration_ts",
          joined,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      const probed = JSON.parse(stdout) as {
        packets: { pos: string; dts: number }[];
        streams: { time_base: string; start_pts: number; duration_ts: number }[];
      };
      expect(probed.streams[0]!.time_base).toBe(`1/${timescale}`);
      const offsets = bodies.map((_, i) => bodies.slice(0, i + 1).reduce((n, b) => n + b.byteLength, 0));
      const groups = segments.map((_, i) =>
        probed.packets.filter((p) => Number(p.pos) >= offsets[i]! && Number(p.pos) < offsets[i + 1]!),
      );
      const end = probed.streams[0]!.start_pts + probed.streams[0]!.duration_ts;
      for (const [i, [start, d]] of segments.entries()) {
        expect(groups[i]!.length, `${t.group} segment ${i}`).toBeGreaterThan(0);
        expect(groups[i]![0]!.dts, `${t.group} segment ${i} start`).toBe(start);
        expect((groups[i + 1]?.[0]?.dts ?? end) - start, `${t.group} segment ${i} duration`).toBe(d);
      }
      // Every bitrate cuts at the same instants.
      expect(t.timeline).toEqual(reference.timeline);
      report.push(
        `${t.group}: ${segments.length} segments, ${segments.map(([, d]) => (d / timescale).toFixed(6)).join(" + ")} s`,
      );
    }
    expect(pkg.tracks).toHaveLength(3);
    console.log(`segments (HLS = DASH = ffprobe):\n  ${report.join("\n  ")}`);
  });
});

describe("the pipeline packages an audio-only upload as the audio-only ladder (embedded bus, fs archive)", () => {
  it("probe, silence and loudness, a rendition step per AAC track, metadata, manifest; MPD valid, master audio only", async () => {
    const { bus, archive } = await testDeps();
    const dir = await mkdtemp(join(tmpdir(), "reeltime-audio-only-job-"));
    try {
      const source = join(dir, "episode.m4a");
      await exec("ffmpeg", [
        ...["-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100:duration=9"],
        ...["-ac", "2", "-c:a", "aac", "-b:a", "160k", source],
      ]);
      const result = await new TranscodePipeline({ bus, archive }, { segmentSeconds: 4 }).run({
        source,
        jobId: "job-audio-only",
        videoId: "episode",
      });
      expect(result.error).toBeUndefined();
      expect(result.status).toBe("completed");
      expect(result.renditions.map((r) => [r.name, r.codecs, r.segments])).toEqual([
        ["audio-128k", "mp4a.40.2", 3],
        ["audio-96k", "mp4a.40.2", 3],
        ["audio-64k", "mp4a.40.2", 3],
      ]);
      const events = expectValidSequence(bus, "job-audio-only");
      const completed = events.filter((e) => e.event_type === "job.step_completed").map((e) => e.job.step);
      expect(completed.filter((s) => s === "rendition")).toHaveLength(3);
      expect(completed).toEqual(expect.arrayContaining(["probe", "silence", "loudness", "metadata", "manifest"]));
      expect(completed).not.toContain("thumbnails");
      expect(completed).not.toContain("scenes");
      expect(events.at(-1)!.event_type).toBe("job.completed");
      expect(events.at(-1)!.job.manifests).toEqual(["media/episode/master.m3u8", "media/episode/manifest.mpd"]);
      const mpd = new TextDecoder().decode(await archive.get("media/episode/manifest.mpd"));
      const r = await validateMpd(mpd);
      expect(r.errors).toEqual([]);
      expect(mpd.match(/<AdaptationSet /g)).toHaveLength(1);
      const master = parseM3u8(new TextDecoder().decode(await archive.get("media/episode/master.m3u8")));
      expect(master.playlists!.map((p) => [p.uri, p.attributes.CODECS])).toEqual([
        ["audio-128k/index.m3u8", "mp4a.40.2"],
        ["audio-96k/index.m3u8", "mp4a.40.2"],
        ["audio-64k/index.m3u8", "mp4a.40.2"],
      ]);
      const keys = (await archive.list("media/episode/")).map((o) => o.key);
      expect(keys).toEqual(
        expect.arrayContaining([
          "media/episode/audio-64k/init.mp4",
          "media/episode/audio-64k/seg_00002.m4s",
          "media/episode/audio-64k/index.m3u8",
          "media/episode/metadata.json",
        ]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
