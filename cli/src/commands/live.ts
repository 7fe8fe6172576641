import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";

function whole(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ReeltimeError(
        "REELTIME_ERR_USAGE",
        `${flag} must be a whole number from ${min} to ${max}, got ${value}`,
      );
    return n;
  };
}

/** `reeltime live start NAME`: a live HLS ladder from ffmpeg, published into the archive's media. */
export function registerLive(program: Command): void {
  const live = program.command("live").description("live streams: an ffmpeg HLS ladder published to the media bucket");
  live
    .command("start")
    .description(
      "run a live HLS ladder (360p + 240p, H.264/AAC, MPEG-TS segments, a sliding window with " +
        "EXT-X-PROGRAM-DATE-TIME on every segment) from ffmpeg's test source or a looped file, published " +
        "into the archive (REELTIME_ARCHIVE: the filesystem, or the S3 bucket) under media/live/<name>/ " +
        "until Ctrl-C or SIGTERM; its views carry video id live:<name>. No LL-HLS parts (ffmpeg 5.1 cannot make them)",
    )
    .argument("<name>", "the stream's name: 1-48 letters, digits, '_' or '-'")
    .option(
      "--input <file>",
      "a video file, played in a loop at its native rate (default: ffmpeg's test source and a tone)",
    )
    .option("--segment-seconds <n>", "segment length in seconds (1-10)", whole("--segment-seconds", 1, 10), 2)
    .option("--window <n>", "segments in each media playlist (2-30)", whole("--window", 2, 30), 5)
    .option(
      "--delay <ms>",
      "hold each segment this long before publishing it (a known extra encoder delay)",
      whole("--delay", 0, 60_000),
      0,
    )
    .option("--duration <seconds>", "stop by itself after this long", whole("--duration", 1, 86_400))
    .action(
      async (
        name: string,
        o: { input?: string; segmentSeconds: number; window: number; delay: number; duration?: number },
      ) => {
        const { checkLiveName, liveCommand } = await import("@reeltime/pipeline");
        checkLiveName(name);
        await liveCommand(name, {
          segmentSeconds: o.segmentSeconds,
          window: o.window,
          delayMs: o.delay,
          ...(o.input ? { input: o.input } : {}),
          ...(o.duration ? { durationSeconds: o.duration } : {}),
        });
      },
    );
}
