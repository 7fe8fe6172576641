import { ReeltimeError } from "@reeltime/runtime";
import { type Command, Option } from "commander";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 30)
    throw new ReeltimeError(
      "REELTIME_ERR_USAGE",
      `--segment-seconds must be a whole number from 1 to 30, got ${value}`,
    );
  return n;
}

/**
 * `--segments cmaf|ts`: fragmented-MP4 (CMAF) segments named by an HLS playlist set and a DASH
 * MPD (default), or MPEG-TS segments and HLS only, for players without fragmented MP4 (HLS
 * clients before iOS 10, old set-top boxes and TVs).
 */
export function segmentsOption(): Option {
  return new Option(
    "--segments <format>",
    "cmaf: fragmented MP4 for HLS and DASH; ts: MPEG-TS segments, HLS only (players without fMP4)",
  )
    .choices(["cmaf", "ts"])
    .default("cmaf");
}

const collect = (value: string, all: string[] = []) => [...all, value];

/** `reeltime transcode FILE`: one file through the transcoding pipeline, with a progress bar. */
export function registerTranscode(program: Command): void {
  program
    .command("transcode")
    .description(
      "transcode a local video into an H.264/AAC ladder packaged as CMAF for HLS and DASH (master.m3u8 and " +
        "manifest.mpd over the same segments; --segments ts for MPEG-TS HLS only), with thumbnails; a source with " +
        "audio and no video (or any, with --audio-only) becomes the audio-only AAC ladder; --subtitles adds WebVTT " +
        "subtitle renditions; outputs go to the archive under media/<video_id>/ and job events to the bus " +
        "(REELTIME_ARCHIVE, REELTIME_BUS)",
    )
    .argument("<file>", "the source video")
    .option("--video-id <id>", "id of the video (default: from the file name)")
    .option("--title <title>", "title carried in the job events")
    .option("--segment-seconds <n>", "segment length in seconds (1-30)", positiveInt, 4)
    .addOption(segmentsOption())
    .option("--ladder <rungs>", "comma-separated renditions, e.g. 720p,480p (capped at the source's size)")
    .option(
      "--subtitles <lang=file>",
      "WebVTT subtitles as LANG=FILE (BCP 47 language, e.g. en=talk.en.vtt,pt-BR=talk.pt.vtt); repeat or " +
        "comma-separate for more languages. Each becomes an HLS subtitle rendition and a DASH text set; a file that " +
        "is not valid WebVTT is left out (its step fails with the reason) and the video still completes",
      collect,
    )
    .option(
      "--audio-only",
      "package the audio-only ladder (AAC 128/96/64 kb/s, no picture) even when the source has video; " +
        "a source without audio is refused (REELTIME_ERR_NO_AUDIO_STREAM)",
    )
    .option("--out <dir>", "also copy the finished package to DIR/<video_id>/")
    .addOption(
      new Option("--app <id>", "the app the video belongs to (its job events carry it)").env("REELTIME_APP_ID"),
    )
    .action(
      async (
        file: string,
        o: {
          videoId?: string;
          title?: string;
          segmentSeconds: number;
          segments: "cmaf" | "ts";
          ladder?: string;
          out?: string;
          app?: string;
          subtitles?: string[];
          audioOnly?: boolean;
        },
      ) => {
        const { transcodeCommand } = await import("@reeltime/pipeline");
        await transcodeCommand(file, {
          segmentSeconds: o.segmentSeconds,
          segmentFormat: o.segments,
          ...(o.videoId ? { videoId: o.videoId } : {}),
          ...(o.title ? { title: o.title } : {}),
          ...(o.ladder ? { ladder: o.ladder.split(",").filter(Boolean) } : {}),
          ...(o.out ? { out: o.out } : {}),
          ...(o.app ? { appId: o.app } : {}),
          ...(o.subtitles ? { subtitles: o.subtitles } : {}),
          ...(o.audioOnly ? { audioOnly: true } : {}),
        });
      },
    );
}
