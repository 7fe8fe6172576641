// Integration (real ffmpeg and ffprobe, headless Chromium; no services: the embedded bus and the
// filesystem archive), beside cmaf.int.test.ts and on the same players page (helpers/players.ts):
// - the audio-only ladder, asked for on a clip that has video (`audioOnly: "always"`, what
//   `reeltime transcode --audio-only` sets): every AAC rendition plays to the end on an <audio>
//   element in hls.js (HLS), dash.js and Shaka Player (DASH), forced with ABR off, and each
//   manifest with ABR on; a clip without audio is refused at the probe;
// - a video with WebVTT subtitles (en, fr, and a malformed de): the de step fails alone and the
//   video completes; the MPD validates; hls.js, dash.js and Shaka list the en and fr subtitle
//   tracks, play to the end with fr selected, and load its cues at the file's times.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RecordingArchive, RecordingBus } from "@reeltime/testkit";
import { Parser } from "m3u8-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JobResult, TranscodePipeline } from "../src/pipeline.ts";
import { subtitleSource } from "../src/subtitles/sources.ts";
import { makeClip } from "./helpers/clips.ts";
import { validateMpd } from "./helpers/dash-schema.ts";
import { expectPlayed, openPlayers, type Players } from "./helpers/players.ts";
import { expectValidSequence, testDeps } from "./helpers/setup.ts";

