import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RecordingArchive, RecordingBus } from "@reeltime/testkit";
import { Parser } from "m3u8-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { type JobResult, TranscodePipeline } from "../src/pipeline.ts";
import { ffprobeJson, makeClip } from "./helpers/clips.ts";
import { expectValidSequence, exportTo, testDeps } from "./helpers/setup.ts";

function parse(text: string) {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

describe("a 6 s 640x360 clip through the whole DAG", () => {
  let bus: RecordingBus;
  let archive: RecordingArchive;
  let result: JobResult;
  let out: string;

  beforeAll(async () => {
    const deps = await testDeps();
    ({ bus, archive } = deps);
    out = deps.dir;
    const source = await makeClip({ width: 640, height: 360, seconds: 6 });
    // The MPEG-TS option: this file checks TS segments (test/cmaf.int.test.ts covers the default CMAF package).
    const pipeline = new TranscodePipeline(
      { bus, archive },
      { segmentSeconds: 2, progressIntervalMs: 200, segmentFormat: "ts" },
    );
    result = await pipeline.run({ source, videoId: "clip-360", jobId: "job-happy", title: "Test pattern" });
    await exportTo(archive, "media/clip-360/", out);
  }, 60_000);

  it("completes with the ladder capped at the source (360p, 240p; never upscaled)", () => {
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("completed");
    expect(result.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ["360p", 640, 360],
      ["240p", 426, 240],
    ]);
  });

  it("writes a master playlist that a well-kept m3u8 parser reads", async () => {
    const master = parse(await archive.text("media/clip-360/master.m3u8"));
    expect(master.playlists).toHaveLength(2);
    const [top, low] = master.playlists!;
    expect(top!.uri).toBe("360p/index.m3u8");
    expect(top!.attributes.RESOLUTION).toEqual({ width: 640, height: 360 });
    expect(top!.attributes.CODECS).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    expect(top!.attributes.BANDWIDTH).toBeGreaterThan(low!.attributes.BANDWIDTH!);
    expect(low!.attributes.RESOLUTION).toEqual({ width: 426, height: 240 });
  });

  it("cuts every rendition into the same segments, whose durations add up to the source", async () => {
    for (const r of result.renditions) {
      const media = parse(await archive.text(`media/clip-360/${r.name}/index.m3u8`));
      expect(media.endList).toBe(true);
      expect(media.segments.map((s) => s.duration.toFixed(2))).toEqual(["2.00", "2.00", "2.00"]);
      expect(r.segments).toBe(3);
      for (const s of media.segments) expect(await archive.exists(`media/clip-360/${r.name}/${s.uri}`)).toBe(true);
    }
  });

  it("aligns keyframes across renditions: each segment starts on a keyframe at the same time", async () => {
    const starts: Record<string, string[]> = {};
    for (const r of result.renditions) {
      starts[r.name] = [];
      for (const seg of ["seg_00000.ts", "seg_00001.ts", "seg_00002.ts"]) {
        const probe = (await ffprobeJson([
          ...["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", join(out, r.name, seg)],
        ])) as { packets: { pts_time: string; flags: string }[] };
        const keyframes = probe.packets.filter((p) => p.flags.includes("K"));
        expect(probe.packets[0]!.flags).toContain("K");
        expect(keyframes).toHaveLength(1);
        starts[r.name]!.push(Number(probe.packets[0]!.pts_time).toFixed(3));
      }
    }
    expect(starts["240p"]).toEqual(starts["360p"]);
  });

  it("makes a poster, a sprite and a WebVTT track pointing into it", async () => {
    const vtt = await archive.text("media/clip-360/thumbnails/thumbnails.vtt");
    expect(vtt.startsWith("WEBVTT\n")).toBe(true);
    const cues = vtt.match(/-->/g) ?? [];
    expect(cues).toHaveLength(6);
    expect(vtt).toContain("00:00:05.000 --> 00:00:06.000\nsprite.jpg#xywh=800,0,160,90");
    const sprite = (await ffprobeJson([
      "-show_entries",
      "stream=width,height",
      join(out, "thumbnails/sprite.jpg"),
    ])) as {
      streams: { width: number; height: number }[];
    };
    expect(sprite.streams[0]).toEqual({ width: 960, height: 90 });
    const poster = await readFile(join(out, "thumbnails/poster.jpg"));
    expect([poster[0], poster[1]]).toEqual([0xff, 0xd8]);
  });

  it("writes the master playlist last, after the metadata record", async () => {
    expect(archive.writes.at(-1)).toBe("media/clip-360/master.m3u8");
    const meta = JSON.parse(await archive.text("media/clip-360/metadata.json"));
    expect(meta.renditions.map((r: { name: string }) => r.name)).toEqual(["360p", "240p"]);
    expect(meta.source).toMatchObject({ width: 640, height: 360, video_codec: "h264", audio_codec: "aac" });
  });

  it("reports every step as valid job events, in order", () => {
    const events = expectValidSequence(bus, "job-happy");
    const types = events.map(
      (e) => `${e.event_type}:${e.job.step ?? ""}${e.job.rendition ? `/${e.job.rendition}` : ""}`,
    );
    expect(types[0]).toBe("job.created:");
    expect(types.slice(1, 3)).toEqual(["job.step_started:probe", "job.step_completed:probe"]);
    expect(types.slice(-5)).toEqual([
      "job.step_started:metadata",
      "job.step_completed:metadata",
      "job.step_started:manifest",
      "job.step_completed:manifest",
      "job.completed:",
    ]);
    for (const step of ["rendition/360p", "rendition/240p", "thumbnails"])
      expect(types.indexOf(`job.step_started:${step}`)).toBeLessThan(types.indexOf(`job.step_completed:${step}`));
    const done = events.find((e) => e.event_type === "job.step_completed" && e.job.rendition === "360p")!;
    expect(done.job).toMatchObject({
      width: 640,
      height: 360,
      codec: "h264",
      segments: 3,
      target_bitrate_bps: 896_000,
    });
    expect(done.job.bytes).toBeGreaterThan(0);
    expect(done.job.bitrate_bps).toBeGreaterThan(0);
    expect(done.job.speed).toBeGreaterThan(0);
    expect(done.job.duration_ms).toBeGreaterThan(0);
    const completed = events.at(-1)!;
    expect(completed.job).toMatchObject({ status: "completed", renditions: 2, media_duration_ms: 6000 });
    expect(completed.video).toMatchObject({ id: "clip-360", title: "Test pattern", duration_ms: 6000 });
  });
});
