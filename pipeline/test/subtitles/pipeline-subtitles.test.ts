// Hermetic: the real TranscodePipeline (embedded bus, filesystem archive, the stand-in ffmpeg of
// helpers/fake-cmaf.ts) with subtitle files: a `subtitles` step per language beside the encodes; a
// malformed or missing file fails its step alone (REELTIME_ERR_BAD_SUBTITLES, not retried) and is
// left out of the manifests, and the video completes with the others. Also the audio-only ladder
// asked for on a source without audio (REELTIME_ERR_NO_AUDIO_STREAM).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type JobEvent, validateEvent } from "@reeltime/events";
import { Parser } from "m3u8-parser";
import { describe, expect, it } from "vitest";
import { TranscodePipeline } from "../../src/pipeline.ts";
import { subtitleSource } from "../../src/subtitles/sources.ts";
import { validateMpd } from "../helpers/dash-schema.ts";
import { fakeTools, type Written } from "../helpers/fake-cmaf.ts";
import { scratchPipeline } from "../helpers/setup.ts";

const EN = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello\n\n00:00:04.000 --> 00:00:06.000\nWorld\n";
const DE = "WEBVTT\n\n00:01.000 --> 00:03.000\nHallo\n";
/** An SRT file named .vtt: the usual mistake. */
const FR = "1\n00:00:01,000 --> 00:00:03,000\nBonjour\n";

async function setup() {
  const { dir, bus, archive, source } = await scratchPipeline("pipeline-subs");
  for (const [name, text] of Object.entries({ "en.vtt": EN, "de.vtt": DE, "fr.vtt": FR }))
    await writeFile(join(dir, name), text);
  return { dir, bus, archive, source };
}

const text = async (archive: { get(k: string): Promise<Uint8Array> }, key: string) =>
  new TextDecoder().decode(await archive.get(key));

describe("subtitles in a CMAF job", () => {
  it("publishes the valid files as subtitle renditions; a malformed and a missing one fail their own step and the video completes", async () => {
    const { dir, bus, archive, source } = await setup();
    const events: JobEvent[] = [];
    const written: Written = { folders: new Map(), encodes: [] };
    const result = await new TranscodePipeline(
      { bus, archive, run: fakeTools(written) },
      { concurrency: 1, threads: 1, workRoot: dir, ladder: ["480p", "360p"], onEvent: (e) => events.push(e) },
    ).run({
      source,
      videoId: "clip",
      jobId: "job-subs",
      subtitles: [
        subtitleSource("en", join(dir, "en.vtt")),
        subtitleSource("fr", join(dir, "fr.vtt"), "uploads/app/clip/subtitles/fr.vtt"),
        subtitleSource("de", join(dir, "de.vtt")),
        subtitleSource("es", join(dir, "missing.vtt")),
      ],
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("completed");
    expect(result.subtitles!.map((s) => [s.language, s.name, s.vtt])).toEqual([
      ["en", "English", "subtitles/en.vtt"],
      ["de", "German", "subtitles/de.vtt"],
    ]);
    for (const e of events) {
      const v = validateEvent(e);
      expect(v.ok ? [] : v.errors).toEqual([]);
    }

    // One subtitles step per language, like the other steps; the bad ones once each (not retried).
    const of = (type: string) =>
      events.filter((e) => e.event_type === type && e.job.step === "subtitles").map((e) => e.job.rendition);
    expect(of("job.step_started").sort()).toEqual(["subtitles-de", "subtitles-en", "subtitles-es", "subtitles-fr"]);
    expect(of("job.step_completed").sort()).toEqual(["subtitles-de", "subtitles-en"]);
    expect(of("job.step_failed").sort()).toEqual(["subtitles-es", "subtitles-fr"]);
    const failed = events.find((e) => e.event_type === "job.step_failed" && e.job.rendition === "subtitles-fr")!;
    expect(failed.job.error).toEqual({
      code: "REELTIME_ERR_BAD_SUBTITLES",
      message: expect.stringMatching(
        /^uploads\/app\/clip\/subtitles\/fr\.vtt is not valid WebVTT: line 1: No valid signature/,
      ),
    });
    const missing = events.find((e) => e.event_type === "job.step_failed" && e.job.rendition === "subtitles-es")!;
    expect(missing.job.error!.message).toMatch(/missing\.vtt cannot be read \(ENOENT\): check the path/);
    const en = events.find((e) => e.event_type === "job.step_completed" && e.job.rendition === "subtitles-en")!;
    expect(en.job.bytes).toBe(EN.length + (await archive.get("media/clip/subtitles/en.m3u8")).byteLength);
    expect(events.at(-1)!.event_type).toBe("job.completed");

    // The files, and manifests naming only the languages that made it.
    expect(await text(archive, "media/clip/subtitles/en.vtt")).toBe(EN);
    expect(await archive.exists("media/clip/subtitles/fr.vtt")).toBe(false);
    const master = await text(archive, "media/clip/master.m3u8");
    const p = new Parser();
    p.push(master);
    p.end();
    expect(Object.keys(p.manifest.mediaGroups!.SUBTITLES!.subs as object)).toEqual(["English", "German"]);
    expect(p.manifest.playlists!.map((v) => v.attributes.SUBTITLES)).toEqual(["subs", "subs"]);
    const media = new Parser();
    media.push(await text(archive, "media/clip/subtitles/en.m3u8"));
    media.end();
    expect(media.manifest.segments.map((s) => [s.uri, s.duration])).toEqual([["en.vtt", 10]]);
    const mpd = await text(archive, "media/clip/manifest.mpd");
    expect(await validateMpd(mpd)).toEqual({ valid: true, errors: [] });
    expect([...mpd.matchAll(/contentType="text" mimeType="text\/vtt" lang="([^"]+)"/g)].map((m) => m[1])).toEqual([
      "en",
      "de",
    ]);
    const metadata = JSON.parse(await text(archive, "media/clip/metadata.json")) as {
      subtitles: { language: string }[];
    };
    expect(metadata.subtitles.map((s) => s.language)).toEqual(["en", "de"]);
  });

  it("refuses subtitles with MPEG-TS segments before the job starts", async () => {
    const { dir, bus, archive, source } = await setup();
    const pipeline = new TranscodePipeline(
      { bus, archive, run: fakeTools({ folders: new Map(), encodes: [] }) },
      { segmentFormat: "ts", workRoot: dir },
    );
    await expect(
      pipeline.run({ source, subtitles: [subtitleSource("en", join(dir, "en.vtt"))] }),
    ).rejects.toMatchObject({ code: "REELTIME_ERR_USAGE", message: expect.stringMatching(/use segment format cmaf/) });
  });
});

describe("the audio-only ladder asked for", () => {
  it("fails the probe of a source without audio with REELTIME_ERR_NO_AUDIO_STREAM", async () => {
    const { dir, bus, archive, source } = await setup();
    const result = await new TranscodePipeline(
      { bus, archive, run: fakeTools({ folders: new Map(), encodes: [] }, { audio: false }) },
      { audioOnly: "always", workRoot: dir },
    ).run({ source, videoId: "silent", jobId: "job-silent", sourceLabel: "silent.mp4" });
    expect(result.status).toBe("failed");
    expect(result.error).toEqual({
      code: "REELTIME_ERR_NO_AUDIO_STREAM",
      step: "probe",
      message: "silent.mp4 has no audio stream (only h264 video): an audio-only package needs a source with audio",
    });
    expect(await archive.exists("media/silent/master.m3u8")).toBe(false);
  });
});