function parseM3u8(text: string) {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

describe("the audio-only ladder plays on an <audio> element (hls.js, dash.js, Shaka Player)", () => {
  const VIDEO = "audio-only-int";
  let bus: RecordingBus;
  let archive: RecordingArchive;
  let result: JobResult;
  let players: Players;

  beforeAll(async () => {
    ({ bus, archive } = await testDeps());
    const source = await makeClip({ width: 640, height: 360, seconds: 6 });
    result = await new TranscodePipeline(
      { bus, archive },
      { segmentSeconds: 2, concurrency: 1, audioOnly: "always", analysis: false },
    ).run({ source, videoId: VIDEO, jobId: "job-audio-only-int" });
    expect(result.error).toBeUndefined();
    players = await openPlayers(archive);
  }, 180_000);

  afterAll(async () => {
    await players?.close();
  });

  const text = async (key: string) => new TextDecoder().decode(await archive.get(key));
  const NAMES = ["audio-128k", "audio-96k", "audio-64k"];

  it("packages three AAC renditions and no picture, even though the clip has video", async () => {
    expect(result.status).toBe("completed");
    expect(result.renditions.map((r) => [r.name, r.codecs, r.width, r.height])).toEqual(
      NAMES.map((n) => [n, "mp4a.40.2", 0, 0]),
    );
    const events = expectValidSequence(bus, "job-audio-only-int");
    expect(events.filter((e) => e.event_type === "job.step_completed").map((e) => e.job.step)).not.toContain(
      "thumbnails",
    );
    const master = parseM3u8(await text(`media/${VIDEO}/master.m3u8`));
    expect(master.playlists!.map((p) => [p.uri, p.attributes.RESOLUTION])).toEqual(
      NAMES.map((n) => [`${n}/index.m3u8`, undefined]),
    );
    const mpd = await text(`media/${VIDEO}/manifest.mpd`);
    expect(await validateMpd(mpd)).toEqual({ valid: true, errors: [] });
    expect(mpd).not.toContain('contentType="video"');
  });

  const played: string[] = [];

  it("every rendition plays to the end in hls.js from the HLS master, the level forced (ABR off)", async () => {
    for (const name of NAMES) {
      const p = await players.play("playHlsLevel", [`${players.url}/media/${VIDEO}/master.m3u8`, `${name}/`, 2, "a"]);
      expectPlayed(p, `hls.js ${name}`, 5.5);
      expect(p.rendered.level, `hls.js ${name}`).toContain(`/${name}/index.m3u8`);
      expect([p.width, p.height], `hls.js ${name}`).toEqual([0, 0]);
      played.push(`hls.js ${name}`);
    }
  }, 120_000);

  it("every rendition plays to the end in dash.js from the MPD, the Representation forced (ABR off)", async () => {
    for (const name of NAMES) {
      const p = await players.play("playDash", [`${players.url}/media/${VIDEO}/manifest.mpd`, null, name, 2, "a"]);
      expectPlayed(p, `dash.js ${name}`, 5.5);
      expect(p.rendered.audio, `dash.js ${name}`).toBe(name);
      expect(p.rendered.video, `dash.js ${name}`).toBeUndefined();
      played.push(`dash.js ${name}`);
    }
  }, 120_000);

  it("every rendition plays to the end in Shaka Player from the MPD, the variant forced (ABR off)", async () => {
    for (const name of NAMES) {
      const p = await players.play("playShaka", [`${players.url}/media/${VIDEO}/manifest.mpd`, null, name, 2, "a"]);
      expectPlayed(p, `shaka ${name}`, 5.5);
      expect(p.rendered.audio, `shaka ${name}`).toBe(name);
      played.push(`shaka ${name}`);
    }
  }, 120_000);

  it("each manifest plays to the end on <audio> with ABR on: hls.js, dash.js, Shaka Player", async () => {
    const hls = `${players.url}/media/${VIDEO}/master.m3u8`;
    const mpd = `${players.url}/media/${VIDEO}/manifest.mpd`;
    expectPlayed(await players.play("playHlsLevel", [hls, -1, 2, "a"]), "hls.js auto", 5.5);
    expectPlayed(await players.play("playDash", [mpd, null, null, 2, "a"]), "dash.js auto", 5.5);
    expectPlayed(await players.play("playShaka", [mpd, null, null, 2, "a"]), "shaka auto", 5.5);
    played.push("hls.js auto", "dash.js auto", "shaka auto");
    console.log(`audio only, played to the end on <audio>: ${played.join(", ")}`);
  }, 120_000);

  it("refuses a clip without audio at the probe: REELTIME_ERR_NO_AUDIO_STREAM", async () => {
    const source = await makeClip({ width: 320, height: 240, seconds: 2, audio: false });
    const r = await new TranscodePipeline({ bus, archive }, { audioOnly: "always", analysis: false }).run({
      source,
      videoId: "no-audio-int",
      jobId: "job-no-audio-int",
    });
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({
      code: "REELTIME_ERR_NO_AUDIO_STREAM",
      step: "probe",
      message: expect.stringMatching(/has no audio stream \(only h264 video\): an audio-only package needs/),
    });
  }, 60_000);
});

describe("a video with WebVTT subtitles: HLS subtitle renditions and DASH text sets in the players", () => {
  const VIDEO = "subtitles-int";
  const EN = "WEBVTT\n\n00:00:00.500 --> 00:00:02.500\nHello\n\n00:00:03.000 --> 00:00:05.000\nWorld\n";
  const FR = "WEBVTT\n\n00:00:00.500 --> 00:00:02.500\nBonjour\n\n00:00:03.000 --> 00:00:05.000\nle monde\n";
  const FR_CUES: [number, number, string][] = [
    [0.5, 2.5, "Bonjour"],
    [3, 5, "le monde"],
  ];
  let bus: RecordingBus;
  let archive: RecordingArchive;
  let result: JobResult;
  let players: Players;

  beforeAll(async () => {
    let dir: string;
    ({ bus, archive, dir } = await testDeps());
    await writeFile(join(dir, "en.vtt"), EN);
    await writeFile(join(dir, "fr.vtt"), FR);
    await writeFile(join(dir, "de.vtt"), "1\n00:00:00,500 --> 00:00:02,500\nHallo\n");
    const source = await makeClip({ width: 640, height: 360, seconds: 6 });
    result = await new TranscodePipeline(
      { bus, archive },
      { segmentSeconds: 2, concurrency: 1, ladder: ["360p", "240p"], analysis: false },
    ).run({
      source,
      videoId: VIDEO,
      jobId: "job-subtitles-int",
      subtitles: [
        subtitleSource("en", join(dir, "en.vtt")),
        subtitleSource("fr", join(dir, "fr.vtt")),
        subtitleSource("de", join(dir, "de.vtt")),
      ],
    });
    players = await openPlayers(archive);
  }, 180_000);

  afterAll(async () => {
    await players?.close();
  });

  const text = async (key: string) => new TextDecoder().decode(await archive.get(key));
  const LISTED = [
    ["en", "English"],
    ["fr", "French"],
  ];

  it("the malformed de fails its own step; the video completes with en and fr, and the MPD validates", async () => {
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("completed");
    expect(result.subtitles!.map((s) => s.language)).toEqual(["en", "fr"]);
    const events = expectValidSequence(bus, "job-subtitles-int");
    const de = events.filter((e) => e.job.step === "subtitles" && e.job.rendition === "subtitles-de");
    expect(de.map((e) => e.event_type)).toEqual(["job.step_started", "job.step_failed"]);
    expect(de[1]!.job.error!.code).toBe("REELTIME_ERR_BAD_SUBTITLES");
    expect(events.at(-1)!.event_type).toBe("job.completed");
    const master = parseM3u8(await text(`media/${VIDEO}/master.m3u8`));
    expect(master.playlists!.map((p) => p.attributes.SUBTITLES)).toEqual(["subs", "subs"]);
    expect(await validateMpd(await text(`media/${VIDEO}/manifest.mpd`))).toEqual({ valid: true, errors: [] });
  });

  it("hls.js lists en and fr (subtitleTracks), plays to the end with fr on and loads its cues", async () => {
    const p = await players.play("playHlsSubtitles", [`${players.url}/media/${VIDEO}/master.m3u8`, "fr", 2]);
    expectPlayed(p, "hls.js subtitles", 5.5);
    expect(p.subtitles).toEqual(LISTED);
    expect(p.cues!.find((t) => t.language === "fr")?.cues).toEqual(FR_CUES);
  }, 60_000);

  it('dash.js lists en and fr (getTracksFor("text")), plays to the end with fr on and loads its cues', async () => {
    const p = await players.play("playDashSubtitles", [`${players.url}/media/${VIDEO}/manifest.mpd`, "fr", 2]);
    expectPlayed(p, "dash.js subtitles", 5.5);
    expect(p.subtitles).toEqual(LISTED);
    expect(p.cues!.find((t) => t.language === "fr")?.cues).toEqual(FR_CUES);
  }, 60_000);

  it("Shaka Player lists en and fr (getTextTracks), plays to the end with fr on and loads its cues", async () => {
    const p = await players.play("playShakaSubtitles", [`${players.url}/media/${VIDEO}/manifest.mpd`, "fr", 2]);
    expectPlayed(p, "shaka subtitles", 5.5);
    expect(p.subtitles).toEqual(LISTED);
    expect(p.cues!.flatMap((t) => t.cues)).toEqual(FR_CUES);
  }, 60_000);
});
