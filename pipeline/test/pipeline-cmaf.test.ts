// Hermetic: the real TranscodePipeline on the embedded bus and filesystem archive, making the
// default CMAF package with a stand-in for ffmpeg that writes real fragmented-MP4 boxes
// (test/helpers/fmp4.ts) where ffmpeg's HLS muxer would. What the job reports and publishes is
// checked against what the stand-in wrote: sizes, segment times, the two manifests.
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { JobEvent } from "@reeltime/events";
import { validateEvent } from "@reeltime/events";
import { Parser } from "m3u8-parser";
import { describe, expect, it } from "vitest";
import type { ToolRunner } from "../src/ffmpeg/run.ts";
import { TranscodePipeline } from "../src/pipeline.ts";
import { validateMpd } from "./helpers/dash-schema.ts";
import {
  AUDIO_FRAMES,
  FRAME,
  fakeTools,
  ok,
  VIDEO_FRAMES,
  VIDEO_TIMESCALE,
  type Written,
} from "./helpers/fake-cmaf.ts";
import { scratchPipeline } from "./helpers/setup.ts";

function parseM3u8(text: string) {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

async function setup() {
  const { dir, bus, archive, source } = await scratchPipeline("pipeline-cmaf");
  return { dir, bus, archive, source };
}

describe("TranscodePipeline's CMAF package (fake ffmpeg writing fragmented MP4)", () => {
  it("encodes each rendition once into init + .m4s, the audio once per bitrate, and publishes an HLS master and a DASH MPD over the same files", async () => {
    const { dir, bus, archive, source } = await setup();
    const written: Written = { folders: new Map(), encodes: [] };
    const events: JobEvent[] = [];
    const pipeline = new TranscodePipeline(
      { bus, archive, run: fakeTools(written) },
      { concurrency: 1, threads: 1, workRoot: dir, ladder: ["720p", "480p", "360p"], onEvent: (e) => events.push(e) },
    );
    const result = await pipeline.run({ source, videoId: "clip", jobId: "job-cmaf", appId: "app-a" });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("completed");

    // One ffmpeg run per rendition. 720p (128 kb/s) and 480p (96 kb/s) each encode their audio
    // bitrate as a second output of their run; 360p shares 480p's 96 kb/s and encodes none.
    expect(written.encodes).toHaveLength(3);
    expect([...written.folders.keys()].sort()).toEqual(["360p", "480p", "480p/audio", "720p", "720p/audio"]);
    const outputs = (args: string[]) => args.filter((a) => a.endsWith("index.m3u8")).length;
    expect(written.encodes.map(outputs).sort()).toEqual([1, 2, 2]);
    for (const args of written.encodes) {
      expect(args).toContain("fmp4");
      expect(args).toContain("movflags=+cmaf+negative_cts_offsets:use_editlist=0");
      expect(args).not.toContain("mpegts");
    }

    // Each rendition's job.step_completed bytes: every file of its folder (init, segments and the
    // playlist the pipeline rewrote), its audio folder included; the archive holds exactly that.
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const reported = Object.fromEntries(
      events
        .filter((e) => e.event_type === "job.step_completed" && e.job.step === "rendition")
        .map((e) => [e.job.rendition, e.job.bytes]),
    );
    for (const name of ["720p", "480p", "360p"]) {
      const objects = (await archive.list(`media/clip/${name}/`)).filter((o) => !o.key.endsWith("rendition.json"));
      const sizes = await Promise.all(objects.map(async (o) => (await archive.get(o.key)).byteLength));
      expect(sum(sizes), name).toBe(reported[name]);
      const files = [name, `${name}/audio`].flatMap((f) => written.folders.get(f)?.files ?? []);
      const playlists = objects.filter((o) => o.key.endsWith("index.m3u8"));
      const playlistBytes = sum(await Promise.all(playlists.map(async (o) => (await archive.get(o.key)).byteLength)));
      expect(reported[name], name).toBe(sum(files) + playlistBytes);
    }
    const r720 = result.renditions.find((r) => r.name === "720p")!;
    expect(r720.segments).toBe(3);
    expect(r720.mediaDurationMs).toBe(10_000);
    expect(r720.targetBps).toBe(2_800_000 + 128_000);
    expect(r720.achievedBps).toBe(
      Math.round(((written.folders.get("720p")!.media + written.folders.get("720p/audio")!.media) * 8) / 10),
    );
    expect(result.renditions.find((r) => r.name === "360p")!.targetBps).toBe(800_000);

    // The manifests: master.m3u8 (written last) and manifest.mpd beside it, listed by the manifest
    // step and job.completed, every event valid against the contract.
    expect(result.manifestKeys).toEqual(["media/clip/master.m3u8", "media/clip/manifest.mpd"]);
    expect(result.mpdKey).toBe("media/clip/manifest.mpd");
    const manifestStep = events.find((e) => e.event_type === "job.step_completed" && e.job.step === "manifest")!;
    const completed = events.find((e) => e.event_type === "job.completed")!;
    expect(manifestStep.job.manifests).toEqual(result.manifestKeys);
    expect(completed.job.manifests).toEqual(result.manifestKeys);
    for (const e of events) {
      const v = validateEvent(e);
      expect(v.ok ? [] : v.errors).toEqual([]);
    }
    const master = new TextDecoder().decode(await archive.get("media/clip/master.m3u8"));
    const mpd = new TextDecoder().decode(await archive.get("media/clip/manifest.mpd"));
    expect(manifestStep.job.bytes).toBe(
      new TextEncoder().encode(master).byteLength + new TextEncoder().encode(mpd).byteLength,
    );
    expect(await validateMpd(mpd)).toEqual({ valid: true, errors: [] });

    // HLS: three variants, each with its audio group; BANDWIDTH is the video's peak plus its audio's.
    const m = parseM3u8(master);
    expect(m.playlists!.map((p) => [p.uri, p.attributes.AUDIO, p.attributes.CODECS])).toEqual([
      ["720p/index.m3u8", "audio-128k", "avc1.64001f,mp4a.40.2"],
      ["480p/index.m3u8", "audio-96k", "avc1.64001f,mp4a.40.2"],
      ["360p/index.m3u8", "audio-96k", "avc1.64001f,mp4a.40.2"],
    ]);
    const peak = (folder: string, seconds: number[]) =>
      Math.max(...seconds.map((sec, i) => (written.folders.get(folder)!.files[i + 1]! * 8) / sec));
    const videoSeconds = VIDEO_FRAMES.map((n) => (n * FRAME) / VIDEO_TIMESCALE);
    const audioSeconds = AUDIO_FRAMES.map((n) => (n * 1024) / 48_000);
    // The audio's one-frame tail is left out of its peak (shorter than half a segment).
    expect(m.playlists![2]!.attributes.BANDWIDTH).toBe(
      Math.round(peak("360p", videoSeconds)) + Math.round(peak("480p/audio", audioSeconds.slice(0, 3))),
    );
    expect(result.renditions.find((r) => r.name === "360p")!.bandwidth).toBe(m.playlists![2]!.attributes.BANDWIDTH);

    // Each media playlist: EXT-X-MAP, the pipeline's own EXTINFs from the boxes; the MPD's
    // SegmentTimeline of that track has the same durations in ticks.
    const video720 = parseM3u8(new TextDecoder().decode(await archive.get("media/clip/720p/index.m3u8")));
    expect(video720.segments.map((s) => [s.uri, s.duration, s.map?.uri])).toEqual([
      ["seg_00000.m4s", 4, "init.mp4"],
      ["seg_00001.m4s", 4, "init.mp4"],
      ["seg_00002.m4s", 2, "init.mp4"],
    ]);
    const audio96 = parseM3u8(new TextDecoder().decode(await archive.get("media/clip/480p/audio/index.m3u8")));
    expect(audio96.segments.map((s) => s.duration)).toEqual([4.010667, 4.010667, 2.005333, 0.021333]);
    expect(mpd).toContain(
      [
        '<Representation id="720p" bandwidth="' +
          Math.round(peak("720p", videoSeconds)) +
          '" codecs="avc1.64001f" width="1280" height="720" frameRate="30" sar="1:1">',
        '        <SegmentTemplate timescale="15360" initialization="720p/init.mp4" media="720p/seg_$Number%05d$.m4s" startNumber="0">',
        "          <SegmentTimeline>",
        '            <S t="0" d="61440" r="1"/>',
        '            <S d="30720"/>',
      ].join("\n"),
    );
    expect(mpd).toContain(
      [
        '        <SegmentTemplate timescale="48000" initialization="480p/audio/init.mp4" media="480p/audio/seg_$Number%05d$.m4s" startNumber="0">',
        "          <SegmentTimeline>",
        '            <S t="0" d="192512" r="1"/>',
        '            <S d="96256"/>',
        '            <S d="1024"/>',
      ].join("\n"),
    );
    const meta = JSON.parse(new TextDecoder().decode(await archive.get("media/clip/metadata.json")));
    expect(meta).toMatchObject({ segment_format: "cmaf", manifests: result.manifestKeys });
  });

  it("a rerun with the same settings skips every rendition and publishes the same manifests", async () => {
    const { dir, bus, archive, source } = await setup();
    const written: Written = { folders: new Map(), encodes: [] };
    const options = { concurrency: 1, threads: 1, workRoot: dir, ladder: ["480p", "360p"] };
    const first = await new TranscodePipeline({ bus, archive, run: fakeTools(written) }, options).run({
      source,
      videoId: "again",
    });
    const mpd = new TextDecoder().decode(await archive.get("media/again/manifest.mpd"));
    const master = new TextDecoder().decode(await archive.get("media/again/master.m3u8"));
    const second = await new TranscodePipeline({ bus, archive, run: fakeTools(written) }, options).run({
      source,
      videoId: "again",
    });
    expect([first.status, second.status]).toEqual(["completed", "completed"]);
    expect(written.encodes).toHaveLength(2);
    expect(second.renditions.map((r) => r.skipped)).toEqual([true, true]);
    expect(new TextDecoder().decode(await archive.get("media/again/manifest.mpd"))).toBe(mpd);
    expect(new TextDecoder().decode(await archive.get("media/again/master.m3u8"))).toBe(master);

    // Made as MPEG-TS instead, the renditions are encoded again (other settings), and no MPD is named.
    const ts: Written = { folders: new Map(), encodes: [] };
    const tsRun = await new TranscodePipeline(
      { bus, archive, run: fakeTsTools(ts) },
      { ...options, segmentFormat: "ts" },
    ).run({ source, videoId: "again" });
    expect(tsRun.status).toBe("completed");
    expect(ts.encodes).toHaveLength(2);
    expect(tsRun.manifestKeys).toEqual(["media/again/master.m3u8"]);
    expect(tsRun.mpdKey).toBeUndefined();
    expect(new TextDecoder().decode(await archive.get("media/again/master.m3u8"))).toMatch(
      /^#EXTM3U\n#EXT-X-VERSION:6\n/,
    );
  });

  it("refuses an unknown segment format", () => {
    expect(
      () => new TranscodePipeline({ bus: {} as never, archive: {} as never }, { segmentFormat: "webm" as never }),
    ).toThrow(/segment format must be cmaf or ts, got webm/);
  });
});

/** The MPEG-TS stand-in: one muxed output per rendition, three .ts segments and a playlist. */
function fakeTsTools(written: Written): ToolRunner {
  const cmaf = fakeTools(written);
  return async (tool, args, o) => {
    const last = args.at(-1) ?? "";
    if (tool === "ffprobe" && !args.includes("-show_format"))
      return ok(JSON.stringify({ streams: [{ profile: "High", level: 31 }] }));
    if (!last.endsWith("index.m3u8")) return cmaf(tool, args, o);
    written.encodes.push(args);
    const dir = dirname(last);
    const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4"];
    for (const [i, d] of [4, 4, 2].entries()) {
      await writeFile(join(dir, `seg_${String(i).padStart(5, "0")}.ts`), new Uint8Array(1880).fill(0x47));
      lines.push(`#EXTINF:${d}.000000,`, `seg_${String(i).padStart(5, "0")}.ts`);
    }
    await writeFile(last, [...lines, "#EXT-X-ENDLIST", ""].join("\n"));
    return ok();
  };
}
