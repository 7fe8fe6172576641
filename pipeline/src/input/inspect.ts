import { stat } from "node:fs/promises";
import { INPUT_ERRORS, inputError } from "../errors.ts";
import { type MediaInfo, probe } from "../ffmpeg/probe.ts";
import type { ToolRunner } from "../ffmpeg/run.ts";
import type { InputLimits } from "./limits.ts";
import { sniff } from "./sniff.ts";

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * Checks a local source before anything is encoded: it exists and is not empty, ffprobe can
 * read it, it holds a moving picture in a supported codec, its size and duration are sane,
 * and its last second decodes (a truncated upload fails here, not halfway through the ladder).
 * Throws a non-retryable ReeltimeError whose code says which of these failed.
 */
export async function inspectInput(
  run: ToolRunner,
  path: string,
  limits: InputLimits,
  tools: { ffmpeg: string; ffprobe: string },
  signal?: AbortSignal,
  /** What the messages call the file (the upload's object key); a worker's scratch path means nothing to the uploader. */
  label: string = path,
  /**
   * `audioOnly`: a source with audio and no video is accepted (the audio-only ladder packages it).
   * `needAudio`: a source without audio is refused (an audio-only package was asked for).
   */
  accept: { audioOnly?: boolean; needAudio?: boolean } = {},
): Promise<MediaInfo> {
  const size = await stat(path).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) throw inputError(INPUT_ERRORS.notFound, `no file at ${label}: check the path`);
  if (size === 0) throw inputError(INPUT_ERRORS.empty, `${label} is empty (0 bytes): the upload did not complete`);

  const sniffed = await sniff(path);
  let info: MediaInfo;
  try {
    info = await probe(run, path, tools.ffprobe);
  } catch (err) {
    const tail = (err instanceof Error ? err.message : String(err)).replaceAll(path, label);
    if (sniffed.kind === "media")
      throw inputError(
        INPUT_ERRORS.corrupt,
        `${label} looks like ${sniffed.container} but cannot be read (corrupt or truncated): ${tail}`,
        err,
      );
    const what = sniffed.kind === "text" ? "a text file" : "not a known video container";
    throw inputError(INPUT_ERRORS.notAVideo, `${label} is not a video (${what}); upload a video file`, err);
  }

  const v = info.video;
  if (accept.needAudio && !info.audio)
    throw inputError(
      INPUT_ERRORS.noAudioStream,
      `${label} has no audio stream${v ? ` (only ${v.codec} video)` : ""}: an audio-only package needs a source with audio`,
    );
  if (!v && info.audio && accept.audioOnly) {
    checkDuration(info, label, limits);
    await decodesToTheEnd(run, path, info, "0:a:0", tools, signal, label);
    return info;
  }
  if (!v) {
    if (info.audio)
      throw inputError(
        INPUT_ERRORS.noVideoStream,
        `${label} has audio (${info.audio.codec}) but no video stream: audio-only uploads are not supported`,
      );
    if (sniffed.kind !== "media")
      throw inputError(INPUT_ERRORS.notAVideo, `${label} is not a video: it has no video stream`);
    throw inputError(INPUT_ERRORS.corrupt, `${label} has no readable video stream (corrupt or truncated)`);
  }
  if (v.stillImage)
    throw inputError(INPUT_ERRORS.unsupportedCodec, `${label} is a still image (${v.codec}), not a video`);
  if (!limits.videoCodecs.includes(v.codec))
    throw inputError(
      INPUT_ERRORS.unsupportedCodec,
      `video codec "${v.codec}" is not supported; re-encode to one of: ${limits.videoCodecs.join(", ")}`,
    );
  const small = Math.min(v.width, v.height);
  const large = Math.max(v.width, v.height);
  if (small < limits.minSide || large > limits.maxSide || v.width * v.height > limits.maxPixels)
    throw inputError(
      INPUT_ERRORS.absurdResolution,
      `resolution ${v.width}x${v.height} is outside the accepted range (sides ${limits.minSide}-${limits.maxSide} px, ` +
        `at most ${limits.maxPixels} pixels)`,
    );
  checkDuration(info, label, limits);
  await decodesToTheEnd(run, path, info, "0:v:0", tools, signal, label);
  return info;
}

function checkDuration(info: MediaInfo, label: string, limits: InputLimits): void {
  const d = info.durationMs;
  if (d === undefined)
    throw inputError(INPUT_ERRORS.corrupt, `${label} has no readable duration (corrupt or truncated)`);
  if (d < limits.minDurationMs || d > limits.maxDurationMs)
    throw inputError(
      INPUT_ERRORS.absurdDuration,
      `duration ${seconds(d)} is outside the accepted range (${seconds(limits.minDurationMs)} to ${seconds(limits.maxDurationMs)})`,
    );
}

/** Decodes the last second of one stream only: cheap, and it catches files cut short after a valid header. */
async function decodesToTheEnd(
  run: ToolRunner,
  path: string,
  info: MediaInfo,
  stream: string,
  tools: { ffmpeg: string },
  signal: AbortSignal | undefined,
  label: string,
): Promise<void> {
  const from = Math.max(0, (info.durationMs ?? 0) / 1000 - 1);
  try {
    await run(
      tools.ffmpeg,
      ["-nostdin", "-v", "error", "-xerror", "-ss", from.toFixed(3), "-i", path, "-map", stream, "-f", "null", "-"],
      signal ? { signal } : {},
    );
  } catch (err) {
    const tail = (err instanceof Error ? err.message : String(err)).replaceAll(path, label);
    throw inputError(INPUT_ERRORS.corrupt, `${label} is corrupt or truncated: its end does not decode (${tail})`, err);
  }
}
